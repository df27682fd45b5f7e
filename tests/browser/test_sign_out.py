"""Sign-out in a real Chromium: with "keep me signed in" ticked, cookies copied before it stop working."""

import pytest

from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEEP_SIGNED_IN = "Mantener la sesión abierta en este dispositivo"


def _opens_modules(browser, base, cookies):
    """Open the module list in a fresh browser context holding only these cookies; say if it is shown."""
    context = browser.new_context(locale="es-PE")
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(base + "/modules")
        if "/login" in page.url:
            assert page.get_by_role("button", name="Iniciar sesión").is_visible()
            return False
        assert page.get_by_role("heading", name="Los 12 módulos").is_visible()
        return True
    finally:
        context.close()


def test_sign_out_ends_a_remembered_login_and_its_copied_cookies(live_server, browser, new_page):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "maria", "--role", "coordinator", "--password", PASSWORD)
    other_device = new_page()  # maria on her phone too, without "keep me signed in"
    login(other_device, live_server, "maria")

    context = browser.new_context(locale="es-PE")
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("Usuario").fill("maria")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_label(KEEP_SIGNED_IN).check()
    page.get_by_role("button", name="Iniciar sesión").click()
    assert "/login" not in page.url

    saved = context.cookies()
    remember = [cookie for cookie in saved if cookie["name"] == "remember_token"]
    assert {cookie["name"] for cookie in saved} >= {"session", "remember_token"}
    # Before sign-out the copies work, together and the remember-me cookie alone.
    assert _opens_modules(browser, live_server, saved)
    assert _opens_modules(browser, live_server, remember)

    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/login")
    assert "remember_token" not in {cookie["name"] for cookie in context.cookies()}
    page.goto(live_server + "/modules")
    assert "/login" in page.url

    # The server has ended that login: the copies get the login page now.
    assert not _opens_modules(browser, live_server, saved)
    assert not _opens_modules(browser, live_server, remember)
    # Maria's other device keeps its own login.
    other_device.goto(live_server + "/modules")
    assert "/login" not in other_device.url
    context.close()
