"""Shared fixtures: app, client, runner, login_as, factories, count_queries."""

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from workshops import create_app
from workshops.auth import services as auth_services
from workshops.extensions import db

# Tables the session-wide setup fills once and tests only read.
KEEP_TABLES = {
    "alembic_version",
    "curriculum_module",
    "curriculum_section",
    "curriculum_segment",
    "curriculum_key_term",
    "catalog_header",
    "catalog_revision",
}
# The shipped catalogs are loaded once; rows a test adds to these are removed.
SNAPSHOT_TABLES = ("catalog_entry", "translation", "translation_history")
KEEP_STATE_KEYS = (
    "curriculum_hash",
    "catalogs_imported",
    "template_hash:curriculum",
    "template_hash:messages",
)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Test data kept in the repository, with its source and licence (tests/data/README.md).
DATA = Path(__file__).resolve().parent / "data"
TEST_PASSWORD = "correct horse battery"


def _postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory):
    """Return a callable that makes a new empty database and gives its URL."""
    created = []
    admin_engine = None
    base_url = _postgres_url()
    if base_url:
        from workshops.config import normalise_database_url

        base = sa.make_url(normalise_database_url(base_url))
        admin_engine = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def make():
        if admin_engine is None:
            path = tmp_path_factory.mktemp("db") / "test.sqlite"
            return f"sqlite:///{path}"
        name = f"workshops_test_{uuid.uuid4().hex[:12]}"
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield make
    if admin_engine is not None:
        with admin_engine.connect() as connection:
            for name in created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


_snapshot = {}


@pytest.fixture(scope="session")
def database_url(database_factory, instance_dir):
    """One database for the whole run, migrated and loaded once."""
    url = database_factory()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance_dir, "TESTING": True})
    with app.app_context():
        for name in SNAPSHOT_TABLES:
            table = db.metadata.tables[name]
            _snapshot[name] = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
        db.session.remove()
        db.engine.dispose()
    return url


def make_test_app(url, instance, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": instance,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "AUTO_SETUP": False,
        "SECRET_KEY": "test-secret",
        # Hundreds of accounts are made and signed in: a cheap hash keeps the run fast.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(overrides)
    return create_app(config)


def _empty_tables():
    """Delete everything a test may have written, keeping the curriculum."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with db.engine.begin() as connection:
        for table in tables:
            if table.name in SNAPSHOT_TABLES:
                connection.execute(table.delete().where(table.c.id > _snapshot[table.name]))
            elif table.name == "app_state":
                connection.execute(table.delete().where(table.c.key.not_in(KEEP_STATE_KEYS)))
            else:
                connection.execute(table.delete())


@pytest.fixture
def app(database_url, instance_dir):
    app = make_test_app(database_url, instance_dir)
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url, instance_dir):
    """The app with CSRF protection on, as in production."""
    app = make_test_app(database_url, instance_dir, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Return a callable that creates a committed user with the given roles."""

    def make(username=None, roles=("facilitator",), password=TEST_PASSWORD, display_name=None, enabled=True):
        username = username or f"user-{uuid.uuid4().hex[:8]}"
        with app.app_context():
            user = auth_services.create_user(username, display_name or username.title(), password, roles)
            user.is_enabled = enabled
            if "admin" in roles:
                from workshops.core.models import AppState

                if db.session.get(AppState, "setup_done") is None:
                    db.session.add(AppState(key="setup_done", value="1"))
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def admin_exists(make_user):
    """An administrator, so that the first-run setup is done."""
    return make_user("first-admin", roles=("admin",))


@pytest.fixture
def login_as(client, make_user, admin_exists):
    """Return a callable that logs the test client in as a new user with these roles."""

    def login(*roles, username=None):
        username = username or f"{'-'.join(roles) or 'norole'}-{uuid.uuid4().hex[:6]}"
        make_user(username, roles=roles)
        response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.data
        return client

    return login


@pytest.fixture
def count_queries(app):
    """Return a context manager that counts SQL statements run inside it.

    Counts must not depend on the clock: what the app keeps for
    SHARED_STATE_RECHECK_SECONDS (the login, the catalog revisions) is read on
    every request unless the test itself says otherwise (tests/test_kept_state.py).
    """
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 0

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def program(app):
    """A community with two households and a session; return their ids."""
    from datetime import date

    from workshops.attendance.models import WorkshopSession
    from workshops.curriculum.models import Module
    from workshops.people import services as people
    from workshops.people.models import Community

    with app.app_context():
        community = Community(name="Comunidad Prueba", code="CPR", district="Huarango")
        db.session.add(community)
        db.session.flush()
        ids = {"community": community.id, "households": [], "people": []}
        for family in ("Tsamajain Wajai", "Shimpu Atsam"):
            household = people.create_household(community, "", None)
            ids["households"].append(household.id)
            for given, sex, year, relation in (
                ("Rosa", "female", 1990, "head"),
                ("Luis", "male", 2005, "child"),
            ):
                person = people.add_person(
                    household,
                    {
                        "given_names": given,
                        "family_names": family,
                        "sex": sex,
                        "birth_year": year,
                        "relationship_to_head": relation,
                    },
                    None,
                )
                ids["people"].append(person.id)
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        session = WorkshopSession(module_id=module.id, community_id=community.id, date=date(2026, 10, 5))
        db.session.add(session)
        db.session.commit()
        ids["session"] = session.id
    return ids  # the app fixture empties these tables after the test


@pytest.fixture
def field(app, make_user, admin_exists):
    """A facilitator ("fac") assigned to one session and not to another; return ids.

    Both are dated today or earlier in the program's time zone: attendance is only
    taken from a session's day on (a device syncs marks into them).
    """
    from datetime import timedelta

    from workshops.attendance.models import SessionStaff, WorkshopSession
    from workshops.core.clock import program_today
    from workshops.curriculum.models import Module
    from workshops.people import services as people
    from workshops.people.models import Community

    facilitator = make_user("fac", roles=("facilitator",))
    with app.app_context():
        community = Community(name="Comunidad Campo", code="CCA")
        db.session.add(community)
        db.session.flush()
        household = people.create_household(community, "", None)
        persons = [
            people.add_person(household, {"given_names": name, "family_names": "Campo", "sex": sex}, None).id
            for name, sex in (("Rosa", "female"), ("Luis", "male"), ("Ana", "female"))
        ]
        module = db.session.scalar(sa.select(Module).where(Module.number == 2))
        today = program_today()
        mine = WorkshopSession(module_id=module.id, community_id=community.id, date=today)
        other = WorkshopSession(
            module_id=module.id, community_id=community.id, date=today - timedelta(days=2)
        )
        db.session.add_all([mine, other])
        db.session.flush()
        db.session.add(SessionStaff(session_id=mine.id, user_id=facilitator, role="facilitator"))
        db.session.commit()
        return {
            "session": mine.id,
            "other": other.id,
            "persons": persons,
            "community": community.id,
            "date": today,
        }


def tool_required(name):
    """Skip when an external program is missing, but fail in CI where it must exist."""
    if shutil.which(name):
        return
    message = f"{name} is not installed (apt-get install it; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
