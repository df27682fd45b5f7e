"""Reports: every figure checked against one computed independently here, exports, bad input, speed."""

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from workshops.attendance.models import AttendanceRecord, WorkshopSession
from workshops.core.audit import AuditEntry
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people import merge
from workshops.people import services as people
from workshops.people.models import Community, Household, Person

ATTENDED = ("present", "late")

# (community, module number, date) of every session; statuses below refer to them by key.
SESSIONS = {
    "A1-old": ("A", 1, date(2025, 9, 30)),  # fiscal year 2025, the day before FY 2026 starts
    "A1": ("A", 1, date(2025, 10, 1)),  # the first day of FY 2026
    **{f"A{n}": ("A", n, date(2026, n - 1, 15) if n > 1 else None) for n in range(2, 11)},
    "B1": ("B", 1, date(2025, 11, 20)),
    "B2": ("B", 2, date(2026, 2, 20)),
    "B3": ("B", 3, date(2026, 5, 20)),
    "B4-planned": ("B", 4, date(2026, 12, 1)),  # not held yet
}
SESSIONS = {key: value for key, value in SESSIONS.items() if value[2] is not None}

# name: (household, sex, birth year, {session: status})
PEOPLE = {
    "Rosa": ("A-1", "female", 1990, {f"A{n}": "present" for n in range(1, 10)}),
    "Luis": ("A-1", "male", 2005, {"A1-old": "present", "A1": "present", "A2": "late", "A3": "absent"}),
    "Ana": ("A-1", "female", None, {"A1": "excused", "A4": "present"}),
    # Born 1996: 29 at his first FY 2026 session (1 Oct 2025), 30 from March 2026 on.
    "Pedro": ("A-2", "male", 1996, {"A1": "present", **{f"A{n}": "present" for n in range(5, 11)}}),
    "Elsa": ("A-2", "female", 1998, {"A2": "present", "A3": "present"}),
    "Nora": ("A-2", "female", 1985, {"A1-old": "present"}),
    # A duplicate of Rosa, merged into her below: her module 10 moves to Rosa, counted once.
    "Rosa bis": ("A-2", "female", 1990, {"A10": "present", "A9": "present"}),
    # Moves from A-1 to B-1 after two sessions: counted in B, her current community.
    "Carla": ("A-1", "female", 1980, {"A1": "present", "A2": "present", "B3": "present"}),
    "Marta": ("B-1", "female", 1950, {"B1": "present", "B2": "present", "B3": "late"}),
    "Juan": ("B-1", "male", 2015, {"B1": "present"}),
    "Walk-in": (None, "unrecorded", None, {"B2": "present"}),
    "Teo": ("B-1", "male", 1970, {"B1": "absent", "B2": "excused"}),
}


@pytest.fixture
def dataset(app):
    """Two communities, three households, people who move, merge and walk in; return ids."""
    with app.app_context():
        communities = {}
        for code in ("A", "B"):
            community = Community(name=f"Comunidad {code}", code=code * 3)
            db.session.add(community)
            db.session.flush()
            communities[code] = community
        households = {
            "A-1": people.create_household(communities["A"], "", None),
            "A-2": people.create_household(communities["A"], "", None),
            "B-1": people.create_household(communities["B"], "", None),
        }
        modules = {m.number: m for m in db.session.scalars(sa.select(Module))}
        sessions = {}
        for key, (code, number, when) in SESSIONS.items():
            session = WorkshopSession(
                module_id=modules[number].id,
                community_id=communities[code].id,
                date=when,
                status="planned" if key.endswith("planned") else "entered",
            )
            db.session.add(session)
            db.session.flush()
            sessions[key] = session
        persons = {}
        for name, (household, sex, year, marks) in PEOPLE.items():
            given, _, family = name.partition(" ")
            person = people.add_person(
                households[household] if household else None,
                {"given_names": given, "family_names": family or "Prueba", "sex": sex, "birth_year": year},
                None,
                needs_review=household is None,
            )
            persons[name] = person
            for key, status in marks.items():
                db.session.add(
                    AttendanceRecord(session_id=sessions[key].id, person_id=person.id, status=status)
                )
        db.session.flush()
        people.move_person(persons["Carla"], households["B-1"], None)
        merge.merge_persons(persons["Rosa"], persons["Rosa bis"], None)
        db.session.commit()
        return {
            "communities": {code: c.id for code, c in communities.items()},
            "households": {code: h.id for code, h in households.items()},
            "people": {name: p.id for name, p in persons.items()},
        }


