"""Two app servers on one PostgreSQL database, each with its own instance folder, no SECRET_KEY set.

What one server does, the other must see: a sheet uploaded through A is
downloaded through B, a login made on A works on B, and signing out on B
ends it on A too (the copied session and remember-me cookies are refused on
both). Needs PostgreSQL (SQLite serves one server) and gunicorn.
"""

import importlib.util
import os
import re
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from workshops.config import Defaults, normalise_database_url

from . import loadkit

pytestmark = pytest.mark.slow

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIMEOUT = 30  # seconds for any one request: the test ends in bounded time
# A PNG signature, then bytes of every value, non-repeating: any change to them shows.
SHEET = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 16 + bytes(range(256)) * 1200


def _required(message):
    """Skip on a developer's machine; fail under CI, where everything must be there."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def database():
    """A new, empty PostgreSQL database; dropped afterwards."""
    if importlib.util.find_spec("gunicorn") is None:
        _required("gunicorn is not installed (pip install -e '.[test]')")
    configured = os.environ.get("DATABASE_URL", "")
    base = sa.make_url(
        normalise_database_url(configured if configured.startswith("postgres") else DEFAULT_POSTGRES)
    )
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"workshops_two_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        _required(f"PostgreSQL is not reachable at {base.render_as_string()} ({error.orig})")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def servers(database, tmp_path, monkeypatch):
    """(url, program, server A, server B): two gunicorns, two instance folders, one database."""
    monkeypatch.delenv("WORKSHOPS_SECRET_KEY", raising=False)
    first, second = tmp_path / "instance-a", tmp_path / "instance-b"
    program = loadkit.seed(database, first, users=1)
    started = []
    try:
        for instance in (first, second):
            started.append(
                loadkit.Server(database, instance, tmp_path / f"{instance.name}.log", 1, 2, secret_key=None)
            )
        yield database, program, started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _get(http, server, path):
    return http.get(server.url + path, allow_redirects=False, timeout=TIMEOUT)


def _post(http, server, path, page, **options):
    """Submit a form of `page` (its CSRF token) to `path` on `server`."""
    data = {"csrf_token": loadkit._hidden(page, "csrf_token"), **options.pop("data", {})}
    return http.post(server.url + path, data=data, allow_redirects=False, timeout=TIMEOUT, **options)


def _replay(server, path="/modules", **cookies):
    """A fresh browser holding copies of the given cookies: its status for a signed-in page."""
    browser = requests.Session()
    for name, value in cookies.items():
        browser.cookies.set(name, value, domain="127.0.0.1", path="/")
    return _get(browser, server, path).status_code


def test_what_one_server_does_the_other_sees(servers):
    url, program, a, b = servers
    for server in (a, b):  # one key for both, from the database: no instance/secret_key file
        assert not os.path.exists(os.path.join(server.env["WORKSHOPS_INSTANCE_PATH"], "secret_key"))
    http = requests.Session()  # one browser; cookies are not per port, so it sends them to A and B

    login_page = _get(http, a, "/login").text
    response = _post(
        http,
        a,
        "/login",
        login_page,
        data={"username": program.users[0], "password": loadkit.PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302, response.text
    cookies = {name: http.cookies.get(name) for name in ("session", "remember_token")}
    assert all(cookies.values()), cookies

    session_id = program.sessions[0]
    page = _get(http, a, f"/sessions/{session_id}").text
    uploaded = _post(
        http,
        a,
        f"/sessions/{session_id}/attachments",
        page,
        files={"sheet": ("hoja firmada Ñuñuya.png", SHEET)},
    )
    assert uploaded.status_code == 302, uploaded.text

    # The login made on A works on B, as does the sheet A stored.
    page = _get(http, b, f"/sessions/{session_id}")
    assert page.status_code == 200
    (link,) = set(re.findall(rf"/sessions/{session_id}/attachments/\d+", page.text))
    download = _get(http, b, link)
    assert download.status_code == 200
    assert download.content == SHEET  # byte for byte
    assert download.headers["Content-Type"] == "image/png"
    assert "filename*=UTF-8''hoja%20firmada%20%C3%91u%C3%B1uya.png" in download.headers["Content-Disposition"]
    # The remember-me cookie alone signs in on either server (so the refusals below mean something).
    assert _replay(a, remember_token=cookies["remember_token"]) == 200
    assert _replay(b, remember_token=cookies["remember_token"]) == 200
    assert _replay(a, session=cookies["session"]) == 200

    signed_out = _post(http, b, "/logout", page.text)
    assert signed_out.status_code == 302
    assert http.cookies.get("remember_token") is None  # deleted in the browser
    # A server trusts a login it read for SHARED_STATE_RECHECK_SECONDS: past that, no server does.
    time.sleep(Defaults.SHARED_STATE_RECHECK_SECONDS + 0.5)
    for server in (a, b):
        assert _get(http, server, "/modules").status_code == 302
        assert _replay(server, **cookies) == 302
        assert _replay(server, session=cookies["session"]) == 302
        assert _replay(server, remember_token=cookies["remember_token"]) == 302
        assert _replay(server, path=link, **cookies) == 302  # nor the sheet
    # Both servers signed with the key kept in the database.
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM login_session")) == 0
            key = connection.scalar(sa.text("SELECT value FROM app_state WHERE key = 'secret_key'"))
    finally:
        engine.dispose()
    assert key and len(key) == 64
