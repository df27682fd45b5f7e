"""Attendance budget: entry page for a 200-person community, and duplicate search, at scale.

    python bench/attendance.py [--households 10000] [--runs 30]

Builds a throwaway SQLite database (or uses DATABASE_URL) with --households
households of 4 persons each (40,000 persons by default) in 50 communities; one
community holds exactly 50 households (200 persons). Figures are server time.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from workshops import create_app  # noqa: E402
from workshops.attendance.models import WorkshopSession  # noqa: E402
from workshops.core.text import fold  # noqa: E402
from workshops.curriculum.models import Module  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.people import services  # noqa: E402
from workshops.people.models import Community, Household, Person  # noqa: E402

FAMILY = ("Tsamajain", "Wajai", "Shimpu", "Atsam", "Yampis", "Sejekam", "Nanchijam", "Dekentai")
GIVEN = ("Rosa", "Luis", "Ana", "Juan", "Marta", "Pedro", "Elena", "Raúl")


def build(households):
    communities = [Community(name=f"Comunidad {i:02d}", code=f"C{i:02d}X") for i in range(50)]
    db.session.add_all(communities)
    db.session.flush()
    per_other = (households - 50) // 49
    household_rows, person_rows = [], []
    number = 0
    for index, community in enumerate(communities):
        count = 50 if index == 0 else per_other
        for n in range(count):
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
                given, family = GIVEN[(number + k) % 8], f"{FAMILY[number % 8]} {FAMILY[(number + k) % 8]}"
                person_rows.append(
                    {
                        "household_id": number,
                        "given_names": given,
                        "family_names": family,
                        "sex": "female" if k % 2 == 0 else "male",
                        "birth_year": 1960 + (number + k * 7) % 50,
                        "relationship_to_head": ("head", "spouse", "child", "child")[k],
                        "relationship_order": (0, 1, 2, 2)[k],
                        "search_name": fold(f"{given} {family}"),
                    }
                )
    db.session.execute(sa.insert(Household), household_rows)
    db.session.execute(sa.insert(Person), person_rows)
    module = db.session.scalar(sa.select(Module).where(Module.number == 1))
    session = WorkshopSession(module_id=module.id, community_id=communities[0].id, date=date(2026, 11, 1))
    db.session.add(session)
    db.session.commit()
    return session.id, communities[0].id


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    with app.app_context():
        session_id, community_id = build(args.households)
        persons = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        print(
            f"data: {db.session.scalar(sa.select(sa.func.count()).select_from(Household))} households, {persons} persons"
        )
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    url = f"/sessions/{session_id}/attendance"
    response = client.get(url)
    rows = response.get_data(as_text=True).count('name="status-')
    times = []
    for _ in range(args.runs):
        begin = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    print(
        f"attendance entry page, {rows} persons: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms (budget 150 ms)"
    )
    with app.app_context():
        searches = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            found = services.similar_people("rosa", "TSAMAJAIN", 1968, community_id)
            searches.append((time.perf_counter() - begin) * 1000)
        wide = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            everywhere = services.similar_people("Rósa", "Tsamajain Wajai", None, None)
            wide.append((time.perf_counter() - begin) * 1000)
    print(
        f"duplicate search in a community: median {statistics.median(searches):.1f} ms ({len(found)} found; budget 100 ms)"
    )
    print(
        f"duplicate search across all {persons} persons: median {statistics.median(wide):.1f} ms ({len(everywhere)} found, capped at 10)"
    )


if __name__ == "__main__":
    main()