# --- The independent computation: plain loops over the stored records ---------------------------


def canonical(person):
    while person.merged_into_id is not None:
        person = db.session.get(Person, person.merged_into_id)
    return person


def expected_participants(start=None, end=None):
    """Return {person_id: facts} straight from the definitions, one record at a time."""
    found = defaultdict(lambda: {"dates": [], "modules": set(), "communities": set()})
    for record in db.session.scalars(sa.select(AttendanceRecord)):
        session = db.session.get(WorkshopSession, record.session_id)
        if record.status not in ATTENDED:
            continue
        if (start and session.date < start) or (end and session.date > end):
            continue
        person = canonical(db.session.get(Person, record.person_id))
        entry = found[person.id]
        entry["person"] = person
        entry["dates"].append(session.date)
        entry["modules"].add(db.session.get(Module, session.module_id))
        entry["communities"].add(session.community_id)
    result = {}
    for person_id, entry in found.items():
        person = entry["person"]
        first = min(entry["dates"])
        if person.birth_year is None:
            group = "unknown"
        else:
            age = first.year - person.birth_year
            group = "30+" if age >= 30 else ("15-29" if age >= 15 else "under15")
        household = db.session.get(Household, person.household_id) if person.household_id else None
        result[person_id] = {
            "sex": person.sex,
            "age": group,
            "modules": {m.number for m in entry["modules"]},
            "practices": {p.practice for m in entry["modules"] for p in m.practices},
            "community": household.community_id if household else min(entry["communities"]),
            "household": person.household_id,
        }
    return result


def count(facts, **conditions):
    def keep(fact):
        for key, wanted in conditions.items():
            if key == "practice":
                if wanted not in fact["practices"]:
                    return False
            elif fact[key] != wanted:
                return False
        return True

    return sum(1 for fact in facts.values() if keep(fact))


def read_csv(response):
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def by_first_column(rows):
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


# --- The tests ------------------------------------------------------------------------------------


def test_known_answers_by_hand(app, dataset):
    """A few figures worked out by hand, so the independent computation is itself checked."""
    with app.app_context():
        facts = expected_participants(date(2025, 10, 1), date(2026, 9, 30))
    ids = dataset["people"]
    assert ids["Rosa bis"] not in facts  # merged into Rosa
    assert facts[ids["Rosa"]]["modules"] == set(range(1, 11))  # nine of her own and the duplicate's 10
    assert facts[ids["Pedro"]]["age"] == "15-29"  # 29 on 1 October 2025, 30 later in the year
    assert facts[ids["Juan"]]["age"] == "under15"
    assert facts[ids["Ana"]]["age"] == "unknown"
    assert ids["Nora"] not in facts and ids["Teo"] not in facts  # FY 2025 only; never present
    assert facts[ids["Carla"]]["community"] == dataset["communities"]["B"]  # she moved
    assert facts[ids["Walk-in"]]["community"] == dataset["communities"]["B"]
    assert len(facts) == 9


