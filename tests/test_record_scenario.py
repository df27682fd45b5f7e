"""A small program built and corrected through the app's own routes, in every way a record is corrected:
after each step every report figure must equal a count made here from the test's own model of the program.

The model is plain data: who is who (sex, birth year, household), which session is where and when (and
whether it was cancelled), who attended what with which mark, and who was merged into whom. The expected
figures are computed from it with plain loops, never from the database.
"""

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from workshops.attendance.models import AttendanceRecord, WorkshopSession
from workshops.core.clock import program_today
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people.models import Community, Household, Merge, Person

from .helpers import confirm_merge

ATTENDED = ("present", "late")
STRENGTH = ("present", "late", "excused", "absent")  # a merge keeps the stronger of two marks
SEXES = ("female", "male", "unrecorded")
AGE_GROUPS = ("15-29", "30+", "under15", "unknown")


def fiscal_year_of(day):
    return day.year + 1 if day.month >= 10 else day.year


def read_csv(response):
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def by_first_column(rows):
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


class Program:
    """The test's own model of the program, and the expected figures computed from it."""

    def __init__(self):
        self.communities = {}  # key -> {"id", "name"}
        self.households = {}  # key -> {"id", "code", "community"}
        self.persons = {}  # key -> {"id", "name", "sex", "birth", "household"}
        self.sessions = {}  # key -> {"id", "module", "community", "date", "cancelled"}
        self.marks = {}  # (session key, person key) -> status
        self.merged = {}  # removed person key -> kept person key

    def canonical(self, person):
        while person in self.merged:
            person = self.merged[person]
        return person

    def effective_marks(self):
        """{(session, person): status} once merges are applied: one mark per person and session, the strongest."""
        result = {}
        for (session, person), status in self.marks.items():
            key = (session, self.canonical(person))
            if key not in result or STRENGTH.index(status) < STRENGTH.index(result[key]):
                result[key] = status
        return result

    def held(self, session):
        return not self.sessions[session]["cancelled"]

    def community_of(self, person, attended_sessions):
        household = self.persons[person]["household"]
        if household is not None:
            return self.households[household]["community"]
        # A walk-in without a household counts where they attended (the lowest community id).
        return min(
            (self.sessions[s]["community"] for s in attended_sessions),
            key=lambda c: self.communities[c]["id"],
        )

    def participants(self, start=None, end=None):
        """{person key: facts} of everyone reached in the period."""
        attended = defaultdict(list)
        for (session, person), status in self.effective_marks().items():
            day = self.sessions[session]["date"]
            if status not in ATTENDED or not self.held(session):
                continue
            if (start and day < start) or (end and day > end):
                continue
            attended[person].append(session)
        result = {}
        for person, sessions in attended.items():
            facts = self.persons[person]
            first = min(self.sessions[s]["date"] for s in sessions)
            if facts["birth"] is None:
                group = "unknown"
            else:
                age = first.year - facts["birth"]
                group = "30+" if age >= 30 else ("15-29" if age >= 15 else "under15")
            result[person] = {
                "sex": facts["sex"],
                "age": group,
                "community": self.community_of(person, sessions),
                "household": facts["household"],
                "modules": {self.sessions[s]["module"] for s in sessions},
            }
        return result

    def fiscal_years(self):
        return sorted({fiscal_year_of(self.sessions[s]["date"]) for (s, _p) in self.marks if self.held(s)})

    def cell(self, person, module, held_here):
        """A person's matrix cell for a module: the best of their marks in held sessions, else absent/not held."""
        states = {
            status
            for (session, who), status in self.effective_marks().items()
            if who == person and self.held(session) and self.sessions[session]["module"] == module
        }
        if states & set(ATTENDED):
            return "attended"
        if "excused" in states:
            return "excused"
        if states:
            return "absent"
        return "absent" if module in held_here else "not_held"


# --- Reading the reports and comparing ------------------------------------------------------------


