"""The attendance entry page at scale: pages of whole households, a search, and a size budget."""

from datetime import date, timedelta

import sqlalchemy as sa

from workshops.attendance.models import AttendanceRecord, WorkshopSession
from workshops.attendance.services import ENTRY_PAGE_PERSONS
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people.models import Community, Household, Person

# Realistic Awajún and Spanish names (long ones included), so bytes per person are honest.
GIVEN = ("Rosa Elena", "Nantu", "Luis Alberto", "Yampis", "María Teresa", "Tsamajain", "Shimpu")
FAMILY = ("Tsamajain Wajai", "Shimpu Atsam", "Yampis Kayap", "Antuash Petsain", "Wajai Ukuncham")


def build_community(app, households, per_household=5):
    """A community of `households` households of `per_household` people each, and a session; return ids."""
    with app.app_context():
        community = Community(name="Comunidad Grande", code="CGR", district="Huarango")
        db.session.add(community)
        db.session.flush()
        db.session.execute(
            sa.insert(Household),
            [{"community_id": community.id, "code": f"CGR-{n:05d}", "notes": ""} for n in range(households)],
        )
        ids = db.session.scalars(
            sa.select(Household.id).where(Household.community_id == community.id).order_by(Household.code)
        ).all()
        rows = []
        for index, household_id in enumerate(ids):
            for member in range(per_household):
                given = GIVEN[(index + member) % len(GIVEN)]
                family = f"{FAMILY[index % len(FAMILY)]} {index}"
                rows.append(
                    {
                        "household_id": household_id,
                        "given_names": given,
                        "family_names": family,
                        "sex": "female" if member % 2 else "male",
                        "birth_year": 1960 + (index + member) % 50,
                        "search_name": f"{given} {family}".lower().replace("í", "i").replace("é", "e"),
                    }
                )
        db.session.execute(sa.insert(Person), rows)
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        session = WorkshopSession(
            module_id=module.id, community_id=community.id, date=date.today() - timedelta(days=2)
        )
        db.session.add(session)
        db.session.commit()
        return {"session": session.id, "households": list(ids)}


def test_a_200_person_community_is_one_page_under_100_kb(login_as, app):
    built = build_community(app, 40)  # 200 people
    client = login_as("coordinator")
    page = client.get(f"/sessions/{built['session']}/attendance").get_data()
    assert page.count(b'name="status-') == 200
    assert b"Buscar una persona" not in page  # one page: no search, no pager
    assert len(page) < 100_000, len(page)


def test_a_9000_person_community_is_paged_by_whole_households(login_as, app, count_queries):
    built = build_community(app, 1800)  # 9,000 people
    client = login_as("coordinator")
    url = f"/sessions/{built['session']}/attendance"
    loaded = []

    def count_load(person, _context):
        loaded.append(person.id)

    sa.event.listen(Person, "load", count_load)
    try:
        with count_queries() as queries:
            first = client.get(url).get_data(as_text=True)
    finally:
        sa.event.remove(Person, "load", count_load)
    assert first.count('name="status-') == ENTRY_PAGE_PERSONS
    assert len(loaded) == ENTRY_PAGE_PERSONS and len(queries) < 25
    assert len(first.encode()) < 110_000  # the search box and pager on top of the 200 people
    assert "Página 1 de 45" in first and "CGR-00000" in first and "CGR-00040" not in first
    last = client.get(f"{url}?page=45").get_data(as_text=True)
    assert "CGR-01799" in last and "CGR-00000" not in last
    # A search finds a family on any page, by code or by name.
    found = client.get(f"{url}?q=cgr-01234").get_data(as_text=True)
    assert found.count('name="status-') == 5 and "CGR-01234" in found
    found = client.get(f"{url}?q=Antuash Petsain 1233").get_data(as_text=True)
    assert found.count('name="status-') == 5 and "CGR-01233" in found
    assert "Nadie coincide" in client.get(f"{url}?q=zzzz").get_data(as_text=True)


def test_saving_a_page_saves_its_people_and_leads_to_the_next(login_as, app):
    built = build_community(app, 60)  # 300 people: two pages
    client = login_as("coordinator")
    url = f"/sessions/{built['session']}/attendance"
    first = client.get(url).get_data(as_text=True)
    on_first = [int(x.split('"')[0]) for x in first.split('name="status-')[1:]]
    data = {"revision": 0, "action": "save", **{f"status-{pid}": "present" for pid in on_first}}
    answer = client.post(url, data=data)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("attendance?page=2")
    second = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Asistencia de la página 1 de 2 guardada" in second
    on_second = [int(x.split('"')[0]) for x in second.split('name="status-')[1:]]
    assert not set(on_first) & set(on_second) and len(on_first) + len(on_second) == 300
    # A forged mark for someone of page 2 sent with page 1 is not saved.
    forged = {"revision": 1, "action": "save", f"status-{on_second[0]}": "absent"}
    assert client.post(url, data=forged).status_code == 302
    with app.app_context():
        marked = db.session.scalars(
            sa.select(AttendanceRecord.person_id).where(AttendanceRecord.session_id == built["session"])
        ).all()
    assert sorted(marked) == sorted(on_first)
