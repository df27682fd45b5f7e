"""Two translators in two real browsers translate and review a module."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODULE = "modelo-cooperativo-y-principios"


def test_translate_review_conflict_and_draft(live_server, new_page):
    base = live_server
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "ana", "--name", "Ana", "--role", "translator", "--password", PASSWORD)
    live_server.cli(
        "create-user",
        "rosa",
        "--name",
        "Rosa",
        "--role",
        "translator",
        "--role",
        "reviewer",
        "--password",
        PASSWORD,
    )
    ana, rosa = new_page(), new_page()
    login(ana, base, "ana")
    login(rosa, base, "rosa")

    # Ana translates the whole module with "save and next" (Ctrl+Enter).
    ana.goto(f"{base}/translate/agr/curriculum/next?module={MODULE}")
    translated = 0
    while "/next" not in ana.url and re.search(r"/curriculum/\d+", ana.url):
        field = ana.locator("textarea[name=translation]").first
        field.fill(f"PRUEBA-ANA {translated}.")
        field.press("Control+Enter")
        ana.wait_for_load_state()
        translated += 1
        assert translated < 400
    assert translated > 100
    assert "No quedan entradas sin traducir" in ana.content()

    # Rosa reviews them one after another.
    rosa.goto(f"{base}/translate/agr/curriculum/next?module={MODULE}&state=translated")
    approved = 0
    while re.search(r"/curriculum/\d+", rosa.url):
        rosa.get_by_role("button", name="Aprobar y siguiente").click()
        rosa.wait_for_load_state()
        approved += 1
        assert approved <= translated
    assert approved == translated
    rosa.goto(f"{base}/translate/")
    row = rosa.locator(f"tr:has(a[href*='module={MODULE}'])")
    assert row.locator("td").last.inner_text() == "sí"  # ready to teach
    other = rosa.locator("tr:has(a[href*='module=vivero-de-cafe'])")
    not_ready = other.locator("td").last.inner_text().split("\n")
    assert not_ready[0] == "no" and not_ready[1].startswith("falta aprobar")  # and says why

    # Both open the same entry; Ana saves first, Rosa's later save is kept as a suggestion.
    entry_url = f"{base}/translate/agr/curriculum/next?module=vivero-de-cafe"
    ana.goto(entry_url)
    rosa.goto(ana.url)
    ana.locator("textarea[name=translation]").first.fill("TEXTO DE ANA.")
    ana.get_by_role("button", name="Guardar", exact=True).click()
    rosa.locator("textarea[name=translation]").first.fill("TEXTO DE ROSA.")
    rosa.get_by_role("button", name="Guardar", exact=True).click()
    content = rosa.content()
    assert "Otra persona guardó esta entrada" in content
    assert "TEXTO DE ANA." in content and "TEXTO DE ROSA." in content
    rosa.reload()
    assert "TEXTO DE ROSA." in rosa.locator(".suggestions").inner_text()

    # A dropped connection loses nothing: the draft is offered back.
    ana.goto(entry_url.replace("vivero-de-cafe", "cosecha-y-poscosecha"))
    draft_url = ana.url
    ana.locator("textarea[name=translation]").first.fill("BORRADOR SIN CONEXIÓN.")
    ana.context.set_offline(True)
    try:
        ana.get_by_role("button", name="Guardar", exact=True).click(timeout=5000)
        ana.wait_for_load_state()
    except PlaywrightError:
        pass  # the browser may report the dropped connection; either way nothing reached the server
    ana.context.set_offline(False)
    ana.goto(draft_url)
    assert ana.locator("textarea[name=translation]").first.input_value() == ""
    note = ana.locator(".draft-note")
    assert note.is_visible()
    note.get_by_role("button", name="Recuperar el borrador").click()
    assert ana.locator("textarea[name=translation]").first.input_value() == "BORRADOR SIN CONEXIÓN."


def test_placeholders_and_shortcuts_in_the_editor(live_server, new_page):
    """A click on a placeholder puts it in the text; Alt+Insert copies the source; Alt+Right moves on."""
    base = live_server
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "ana", "--name", "Ana", "--role", "translator", "--password", PASSWORD)
    ana = new_page()
    login(ana, base, "ana")
    ana.goto(f"{base}/translate/agr/messages/?q=Se+creó+el+usuario")
    ana.locator("a", has_text="Abrir").first.click()
    ana.wait_for_load_state()
    assert re.search(r"\d+ de \d+", ana.locator(".place").inner_text())
    field = ana.locator("textarea[name=translation]").first
    field.fill("PRUEBA ")
    ana.locator("code.placeholder", has_text="%(name)s").click()
    assert field.input_value() == "PRUEBA %(name)s"
    field.focus()
    field.press("Alt+Insert")
    assert field.input_value() == ana.locator(".source-box .source").inner_text()
    here = ana.url
    field.press("Alt+ArrowRight")
    ana.wait_for_url(lambda url: url != here)
    # The only entry the search finds: "next" comes back to the list and says so.
    assert "No quedan entradas sin traducir" in ana.content()
