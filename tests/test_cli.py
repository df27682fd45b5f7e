"""`flask init` and `flask create-user`."""

import re

import sqlalchemy as sa

from workshops.auth.models import User
from workshops.core.models import AppState
from workshops.extensions import db


def test_init_is_idempotent(runner):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "0 curriculum module(s)" in result.output


def test_create_user_with_roles(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "Lucia",
            "--name",
            "Lucía",
            "--role",
            "admin",
            "--role",
            "reviewer",
            "--password",
            "x" * 12,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "lucia"))
        assert user.roles == {"admin", "reviewer"} and user.display_name == "Lucía"
        # An admin made on the command line ends the first-run setup.
        assert db.session.get(AppState, "setup_done") is not None


def test_create_user_refuses_duplicates_and_short_passwords(runner, make_user):
    make_user("lucia")
    duplicate = runner.invoke(args=["create-user", "lucia", "--password", "x" * 12])
    assert duplicate.exit_code != 0 and "taken" in duplicate.output
    short = runner.invoke(args=["create-user", "pablo", "--password", "short"])
    assert short.exit_code != 0 and "al menos 8 caracteres" in short.output


def test_demo_loads_once(runner, app):
    from workshops.people.models import Household, Person

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "5 communities, 80 households" in result.output and "60 sessions" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 80
        people = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        assert 160 <= people <= 320
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Person).where(~Person.family_names.startswith("Demo "))
            )
            == 0
        )
    again = runner.invoke(args=["demo"])
    assert "loaded already" in again.output


def test_demo_has_upcoming_sessions_for_a_facilitator_who_can_sign_in(runner, app):
    from datetime import date

    from workshops.attendance.models import AttendanceRecord, SessionStaff, WorkshopSession
    from workshops.auth.models import User
    from workshops.field.pack import upcoming_sessions

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "15 of them upcoming" in result.output
    password = re.search(r"user 'demo-facilitadora', password '([^']+)'", result.output).group(1)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "demo-facilitadora"))
        assert user.check_password(password) and user.roles == {"facilitator"}
        sessions = db.session.scalars(sa.select(WorkshopSession)).all()
        assigned = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(SessionStaff.session_id))).where(
                SessionStaff.user_id == user.id
            )
        )
        assert assigned == len(sessions) == 60
        future = [s for s in sessions if s.date > date.today()]
        assert len(future) == 15 and {s.status for s in future} == {"planned"}
        assert {s.status for s in sessions if s.date < date.today()} == {"entered", "cancelled"}
        future_ids = [s.id for s in future]
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AttendanceRecord)
            .where(AttendanceRecord.session_id.in_(future_ids))
        )
        # Field mode has something to take offline right away.
        assert len(upcoming_sessions(user)) >= 10


def test_demo_has_a_cancelled_session_left_out_of_sessions_held(runner, app):
    from workshops.attendance.models import AttendanceRecord, WorkshopSession

    result = runner.invoke(args=["demo"])
    assert "1 cancelled" in result.output
    with app.app_context():
        (cancelled,) = db.session.scalars(
            sa.select(WorkshopSession).where(WorkshopSession.status == "cancelled")
        ).all()
        assert "Crecida del río" in cancelled.status_reason
        assert not db.session.scalars(
            sa.select(AttendanceRecord).where(AttendanceRecord.session_id == cancelled.id)
        ).all()
