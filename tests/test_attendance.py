"""Families, sessions and attendance: registry, duplicates, permissions, entry, conflicts, the sheet."""

import subprocess
from datetime import date

import pytest
import sqlalchemy as sa

from workshops.attendance.models import AttendanceChange, AttendanceRecord, SessionStaff, WorkshopSession
from workshops.core.audit import AuditEntry
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people import services as people
from workshops.people.models import Community, Household, HouseholdStay, Person

from .conftest import TEST_PASSWORD, tool_required


def test_household_codes_follow_the_community_code(app, program):
    with app.app_context():
        codes = db.session.scalars(sa.select(Household.code).order_by(Household.code)).all()
    assert codes == ["CPR-001", "CPR-002"]


@pytest.mark.parametrize(
    ("given", "family", "year", "found"),
    [
        ("rosa", "TSAMAJAIN WAJAI", 1990, True),  # case
        ("Rósa", "Tsamajáin", 1991, True),  # accents, second family name missing
        ("Rosa", "Wajai Tsamajain", 1992, True),  # family names transposed
        ("Rosa", "Tsamajain Wajai", 1995, False),  # birth year too far
        ("Marta", "Tsamajain Wajai", 1990, False),
    ],
)
def test_duplicate_search(app, program, given, family, year, found):
    with app.app_context():
        matches = people.similar_people(given, family, year, program["community"])
        assert bool(matches) is found
        if found:
            assert matches[0].given_names == "Rosa" and "Tsamajain" in matches[0].family_names


