"""Shared by bench/page_weight.py and bench/throughput.py: realistic data, a real server, a login.

Not a benchmark itself. `seed()` fills a fresh database (SQLite in a throwaway
instance folder, or the empty PostgreSQL database DATABASE_URL names) with what
a program in its second year holds: the curriculum, Awajún translations of
nine in ten catalog entries (pseudo-Awajún text of realistic length, clearly
not real), the demo program (5 communities, 80 households, 60 sessions with
attendance), a coordinator holding every role and a facilitator. With
`registry_households`, it also adds a synthetic registry of that many
households (`add_registry`), for the budgets set at 10,000 households.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT))

PASSWORD = "bench-password-2026"  # noqa: S105 (a throwaway benchmark account)
USERS = {
    "coordinadora": ("admin", "coordinator", "facilitator", "translator", "reviewer"),
    "facilitador": ("facilitator",),
}
# Placeholders, markup and entities stay as they are; every other word of three
# letters or more gets a suffix, so the text is about 15 % longer, like Awajún.
_TOKEN = re.compile(r"(%\([^)]*\)[a-z]|%[a-z%]|\{[^}]*\}|<[^>]+>|&\w+;)|([^\W\d_]{3,})")


def pseudo_awajun(text):
    return _TOKEN.sub(lambda m: m.group(1) or m.group(2) + "nu", text)


def new_environment():
    """Return (env for server and `flask` commands, database URL): a fresh instance folder."""
    instance = tempfile.mkdtemp(prefix="bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance}/bench.sqlite"
    env = {**os.environ, "DATABASE_URL": url, "WORKSHOPS_INSTANCE_PATH": instance}
    env.pop("FLASK_DEBUG", None)
    return env, url


def seed(env, untranslated_every=10, registry_households=0):
    """Set up the database the way the first start does, then add the program data; print counts."""
    import sqlalchemy as sa

    from workshops import create_app, demo
    from workshops.attendance.models import AttendanceRecord, WorkshopSession
    from workshops.auth import services as auth_services
    from workshops.catalog.models import CatalogEntry, Translation
    from workshops.catalog.store import bump_revision
    from workshops.core.access import SETUP_DONE_KEY
    from workshops.core.models import AppState
    from workshops.extensions import db
    from workshops.languages import all_languages
    from workshops.people.models import Household, Person

    app = create_app(
        {
            "INSTANCE_PATH": env["WORKSHOPS_INSTANCE_PATH"],
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
        }
    )
    with app.app_context():
        if db.session.scalar(sa.select(AppState).where(AppState.key == SETUP_DONE_KEY)) is not None:
            raise SystemExit("DATABASE_URL must name an empty database")
        for username, roles in USERS.items():
            auth_services.create_user(username, username.capitalize(), PASSWORD, roles)
        db.session.add(AppState(key=SETUP_DONE_KEY, value="1"))
        demo.load()
        add_large_community()
        if registry_households:
            add_registry(registry_households)
        agr = {language.code: language for language in all_languages()}["agr"]
        done = set(db.session.scalars(sa.select(Translation.entry_id).where(Translation.language == "agr")))
        entries = db.session.scalars(
            sa.select(CatalogEntry).where(CatalogEntry.obsolete.is_(False)).order_by(CatalogEntry.id)
        ).all()
        added = 0
        for index, entry in enumerate(entries):
            if entry.id in done or index % untranslated_every == 0:
                continue
            forms = [pseudo_awajun(entry.msgid)]
            if entry.msgid_plural:
                forms += [pseudo_awajun(entry.msgid_plural)] * (agr.nplurals - 1)
            db.session.add(
                Translation(entry_id=entry.id, language="agr", forms=forms, state="translated", revision=1)
            )
            added += 1
        db.session.flush()
        bump_revision("agr")
        db.session.commit()
        counts = {
            "catalog entries": len(entries),
            "agr translations": len(done) + added,
            "households": db.session.scalar(sa.select(sa.func.count()).select_from(Household)),
            "persons": db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
            "sessions": db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopSession)),
            "attendance records": db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)),
        }
        dialect = db.engine.dialect.name
        db.engine.dispose()
    print(f"{dialect} database: " + ", ".join(f"{value} {name}" for name, value in counts.items()))
    return app


LARGE_COMMUNITY = "Comunidad de 200 personas"


def add_large_community(households=40, per_household=5):
    """Add a community of 200 people (40 households of 5) and a session held two days ago.

    The attendance entry page's budget (100 KB of HTML) is for a session of 200 people;
    the demo's communities are smaller.
    """
    from datetime import date, timedelta

    import sqlalchemy as sa

    from workshops.attendance.models import WorkshopSession
    from workshops.curriculum.models import Module
    from workshops.extensions import db
    from workshops.people import services as people
    from workshops.people.models import Community

    community = Community(name=LARGE_COMMUNITY, code="GRA", district="Huarango")
    db.session.add(community)
    db.session.flush()
    given = ("Rosa Elena", "Nantu", "Luis Alberto", "Yampis", "María Teresa")
    for number in range(households):
        household = people.create_household(community, "", None)
        for member in range(per_household):
            people.add_person(
                household,
                {
                    "given_names": given[member],
                    "family_names": f"Tsamajain Wajai {number}",
                    "sex": "female" if member % 2 else "male",
                    "birth_year": 1960 + (number + member) % 50,
                },
                None,
            )
    module = db.session.scalar(sa.select(Module).where(Module.number == 1))
    db.session.add(
        WorkshopSession(module_id=module.id, community_id=community.id, date=date.today() - timedelta(days=2))
    )
    db.session.flush()


REGISTRY_COMMUNITIES = 5
REGISTRY_NAME = "Registro sintético {number}"
PERSONS_PER_HOUSEHOLD = 4
ATTENDANCE_GROUP = 200  # persons a session records
ATTENDANCE_STATES = ("present",) * 16 + ("late", "excused", "absent", "absent")


def add_registry(households=10_000):
    """Add `households` households of 4 synthetic persons in 5 new communities, and their attendance.

    Bulk inserts (SQLAlchemy Core), so 10,000 households take seconds. Names are plainly
    synthetic ("Persona 123", "Familia 45"). Each community's persons are split into groups
    of 200; group g attended modules 1 to (g mod 12) + 1, one session per module and group,
    on distinct days of the last year, so reports count both trained and untrained people.
    """
    from datetime import date, timedelta

    import sqlalchemy as sa

    from workshops.attendance.models import AttendanceRecord, WorkshopSession
    from workshops.core.text import fold
    from workshops.curriculum.models import Module
    from workshops.extensions import db
    from workshops.people.models import RELATIONSHIPS, Community, Household, HouseholdStay, Person

    today = date.today()
    modules = dict(db.session.execute(sa.select(Module.number, Module.id)).all())
    per_community = households // REGISTRY_COMMUNITIES
    relations = ("head", "spouse", "child", "child")
    sexes = ("female", "male", "female", "male")
    next_person = 0
    for number in range(1, REGISTRY_COMMUNITIES + 1):
        community = Community(
            name=REGISTRY_NAME.format(number=number),
            code=f"RS{number}",
            district="(sintético)",
            last_household_number=per_community,
        )
        db.session.add(community)
        db.session.flush()
        codes = [f"{community.code}-{n:03d}" for n in range(1, per_community + 1)]
        db.session.execute(
            sa.insert(Household),
            [{"community_id": community.id, "code": code, "notes": ""} for code in codes],
        )
        household_ids = db.session.scalars(
            sa.select(Household.id).where(Household.community_id == community.id).order_by(Household.code)
        ).all()
        person_rows = []
        for household_number, household_id in enumerate(household_ids, start=1):
            for member in range(PERSONS_PER_HOUSEHOLD):
                next_person += 1
                given, family = f"Persona {next_person}", f"Familia {community.code} {household_number}"
                person_rows.append(
                    {
                        "household_id": household_id,
                        "given_names": given,
                        "family_names": family,
                        "sex": sexes[member],
                        "birth_year": None if next_person % 23 == 0 else 1950 + next_person * 7 % 60,
                        "relationship_to_head": relations[member],
                        "relationship_order": RELATIONSHIPS.index(relations[member]),
                        "is_contact": member == 0,
                        "consent": True,
                        "consent_date": today - timedelta(days=400),
                        "search_name": fold(f"{given} {family}"),
                    }
                )
        db.session.execute(sa.insert(Person), person_rows)
        person_ids = db.session.execute(
            sa.select(Person.id, Person.household_id)
            .join(Household)
            .where(Household.community_id == community.id)
            .order_by(Person.id)
        ).all()
        db.session.execute(
            sa.insert(HouseholdStay),
            [
                {"person_id": pid, "household_id": hid, "started": today - timedelta(days=400)}
                for pid, hid in person_ids
            ],
        )
        roster = [pid for pid, _hid in person_ids]
        day = 3
        for group_start in range(0, len(roster), ATTENDANCE_GROUP):
            group = roster[group_start : group_start + ATTENDANCE_GROUP]
            attended = group_start // ATTENDANCE_GROUP % 12 + 1
            for module_number in range(1, attended + 1):
                session_id = db.session.execute(
                    sa.insert(WorkshopSession)
                    .values(
                        module_id=modules[module_number],
                        community_id=community.id,
                        date=today - timedelta(days=day),
                        status="entered",
                        revision=1,
                    )
                    .returning(WorkshopSession.id)
                ).scalar_one()
                day += 1
                db.session.execute(
                    sa.insert(AttendanceRecord),
                    [
                        {
                            "session_id": session_id,
                            "person_id": person,
                            "status": ATTENDANCE_STATES[(person + module_number) % len(ATTENDANCE_STATES)],
                            "remark": "",
                        }
                        for person in group
                    ],
                )
    db.session.flush()


def registry_community(base, cookie, number=1):
    """Return the id of a synthetic registry community (2,000 households at 10,000)."""
    return community_id(base, cookie, REGISTRY_NAME.format(number=number))


def community_id(base, cookie, name):
    """Return the id of the community of that name, from the registry list."""
    listing = get(base, "/people/", cookie)
    for row in listing.split("<tr")[1:]:
        if name in row:
            return re.search(r'href="/people/communities/(\d+)"', row).group(1)
    raise SystemExit(f"no {name} in the registry list")


def large_session(base, cookie):
    """Return the id of the 200-person community's session, from the sessions list filtered to it."""
    community = community_id(base, cookie, LARGE_COMMUNITY)
    listing = get(base, f"/sessions/?when=all&community={community}", cookie)
    found = re.search(r'href="/sessions/(\d+)"', listing)
    if found is None:
        raise SystemExit(f"no session of {LARGE_COMMUNITY} in the sessions list")
    return found.group(1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command, env, port, log_path):
    """Start a server process; return it once /login answers."""
    log = open(log_path, "wb")  # noqa: SIM115 (the process keeps it)
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)  # noqa: S310 (our local server)
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("server did not start:\n" + Path(log_path).read_text()) from None
            time.sleep(0.3)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def login(base, username):
    """Log in through the form (with its CSRF token); return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD})
    response = opener.open(base + "/login", data=data.encode())
    if response.url.rstrip("/").endswith("/login"):
        raise SystemExit(f"could not log in as {username}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def heaviest_module(base, cookie):
    """Return the slug of the module whose Awajún page is the largest."""
    listing = get(base, "/modules", cookie)
    slugs = sorted(set(re.findall(r'href="/modules/([a-z0-9-]+)"', listing)))
    return max(slugs, key=lambda slug: len(get(base, f"/modules/{slug}?lang=agr", cookie)))


def get(base, path, cookie):
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310 (local server)
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return response.read().decode()
