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


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer(str):
    """The base URL of a running server, with a way to run `flask` commands on its database."""

    env: dict

    def cli(self, *args):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "workshops", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


@pytest.fixture
def live_server(database_factory, tmp_path):
    """Start `flask run` on a fresh database, as a user would; yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_factory(),
        "WORKSHOPS_INSTANCE_PATH": str(tmp_path / "instance"),
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
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
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
