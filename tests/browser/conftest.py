"""Real-browser fixtures: a live server process and Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import tool_required

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Every browser the tests launch: no sandbox (CI runs as root), and nothing that calls the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(env, *args):
    """Run a `flask` command against a test server's database and instance; return its output."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "workshops", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class LiveServer(str):
    """The base URL of a running server, with a way to run `flask` commands on its database."""

    env: dict

    def cli(self, *args):
        return run_cli(self.env, *args)


@pytest.fixture
def live_server(database_factory, tmp_path):
    """Start `flask run` on a fresh database, as a user would; yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_factory(),
        "WORKSHOPS_INSTANCE_PATH": str(tmp_path / "instance"),
        # As an installation sets it: the printed sheet's QR code points here.
        "WORKSHOPS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # The tests also write to the database from their own process, as a second server
        # would, and check the page at once: this server reads logins and revisions every time.
        "WORKSHOPS_SHARED_STATE_RECHECK_SECONDS": "0",
    }
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "workshops", "run", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)  # noqa: S310 (local test server)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail("server did not start:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.3)
    server = LiveServer(base)
    server.env = env
    yield server
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    tool_required(CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser):
    """Return a callable that opens a page in a new, separate browser context (another person)."""
    contexts = []

    def make():
        context = browser.new_context(locale="es-PE")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_script():
    """The axe-core source (package.json pins it); `npm ci` once if node_modules lacks it."""
    if not AXE.exists():
        tool_required("npm")
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=PROJECT, capture_output=True, text=True, check=False
        )
        if result.returncode != 0 or not AXE.exists():
            message = "npm ci could not install axe-core:\n" + result.stdout + result.stderr
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser, axe_script):
    """A page whose context ignores the app's CSP, so that axe-core can be injected.

    Call `axe_page.axe()` after each navigation: it returns axe's violations
    (dicts with id, impact, help, helpUrl and nodes) for the WCAG 2.x A/AA rules
    and axe's best practices.
    """
    context = browser.new_context(locale="es-PE", bypass_csp=True)
    page = context.new_page()

    def run_axe():
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_script)
        return page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
                }));
            }"""
        )

    page.axe = run_axe
    yield page
    context.close()


@pytest.fixture
def live_sample(live_server):
    """Return a callable that adds one object of each kind to the live server's database.

    It gives the URL arguments tests/urlmap.py gives (slug, household_id,
    session_id, entry_id, ...), so that every route can be built with real ids.
    """
    from ..conftest import make_test_app
    from ..urlmap import sample_values

    def make(admin_username):
        import sqlalchemy as sa

        from workshops.auth.models import User
        from workshops.extensions import db

        app = make_test_app(live_server.env["DATABASE_URL"], live_server.env["WORKSHOPS_INSTANCE_PATH"])
        try:
            with app.app_context():
                admin_id = db.session.scalar(sa.select(User.id).where(User.username == admin_username))
            return sample_values(app, admin_id)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    return make
