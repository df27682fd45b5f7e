"""The print view in Chromium: long Awajún words never overflow a column or the page."""

import json
import re

import pytest

from ..conftest import DATA
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UDHR = json.loads((DATA / "udhr_art1_agr_es.json").read_text(encoding="utf-8"))[0]
LONGEST = "apatukjintiagyachameaktinme"  # 27 letters, the longest Awajún word seen in real text
THIRTY = "Palabrasinteticadetreintaletra"  # a made-up 30-letter test token, not Awajún

OVERFLOWING = """() => Array.from(document.querySelectorAll('.t, .col, .inter p, .single, h1, h2, .pair'))
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.className + ': ' + el.textContent.slice(0, 40))"""


def test_long_words_never_overflow(live_server, page):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli(
        "create-user", "fac", "--role", "facilitator", "--role", "translator", "--password", PASSWORD
    )
    login(page, live_server, "fac")
    texts = [UDHR["agr"], f"{LONGEST} {THIRTY} {LONGEST}{LONGEST}", f"{THIRTY}{THIRTY}"]
    page.goto(f"{live_server}/translate/agr/curriculum/next?module=conservacion-de-suelos-y-agua")
    for text in texts:
        page.locator("textarea[name=translation]").first.fill(text)
        page.get_by_role("button", name="Guardar y siguiente").click()
        page.wait_for_load_state()
    for layout in ("side", "interlinear", "single"):
        for width in (794, 360):
            page.set_viewport_size({"width": width, "height": 1000})
            page.goto(
                f"{live_server}/materials/print?document=guide&module=conservacion-de-suelos-y-agua"
                f"&layout={layout}&first=agr"
            )
            assert LONGEST in page.content()
            for media in ("screen", "print"):
                page.emulate_media(media=media)
                assert page.evaluate(OVERFLOWING) == [], (layout, width, media)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (layout, width, media)
    assert re.search(r"sin traducción", page.content())
