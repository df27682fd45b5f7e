"""`flask demo`: a clearly fictitious program shaped like the real one, to try everything."""

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from .attendance.models import AttendanceRecord, SessionStaff, WorkshopSession
from .auth import services as accounts
from .auth.models import User
from .curriculum.models import Module
from .extensions import db
from .people import services
from .people.models import Community

GIVEN_FEMALE = ("Ana", "Rosa", "Elena", "Lucía", "Marta", "Nora", "Sara", "Julia", "Irene", "Carmen")
GIVEN_MALE = ("Luis", "Juan", "Pedro", "Raúl", "Hugo", "Mario", "Pablo", "Iván", "Óscar", "Tomás")
STATUSES = ("present",) * 15 + ("late", "excused", "excused", "absent", "absent")
FACILITATOR = "demo-facilitadora"
# The last modules are still to come, so that field mode and "my next sessions" have
# something to show right after `flask demo`; the earlier ones are held and entered.
UPCOMING_MODULES = 3


CANCELLED_REASON = "Crecida del río: no se pudo llegar a la comunidad (dato de demostración)."


def load(households=80, seed=2026):
    """Create 5 demo communities, about 80 households and 240 people, 60 sessions; return counts.

    Every session is assigned to a demo facilitator account (created with a new
    random password, returned so the command can print it).
    """
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
    adults = {community.id: [] for community in communities}
    for index in range(households):
        community = communities[index % len(communities)]
        adults[community.id] += _household(community, f"Demo {index + 1:02d}", rng)
    facilitator, password = _facilitator()
    held = max(len(modules) - UPCOMING_MODULES, 0)
    records = 0
    for number, module in enumerate(modules):
        for offset, community in enumerate(communities):
            # One session that could not take place, as happens in the rainy season: it is kept,
            # struck through, and left out of "sessions held".
            cancelled = number == held - 1 and offset == len(communities) - 1
            session = WorkshopSession(
                module_id=module.id,
                community_id=community.id,
                date=_session_date(number, held, offset),
                venue="Local comunal (demo)",
                status="cancelled" if cancelled else "entered" if number < held else "planned",
                status_reason=CANCELLED_REASON if cancelled else "",
            )
            session.staff.append(SessionStaff(user_id=facilitator.id, role="facilitator"))
            db.session.add(session)
            db.session.flush()
            if number < held and not cancelled:
                records += _attendance(session, adults[community.id], rng)
    return {
        "communities": len(communities),
        "households": households,
        "adults": sum(len(ids) for ids in adults.values()),
        "sessions": len(modules) * len(communities),
        "records": records,
        "upcoming": (len(modules) - held) * len(communities),
        "cancelled": 1 if held else 0,
        "facilitator": facilitator.username,
        "password": password,
    }


def _household(community, family, rng):
    """Create a household of two parents and up to two children; return the ids of those 15 or older."""
    household = services.create_household(community, "Datos de demostración, no son personas reales.", None)
    head_year = rng.randint(1960, 1995)
    members = [("female", "head", head_year), ("male", "spouse", head_year + rng.randint(-4, 4))]
    members += [
        (rng.choice(("female", "male")), "child", min(head_year + rng.randint(16, 35), date.today().year - 1))
        for _ in range(rng.randint(0, 2))
    ]
    adults = []
    for sex, relation, year in members:
        person = services.add_person(
            household,
            {
                "given_names": rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE),
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
            adults.append(person.id)
    return adults


def _attendance(session, person_ids, rng):
    """Give every person a mostly-present status in a held session; return how many records."""
    for person_id in person_ids:
        db.session.add(
            AttendanceRecord(session_id=session.id, person_id=person_id, status=rng.choice(STATUSES))
        )
    return len(person_ids)


def _session_date(number, held, offset):
    """Held modules every two weeks up to ten days ago; the rest every two weeks from three days ahead.

    Communities of one module are a day apart, as one facilitator would visit them.
    """
    today = date.today()
    if number < held:
        return today - timedelta(days=14 * (held - number)) + timedelta(days=offset)
    return today + timedelta(days=3 + 14 * (number - held) + offset)


def _facilitator():
    """Return the demo facilitator account and its new password (None when it existed already)."""
    existing = db.session.scalar(select(User).where(User.username == FACILITATOR))
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(9)
    user = accounts.create_user(FACILITATOR, "Facilitadora de demostración", password, ["facilitator"])
    return user, password
