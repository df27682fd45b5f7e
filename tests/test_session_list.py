"""Finding next week's session: landing by role, the filtered and paged session list, the prepare panel."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from workshops.attendance.models import SessionStaff, WorkshopSession
from workshops.attendance.services import SESSIONS_PAGE_SIZE
from workshops.auth.models import User
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people.models import Community


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("facilitator",), "/sessions/"),
        (("coordinator",), "/sessions/"),
        (("admin",), "/sessions/"),
        (("translator",), "/translate/"),
        (("reviewer",), "/translate/"),
        (("translator", "facilitator"), "/sessions/"),
    ],
)
def test_each_role_lands_where_its_work_is(login_as, roles, landing):
    client = login_as(*roles)
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(landing)


def _sessions(app, program, days, **fields):
    """Add sessions to the program's community on these days from today; return their ids."""
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.number == 2))
        made = []
        for offset in days:
            session = WorkshopSession(
                module_id=module.id,
                community_id=program["community"],
                date=date.today() + timedelta(days=offset),
                **fields,
            )
            db.session.add(session)
            db.session.flush()
            made.append(session.id)
        db.session.commit()
        return made


def _listed(page):
    return [int(chunk.split('"')[0]) for chunk in page.split('<a href="/sessions/')[1:] if chunk[0].isdigit()]


def test_the_list_opens_on_upcoming_sessions_soonest_first(login_as, app, program):
    later, soon, past = _sessions(app, program, (20, 3, -9))
    client = login_as("coordinator")
    page = client.get("/sessions/").get_data(as_text=True)
    shown = _listed(page)
    assert shown.index(soon) < shown.index(later) and past not in shown and program["session"] not in shown
    # Past sessions: most recent first.
    shown = _listed(client.get("/sessions/?when=past").get_data(as_text=True))
    assert shown.index(past) < shown.index(program["session"])
    # Bad filter values are ignored, never an error.
    assert client.get("/sessions/?when=x&community=abc&module=99999999999&start=ayer").status_code == 200


def test_what_is_left_to_enter_is_shown_and_listed(login_as, app, program):
    (entered,) = _sessions(app, program, (-2,), status="entered")
    client = login_as("coordinator")
    page = client.get("/sessions/").get_data(as_text=True)
    assert "1 sesión ya pasó y no tiene asistencia ingresada" in page
    shown = _listed(client.get("/sessions/?when=to_enter").get_data(as_text=True))
    assert program["session"] in shown and entered not in shown


def test_filters_by_community_module_status_facilitator_dates_and_mine(login_as, app, program, make_user):
    first, second, third = _sessions(app, program, (5, 6, 7))
    facilitator = make_user("fac", roles=("facilitator",))
    with app.app_context():
        other = Community(name="Otra", code="OTR")
        db.session.add(other)
        db.session.flush()
        db.session.get(WorkshopSession, second).community_id = other.id
        db.session.get(WorkshopSession, third).status = "cancelled"
        other_id = other.id
        db.session.add(SessionStaff(session_id=first, user_id=facilitator, role="facilitator"))
        db.session.commit()
        module_two = db.session.scalar(sa.select(Module.id).where(Module.number == 2))
    client = login_as("coordinator", username="coord")
    assert set(_listed(client.get(f"/sessions/?community={other_id}").get_data(as_text=True))) == {second}
    assert set(_listed(client.get("/sessions/?status=cancelled").get_data(as_text=True))) == {third}
    assert set(_listed(client.get(f"/sessions/?facilitator={facilitator}").get_data(as_text=True))) == {first}
    assert set(_listed(client.get(f"/sessions/?module={module_two}").get_data(as_text=True))) == {
        first,
        second,
        third,
    }
    day = (date.today() + timedelta(days=6)).isoformat()
    assert set(_listed(client.get(f"/sessions/?start={day}&end={day}").get_data(as_text=True))) == {second}
    assert _listed(client.get("/sessions/?mine=1").get_data(as_text=True)) == []
    with app.app_context():
        coordinator = db.session.scalar(sa.select(User.id).where(User.username == "coord"))
        db.session.add(SessionStaff(session_id=second, user_id=coordinator, role="facilitator"))
        db.session.commit()
    assert _listed(client.get("/sessions/?mine=1").get_data(as_text=True)) == [second]


def test_the_list_is_paged(login_as, app, program):
    made = _sessions(app, program, range(1, SESSIONS_PAGE_SIZE + 6))
    client = login_as("coordinator")
    first = client.get("/sessions/").get_data(as_text=True)
    assert len(_listed(first)) == SESSIONS_PAGE_SIZE and "Página 1 de 2" in first
    second = client.get("/sessions/?page=2&community=" + str(program["community"])).get_data(as_text=True)
    assert _listed(second) == made[SESSIONS_PAGE_SIZE:]
    assert "community=" in second.split('class="pager')[1]  # the pager keeps the filters


def test_the_session_and_module_pages_link_to_the_materials(login_as, app, program):
    client = login_as("coordinator")
    page = client.get(f"/sessions/{program['session']}").get_data(as_text=True)
    with app.app_context():
        slug = db.session.scalar(sa.select(Module.slug).where(Module.number == 1))
    for href in (
        f"/materials/print.pdf?document=handout&amp;module={slug}",
        f"/materials/print.pdf?document=guide&amp;module={slug}",
        "/materials/print.pdf?document=terms",
        f"/sessions/{program['session']}/sheet.pdf",
        "/field/",
    ):
        assert href in page, href
    module_page = client.get(f"/modules/{slug}").get_data(as_text=True)
    assert f"/materials/print.pdf?document=handout&amp;module={slug}" in module_page
    link = page.split('href="/materials/print.pdf?')[1].split('"')[0].replace("&amp;", "&")
    answer = client.get(f"/materials/print.pdf?{link}")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
