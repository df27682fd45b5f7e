"""A new installation in a real browser: first administrator, login, a module."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "clave segura de prueba"


def test_first_admin_login_and_module(live_server, page):
    page.goto(live_server + "/")
    assert page.url.endswith("/setup")
    page.get_by_label("Usuario").fill("coordinadora")
    page.get_by_label("Nombre completo").fill("Coordinadora de prueba")
    page.get_by_label("Nueva contraseña").fill(PASSWORD)
    page.get_by_label("Repita la contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Crear el administrador").click()
    # An administrator lands where the program's work is: the sessions.
    assert page.get_by_role("heading", name="Sesiones de taller").is_visible()

    page.get_by_role("button", name="Cerrar sesión").click()
    # field.js first checks this device for unsent records, then signs out.
    page.wait_for_url("**/login")
    page.goto(live_server + "/setup")
    assert "/login" in page.url  # the setup form is gone for good

    page.get_by_label("Usuario").fill("coordinadora")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.get_by_role("link", name="Módulos").click()
    links = page.locator("ol.modules a")
    assert links.count() == 12
    links.nth(6).click()
    # Wait for the module page itself, not only the change of address (a loaded machine is slow).
    page.wait_for_url(re.compile(r"/modules/[a-z-]+$"))
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("section.section").count() >= 8
    assert page.get_by_text("Módulo 7").is_visible()
    # Nothing is loaded from another origin.
    assert page.evaluate(
        "performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin))"
    )
