"""Changing sessions after they are made: edit with history, concurrent edits, cancel, postpone, reopen,
delete; and attendance only from a session's day on, on the entry page and in the field sync."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from workshops.attendance import services as attendance
from workshops.attendance.models import AttendanceRecord, SessionChange, WorkshopSession
from workshops.auth.models import User
from workshops.core.audit import AuditEntry
from workshops.core.clock import program_today
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.reports.program import summary
from workshops.reports.services import Period

from .conftest import make_test_app
from .helpers import login, record


def _session(app, session_id):
    with app.app_context():
        found = db.session.get(WorkshopSession, session_id)
        db.session.expunge(found)
        return found


def _mark_everyone(app, program, status="present"):
    """Enter attendance for the program's session through the service, as the entry page does."""
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        user = db.session.scalar(sa.select(User).where(User.username == "first-admin"))
        marks = {person_id: (status, "") for person_id in program["people"]}
        assert attendance.save_attendance(session, marks, session.revision, user).saved
        db.session.commit()


def _edit_data(session, **changes):
    data = {
        "module": str(session.module_id),
        "date": session.date.isoformat(),
        "start_time": "",
        "duration": str(session.duration_minutes),
        "venue": session.venue,
        "interpreter": "",
        "revision": str(session.details_revision),
    }
    data.update(changes)
    return data


def _changes(app, session_id):
    with app.app_context():
        return [
            (change.field, change.old_value, change.new_value, change.reason)
            for change in db.session.scalars(
                sa.select(SessionChange)
                .where(SessionChange.session_id == session_id)
                .order_by(SessionChange.id)
            )
        ]


def _module_one_figures(app):
    """Sessions held and persons reached for module 1 in the program summary."""
    with app.app_context():
        figures = summary(Period())
        row = next(row for row in figures.by_module if row["module"].number == 1)
        return row["sessions"], row["persons"], figures.total.persons_reached


# --- edit -------------------------------------------------------------------------------------------


def test_edit_moves_the_date_keeps_the_attendance_and_the_history(login_as, app, program):
    _mark_everyone(app, program)
    client = login_as("coordinator", username="coord-ana")
    session = _session(app, program["session"])
    assert session.date == date(2026, 10, 5)
    form = client.get(f"/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'name="revision" type="hidden" value="0"' in form
    assert "4 marcas de asistencia" in form
    response = client.post(
        f"/sessions/{session.id}/edit",
        data=_edit_data(session, date="2026-10-03", venue="Casa comunal", start_time="09:00"),
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(WorkshopSession, session.id)
        assert (stored.date, stored.venue, stored.details_revision) == (date(2026, 10, 3), "Casa comunal", 1)
        linked = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AttendanceRecord)
            .where(AttendanceRecord.session_id == session.id)
        )
        assert linked == 4
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "edit")) == "edit"
    assert _changes(app, session.id) == [
        ("date", "2026-10-05", "2026-10-03", ""),
        ("start_time", "", "09:00", ""),
        ("venue", "", "Casa comunal", ""),
    ]
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Cambios de la sesión" in page and "Coord-Ana" in page
    assert "5 de octubre de 2026" in page and "3 de octubre de 2026" in page  # old and new date
    assert "<td>2</td><td>2</td>" in page  # the marks: two women and two men present, still shown
    # The figures follow the session to its new date.
    with app.app_context():
        assert summary(Period(start=date(2026, 10, 3), end=date(2026, 10, 3))).total.persons_reached == 4


def test_a_session_with_attendance_does_not_move_into_the_future(login_as, app, program):
    _mark_everyone(app, program)
    client = login_as("coordinator")
    session = _session(app, program["session"])
    with app.app_context():
        later = program_today() + timedelta(days=5)
    response = client.post(f"/sessions/{session.id}/edit", data=_edit_data(session, date=later.isoformat()))
    assert response.status_code == 200
    assert "no puede pasar a una fecha futura" in response.get_data(as_text=True)
    assert _session(app, session.id).date == date(2026, 10, 5)
    assert _changes(app, session.id) == []


def test_an_edit_onto_another_sessions_day_is_refused(login_as, app, program):
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        db.session.add(
            WorkshopSession(module_id=module.id, community_id=program["community"], date=date(2026, 11, 2))
        )
        db.session.commit()
    client = login_as("coordinator")
    session = _session(app, program["session"])
    response = client.post(f"/sessions/{session.id}/edit", data=_edit_data(session, date="2026-11-02"))
    assert "Ya hay una sesión de ese módulo en esta comunidad en esa fecha" in response.get_data(as_text=True)
    assert _session(app, session.id).date == date(2026, 10, 5)
    assert _changes(app, session.id) == []


