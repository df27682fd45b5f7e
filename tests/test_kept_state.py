"""What a process keeps between requests (logins, catalog revisions, headers, pages) and when it lets go."""

import re
import time

import pytest
import sqlalchemy as sa

from workshops.auth import services
from workshops.auth.models import User
from workshops.catalog.models import CatalogRevision
from workshops.extensions import db

from .conftest import TEST_PASSWORD

MODULE = "/modules/vivero-de-cafe"


@pytest.fixture(autouse=True)
def _set_up(admin_exists):
    """An administrator exists, so pages are served instead of the first-run form."""


def _outside(app, statement, **params):
    """Run SQL on a connection of its own, as another process or server would: no session events."""
    with app.app_context():
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def _sign_in(client, make_user, display_name="Facilitadora", roles=("facilitator",)):
    username = f"kept-{time.monotonic_ns()}"
    make_user(username, roles=roles, display_name=display_name)
    assert client.post("/login", data={"username": username, "password": TEST_PASSWORD}).status_code == 302
    return username


def test_a_warm_module_page_reads_nothing_from_the_database(app, client, make_user, count_queries):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600
    _sign_in(client, make_user)
    assert client.get(MODULE).status_code == 200  # reads the login, the revisions, renders
    with count_queries() as statements:
        page = client.get(MODULE)
    assert page.status_code == 200 and "Vivero" in page.get_data(as_text=True)
    assert statements == []


def test_a_login_is_read_again_after_the_recheck_window(app, client, make_user, count_queries):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 0.3
    _sign_in(client, make_user)
    assert client.get("/modules").status_code == 200
    # Signed out through another server: this one still trusts what it read, for the window only.
    _outside(app, "DELETE FROM login_session")
    assert client.get("/modules").status_code == 200
    time.sleep(0.4)
    with count_queries() as statements:
        assert client.get("/modules").status_code == 302
    assert any("login_session" in statement for statement in statements)


def test_a_change_through_this_process_counts_at_once(app, client, make_user):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600
    username = _sign_in(client, make_user)
    assert client.get("/modules").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.is_enabled = False
        db.session.commit()
    assert client.get("/modules").status_code == 302


def test_sign_out_everywhere_through_this_process_counts_at_once(app, client, make_user):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600
    username = _sign_in(client, make_user)
    assert client.get("/modules").status_code == 200
    with app.app_context():
        services.end_logins(db.session.scalar(sa.select(User).where(User.username == username)))
        db.session.commit()
    assert client.get("/modules").status_code == 302


def test_a_saved_revision_elsewhere_shows_after_the_window(app, client, make_user, count_queries):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 0.3
    _sign_in(client, make_user)
    assert client.get(f"{MODULE}?lang=agr").status_code == 200
    with app.app_context():
        before = db.session.scalar(
            sa.select(CatalogRevision.revision).where(CatalogRevision.language == "agr")
        )
    if before is None:
        _outside(app, "INSERT INTO catalog_revision (language, revision) VALUES ('agr', 1)")
    else:
        _outside(app, "UPDATE catalog_revision SET revision = revision + 1 WHERE language = 'agr'")
    time.sleep(0.4)
    with count_queries() as statements:
        assert client.get(f"{MODULE}?lang=agr").status_code == 200
    assert any("catalog_revision" in statement for statement in statements)


def test_each_account_sees_its_own_header(app, make_user):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600
    first, second = app.test_client(), app.test_client()
    _sign_in(first, make_user, display_name="Ana <b>Tsamajain</b>")
    _sign_in(second, make_user, display_name="Rosa Ijuntain", roles=("admin",))
    page_one = first.get(MODULE).get_data(as_text=True)
    page_two = second.get(MODULE).get_data(as_text=True)
    assert "Ana &lt;b&gt;Tsamajain&lt;/b&gt;" in page_one and "Rosa Ijuntain" not in page_one
    assert "Rosa Ijuntain" in page_two and "Tsamajain" not in page_two
    assert "/admin/users" in page_two and "/admin/users" not in page_one  # the admin's menu only


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_a_kept_page_carries_the_sessions_own_working_csrf_token(csrf_app, make_user):
    csrf_app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600
    client = csrf_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    username = f"kept-{time.monotonic_ns()}"
    make_user(username)  # the same database as csrf_app's
    data = {"username": username, "password": TEST_PASSWORD, "csrf_token": TOKEN.search(login).group(1)}
    assert client.post("/login", data=data).status_code == 302
    first = TOKEN.findall(client.get(MODULE).get_data(as_text=True))
    second = TOKEN.findall(client.get(MODULE).get_data(as_text=True))
    assert first and set(first) == set(second)  # signed once a minute, not on every page
    other = csrf_app.test_client()
    assert TOKEN.findall(other.get("/login").get_data(as_text=True))[0] not in first
    switched = client.post("/language", data={"language": "agr", "next": MODULE, "csrf_token": first[0]})
    assert switched.status_code == 302
    assert client.post("/language", data={"language": "es", "next": MODULE}).status_code == 400
