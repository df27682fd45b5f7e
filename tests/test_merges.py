"""Merging two records of one person keeps the strongest mark per session and both remarks; undo restores all."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from workshops.attendance.models import AttendanceChange, AttendanceRecord, WorkshopSession
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people import services as people
from workshops.people.models import Community, Merge, Person

from .helpers import confirm_merge

# session: (module, date, kept record's mark and remark, removed record's mark and remark); None: no record.
# S1-S3 in fiscal year 2026: the removed record is the one that attended (present, late);
# the kept one alone would not be a participant of FY 2026, as in the case that lost marks.
MARKS = {
    "S1": (1, date(2025, 11, 3), ("absent", "no vino"), ("present", "llegó con su hija")),
    "S2": (2, date(2025, 12, 3), ("excused", ""), ("late", "tarde por la lluvia")),
    "S3": (3, date(2025, 9, 3), ("present", "firmó"), ("absent", "")),  # FY 2025
    "S4": (4, date(2026, 1, 3), ("excused", "enferma"), None),  # the kept record alone
    "S5": (5, date(2026, 2, 3), None, ("present", "")),  # the removed record alone
    "S6": (6, date(2025, 8, 3), ("present", "igual"), ("present", "igual")),  # both agree
}
EXPECTED = {"S1": "present", "S2": "late", "S3": "present", "S4": "excused", "S5": "present", "S6": "present"}
FY2026 = "start=2025-10-01&end=2026-09-30"


@pytest.fixture
def duplicates(app, make_user):
    """One woman registered twice, in two households of one community, with the marks above."""
    clerks = [make_user(roles=("coordinator",)) for _ in range(2)]
    with app.app_context():
        community = Community(name="Comunidad Duplicada", code="DUP")
        db.session.add(community)
        db.session.flush()
        homes = [people.create_household(community, "", None) for _ in range(2)]
        persons = [
            people.add_person(
                home,
                {"given_names": "Rosa", "family_names": "Duplicada", "sex": "female", "birth_year": 1990},
                None,
            )
            for home in homes
        ]
        modules = {m.number: m.id for m in db.session.scalars(sa.select(Module))}
        sessions = {}
        for index, (key, (number, day, *marks)) in enumerate(MARKS.items()):
            session = WorkshopSession(
                module_id=modules[number], community_id=community.id, date=day, status="entered"
            )
            db.session.add(session)
            db.session.flush()
            sessions[key] = session.id
            for side, mark in enumerate(marks):
                if mark is not None:
                    db.session.add(
                        AttendanceRecord(
                            session_id=session.id,
                            person_id=persons[side].id,
                            status=mark[0],
                            remark=mark[1],
                            entered_by_id=clerks[side],
                            entered_at=datetime(2025, 7, 1 + index, 9, side, 7, 123456, tzinfo=UTC),
                        )
                    )
        db.session.flush()
        # The removed record of S1 was corrected once: its history must survive the merge and its undo.
        removed_s1 = db.session.scalar(
            sa.select(AttendanceRecord.id).where(
                AttendanceRecord.session_id == sessions["S1"], AttendanceRecord.person_id == persons[1].id
            )
        )
        db.session.add(
            AttendanceChange(record_id=removed_s1, status="absent", remark="", changed_by_id=clerks[1])
        )
        db.session.commit()
        return {
            "community": community.id,
            "homes": [home.code for home in homes],
            "keep": persons[0].id,
            "remove": persons[1].id,
            "sessions": sessions,
        }


def records():
    rows = db.session.execute(sa.select(AttendanceRecord.__table__).order_by(AttendanceRecord.id)).all()
    return [tuple(row) for row in rows]


def history():
    return [
        tuple(row) for row in db.session.execute(sa.select(AttendanceChange.__table__).order_by("id")).all()
    ]


def person_rows():
    return [tuple(row) for row in db.session.execute(sa.select(Person.__table__).order_by(Person.id)).all()]


def read_csv(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def eg32_total(client):
    rows = read_csv(client.get("/reports/indicators?year=2026&format=csv&headers=codes&table=eg32"))
    header, *body = rows
    total = next(dict(zip(header, row, strict=True)) for row in body if row[0] == "all")
    return int(total["total"]), int(total["female"])


def matrix(client, community):
    """Return (persons reached, {(household, person): attended module numbers}) of FY 2026."""
    page = client.get(f"/reports/matrix?community={community}&{FY2026}").get_data(as_text=True)
    reached = int(re.search(r"registradas, (\d+) alcanzadas", page).group(1))
    header, *body = read_csv(
        client.get(f"/reports/matrix?community={community}&{FY2026}&format=csv&headers=codes")
    )
    attended = {}
    for row in body:
        line = dict(zip(header, row, strict=True))
        if line["person"]:
            attended[line["household"], line["person"]] = {
                int(key.removeprefix("module_"))
                for key, value in line.items()
                if key.startswith("module_") and value == "attended"
            }
    return reached, attended


def test_merge_keeps_the_strongest_mark_and_both_remarks(login_as, app, duplicates):
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    eg_before = eg32_total(client)
    reached_before, attended_before = matrix(client, duplicates["community"])
    assert eg_before == (1, 1) and reached_before == 1  # FY 2026: only the removed record attended
    union_before = set().union(*attended_before.values())
    assert union_before == {1, 2, 5}

    assert confirm_merge(client, remove, keep).status_code == 302
    with app.app_context():
        sessions = {value: key for key, value in duplicates["sessions"].items()}
        found = {
            sessions[r.session_id]: r
            for r in db.session.scalars(sa.select(AttendanceRecord).where(AttendanceRecord.person_id == keep))
        }
        assert {key: r.status for key, r in found.items()} == EXPECTED
        assert db.session.scalar(sa.select(sa.func.count()).where(AttendanceRecord.person_id == remove)) == 0
        kept_home, removed_home = duplicates["homes"]
        assert found["S1"].remark == (
            f"Rosa Duplicada ({kept_home}): no vino · Rosa Duplicada ({removed_home}): llegó con su hija"
        )
        assert found["S2"].remark == f"Rosa Duplicada ({removed_home}): tarde por la lluvia"
        assert found["S3"].remark == "firmó"
        assert found["S6"].remark == "igual"
        # The merge's changes are in the kept records' history, with the earlier values;
        # the removed S1 record's own history moved onto the kept S1 record.
        changes = {
            (sessions[db.session.get(AttendanceRecord, c.record_id).session_id], c.status, c.remark)
            for c in db.session.scalars(sa.select(AttendanceChange))
        }
        assert changes == {("S1", "absent", "no vino"), ("S2", "excused", ""), ("S1", "absent", "")}
    assert eg32_total(client) == eg_before  # nobody vanished from EG.3-2
    reached_after, attended_after = matrix(client, duplicates["community"])
    assert reached_after == reached_before
    assert attended_after == {(duplicates["homes"][0], "Rosa Duplicada"): union_before}


def test_preview_lists_exactly_the_disagreeing_sessions_and_changes_nothing(login_as, app, duplicates):
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    with app.app_context():
        before = records(), history(), person_rows()
    response = client.get(f"/people/persons/{remove}/merge?keep={keep}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    listed = {int(found) for found in re.findall(r'data-session="(\d+)"', page)}
    assert listed == {duplicates["sessions"][key] for key in ("S1", "S2", "S3")}
    assert "llegó con su hija" in page and "no vino" in page and "tarde por la lluvia" in page
    assert (
        "Asistencias que pasan al registro conservado: 1. Sesiones en que los dos registros ya coinciden: 1."
        in page
    )
    with app.app_context():
        assert (records(), history(), person_rows()) == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Merge)) == 0


def test_a_mark_changed_after_the_preview_shows_the_preview_again(login_as, app, duplicates):
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    page = client.get(f"/people/persons/{remove}/merge?keep={keep}").get_data(as_text=True)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', page).group(1)
    with app.app_context():  # someone enters a mark meanwhile
        db.session.add(
            AttendanceRecord(
                session_id=duplicates["sessions"]["S5"], person_id=keep, status="absent", remark="otra"
            )
        )
        db.session.commit()
        before = records()
    response = client.post(f"/people/persons/{remove}/merge", data={"keep": keep, "seen": seen})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cambió desde la vista previa" in page
    assert f'data-session="{duplicates["sessions"]["S5"]}"' in page  # the new disagreement is shown
    with app.app_context():
        assert records() == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Merge)) == 0


def test_undo_restores_every_field_exactly(login_as, app, duplicates):
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    with app.app_context():
        before_records, before_history, before_people = records(), history(), person_rows()
    assert confirm_merge(client, remove, keep).status_code == 302
    with app.app_context():
        assert records() != before_records
        merge_id = db.session.scalar(sa.select(Merge.id))
    assert client.post("/people/merges", data={"merge": merge_id}).status_code == 302
    with app.app_context():
        assert records() == before_records
        assert person_rows() == before_people
        # The history kept everything it had (the removed S1 record's correction is its own again),
        # and gained the merge's and the undo's changes of the kept records.
        after_history = history()
        assert [row for row in after_history if row[0] in {r[0] for r in before_history}] == before_history
        kept_ids = {r[0] for r in before_records if r[2] == keep}
        added = [row for row in after_history if row not in before_history]
        assert len(added) == 4 and all(row[1] in kept_ids for row in added)
    eg_total = eg32_total(client)
    assert eg_total == (1, 1)


def test_undo_of_a_merge_made_before_keeps_working(login_as, app, duplicates):
    """Merges recorded as {"records": [...], "dropped": [...]} (keep's mark won) still undo."""
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    with app.app_context():
        s1, s5 = duplicates["sessions"]["S1"], duplicates["sessions"]["S5"]
        removed = {
            r.session_id: r
            for r in db.session.scalars(
                sa.select(AttendanceRecord).where(AttendanceRecord.person_id == remove)
            )
        }
        dropped = removed[s1]
        moved = removed[s5]
        household_id = db.session.get(Person, remove).household_id
        old = {
            "household_id": household_id,
            "dni": None,
            "records": [moved.id],
            "dropped": [
                {
                    "session_id": s1,
                    "status": dropped.status,
                    "remark": dropped.remark,
                    "entered_by_id": dropped.entered_by_id,
                }
            ],
        }
        # As the old merge left things: S5 moved, S1 dropped, the other shared records too (left out here).
        moved.person_id = keep
        expected_by = dropped.entered_by_id
        db.session.delete(dropped)
        person = db.session.get(Person, remove)
        person.merged_into_id, person.household_id = keep, None
        db.session.add(Merge(kind="person", kept_id=keep, removed_id=remove, moved=old))
        db.session.commit()
        merge_id = db.session.scalar(sa.select(Merge.id))
    assert client.post("/people/merges", data={"merge": merge_id}).status_code == 302
    with app.app_context():
        mine = {
            r.session_id: (r.status, r.remark, r.entered_by_id)
            for r in db.session.scalars(
                sa.select(AttendanceRecord).where(AttendanceRecord.person_id == remove)
            )
        }
        assert mine[s1] == ("present", "llegó con su hija", expected_by)
        assert mine[s5] == ("present", "", mine[s5][2])
        person = db.session.get(Person, remove)
        assert person.merged_into_id is None and person.household_id == household_id
        assert db.session.get(Merge, merge_id).undone_at is not None


def test_merge_list_shows_names_households_and_communities(login_as, app, duplicates):
    client = login_as("coordinator")
    keep, remove = duplicates["keep"], duplicates["remove"]
    assert confirm_merge(client, remove, keep).status_code == 302
    page = client.get("/people/merges").get_data(as_text=True)
    assert page.count("Rosa Duplicada") == 2
    for code in duplicates["homes"]:  # the merged record's household too, though it has left it
        assert code in page
    assert page.count("Comunidad Duplicada") == 2
    assert f"<td>{keep}</td>" not in page and f"<td>{remove}</td>" not in page  # no bare record numbers


def test_merge_page_without_a_record_to_keep_goes_back_to_the_person(login_as, duplicates):
    client = login_as("coordinator")
    remove = duplicates["remove"]
    response = client.get(f"/people/persons/{remove}/merge")
    assert response.status_code == 302 and response.location.endswith(f"/people/persons/{remove}")
    assert client.get(f"/people/persons/{remove}/merge?keep=999999").status_code == 404
    assert client.get(f"/people/persons/{remove}/merge?keep={remove}").status_code == 302  # refused
