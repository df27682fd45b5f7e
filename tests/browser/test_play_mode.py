"""The facilitator in the community: a module's recordings taken offline and played, one after another.

The audio is TEST DATA: the voice browser test's Spanish sentence read by espeak-ng (a synthetic
voice) and FFmpeg tones; no Awajún is synthesised. The Awajún written text is a PRUEBA placeholder.
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from workshops.attendance.models import SessionStaff, WorkshopSession
from workshops.catalog.models import CatalogEntry
from workshops.catalog.store import set_translation
from workshops.core.clock import program_today
from workshops.curriculum.models import Module, Section, Segment
from workshops.extensions import db
from workshops.people.models import Community
from workshops.voice import media, services

from ..conftest import make_test_app
from ..test_voice import tone
from .conftest import CHROMIUM, CHROMIUM_ARGS
from .field_server import RestartableServer, server_env
from .helpers import PASSWORD, login
from .test_voice import fake_microphone  # noqa: F401 (a fixture: the espeak-ng test sentence as WAV)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "vivero-de-cafe"
AWAJUN_PLACEHOLDER = "PRUEBA-agr: texto escrito de prueba, no es awajún"
LIMIT = 10 * 1024 * 1024


@pytest.fixture
def player_browser(browser):
    """Debian's Chromium that may start audio from a script (the offline check calls audio.play())."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield launched
    launched.close()


def seed(server, spoken_wav, tmp_path):
    """A session of the module for "fac" today; approved takes of the first section's first two texts.

    The first text has a Spanish take (the espeak-ng sentence), an Awajún take (a tone) and a
    placeholder written "Awajún"; the second a one-second Spanish tone. Return what the pages show.
    """
    speech = media.normalise(spoken_wav.read_bytes(), 180, LIMIT)
    short = media.normalise(tone(tmp_path, seconds=1, name="short.wav"), 180, LIMIT)
    longer = media.normalise(tone(tmp_path, seconds=3, name="longer.wav"), 180, LIMIT)
    app = make_test_app(server.env["DATABASE_URL"], server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.slug == SLUG))
        section = db.session.scalar(
            sa.select(Section).where(Section.module_id == module.id).order_by(Section.position)
        )
        first, second = db.session.scalars(
            sa.select(Segment).where(Segment.section_id == section.id).order_by(Segment.position).limit(2)
        ).all()
        for context, language, audio in (
            (first.uid, "es", speech),
            (first.uid, "agr", longer),
            (second.uid, "es", short),
        ):
            take = services.save_take(services.source_of(context), language, audio, None)
            db.session.flush()
            services.review(take, None, True)
        entry = db.session.scalar(
            sa.select(CatalogEntry).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.context == first.uid
            )
        )
        set_translation(entry, "agr", [AWAJUN_PLACEHOLDER], "translated")
        community = Community(name="Comunidad Escucha", code="CES")
        db.session.add(community)
        db.session.flush()
        session = WorkshopSession(module_id=module.id, community_id=community.id, date=program_today())
        db.session.add(session)
        db.session.flush()
        fac = db.session.scalar(sa.text("SELECT id FROM user_account WHERE username = 'fac'"))
        db.session.add(SessionStaff(session_id=session.id, user_id=fac, role="facilitator"))
        db.session.commit()
        seeded = {
            "session": session.id,
            "number": module.number,
            "section": f"s-{section.key}",
            "first": first.text,
            "second": second.text,
            "bytes": len(speech.data) + len(longer.data) + len(short.data),
        }
        db.session.remove()
        db.engine.dispose()
    return seeded


@pytest.fixture
def play_server(database_factory, tmp_path, fake_microphone):  # noqa: F811
    server = RestartableServer(server_env(database_factory(), tmp_path / "instance"), tmp_path / "server.log")
    for name, role in (("admin", "admin"), ("fac", "facilitator")):
        server.cli("create-user", name, "--role", role, "--password", PASSWORD)
    seeded = seed(server, fake_microphone, tmp_path)
    server.start()
    yield server, seeded
    server.stop()
    server.release()