def check_reports(client, model, step):
    """Every figure of the indicators, the summary and the matrices against the model's counts."""
    for year in model.fiscal_years():
        start, end = date(year - 1, 10, 1), date(year, 9, 30)
        facts = model.participants(start, end)
        overall = by_first_column(
            read_csv(client.get(f"/reports/indicators?year={year}&format=csv&headers=codes&table=eg32"))
        )
        for group in AGE_GROUPS:
            for sex in SEXES:
                expected = sum(1 for f in facts.values() if f["age"] == group and f["sex"] == sex)
                assert int(overall[group][sex]) == expected, (step, year, group, sex)
            assert int(overall[group]["total"]) == sum(1 for f in facts.values() if f["age"] == group)
        assert int(overall["all"]["total"]) == len(facts), (step, year)
        assert int(overall["all"]["female"]) == sum(f["sex"] == "female" for f in facts.values()), step

    facts = model.participants()
    rows = by_first_column(
        read_csv(client.get("/reports/summary?format=csv&headers=codes&table=communities"))
    )
    for key, community in model.communities.items():
        mine = {p: f for p, f in facts.items() if f["community"] == key}
        row = rows[community["name"]]
        assert int(row["persons_reached"]) == len(mine), (step, key)
        assert int(row["women_reached"]) == sum(f["sex"] == "female" for f in mine.values()), (step, key)
        households = {f["household"] for f in mine.values() if f["household"]}
        assert int(row["households_reached"]) == len(households), (step, key)
        assert int(row["persons_trained"]) == sum(len(f["modules"]) >= 9 for f in mine.values())
    assert int(rows["Total"]["persons_reached"]) == len(facts), step
    assert int(rows["Total"]["women_reached"]) == sum(f["sex"] == "female" for f in facts.values()), step

    modules = by_first_column(read_csv(client.get("/reports/summary?format=csv&headers=codes&table=modules")))
    marks = {k: v for k, v in model.effective_marks().items() if model.held(k[0])}
    for number in range(1, 13):
        mine = {(s, p): status for (s, p), status in marks.items() if model.sessions[s]["module"] == number}
        row = modules[str(number)]
        held = [s for s, v in model.sessions.items() if v["module"] == number and model.held(s)]
        assert int(row["sessions_held"]) == len(held), (step, number)
        assert int(row["attendances"]) == sum(v in ATTENDED for v in mine.values()), (step, number)
        assert int(row["excused"]) == sum(v == "excused" for v in mine.values()), (step, number)
        assert int(row["absent"]) == sum(v == "absent" for v in mine.values()), (step, number)
        people = {p for (_s, p), v in mine.items() if v in ATTENDED}
        assert int(row["persons"]) == len(people), (step, number)
        for sex in SEXES:
            expected = sum(model.persons[p]["sex"] == sex for p in people)
            assert int(row[sex]) == expected, (step, number, sex)

    for key, community in model.communities.items():
        check_matrix(client, model, facts, key, community["id"], step)


def check_matrix(client, model, facts, key, community_id, step):
    header, *body = read_csv(client.get(f"/reports/matrix?community={community_id}&format=csv&headers=codes"))
    lines = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in body}
    held_here = {
        s["module"] for name, s in model.sessions.items() if s["community"] == key and model.held(name)
    }
    expected = {}
    for household_key, household in model.households.items():
        if household["community"] != key:
            continue
        members = [
            p
            for p, facts_of in model.persons.items()
            if facts_of["household"] == household_key and p not in model.merged
        ]
        family = {}
        for person in members:
            cells = {n: model.cell(person, n, held_here) for n in range(1, 13)}
            expected[(household["code"], model.persons[person]["name"])] = cells
            for n, state in cells.items():
                order = ("attended", "excused", "absent", "not_held")
                if n not in family or order.index(state) < order.index(family[n]):
                    family[n] = state
        expected[(household["code"], "")] = family or {
            n: ("absent" if n in held_here else "not_held") for n in range(1, 13)
        }
    for person, fact in facts.items():
        if fact["household"] is None and fact["community"] == key:
            cells = {n: model.cell(person, n, held_here) for n in range(1, 13)}
            expected[("", model.persons[person]["name"])] = cells
    assert set(lines) == set(expected), (step, key, sorted(lines), sorted(expected))
    for line, cells in expected.items():
        got = lines[line]
        assert {n: got[f"module_{n}"] for n in range(1, 13)} == cells, (step, key, line)
        completed = sum(state == "attended" for state in cells.values())
        assert int(got["completed"]) == completed, (step, key, line)