def test_indicators_match_the_independent_count(login_as, app, dataset):
    client = login_as("coordinator")
    with app.app_context():
        facts = expected_participants(date(2025, 10, 1), date(2026, 9, 30))
    response = client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=eg32")
    overall = by_first_column(read_csv(response))
    for group in ("15-29", "30+", "under15", "unknown"):
        for sex in ("female", "male", "unrecorded"):
            assert int(overall[group][sex]) == count(facts, sex=sex, age=group), (group, sex)
        assert int(overall[group]["total"]) == count(facts, age=group)
    assert int(overall["all"]["total"]) == len(facts) == 9

    communities = by_first_column(
        read_csv(client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=eg32_communities"))
    )
    for code in ("A", "B"):
        community_id = dataset["communities"][code]
        row = communities[f"Comunidad {code}"]
        assert int(row["total"]) == count(facts, community=community_id)
        assert int(row["female"]) == count(facts, community=community_id, sex="female")
        assert int(row["age_15-29"]) == count(facts, community=community_id, age="15-29")
        assert int(row["age_unknown"]) == count(facts, community=community_id, age="unknown")

    practices = by_first_column(
        read_csv(client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=practices"))
    )
    with app.app_context():
        from workshops.curriculum.source import PRACTICES
    for practice in PRACTICES:
        assert int(practices[practice]["total"]) == count(facts, practice=practice), practice
        assert int(practices[practice]["male"]) == count(facts, practice=practice, sex="male"), practice
        assert int(practices[practice]["age_30+"]) == count(facts, practice=practice, age="30+"), practice
    assert int(practices["any"]["total"]) == sum(1 for f in facts.values() if f["practices"])

    # Fiscal year 2025 holds only the session of 30 September 2025.
    with app.app_context():
        old = expected_participants(date(2024, 10, 1), date(2025, 9, 30))
    overall_2025 = by_first_column(
        read_csv(client.get("/reports/indicators?year=2025&format=csv&headers=codes&table=eg32"))
    )
    assert int(overall_2025["all"]["total"]) == len(old) == 2


def test_summary_matches_the_independent_count(login_as, app, dataset):
    client = login_as("coordinator")
    with app.app_context():
        facts = expected_participants()
        rule_person = 9
    rows = by_first_column(
        read_csv(client.get("/reports/summary?format=csv&headers=codes&table=communities"))
    )
    for code in ("A", "B"):
        community_id = dataset["communities"][code]
        mine = {pid: f for pid, f in facts.items() if f["community"] == community_id}
        row = rows[f"Comunidad {code}"]
        assert int(row["persons_reached"]) == len(mine)
        assert int(row["women_reached"]) == count(mine, sex="female")
        assert int(row["persons_trained"]) == sum(len(f["modules"]) >= rule_person for f in mine.values())
        households = {f["household"] for f in mine.values() if f["household"]}
        assert int(row["households_reached"]) == len(households)
        trained = {f["household"] for f in mine.values() if f["household"] and len(f["modules"]) >= 9}
        assert int(row["households_trained"]) == len(trained)
        share = count(mine, sex="female") / len(mine)
        assert float(row["women_share"]) == pytest.approx(share, abs=0.001)
    assert int(rows["Total"]["persons_reached"]) == len(facts)

    modules = by_first_column(read_csv(client.get("/reports/summary?format=csv&headers=codes&table=modules")))
    with app.app_context():
        for number in range(1, 13):
            records = [
                (r, db.session.get(WorkshopSession, r.session_id))
                for r in db.session.scalars(sa.select(AttendanceRecord))
            ]
            mine = [(r, s) for r, s in records if db.session.get(Module, s.module_id).number == number]
            attended = [r for r, _s in mine if r.status in ATTENDED]
            assert int(modules[str(number)]["attendances"]) == len(attended), number
            assert int(modules[str(number)]["excused"]) == sum(r.status == "excused" for r, _s in mine)
            women = {r.person_id for r in attended if db.session.get(Person, r.person_id).sex == "female"}
            assert int(modules[str(number)]["female"]) == len(women), number
            assert int(modules[str(number)]["persons"]) == len({r.person_id for r in attended}), number


def test_family_rule_together_changes_the_family_count(login_as, app, dataset):
    client = login_as("admin")
    before = by_first_column(
        read_csv(client.get("/reports/summary?format=csv&headers=codes&table=communities"))
    )
    # A-1 is trained through Rosa; A-2 only when its members' modules are put together (Pedro and Elsa: 9).
    assert before["Comunidad A"]["households_trained"] == "1"
    response = client.post(
        "/reports/settings", data={"person_modules": 9, "family_modules": 9, "family_rule": "together"}
    )
    assert response.status_code == 302
    after = by_first_column(
        read_csv(client.get("/reports/summary?format=csv&headers=codes&table=communities"))
    )
    assert after["Comunidad A"]["households_trained"] == "2"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "report-rule")) == 1