PLAYS = """audio => new Promise((resolve, reject) => {
    let played = false;
    const done = () => { if (!played) { played = true; resolve({ duration: audio.duration, time: audio.currentTime }); } };
    audio.addEventListener("timeupdate", () => { if (audio.currentTime > 0.2) done(); });
    audio.addEventListener("ended", done);
    audio.addEventListener("error", () => reject(new Error("audio error " + audio.error.code)), { once: true });
    audio.play().then(() => {}, reject);
})"""


def test_a_pack_keeps_the_recordings_and_they_play_with_no_network(play_server, player_browser):
    server, seeded = play_server
    context = player_browser.new_context(
        locale="es-PE", service_workers="allow", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    try:
        login(page, server.base, "fac")
        page.goto(server.base + "/field/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        # Before anything is downloaded: the module's recordings, counted and measured.
        size = f"{-(-seeded['bytes'] // 1000)} KB"
        expect(page.locator("#pack-recordings")).to_have_text(
            f"Módulo {seeded['number']}: 3 grabaciones, {size}"
        )
        page.locator(f'input[name="session"][value="{seeded["session"]}"]').check()
        expect(page.locator("#pack-size")).to_contain_text("con 3 grabaciones", timeout=20000)
        page.get_by_role("button", name="Descargar el paquete").click()
        expect(page.locator("#pack-size")).to_contain_text("Paquete guardado", timeout=60000)
        kept = page.evaluate(
            """async () => (await (await caches.open('workshops-pack')).keys())
                 .map(r => new URL(r.url).pathname).filter(p => p.startsWith('/recordings/'))"""
        )
        assert len(kept) == 3

        # No network at all: the browser is offline and the server is gone.
        server.stop()
        context.set_offline(True)
        page.goto(f"{server.base}/modules/{SLUG}?lang=es")
        players = page.locator("audio.take")
        expect(players).to_have_count(3)
        heard = page.eval_on_selector('audio.take[lang="es"]', PLAYS)
        assert 0 < heard["duration"] < 30 and heard["time"] > 0  # finite, and it played
        # The Awajún take too, from a fresh load (its first request is a range from 0).
        again = page.eval_on_selector('audio.take[lang="agr"]', PLAYS)
        assert 2 < again["duration"] < 4

        # A part asked for by range answers as a part (206), sliced from the whole copy kept.
        part = page.evaluate(
            """async (url) => { const r = await fetch(url, { headers: { Range: 'bytes=10-19' } });
                 return { status: r.status, range: r.headers.get('Content-Range'), length: (await r.arrayBuffer()).byteLength }; }""",
            page.locator('audio.take[lang="es"]').first.get_attribute("src"),
        )
        assert part["status"] == 206 and part["length"] == 10 and part["range"].startswith("bytes 10-19/")

        # The play mode works offline too (its script is in the pack).
        page.evaluate("document.querySelectorAll('audio').forEach(a => a.pause())")
        page.locator(f"#{seeded['section']}").get_by_role("button", name="Reproducir la sección").click()
        expect(page.locator(".play-bar")).to_be_visible()
        expect(page.locator(".play-position")).to_have_text("1 de 2")
        expect(page.locator(".play-bar")).to_have_css("position", "fixed")  # its style sheet is kept too
    finally:
        context.close()


def test_play_the_section_shows_both_texts_at_phone_width(play_server, page):
    server, seeded = play_server
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, server.base, "fac")
    page.goto(f"{server.base}/modules/{SLUG}")
    section = page.locator(f"#{seeded['section']}")
    # Both languages are heard on this page: the choice is offered, the page's language (Spanish) first.
    expect(page.get_by_role("radio", name="Español")).to_be_checked()
    section.get_by_role("button", name="Reproducir la sección").click()
    bar = page.locator(".play-bar")
    expect(bar).to_be_visible()
    expect(bar).to_have_css("position", "fixed")
    expect(page.locator(".play-position")).to_have_text("1 de 2")
    expect(bar.locator('.play-text[lang="es"]')).to_contain_text(seeded["first"])
    expect(bar.locator('.play-text[lang="agr"]')).to_contain_text(AWAJUN_PLACEHOLDER)
    highlighted = section.locator(".playing")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_contain_text(seeded["first"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for name in ("Anterior", "Pausa", "Siguiente", "Detener"):
        box = bar.get_by_role("button", name=name).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    # Pause and resume, then on to the second text; after its last sound the bar goes.
    bar.get_by_role("button", name="Pausa").click()
    expect(bar.get_by_role("button", name="Continuar")).to_be_visible()
    assert page.eval_on_selector('audio.take[lang="es"]', "a => a.paused")
    bar.get_by_role("button", name="Siguiente").click()
    expect(page.locator(".play-position")).to_have_text("2 de 2")
    expect(bar.locator('.play-text[lang="es"]')).to_contain_text(seeded["second"])
    expect(bar.locator('.play-text[lang="agr"]')).to_have_count(0)  # no written Awajún for it
    expect(highlighted).to_contain_text(seeded["second"])
    expect(bar).to_be_hidden(timeout=15000)  # the one-second tone ended: the section is done
    expect(section.locator(".playing")).to_have_count(0)

    # In Awajún: only the text with an Awajún recording; the same two texts are shown.
    page.get_by_role("radio", name="Awajún").check()
    page.get_by_role("button", name="Reproducir el módulo").click()
    expect(page.locator(".play-position")).to_have_text("1 de 1")
    expect(bar.locator(".play-text").first).to_have_attribute("lang", "agr")
    expect(bar.locator('.play-text[lang="es"]')).to_contain_text(seeded["first"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    bar.get_by_role("button", name="Detener").click()
    expect(bar).to_be_hidden()


def test_the_play_mode_has_no_serious_axe_violations(play_server, axe_page):
    """axe-core on the module page with the bar open, at phone width, the page's language Awajún."""
    server, seeded = play_server
    axe_page.set_viewport_size({"width": 360, "height": 740})
    login(axe_page, server.base, "fac")
    axe_page.goto(f"{server.base}/modules/{SLUG}?lang=agr")
    # Awajún is the page's language and is heard: it is the one chosen.
    expect(axe_page.get_by_role("radio", name="Awajún")).to_be_checked()
    axe_page.locator(f"#{seeded['section']}").get_by_role("button").first.click()
    expect(axe_page.locator(".play-bar")).to_be_visible()
    expect(axe_page.locator(".play-text").first).to_have_attribute("lang", "agr")
    serious = [v for v in axe_page.axe() if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_the_guide_web_view_plays_a_section_with_both_texts(play_server, page):
    """The facilitator guide's web view (what its PDF is made from) has the same play mode."""
    server, seeded = play_server
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, server.base, "fac")
    page.goto(f"{server.base}/materials/print?document=guide&module={SLUG}&layout=side&first=es")
    section = page.locator("section.section").filter(has_text=seeded["first"])
    section.get_by_role("button", name="Reproducir la sección").click()
    bar = page.locator(".play-bar")
    expect(bar).to_be_visible()
    expect(page.locator(".play-position")).to_have_text("1 de 2")
    expect(bar.locator('.play-text[lang="es"]')).to_contain_text(seeded["first"])
    expect(bar.locator('.play-text[lang="agr"]')).to_contain_text(AWAJUN_PLACEHOLDER)
    expect(section.locator(".playing")).to_have_count(1)
    for name in ("Anterior", "Pausa", "Siguiente", "Detener"):
        box = bar.get_by_role("button", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (name, box)
    bar.get_by_role("button", name="Detener").click()
    expect(bar).to_be_hidden()