# --- Building the program through the routes -------------------------------------------------------


def person_form(given, family, sex, birth, relation):
    return {
        "given_names": given,
        "family_names": family,
        "sex": sex,
        "birth_year": str(birth),
        "relationship_to_head": relation,
        "confirmed": "1",  # "it is someone else": the duplicate of Nora is registered on purpose
    }


def person_id(app, given, family):
    with app.app_context():
        return db.session.scalars(
            sa.select(Person.id).where(Person.given_names == given, Person.family_names == family)
        ).all()


def enter_attendance(client, app, model, session, marks, **extra):
    """Post the entry page with these marks ({person key: status}); return the response."""
    with app.app_context():
        revision = db.session.get(WorkshopSession, model.sessions[session]["id"]).revision
    data = {"revision": str(revision), "action": "save"}
    data.update({f"status-{model.persons[p]['id']}": status for p, status in marks.items()})
    data.update(extra)
    return client.post(f"/sessions/{model.sessions[session]['id']}/attendance", data=data)


def edit_person(client, app, person, **changes):
    with app.app_context():
        found = db.session.get(Person, person)
        data = {
            "given_names": found.given_names,
            "family_names": found.family_names,
            "sex": found.sex,
            "birth_year": str(found.birth_year or ""),
            "relationship_to_head": found.relationship_to_head,
            "dni": found.dni or "",
            "consent_date": found.consent_date.isoformat() if found.consent_date else "",
            "revision": str(found.revision),
        }
        for flag in ("birth_year_approximate", "is_contact", "consent"):
            if getattr(found, flag):
                data[flag] = "y"
    data.update(changes)
    return client.post(f"/people/persons/{person}/edit", data=data)