def test_matrix_cells(login_as, app, dataset):
    client = login_as("coordinator")
    community = dataset["communities"]["A"]
    rows = read_csv(client.get(f"/reports/matrix?community={community}&format=csv&headers=codes"))
    header, *body = rows
    lines = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in body}
    household = lines[("AAA-001", "")]
    assert household["module_1"] == "attended" and household["trained"] == "1"
    assert household["module_11"] == "not_held"
    luis = lines[("AAA-001", "Luis Prueba")]
    assert luis["module_2"] == "attended"  # late counts as attended
    assert luis["module_3"] == "absent"
    assert luis["module_4"] == "absent"  # held in his community, no record
    ana = lines[("AAA-001", "Ana Prueba")]
    assert ana["module_1"] == "excused" and ana["module_4"] == "attended" and ana["completed"] == "1"
    rosa = lines[("AAA-001", "Rosa Prueba")]
    assert rosa["completed"] == "10" and rosa["trained"] == "1"
    assert ("AAA-002", "Rosa Prueba") not in lines  # the merged duplicate is gone
    assert ("AAA-001", "Carla Prueba") not in lines  # she lives in B now
    page = client.get(f"/reports/matrix?community={community}&expand=1")
    assert page.status_code == 200
    assert "Luis Prueba" in page.get_data(as_text=True)


def test_people_behind_a_figure(login_as, app, dataset):
    client = login_as("coordinator")
    page = client.get("/reports/indicators?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/reports/people?year=2026&amp;sex=female&amp;age=30%2B" in html
    listing = client.get("/reports/people?year=2026&sex=female&age=30%2B")
    text = listing.get_data(as_text=True)
    assert "Carla Prueba" in text and "Marta Prueba" in text
    assert "Rosa Prueba" in text  # 36 on her first session of FY 2026
    assert "Elsa Prueba" not in text and "Luis Prueba" not in text
    rows = read_csv(client.get("/reports/people?year=2026&sex=female&age=30%2B&format=csv&headers=codes"))
    assert sorted(row[1] for row in rows[1:]) == ["Carla Prueba", "Marta Prueba", "Rosa Prueba"]
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
        details = json.loads(entry.details)
    assert details["report"] == "personas" and details["personal"] is True


def test_xlsx_has_the_same_figures_with_headers_in_the_users_language(login_as, app, dataset):
    client = login_as("coordinator")
    csv_rows = read_csv(client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=eg32"))
    response = client.get("/reports/indicators?year=2026&format=xlsx&headers=labels")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 3
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Edad", "mujeres", "hombres", "sexo no registrado", "Total")
    assert [list(row[1:]) for row in rows[1:]] == [[int(v) for v in row[1:]] for row in csv_rows[1:]]
    assert rows[-1][0] == "Total"


def test_full_attendance_csv_streams_every_record(login_as, app, dataset):
    client = login_as("coordinator")
    response = client.get("/reports/attendance.csv")
    assert response.is_streamed
    rows = read_csv(response)
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count(AttendanceRecord.id)))
    assert rows[0][:4] == ["record_id", "session_id", "session_date", "fiscal_year"]
    assert len(rows) - 1 == stored
    by_date = {row[2]: row[3] for row in rows[1:]}
    assert by_date["2025-09-30"] == "2025" and by_date["2025-10-01"] == "2026"
    filtered = read_csv(client.get("/reports/attendance.csv?start=2025-10-01&end=2025-10-01"))
    assert {row[2] for row in filtered[1:]} == {"2025-10-01"}


def test_pages_print_and_speak_both_languages(login_as, dataset):
    client = login_as("coordinator")
    for lang in ("es", "agr"):
        for url in ("/reports/summary", "/reports/indicators", f"/reports/matrix?lang={lang}", "/reports/"):
            response = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert f'<html lang="{lang}"' in html
            # Nothing of a report needs a script: the only one is field mode's sign-out guard.
            scripts = re.findall(r"<script[^>]*>", html)
            assert len(scripts) == 1 and "/static/js/field.js" in scripts[0], scripts
    summary = client.get("/reports/summary").get_data(as_text=True)
    assert summary.count('<svg viewBox="0 0 640 260" class="chart" role="img"') == 2
    assert 'fill="url(#hatch)"' in summary  # men are hatched: readable in black and white
    assert "Asistencia por módulo" in summary and '<th scope="col">Mes</th>' in summary


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/reports/summary?start=2026-05-01&end=2026-01-01", "La fecha de inicio es posterior"),
        ("/reports/summary?community=99999", "Esa comunidad no existe"),
        ("/reports/summary?community=abc", "Esa comunidad no existe"),
        ("/reports/summary?start=2026-13-45", "Escriba la fecha"),
        ("/reports/indicators?year=1990", "No hay datos para ese año fiscal; elija uno de la lista."),
        ("/reports/indicators?year=dos", "No hay datos para ese año fiscal; elija uno de la lista."),
        ("/reports/matrix?community=99999", "Esa comunidad no existe"),
        ("/reports/people?sex=other", "Elija un valor de la lista"),
        ("/reports/people?year=1800", "Elija un año fiscal entre 2000 y 2100."),
        ("/reports/people?start=2026-05-01&end=2026-01-01", "La fecha de inicio es posterior"),
    ],
)
def test_bad_filters_are_form_errors(login_as, dataset, url, message):
    client = login_as("coordinator")
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_bad_rule_is_refused(login_as, app):
    client = login_as("admin")
    response = client.post(
        "/reports/settings", data={"person_modules": 13, "family_modules": 9, "family_rule": "x"}
    )
    assert response.status_code == 400
    assert "Escriba un número de 1 a 12." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(__import__("workshops.core.models").core.models.AppState, "report_rule") is None