def test_new_person_shows_similar_records_first_then_saves_on_confirm(login_as, app, program):
    client = login_as("coordinator")
    household = program["households"][0]
    data = {
        "given_names": "ROSA",
        "family_names": "Tsamajáin",
        "sex": "female",
        "birth_year": "1990",
        "relationship_to_head": "other",
    }
    response = client.post(f"/people/households/{household}", data=data)
    assert response.status_code == 200 and "se parecen" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 4
    response = client.post(f"/people/households/{household}", data={**data, "confirmed": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 5
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "create")
            )
            >= 1
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dni", "1234", "8 números"),
        ("birth_year", str(date.today().year + 1), "futuro"),
        ("given_names", "", "obligatorio"),
        ("sex", "otro", "Opción inválida"),
    ],
)
def test_bad_person_input_is_a_form_error_and_saves_nothing(login_as, app, program, field, value, message):
    client = login_as("coordinator")
    data = {
        "given_names": "Ana",
        "family_names": "Nueva",
        "sex": "female",
        "relationship_to_head": "other",
        field: value,
    }
    response = client.post(f"/people/households/{program['households'][0]}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="errors"' in page and message in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 4


def test_moving_keeps_history(app, program):
    with app.app_context():
        person = db.session.get(Person, program["people"][1])
        target = db.session.get(Household, program["households"][1])
        people.move_person(person, target, None)
        db.session.commit()
        stays = db.session.scalars(
            sa.select(HouseholdStay).where(HouseholdStay.person_id == person.id).order_by(HouseholdStay.id)
        ).all()
        assert [s.household_id for s in stays] == program["households"]
        assert stays[0].ended is not None and stays[1].ended is None


def test_enter_attendance_in_sheet_order_with_walk_in(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    page = client.get(url).get_data(as_text=True)
    order = [page.index(f'name="status-{pid}"') for pid in program["people"]]
    assert order == sorted(order)
    marks = dict(zip(program["people"], ["present", "late", "excused", "absent"], strict=True))
    data = {f"status-{pid}": status for pid, status in marks.items()}
    data.update(
        {
            "revision": 0,
            "action": "save",
            "remark-1": "",
            "walkin-given-0": "Visitante",
            "walkin-sex-0": "female",
        }
    )
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        records = {r.person_id: r.status for r in db.session.scalars(sa.select(AttendanceRecord))}
        assert {pid: records[pid] for pid in program["people"]} == marks
        walk_in = db.session.scalar(sa.select(Person).where(Person.given_names == "Visitante"))
        assert walk_in.needs_review and records[walk_in.id] == "present"
        session = db.session.get(WorkshopSession, program["session"])
        assert session.status == "entered" and session.revision == 1
    page = client.get(f"/sessions/{program['session']}").get_data(as_text=True)
    assert "<td>2</td>" in page  # present: Rosa and the walk-in


@pytest.mark.parametrize("year", ["1850", "3000", "19x0"])
def test_a_walk_in_with_an_impossible_birth_year_is_refused_and_nothing_is_saved(
    login_as, app, program, year
):
    """The entry page applies the same walk-in rule as the sync API (people.clean_walk_in)."""
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    data = {f"status-{pid}": "present" for pid in program["people"]}
    data.update(
        {
            "revision": 0,
            "action": "save",
            "walkin-given-0": "Visitante",
            "walkin-sex-0": "male",
            "walkin-year-0": year,
        }
    )
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert "El año de nacimiento no es válido." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0
        assert db.session.scalar(sa.select(Person).where(Person.given_names == "Visitante")) is None


def test_mark_all_present_then_adjust(login_as, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    page = client.post(url, data={"revision": 0, "action": "mark_all"}).get_data(as_text=True)
    assert page.count('<option value="present" selected>') == len(program["people"])


def test_a_later_edit_keeps_history(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    person = program["people"][0]
    client.post(url, data={"revision": 0, "action": "save", f"status-{person}": "absent"})
    client.post(
        url,
        data={"revision": 1, "action": "save", f"status-{person}": "excused", f"remark-{person}": "enferma"},
    )
    with app.app_context():
        change = db.session.scalar(sa.select(AttendanceChange))
        assert change.status == "absent"
        assert db.session.scalar(sa.select(AttendanceRecord.remark)) == "enferma"


def test_two_coordinators_saving_at_once(login_as, make_user, app, program):
    first = login_as("coordinator")
    make_user("segundo", roles=("coordinator",))
    second = app.test_client()
    second.post("/login", data={"username": "segundo", "password": TEST_PASSWORD})
    url = f"/sessions/{program['session']}/attendance"
    person = program["people"][0]
    assert (
        first.post(url, data={"revision": 0, "action": "save", f"status-{person}": "present"}).status_code
        == 302
    )
    response = second.post(url, data={"revision": 0, "action": "save", f"status-{person}": "absent"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "No se aplicó nada" in page
    assert "presente → ausente" in page
    with app.app_context():
        assert db.session.scalar(sa.select(AttendanceRecord.status)) == "present"


def test_invalid_status_changes_nothing(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    response = client.post(
        url, data={"revision": 0, "action": "save", f"status-{program['people'][0]}": "bailando"}
    )
    assert response.status_code == 200 and "no es válido" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0


def test_facilitators_see_only_their_sessions(login_as, make_user, app, program):
    facilitator_id = make_user("facil", roles=("facilitator",))
    client = app.test_client()
    client.post("/login", data={"username": "facil", "password": TEST_PASSWORD})
    session_url = f"/sessions/{program['session']}"
    assert client.get(session_url).status_code == 404
    assert client.get(session_url + "/attendance").status_code == 404
    assert "Comunidad Prueba" not in client.get("/sessions/").get_data(as_text=True)
    assert client.get("/people/").status_code == 403
    with app.app_context():
        db.session.add(
            SessionStaff(session_id=program["session"], user_id=facilitator_id, role="facilitator")
        )
        db.session.commit()
    assert "Comunidad Prueba" in client.get("/sessions/").get_data(as_text=True)
    assert client.get(session_url + "/attendance").status_code == 200
    assert client.get("/sessions/new").status_code == 403


@pytest.mark.parametrize("role", ["translator", "reviewer"])
def test_translators_see_no_personal_data(login_as, program, role):
    client = login_as(role)
    for path in (
        "/people/",
        f"/people/households/{program['households'][0]}",
        "/sessions/",
        f"/sessions/{program['session']}/sheet",
    ):
        assert client.get(path).status_code == 403, path


def test_generator_creates_a_series_once(login_as, app, program):
    client = login_as("coordinator")
    with app.app_context():
        module_ids = db.session.scalars(sa.select(Module.id).where(Module.number.in_((2, 3, 4)))).all()
    data = {
        "modules": module_ids,
        "communities": [program["community"]],
        "first_date": "2027-01-10",
        "interval": "14",
        "duration": "240",
    }
    assert client.post("/sessions/generate", data=data).status_code == 302
    assert client.post("/sessions/generate", data=data).status_code == 302  # again: nothing new
    with app.app_context():
        dates = db.session.scalars(
            sa.select(WorkshopSession.date)
            .where(WorkshopSession.date >= date(2027, 1, 1))
            .order_by(WorkshopSession.date)
        ).all()
    assert dates == [date(2027, 1, 10), date(2027, 1, 24), date(2027, 2, 7)]


def test_sheet_has_roster_blank_rows_and_qr(app, login_as, program, tmp_path):
    app.config["PUBLIC_URL"] = "https://talleres.example.org/"
    client = login_as("coordinator")
    page = client.get(f"/sessions/{program['session']}/sheet").get_data(as_text=True)
    assert page.index("CPR-001") < page.index("CPR-002")
    assert page.count('class="blank"') == 8
    assert "<svg" in page and "Firma o huella" in page
    assert "15-29" in page and "30+" in page
    response = client.get(f"/sessions/{program['session']}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    tool_required("pdftotext")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Rosa Tsamajain Wajai" in text and "Hoja de asistencia" in text


def test_entry_page_query_count_does_not_grow_with_households(login_as, app, program, count_queries):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    client.get(url)
    with count_queries() as before:
        client.get(url)
    with app.app_context():
        community = db.session.get(Community, program["community"])
        for index in range(10):
            household = people.create_household(community, "", None)
            people.add_person(household, {"given_names": f"Extra{index}", "family_names": "Prueba"}, None)
        db.session.commit()
    with count_queries() as after:
        client.get(url)
    assert len(after) == len(before)


def test_the_sheets_qr_follows_public_url_not_the_host_header(app, login_as, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/sheet"
    missing = client.get(url).get_data(as_text=True)
    assert "<svg" not in missing and "PUBLIC_URL" in missing
    app.config["PUBLIC_URL"] = "https://talleres.example.org"
    page = client.get(url).get_data(as_text=True)
    assert "<svg" in page and f"https://talleres.example.org/sessions/{program['session']}/attendance" in page
    from workshops.attendance import sheet
    from workshops.attendance.models import WorkshopSession

    with app.test_request_context("/", base_url="http://evil.example.com"):
        _svg, target = sheet.qr_svg(db.session.get(WorkshopSession, program["session"]))
    assert target == f"https://talleres.example.org/sessions/{program['session']}/attendance"
    app.config["PUBLIC_URL"] = "javascript:alert(1)"
    assert "<svg" not in client.get(url).get_data(as_text=True)