def test_a_program_corrected_in_every_way_keeps_every_figure_true(login_as, app):
    # The program's day is not the server's: a zone far from UTC, on the other side of its date line
    # at this hour, so that every step that dates something must take the program's day.
    hour = datetime.now(UTC).hour
    app.config["PROGRAM_TIMEZONE"] = "Pacific/Kiritimati" if hour >= 12 else "Etc/GMT+12"
    client = login_as("coordinator")
    model = Program()
    with app.app_context():
        today = program_today()
    day = {n: today - timedelta(days=n) for n in (60, 50, 48, 45, 40, 30)}
    y0 = day[60].year  # birth years relative to the sessions' years: the age groups hold whatever today is

    # Two communities.
    for key, name, code in (("A", "Comunidad Escenario A", "SCA"), ("B", "Comunidad Escenario B", "SCB")):
        response = client.post("/people/", data={"name": name, "code": code, "district": "Imaza"})
        assert response.status_code == 302
        with app.app_context():
            community = db.session.scalar(sa.select(Community).where(Community.code == code))
            model.communities[key] = {"id": community.id, "name": name}

    # Households (the first person is the head) and their members.
    people = {
        # key: (household, given, family, sex, birth year)
        "rosa": ("A-1", "Rosa", "Tsamajain", "female", y0 - 40),
        "luis": ("A-1", "Luis", "Tsamajain", "male", y0 - 20),
        "nora": ("A-1", "Nora", "Kayap", "female", y0 - 31),
        "elsa": ("A-2", "Elsa", "Shimpu", "female", y0 - 22),
        "pedro": ("A-2", "Pedro", "Shimpu", "male", y0 - 50),
        "nora-bis": ("A-2", "Nora", "Kayap", "female", y0 - 28),  # the same woman, registered twice
        "marta": ("B-1", "Marta", "Wajai", "female", y0 - 35),
        "juan": ("B-1", "Juan", "Wajai", "male", y0 - 18),
    }
    for key, (household, given, family, sex, birth) in people.items():
        community = model.communities[household[0]]["id"]
        if household not in model.households:
            data = {**person_form(given, family, sex, birth, "head"), "community": str(community)}
            response = client.post(f"/people/communities/{community}/households/new", data=data)
            assert response.status_code == 302, response.get_data(as_text=True)
            household_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            with app.app_context():
                code = db.session.get(Household, household_id).code
            model.households[household] = {"id": household_id, "code": code, "community": household[0]}
        else:
            data = person_form(given, family, sex, birth, "other")
            response = client.post(f"/people/households/{model.households[household]['id']}", data=data)
            assert response.status_code == 302, response.get_data(as_text=True)
        ids = person_id(app, given, family)
        new = [i for i in ids if i not in {p["id"] for p in model.persons.values()}]
        assert len(new) == 1
        model.persons[key] = {
            "id": new[0],
            "name": f"{given} {family}",
            "sex": sex,
            "birth": birth,
            "household": household,
        }

    # Five sessions on past days.
    with app.app_context():
        module_ids = dict(db.session.execute(sa.select(Module.number, Module.id)).all())
    for key, (community, number, when) in {
        "S1": ("A", 1, day[60]),
        "S2": ("A", 2, day[50]),
        "S3": ("A", 3, day[40]),
        "S4": ("B", 1, day[45]),
        "S5": ("B", 2, day[30]),
    }.items():
        data = {
            "module": str(module_ids[number]),
            "community": str(model.communities[community]["id"]),
            "date": when.isoformat(),
            "duration": "180",
            "venue": "Local comunal",
        }
        response = client.post("/sessions/new", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        session_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        model.sessions[key] = {
            "id": session_id,
            "module": number,
            "community": community,
            "date": when,
            "cancelled": False,
        }

    # Attendance from the paper sheets, through the entry page. The two records of Nora disagree.
    sheets = {
        "S1": {
            "rosa": "present",
            "luis": "present",
            "elsa": "absent",
            "pedro": "present",
            "nora": "absent",
            "nora-bis": "present",
        },
        "S2": {"rosa": "late", "luis": "excused", "pedro": "absent", "nora": "excused", "nora-bis": "late"},
        "S3": {"elsa": "present", "pedro": "late", "rosa": "present", "luis": "absent"},
        "S4": {"marta": "present", "juan": "present"},
        "S5": {"marta": "excused", "juan": "present"},
    }
    for session, marks in sheets.items():
        extra = {}
        if session == "S4":  # a walk-in: not on the roster, typed in below it
            extra = {
                "walkin-given-0": "Nantu",
                "walkin-family-0": "Yampis",
                "walkin-sex-0": "male",
                "walkin-year-0": str(y0 - 27),
            }
        response = enter_attendance(client, app, model, session, marks, **extra)
        assert response.status_code == 302, response.get_data(as_text=True)
        model.marks.update({(session, person): status for person, status in marks.items()})
    (walk_in,) = person_id(app, "Nantu", "Yampis")
    model.persons["nantu"] = {
        "id": walk_in,
        "name": "Nantu Yampis",
        "sex": "male",
        "birth": y0 - 27,
        "household": None,
    }
    model.marks[("S4", "nantu")] = "present"
    check_reports(client, model, "built")
    # The model itself, checked by hand once: nine persons, one of them twice; Nora counted as the duplicate.
    reached = model.participants()
    assert set(reached) == {"rosa", "luis", "elsa", "pedro", "nora-bis", "marta", "juan", "nantu"}
    assert reached["nora-bis"]["age"] == "15-29" and reached["nantu"]["community"] == "B"

    # 1. A session's date is corrected: its attendance stays with it.
    with app.app_context():
        session = db.session.get(WorkshopSession, model.sessions["S2"]["id"])
        revision = session.details_revision
        stored = db.session.scalar(
            sa.select(sa.func.count()).where(AttendanceRecord.session_id == session.id)
        )
    response = client.post(
        f"/sessions/{model.sessions['S2']['id']}/edit",
        data={
            "module": str(module_ids[2]),
            "date": day[48].isoformat(),
            "start_time": "",
            "duration": "180",
            "venue": "Local comunal",
            "interpreter": "",
            "revision": str(revision),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    model.sessions["S2"]["date"] = day[48]
    with app.app_context():
        assert db.session.get(WorkshopSession, model.sessions["S2"]["id"]).date == day[48]
        assert stored == 5
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AttendanceRecord.session_id == model.sessions["S2"]["id"])
            )
            == stored
        )
    check_reports(client, model, "session date corrected")

    # 2. A session is cancelled with a reason: its marks stop counting (Elsa attended only there).
    with app.app_context():
        revision = db.session.get(WorkshopSession, model.sessions["S3"]["id"]).details_revision
    response = client.post(
        f"/sessions/{model.sessions['S3']['id']}/cancel",
        data={"status": "cancelled", "reason": "Crecida del río", "revision": str(revision)},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(WorkshopSession, model.sessions["S3"]["id"]).status == "cancelled"
    model.sessions["S3"]["cancelled"] = True
    assert "elsa" not in model.participants()
    check_reports(client, model, "session cancelled")

    # 3. A person's sex and birth year are corrected (a man of 18 was a woman of 33).
    response = edit_person(client, app, model.persons["juan"]["id"], sex="female", birth_year=str(y0 - 33))
    assert response.status_code == 302, response.get_data(as_text=True)
    model.persons["juan"].update(sex="female", birth=y0 - 33)
    page = client.get(f"/people/persons/{model.persons['juan']['id']}").get_data(as_text=True)
    assert "hombre → mujer" in page and f"{y0 - 18} → {y0 - 33}" in page  # the history
    check_reports(client, model, "sex and birth year corrected")

    # 4. A person moves to a household of the other community, dated: he counts there now.
    target = model.households["B-1"]
    response = client.post(
        f"/people/persons/{model.persons['luis']['id']}/move",
        data={"household": target["code"], "moved_on": today.isoformat()},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, model.persons["luis"]["id"]).household_id == target["id"]
    model.persons["luis"]["household"] = "B-1"
    check_reports(client, model, "person moved")

    # 5. The same walk-in typed again on the sheet of his session: held back, shown on the roster above.
    walk_in_again = {
        "walkin-given-0": "Nantu",
        "walkin-family-0": "Yampis",
        "walkin-sex-0": "male",
        "walkin-year-0": str(y0 - 27),
    }
    marks_s4 = {p: s for (session, p), s in model.marks.items() if session == "S4"}
    response = enter_attendance(client, app, model, "S4", marks_s4, **walk_in_again)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "No se guardó nada" in page
    assert "Es Nantu Yampis</label>" in page and "está en esta página" in page
    assert person_id(app, "Nantu", "Yampis") == [walk_in]
    check_reports(client, model, "walk-in held back")
    # As the page says: mark him on the roster and clear the row. He came late, it turns out.
    response = enter_attendance(client, app, model, "S4", {**marks_s4, "nantu": "late"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert person_id(app, "Nantu", "Yampis") == [walk_in]
    model.marks[("S4", "nantu")] = "late"
    check_reports(client, model, "walk-in marked on the roster")

    # 6. The two records of Nora merged, through the preview: the kept record's sex and age count.
    keep, remove = model.persons["nora"]["id"], model.persons["nora-bis"]["id"]
    preview = client.get(f"/people/persons/{remove}/merge?keep={keep}").get_data(as_text=True)
    disagreeing = {
        model.sessions[session]["id"]
        for (session, person), status in model.marks.items()
        if person == "nora" and model.marks.get((session, "nora-bis"), status) != status
    }
    assert disagreeing == {model.sessions["S1"]["id"], model.sessions["S2"]["id"]}
    shown = {int(found) for found in re.findall(r'<tr class="conflict" data-session="(\d+)">', preview)}
    assert shown == disagreeing
    assert confirm_merge(client, remove, keep).status_code == 302
    model.merged["nora-bis"] = "nora"
    facts = model.participants()
    assert facts["nora"]["age"] == "30+" and "nora-bis" not in facts
    check_reports(client, model, "merged")

    # 7. The merge undone, and made again.
    with app.app_context():
        merge_id = db.session.scalar(sa.select(Merge.id).where(Merge.removed_id == remove))
    assert client.post("/people/merges", data={"merge": merge_id}).status_code == 302
    del model.merged["nora-bis"]
    check_reports(client, model, "merge undone")
    assert confirm_merge(client, remove, keep).status_code == 302
    model.merged["nora-bis"] = "nora"
    check_reports(client, model, "merged again")

    # 8. A person's data erased at her request: every figure stays.
    marta = model.persons["marta"]["id"]
    response = client.post(f"/people/persons/{marta}/anonymise", data={"understood": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, marta).anonymised_at is not None
    model.persons["marta"]["name"] = f"Persona anonimizada #{marta}"
    check_reports(client, model, "anonymised")
