"""Report budget: every report page under 1 s server time, the full CSV export under 10 s, streamed.

    python bench/reports.py [--households 10000] [--runs 5]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/reports.py

Builds a throwaway SQLite database (or uses the empty database DATABASE_URL
names) holding a generated program: 5 communities, --households households of
4 persons (40,000 persons), 2,000 sessions over three fiscal years and 200
attendance records per session (400,000 records). Figures are server time
(the request handled in-process, no network), median and maximum of --runs.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from workshops import create_app  # noqa: E402
from workshops.attendance.models import AttendanceRecord, WorkshopSession  # noqa: E402
from workshops.core.text import fold  # noqa: E402
from workshops.curriculum.models import Module  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.people.models import Community, Household, Person  # noqa: E402

COMMUNITIES = 5
SESSIONS_PER_COMMUNITY = 400
GROUPS = 40  # a session records one group of 200 persons of its community
FIRST_DAY = date(2024, 10, 1)
STATUSES = ["present"] * 80 + ["late"] * 5 + ["excused"] * 7 + ["absent"] * 8


def build(households):
    """Insert the generated program with bulk statements; return the first community's id."""
    rng = random.Random(7)
    communities = [Community(name=f"Comunidad {i + 1}", code=f"CM{i + 1}") for i in range(COMMUNITIES)]
    db.session.add_all(communities)
    db.session.flush()
    modules = {m.number: m.id for m in db.session.scalars(sa.select(Module))}
    per_community = households // COMMUNITIES
    household_rows, person_rows = [], []
    number = person_id = 0
    members = {community.id: [] for community in communities}
    for community in communities:
        for n in range(per_community):
            number += 1
            household_rows.append(
                {
                    "id": number,
                    "community_id": community.id,
                    "code": f"{community.code}-{n + 1:04d}",
                    "notes": "",
                }
            )
            for k in range(4):
                person_id += 1
                given, family = f"Persona{person_id}", f"Familia{number}"
                person_rows.append(
                    {
                        "id": person_id,
                        "household_id": number,
                        "given_names": given,
                        "family_names": family,
                        "sex": ("female", "male", "female", "unrecorded")[k] if k < 3 or n % 5 else "male",
                        "birth_year": None if (person_id % 23) == 0 else 1950 + (person_id * 7) % 60,
                        "relationship_to_head": ("head", "spouse", "child", "child")[k],
                        "relationship_order": (0, 1, 2, 2)[k],
                        "search_name": fold(f"{given} {family}"),
                    }
                )
                members[community.id].append(person_id)
    db.session.execute(sa.insert(Household), household_rows)
    db.session.execute(sa.insert(Person), person_rows)
    session_rows, record_rows = [], []
    session_id = 0
    for community in communities:
        roster = members[community.id]
        group_size = len(roster) // GROUPS
        for k in range(SESSIONS_PER_COMMUNITY):
            session_id += 1
            session_rows.append(
                {
                    "id": session_id,
                    "module_id": modules[(k // GROUPS) % 12 + 1],
                    "community_id": community.id,
                    "date": FIRST_DAY + timedelta(days=k * 2),
                    "duration_minutes": 240,
                    "venue": "",
                    "status": "entered",
                    "revision": 1,
                }
            )
            group = k % GROUPS
            for person in roster[group * group_size : (group + 1) * group_size]:
                record_rows.append(
                    {
                        "session_id": session_id,
                        "person_id": person,
                        "status": rng.choice(STATUSES),
                        "remark": "",
                    }
                )
    db.session.execute(sa.insert(WorkshopSession), session_rows)
    for start in range(0, len(record_rows), 50000):
        db.session.execute(sa.insert(AttendanceRecord), record_rows[start : start + 50000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:  # explicit ids: move the sequences past them
            for table in ("household", "person", "workshop_session"):
                # The table names are the three constants above, not input.
                statement = (
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
                connection.execute(sa.text(statement))
            connection.commit()
        # What autovacuum does soon after a bulk load: statistics, and the visibility map
        # that lets the covering indexes answer without reading the table.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    return communities[0].id


def timed(client, url, runs):
    times, size = [], 0
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return statistics.median(times), max(times), size


def stream(client, url, trace=False):
    """Read a streamed download to the end; return (seconds, bytes, lines, peak traced memory)."""
    if trace:
        tracemalloc.start()
    begin = time.perf_counter()
    response = client.get(url, buffered=False)
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    seconds = time.perf_counter() - begin
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return seconds, size, lines, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    begin = time.perf_counter()
    with app.app_context():
        community = build(args.households)
        counts = [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Household, Person, WorkshopSession, AttendanceRecord)
        ]
        dialect = db.engine.dialect.name
    print(
        f"{dialect}: {counts[0]} households, {counts[1]} persons, {counts[2]} sessions, "
        f"{counts[3]} attendance records (built in {time.perf_counter() - begin:.0f} s)"
    )
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    pages = [
        ("summary, whole program", "/reports/summary"),
        (
            "summary, one community, FY 2026",
            f"/reports/summary?community={community}&start=2025-10-01&end=2026-09-30",
        ),
        ("indicators FY 2026", "/reports/indicators?year=2026"),
        ("matrix, 2,000-household community, page 1", f"/reports/matrix?community={community}"),
        ("matrix, persons expanded", f"/reports/matrix?community={community}&expand=1"),
        ("people behind a figure (women, FY 2026)", "/reports/people?year=2026&sex=female"),
        ("indicators XLSX download", "/reports/indicators?year=2026&format=xlsx"),
        ("summary CSV download", "/reports/summary?format=csv&table=communities"),
        ("matrix CSV, whole community", f"/reports/matrix?community={community}&format=csv"),
    ]
    client.get(pages[0][1])  # warm up
    for label, url in pages:
        median, worst, size = timed(client, url, args.runs)
        print(f"{label}: median {median:.0f} ms, max {worst:.0f} ms, {size / 1024:.1f} KB (budget 1000 ms)")
    seconds, size, lines, _peak = stream(client, "/reports/attendance.csv")
    print(f"full attendance CSV: {lines - 1} records, {size / 1e6:.1f} MB in {seconds:.1f} s (budget 10 s)")
    _s, _b, small_lines, small_peak = stream(client, "/reports/attendance.csv?end=2024-12-31", trace=True)
    _s, _b, big_lines, big_peak = stream(client, "/reports/attendance.csv", trace=True)
    print(
        f"streaming memory (tracemalloc peak): {small_lines - 1} records {small_peak / 1e6:.1f} MB, "
        f"{big_lines - 1} records {big_peak / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
