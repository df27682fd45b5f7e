"""A coordinator reads the reports in a real browser, follows a figure to its people, and prints."""

import subprocess

import pytest

from ..conftest import tool_required
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def no_horizontal_scroll(page):
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_reports_figures_people_and_print(live_server, page, tmp_path):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "coord", "--role", "coordinator", "--password", PASSWORD)
    live_server.cli("demo")
    login(page, live_server, "coord")
    page.get_by_role("link", name="Informes").click()
    page.get_by_role("link", name="Resumen del programa").click()

    # Two charts drawn on the server, each with a text table beside it.
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect[fill]").count() > 12
    assert page.locator("svg.chart polyline").count() == 3
    total_row = page.locator("#communities + .table-wrap tfoot tr")
    reached = int(total_row.locator("td").nth(2).inner_text().replace(" ", "").replace(",", ""))
    assert reached > 0

    # A figure leads to the people behind it.
    total_row.locator("td").nth(2).get_by_role("link").click()
    assert "/reports/people" in page.url
    assert page.locator("table.report tbody tr").count() == min(reached, 100)

    page.goto(f"{live_server}/reports/indicators")
    assert page.locator("h2", has_text="EG.3-2").count() == 2
    women = page.locator("#eg32 + .table-wrap tfoot td").nth(0)
    count = int(women.inner_text())
    women.get_by_role("link").click()
    assert page.locator("p.lead").inner_text().startswith(f"{count} ")

    # Phone width: no page scrolls sideways (wide tables scroll inside their frame).
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/reports/", "/reports/summary", "/reports/indicators", "/reports/matrix?expand=1"):
        page.goto(live_server + path)
        assert no_horizontal_scroll(page), path

    # Print: menus, filters and download buttons are left out; the figures are there.
    page.set_viewport_size({"width": 1000, "height": 800})
    page.goto(f"{live_server}/reports/summary?lang=agr")
    assert page.locator("html").get_attribute("lang") == "agr"
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.locator("form.export").is_visible()
    assert page.locator("svg.chart").first.is_visible()
    tool_required("pdftotext")
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(page.pdf(format="A4"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Resumen del programa" in text and "Comunidad de demostración A" in text
    assert "Descargar" not in text and "Cerrar sesión" not in text
