"""Shared by bench/page_weight.py and bench/throughput.py: realistic data, a real server, a login.

Not a benchmark itself. `seed()` fills a fresh database (SQLite in a throwaway
instance folder, or the empty PostgreSQL database DATABASE_URL names) with what
a program in its second year holds: the curriculum, Awajún translations of
nine in ten catalog entries (pseudo-Awajún text of realistic length, clearly
not real), the demo program (5 communities, 80 households, 60 sessions with
attendance), a coordinator holding every role and a facilitator.
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


def seed(env, untranslated_every=10):
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


def large_session(base, cookie):
    """Return the id of the 200-person community's session, from the sessions list."""
    listing = get(base, "/sessions/", cookie)
    for row in listing.split("<tr")[1:]:
        if LARGE_COMMUNITY in row:
            return re.search(r'href="/sessions/(\d+)"', row).group(1)
    raise SystemExit(f"no session of {LARGE_COMMUNITY} in the sessions list")


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