def test_edit_form_errors_change_nothing(login_as, app, program):
    client = login_as("coordinator")
    session = _session(app, program["session"])
    response = client.post(f"/sessions/{session.id}/edit", data=_edit_data(session, date="", duration="5"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Escriba la fecha." in page
    assert _session(app, session.id).details_revision == 0 and _changes(app, session.id) == []


def test_the_later_of_two_edits_is_shown_the_difference_not_applied(app, make_user, login_as, program):
    first = login_as("coordinator")
    second = app.test_client()
    make_user("coord-two", roles=("coordinator",))
    login(second, "coord-two")
    session = _session(app, program["session"])  # both opened the form at revision 0
    assert (
        first.post(f"/sessions/{session.id}/edit", data=_edit_data(session, venue="Casa comunal")).status_code
        == 302
    )
    late = second.post(f"/sessions/{session.id}/edit", data=_edit_data(session, venue="Escuela"))
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Otra persona cambió esta sesión" in page and "Casa comunal → Escuela" in page
    assert _session(app, session.id).venue == "Casa comunal"
    # The form now carries the new revision: saving again applies it knowingly.
    assert 'name="revision" type="hidden" value="1"' in page
    again = second.post(
        f"/sessions/{session.id}/edit", data=_edit_data(session, venue="Escuela", revision="1")
    )
    assert again.status_code == 302
    assert _session(app, session.id).venue == "Escuela"
    assert [c[1:3] for c in _changes(app, session.id)] == [("", "Casa comunal"), ("Casa comunal", "Escuela")]


def test_the_team_is_edited_with_history(app, make_user, login_as, program):
    facilitator = make_user("rosa-fac", roles=("facilitator",), display_name="Rosa Facilitadora")
    client = login_as("coordinator")
    session = _session(app, program["session"])
    data = {**_edit_data(session, interpreter="Luis Intérprete"), "facilitators": [str(facilitator)]}
    assert client.post(f"/sessions/{session.id}/edit", data=data).status_code == 302
    assert _changes(app, session.id) == [
        ("facilitators", "", "Rosa Facilitadora", ""),
        ("interpreter", "", "Luis Intérprete", ""),
    ]
    # The facilitator now sees the session; another edit without her takes it away again.
    fac = app.test_client()
    login(fac, "rosa-fac")
    assert fac.get(f"/sessions/{session.id}").status_code == 200
    session = _session(app, session.id)
    assert client.post(f"/sessions/{session.id}/edit", data=_edit_data(session)).status_code == 302
    assert fac.get(f"/sessions/{session.id}").status_code == 404


# --- cancel, postpone, reopen ------------------------------------------------------------------------


def test_cancel_takes_a_reason_is_struck_through_and_is_not_counted(login_as, app, program):
    _mark_everyone(app, program)
    client = login_as("coordinator")
    with app.app_context():
        db.session.get(WorkshopSession, program["session"]).status = "held"
        db.session.commit()
    assert _module_one_figures(app) == (1, 4, 4)
    url = f"/sessions/{program['session']}/cancel"
    refused = client.post(
        url, data={"status": "cancelled", "reason": " ", "revision": "0"}, follow_redirects=True
    )
    assert "Escriba el motivo." in refused.get_data(as_text=True)
    assert _session(app, program["session"]).status == "held"
    assert (
        client.post(
            url, data={"status": "cancelled", "reason": "Crecida del río", "revision": "0"}
        ).status_code
        == 302
    )
    stored = _session(app, program["session"])
    assert (stored.status, stored.status_reason) == ("cancelled", "Crecida del río")
    assert _changes(app, program["session"]) == [("status", "held", "cancelled", "Crecida del río")]
    # Not held, and its marks are not counted anywhere in the summary.
    assert _module_one_figures(app) == (0, 0, 0)
    listing = client.get("/sessions/?when=past").get_data(as_text=True)
    assert 'class="session-off"' in listing and "cancelada" in listing and "<s>" in listing
    page = client.get(f"/sessions/{program['session']}").get_data(as_text=True)
    assert "Sesión cancelada" in page and "Crecida del río" in page and "Reabrir la sesión" in page
    # Reopened: planned again (not held until someone says so), its marks count again.
    assert client.post(f"/sessions/{program['session']}/reopen", data={"revision": "1"}).status_code == 302
    stored = _session(app, program["session"])
    assert (stored.status, stored.status_reason) == ("planned", "")
    assert _module_one_figures(app) == (0, 4, 4)
    assert _changes(app, program["session"])[-1] == ("status", "cancelled", "planned", "")


def test_a_stale_cancel_form_changes_nothing(login_as, app, program):
    client = login_as("coordinator")
    session = _session(app, program["session"])
    assert (
        client.post(f"/sessions/{session.id}/edit", data=_edit_data(session, venue="Escuela")).status_code
        == 302
    )
    response = client.post(
        f"/sessions/{session.id}/cancel",
        data={"status": "postponed", "reason": "Lluvia", "revision": "0"},
        follow_redirects=True,
    )
    assert "Otra persona cambió esta sesión" in response.get_data(as_text=True)
    assert _session(app, session.id).status == "planned"


def test_a_postponed_session_leaves_the_field_packs_and_refuses_marks(app, client, field):
    login(client, "fac")
    assert client.get(f"/api/field/pack?session={field['session']}").get_json()["sessions"]
    with app.app_context():
        coordinator = db.session.scalar(sa.select(User).where(User.username == "first-admin"))
        session = db.session.get(WorkshopSession, field["session"])
        from workshops.attendance import changes

        assert changes.change_status(session, "postponed", "Sin bote", 0, coordinator).saved
        db.session.commit()
    assert "Comunidad Campo" not in client.get("/field/").get_data(as_text=True)
    assert client.get(f"/api/field/pack?session={field['session']}").get_json()["sessions"] == []
    result = client.post("/api/field/sync", json={"records": [record(field["session"], field["persons"][0])]})
    (outcome,) = result.get_json()["results"]
    assert outcome["outcome"] == "rejected" and "postergada" in outcome["reason"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0


def test_cancelled_sessions_take_no_attendance_on_the_entry_page(login_as, app, program):
    client = login_as("coordinator")
    client.post(
        f"/sessions/{program['session']}/cancel",
        data={"status": "cancelled", "reason": "Paro", "revision": "0"},
    )
    data = {f"status-{pid}": "present" for pid in program["people"]}
    page = client.post(
        f"/sessions/{program['session']}/attendance", data={**data, "revision": "0", "action": "save"}
    )
    assert "La sesión está cancelada" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0


# --- delete --------------------------------------------------------------------------------------------


def test_a_session_made_by_mistake_is_deleted(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/delete"
    assert "No se puede deshacer" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"revision": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sessions/")
    with app.app_context():
        assert db.session.get(WorkshopSession, program["session"]) is None
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "delete"))
        assert entry.object_id == program["session"] and "2026-10-05" in entry.details


@pytest.mark.parametrize("holds", ["attendance", "sheet"])
def test_a_session_with_records_is_not_deleted_and_cancel_is_offered(login_as, app, program, holds):
    if holds == "attendance":
        _mark_everyone(app, program)
    else:
        import io

        from workshops.attendance import uploads

        with app.app_context():
            session = db.session.get(WorkshopSession, program["session"])
            user = db.session.scalar(sa.select(User).where(User.username == "first-admin"))
            uploads.save(session, io.BytesIO(b"%PDF-1.4 test"), "hoja.pdf", user)
            db.session.commit()
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/delete"
    response = client.post(url, data={"revision": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "no se puede borrar" in page and "cancélela" in page
    assert f'action="/sessions/{program["session"]}/cancel"' in page
    with app.app_context():
        assert db.session.get(WorkshopSession, program["session"]) is not None


def test_facilitators_may_not_change_sessions(app, client, field):
    login(client, "fac")  # assigned to this session
    session = field["session"]
    assert client.get(f"/sessions/{session}/edit").status_code == 403
    assert (
        client.post(f"/sessions/{session}/cancel", data={"status": "cancelled", "reason": "x"}).status_code
        == 403
    )
    assert client.post(f"/sessions/{session}/delete").status_code == 403
    assert "Cambiar la sesión" not in client.get(f"/sessions/{session}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(WorkshopSession, session).status == "planned"


# --- attendance waits for the session's day --------------------------------------------------------


def _future_session(app, program, days=1):
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        session.date = program_today() + timedelta(days=days)
        db.session.commit()


def test_marks_for_a_future_session_are_refused_on_the_entry_page(login_as, app, program):
    _future_session(app, program)
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    shown = client.get(url).get_data(as_text=True)
    assert "la asistencia se registra desde ese día" in shown and "Guardar la asistencia" not in shown
    data = {f"status-{pid}": "present" for pid in program["people"]}
    page = client.post(
        url,
        data={**data, "revision": "0", "action": "save", "walkin-given-0": "Nuevo", "walkin-sex-0": "male"},
    )
    assert "la asistencia se registra desde ese día, no antes" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0
        assert db.session.get(WorkshopSession, program["session"]).revision == 0
    # Its day comes: the same marks are taken.
    _future_session(app, program, days=0)
    assert client.post(url, data={**data, "revision": "0", "action": "save"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 4


def test_marks_for_a_future_session_are_refused_in_the_sync(app, client, field):
    with app.app_context():
        db.session.get(WorkshopSession, field["session"]).date = program_today() + timedelta(days=2)
        db.session.commit()
    login(client, "fac")
    batch = [record(field["session"], field["persons"][0]), record(field["session"], field["persons"][1])]
    results = client.post("/api/field/sync", json={"records": batch}).get_json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "rejected"]
    assert all("no antes" in r["reason"] for r in results)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0


def test_today_is_the_programs_today(app, program):
    """Kiritimati is always a day or more ahead of Pago Pago: the setting decides which "today" counts."""
    with app.app_context():
        app.config["PROGRAM_TIMEZONE"] = "Pacific/Kiritimati"
        session = db.session.get(WorkshopSession, program["session"])
        session.date = program_today()
        assert attendance.attendance_refusal(session) is None
        app.config["PROGRAM_TIMEZONE"] = "Pacific/Pago_Pago"
        assert "no antes" in attendance.attendance_refusal(session)
        db.session.rollback()


def test_a_misspelt_time_zone_stops_the_start(database_url, instance_dir):
    with pytest.raises(RuntimeError, match="PROGRAM_TIMEZONE"):
        make_test_app(database_url, instance_dir, PROGRAM_TIMEZONE="America/Lim")


def test_the_database_knows_the_new_states(app, program):
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        session.status = "postponed"
        db.session.flush()
        session.status = "dancing"
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_upgrade_keeps_every_session_and_its_marks(database_factory, tmp_path):
    """0013 changes workshop_session's CHECK constraint in place: a rebuilt table, dropped with foreign
    keys on (as the start-up migrates), would take every attendance record with it (ON DELETE CASCADE)."""
    from flask_migrate import downgrade

    from workshops import create_app

    fresh = database_factory()
    started = create_app({"SQLALCHEMY_DATABASE_URI": fresh, "INSTANCE_PATH": tmp_path})
    with started.app_context():
        from workshops.people import services as people
        from workshops.people.models import Community

        community = Community(name="Antes", code="ANT")
        db.session.add(community)
        db.session.flush()
        person = people.add_person(
            people.create_household(community, "", None), {"given_names": "Rosa"}, None
        )
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        session = WorkshopSession(module_id=module.id, community_id=community.id, date=date(2026, 10, 5))
        session.status = "entered"
        db.session.add(session)
        db.session.flush()
        db.session.add(AttendanceRecord(session_id=session.id, person_id=person.id, status="present"))
        db.session.commit()
        engine = db.engine
        downgrade(revision="0012_login_sessions")
        engine.dispose()
    again = create_app({"SQLALCHEMY_DATABASE_URI": fresh, "INSTANCE_PATH": tmp_path})  # migrates on start
    with again.app_context():
        with db.engine.connect() as connection:
            from alembic.script import ScriptDirectory

            from workshops.core.paths import MIGRATIONS_DIR

            head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
            assert connection.scalar(sa.text("SELECT count(*) FROM attendance_record")) == 1
            assert connection.scalar(sa.text("SELECT status FROM workshop_session")) == "entered"
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE workshop_session SET status = 'dancing'"))
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE workshop_session SET status = 'cancelled'"))
        db.engine.dispose()


def test_history_times_are_on_the_programs_clock(login_as, app, program):
    from datetime import UTC, datetime

    with app.app_context():
        db.session.add(
            SessionChange(
                session_id=program["session"],
                field="venue",
                old_value="",
                new_value="Escuela",
                changed_at=datetime(2026, 10, 6, 2, 30, tzinfo=UTC),
            )
        )
        db.session.commit()
    page = login_as("coordinator").get(f"/sessions/{program['session']}").get_data(as_text=True)
    assert "5 de octubre de 2026 21:30" in page  # 02:30 UTC is the evening before in Lima


def test_a_stale_form_that_changes_nothing_is_not_a_conflict(login_as, app, program):
    client = login_as("coordinator")
    session = _session(app, program["session"])
    assert (
        client.post(f"/sessions/{session.id}/edit", data=_edit_data(session, venue="Escuela")).status_code
        == 302
    )
    # Another coordinator's form, opened before that save, typed the same venue.
    same = client.post(
        f"/sessions/{session.id}/edit",
        data=_edit_data(session, venue="Escuela", revision="0"),
        follow_redirects=True,
    )
    assert same.status_code == 200 and "No cambió nada." in same.get_data(as_text=True)
    assert len(_changes(app, session.id)) == 1
