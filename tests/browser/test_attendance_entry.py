"""A coordinator enters a printed sheet's attendance in a real browser and finds the figures."""

import re
from datetime import date, timedelta

import pytest

from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_enter_sheet_and_see_figures(live_server, page):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli(
        "create-user", "coord", "--name", "Coordinadora", "--role", "coordinator", "--password", PASSWORD
    )
    live_server.cli("demo")
    login(page, live_server, "coord")
    page.goto(f"{live_server}/sessions/new")
    module_option = page.get_by_label("Módulo").locator("option", has_text=re.compile(r"^3\. "))
    page.get_by_label("Módulo").select_option(module_option.get_attribute("value"))
    page.get_by_label("Comunidad").select_option(label="Comunidad de demostración B")
    # Yesterday: attendance is entered once a session's day has come.
    page.get_by_label("Fecha").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Guardar").click()
    assert re.search(r"/sessions/\d+$", page.url)
    session_url = page.url

    page.get_by_role("link", name="Hoja de asistencia para imprimir").click()
    sheet_names = page.locator("table.sheet tbody tr:not(.blank) td:nth-child(2)").all_inner_texts()
    assert len(sheet_names) > 10 and page.locator("svg").count() == 1

    page.goto(session_url + "/attendance")
    page.get_by_role("button", name="Marcar a todos presentes").click()
    rows = page.locator(".mark")
    # The entry page lists people in the printed sheet's order.
    assert rows.locator(".who").all_inner_texts() == sheet_names
    # Each status is a big button (the select stays, hidden, for the form); mark-all needed no reload.
    assert rows.nth(2).get_by_role("button", name="presente").get_attribute("aria-pressed") == "true"
    rows.nth(0).get_by_role("button", name="ausente").click()
    rows.nth(1).get_by_role("button", name="justificado").click()
    assert rows.nth(1).get_by_role("button", name="justificado").get_attribute("aria-pressed") == "true"
    assert rows.nth(1).get_by_role("button", name="presente").get_attribute("aria-pressed") == "false"
    # The remark is reachable without scrolling sideways at phone width.
    page.set_viewport_size({"width": 360, "height": 740})
    remark = rows.nth(1).get_by_placeholder("Observación")
    box = remark.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    remark.fill("enferma")
    page.get_by_label("Nombres").first.fill("Visitante")
    page.locator("select[name=walkin-sex-0]").select_option("female")  # no default sex
    page.get_by_role("button", name="Guardar la asistencia").click()
    assert page.url == session_url
    figures = page.locator("table").last.locator("td").all_inner_texts()
    present, late, excused, absent, not_enrolled = (int(x) for x in figures[:5])
    assert (present, late, excused, absent, not_enrolled) == (len(sheet_names) - 2 + 1, 0, 1, 1, 0)
    page.goto(session_url + "/attendance")
    assert page.locator(".mark").nth(1).get_by_placeholder("Observación").input_value() == "enferma"
