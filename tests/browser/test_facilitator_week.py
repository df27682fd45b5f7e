"""The facilitator's week in a real browser: sign in, land on the next session, download its materials."""

import re

import pytest

from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sign_in_land_on_the_next_session_and_download_its_materials(live_server, page):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    # The demo assigns every session to this account when it exists.
    live_server.cli(
        "create-user",
        "demo-facilitadora",
        "--name",
        "Facilitadora",
        "--role",
        "facilitator",
        "--password",
        PASSWORD,
    )
    live_server.cli("demo")
    login(page, live_server, "demo-facilitadora")
    # Click 1 was signing in: she lands on her sessions, the next one first.
    assert page.url.endswith("/sessions/")
    dates = page.locator(".session-list li > a").all_inner_texts()
    assert len(dates) >= 10
    page.locator(".session-list li > a").first.click()  # click 2: the next session
    assert re.search(r"/sessions/\d+$", page.url)
    panel = page.locator("section.prepare")
    for name in (
        "Hoja para participantes (PDF)",
        "Guía del facilitador (PDF)",
        "Términos clave (PDF)",
        "Hoja de asistencia (PDF)",
    ):
        with page.expect_download(timeout=120_000) as download:  # click 3: each file
            panel.get_by_role("link", name=name).click()
        path = download.value.path()
        with open(path, "rb") as pdf:
            assert pdf.read(5) == b"%PDF-", name
        assert download.value.suggested_filename.endswith(".pdf"), name
    assert (
        panel.get_by_role("link", name="Llevar sin conexión (modo de campo)").get_attribute("href")
        == "/field/"
    )


def test_report_tables_fit_a_1280_screen(live_server, page):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "coord", "--role", "coordinator", "--password", PASSWORD)
    live_server.cli("demo")
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, live_server, "coord")
    page.goto(f"{live_server}/reports/matrix")
    community = page.locator("select[name=community] option").nth(1).get_attribute("value")
    wide_pages = (
        "/reports/summary",
        "/reports/indicators",
        f"/reports/matrix?community={community}",
        "/translate/?lang=agr",
    )
    for path in wide_pages:
        page.goto(live_server + path)
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('.table-wrap'))
                 .filter(box => box.scrollWidth > box.clientWidth + 1)
                 .map(box => (box.querySelector('caption, th') || box).textContent.trim().slice(0, 40))"""
        )
        assert wide == [], (path, wide)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