def test_reports_work_on_an_empty_database(login_as):
    client = login_as("coordinator")
    for url in ("/reports/", "/reports/summary", "/reports/indicators", "/reports/matrix", "/reports/people"):
        assert client.get(url).status_code == 200, url
    rows = read_csv(client.get("/reports/summary?format=csv&headers=codes&table=communities"))
    assert rows == [rows[0], ["Total", "0", "0", "0", "0", "0", ""]]
    assert len(read_csv(client.get("/reports/attendance.csv"))) == 1


@pytest.mark.parametrize("role", ["facilitator", "translator", "reviewer"])
def test_only_coordinators_and_admins_see_reports(login_as, dataset, role):
    client = login_as(role)
    for url in (
        "/reports/summary",
        "/reports/people?year=2026",
        "/reports/attendance.csv",
        "/reports/matrix",
    ):
        assert client.get(url).status_code == 403


def test_coordinators_cannot_change_the_rule(login_as, dataset):
    client = login_as("coordinator")
    assert client.post("/reports/settings", data={"person_modules": 1}).status_code == 403


def test_report_queries_do_not_grow_with_households(login_as, app, dataset, count_queries):
    client = login_as("coordinator")
    community = dataset["communities"]["A"]
    urls = [
        "/reports/summary",
        "/reports/indicators?year=2026",
        f"/reports/matrix?community={community}&expand=1",
        "/reports/people?year=2026",
    ]

    def counts():
        result = []
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            result.append(len(statements))
        return result

    counts()  # warm the caches
    before = counts()
    with app.app_context():
        target = db.session.get(Community, community)
        session = db.session.scalar(
            sa.select(WorkshopSession).where(WorkshopSession.community_id == community)
        )
        for index in range(15):
            household = people.create_household(target, "", None)
            person = people.add_person(household, {"given_names": f"Nuevo{index}", "sex": "female"}, None)
            db.session.add(AttendanceRecord(session_id=session.id, person_id=person.id, status="present"))
        db.session.commit()
    assert counts() == before


def test_walk_ins_count_the_same_in_summary_matrix_and_indicators(login_as, app, dataset):
    """One definition of the people reached: the walk-in without a household counts in B everywhere."""
    client = login_as("coordinator")
    with app.app_context():
        facts = expected_participants(date(2025, 10, 1), date(2026, 9, 30))
    walk_in = dataset["people"]["Walk-in"]
    assert facts[walk_in]["household"] is None and facts[walk_in]["community"] == dataset["communities"]["B"]
    period = "start=2025-10-01&end=2026-09-30"
    summary = by_first_column(
        read_csv(client.get(f"/reports/summary?{period}&format=csv&headers=codes&table=communities"))
    )
    indicators = by_first_column(
        read_csv(client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=eg32_communities"))
    )
    for code in ("A", "B"):
        community = dataset["communities"][code]
        expected = count(facts, community=community)
        assert int(summary[f"Comunidad {code}"]["persons_reached"]) == expected
        assert int(indicators[f"Comunidad {code}"]["total"]) == expected
        page = client.get(f"/reports/matrix?community={community}&{period}").get_data(as_text=True)
        figures = page.split("<dt>Personas</dt><dd>", 1)[1]
        walk_ins = count(facts, community=community, household=None)
        assert walk_ins == (1 if code == "B" else 0)
        assert (f"{walk_ins} sin familia" in figures) == bool(walk_ins)
        assert f"registradas, {expected} alcanzadas" in figures, code
    # The walk-in has a line of the matrix of B (person, no household), not of A.
    community_b = dataset["communities"]["B"]
    rows = read_csv(client.get(f"/reports/matrix?community={community_b}&{period}&format=csv&headers=codes"))
    header, *body = rows
    lines = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in body}
    assert lines[("", "Walk-in Prueba")]["module_2"] == "attended"
    community_a = dataset["communities"]["A"]
    rows = read_csv(client.get(f"/reports/matrix?community={community_a}&{period}&format=csv&headers=codes"))
    assert not any(row[1] == "Walk-in Prueba" for row in rows)


