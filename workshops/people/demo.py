"""`flask demo`: a clearly fictitious program shaped like the real one, to try everything."""

import random
from datetime import date, timedelta

from sqlalchemy import select

from ..attendance.models import AttendanceRecord, WorkshopSession
from ..curriculum.models import Module
from ..extensions import db
from . import services
from .models import Community

GIVEN_FEMALE = ("Ana", "Rosa", "Elena", "Lucía", "Marta", "Nora", "Sara", "Julia", "Irene", "Carmen")
GIVEN_MALE = ("Luis", "Juan", "Pedro", "Raúl", "Hugo", "Mario", "Pablo", "Iván", "Óscar", "Tomás")
STATUSES = ("present",) * 15 + ("late", "excused", "excused", "absent", "absent")


def load(households=80, seed=2026):
    """Create 5 demo communities, about 80 households and 240 people, 60 sessions; return counts."""
    if db.session.scalar(select(Community).where(Community.code == "DEMA")) is not None:
        return None
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    modules = db.session.scalars(select(Module).order_by(Module.number)).all()
    communities = [
        Community(name=f"Comunidad de demostración {letter}", code=f"DEM{letter}", district="(demo)")
        for letter in "ABCDE"
    ]
    db.session.add_all(communities)
    db.session.flush()
    people_by_community = {community.id: [] for community in communities}
    for index in range(households):
        community = communities[index % len(communities)]
        household = services.create_household(
            community, "Datos de demostración, no son personas reales.", None
        )
        family = f"Demo {index + 1:02d}"
        head_year = rng.randint(1960, 1995)
        members = [("female", "head", head_year), ("male", "spouse", head_year + rng.randint(-4, 4))]
        members += [
            (
                rng.choice(("female", "male")),
                "child",
                min(head_year + rng.randint(16, 35), date.today().year - 1),
            )
            for _ in range(rng.randint(0, 2))
        ]
        for sex, relation, year in members:
            given = rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
            person = services.add_person(
                household,
                {
                    "given_names": given,
                    "family_names": family,
                    "sex": sex,
                    "birth_year": year,
                    "relationship_to_head": relation,
                    "is_contact": relation == "head",
                    "consent": True,
                },
                None,
            )
            if date.today().year - year >= 15:
                people_by_community[community.id].append(person.id)
    start = date.today() - timedelta(days=14 * len(modules))
    sessions = records = 0
    for number, module in enumerate(modules):
        for community in communities:
            session = WorkshopSession(
                module_id=module.id,
                community_id=community.id,
                date=start + timedelta(days=14 * number),
                venue="Local comunal (demo)",
                status="entered",
            )
            db.session.add(session)
            db.session.flush()
            sessions += 1
            for person_id in people_by_community[community.id]:
                db.session.add(
                    AttendanceRecord(session_id=session.id, person_id=person_id, status=rng.choice(STATUSES))
                )
                records += 1
    people = sum(len(ids) for ids in people_by_community.values())
    return {
        "communities": len(communities),
        "households": households,
        "adults": people,
        "sessions": sessions,
        "records": records,
    }