def test_indicators_open_on_the_latest_fiscal_year_with_data_chosen_from_years_with_data(login_as, dataset):
    """FY 2027 (today's) has only a planned session: the page opens on 2026 and offers 2026 and 2025 only."""
    client = login_as("coordinator")
    page = client.get("/reports/indicators").get_data(as_text=True)
    assert re.search(r'<option selected value="2026">2026</option>', page), page[:2000]
    options = re.findall(r'<option(?: selected)? value="(\d{4})">', page)
    assert options == ["2026", "2025"]
    assert "Año fiscal 2026" in page and "2,026" not in page


def test_years_are_never_printed_with_a_thousands_separator(login_as, dataset):
    client = login_as("coordinator")
    page = client.get("/reports/people?year=2026").get_data(as_text=True)
    years = re.findall(r"<td>(\d[\d,.\u00a0]*)</td>", page)
    assert any(len(value) == 4 and value.startswith(("19", "20")) for value in years), years
    assert not re.search(r"<td>[12][,.\u00a0]\d{3}</td>", page)


def test_the_progress_chart_spaces_months_by_time_and_keeps_its_last_label_inside():
    from workshops.reports import charts

    months = [("2026-01", 5, 3, 2), ("2026-02", 9, 5, 4), ("2026-08", 12, 7, 5)]
    chart = charts.progress_lines(months)
    (_series, _points, markers) = chart.lines[0]
    xs = [x for x, _y in markers]
    # January to February is one month; February to August six: six times as wide.
    assert abs((xs[2] - xs[1]) - 6 * (xs[1] - xs[0])) < 0.5
    assert xs[0] == chart.left and xs[2] == chart.left + chart.plot_width
    texts = [text for _x, text, _anchor in chart.labels]
    assert (
        texts[0] == "2026-01" and texts[-1] == "2026-08" and "2026-05" in texts
    )  # an empty month has a place
    assert chart.labels[-1][2] == "end" and chart.labels[0][2] == "start"
    assert len(chart.labels) <= 9
    long_run = [(f"{2020 + n // 12}-{n % 12 + 1:02d}", n, n, 0) for n in range(60)]
    assert len(charts.progress_lines(long_run).labels) <= 9


def test_report_pages_use_the_wide_column(login_as):
    client = login_as("coordinator")
    for path in ("/reports/summary", "/reports/indicators", "/people/", "/translate/?lang=agr"):
        assert '<main id="main" class="wide">' in client.get(path).get_data(as_text=True), path
    assert '<main id="main">' in client.get("/modules").get_data(as_text=True)


def test_xlsx_writes_rows_as_they_come_with_a_bold_frozen_header():
    """A large sheet is written row by row (a generator is never listed) and keeps its layout."""
    import tracemalloc

    from workshops.core.spreadsheets import xlsx_bytes

    taken = []

    def rows(count):
        for number in range(count):
            taken.append(number)
            yield (f"Persona {number}", number, "=1+1" if number == 0 else "Nantu")

    tracemalloc.start()
    body = xlsx_bytes([("Personas: [todas]", ("Nombre", "Número", "Nota"), rows(40_000))])
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(taken) == 40_000
    # A normal workbook keeps every cell until it is saved: about 40 MB for these 120,000 cells.
    assert peak < 15 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"
    book = load_workbook(io.BytesIO(body))
    (sheet,) = book.worksheets
    assert sheet.title == "Personas todas"
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == ["Nombre", "Número", "Nota"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].value == "Persona 0" and sheet["B40001"].value == 39_999
    assert sheet["C2"].value == "'=1+1"  # never a formula
