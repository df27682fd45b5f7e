"""Spoken Awajún on paper: the "Voces" credit, a QR code per section read back from the PDF, its page.

The audio is TEST DATA made by FFmpeg's lavfi sources (a sine tone): no voice is synthesised.
The QR codes are decoded from the rendered page with poppler (pdftoppm) and zbar (zbarimg),
as a phone's camera would see the paper.
"""

import re
import subprocess

import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.catalog.models import CatalogEntry
from workshops.catalog.recordings import Recording
from workshops.extensions import db
from workshops.materials import keys, services
from workshops.voice import media
from workshops.voice import services as voice

from .conftest import tool_required

SLUG = "conservacion-de-suelos-y-agua"
PUBLIC = "https://talleres.example.org"
HANDOUT = f"/materials/print.pdf?document=handout&module={SLUG}&layout=side&first=agr"
VIEW = f"/materials/print?document=handout&module={SLUG}&layout=side&first=agr"
KEY_MESSAGE = f"{SLUG}.mensajes-clave.k1"
OTHER_KEY_MESSAGE = f"{SLUG}.mensajes-clave.k2"
TERM = f"{SLUG}.terms.erosion.term"
ACTIVITY_STEP_SECTION = "recorrido-erosion"


@pytest.fixture(scope="module")
def tone_take(tmp_path_factory):
    """Return a normalised 2-second 440 Hz tone (test data, not a voice), made once."""
    tool_required("ffmpeg")
    path = tmp_path_factory.mktemp("print-voices") / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", str(path)],
        check=True,
        timeout=60,
    )
    return media.normalise(path.read_bytes(), 180, 10 * 1024 * 1024)


@pytest.fixture
def record(app, make_user, tone_take):
    """Return a callable that stores a take of a text by a named voice, approved unless told."""
    users: dict[str, int] = {}
    reviewer = make_user("revisora", roles=("reviewer",), display_name="Revisora")

    def take(context, name, approve=True, language="agr"):
        if name not in users:
            users[name] = make_user(roles=("translator",), display_name=name)
        with app.app_context():
            stored = voice.save_take(voice.source_of(context), language, tone_take, users[name])
            if approve:
                voice.review(stored, reviewer, True)
            db.session.commit()
            return stored.id

    return take


def first_step_of(app, section_key):
    """Return the text id of the first text of a section of the module."""
    with app.app_context():
        from workshops.curriculum import services as curriculum

        module = curriculum.get_module(SLUG)
        section = next(s for s in module.sections if s.key == section_key)
        return section.segments[0].uid


def pdf_text(data, tmp_path):
    tool_required("pdftotext")
    path = tmp_path / "handout.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def decoded_qr_codes(data, tmp_path):
    """Render every page at 300 dpi and return the text of every QR code zbar finds on them."""
    tool_required("pdftoppm")
    tool_required("zbarimg")
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120
    )
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        scan = subprocess.run(
            ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(page)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert scan.returncode in (0, 4), scan.stderr  # 4: no code on this page
        found += scan.stdout.split()
    return found


@pytest.mark.slow
def test_handout_credits_the_voices_and_its_qr_codes_open_the_sections(app, login_as, record, tmp_path):
    app.config["PUBLIC_URL"] = PUBLIC + "/"
    ana = record(KEY_MESSAGE, "Ana Tsamajain")
    record(OTHER_KEY_MESSAGE, "Luis Wajai")
    record(TERM, "Ana Tsamajain")  # the same voice twice: credited once
    record(first_step_of(app, ACTIVITY_STEP_SECTION), "Nadie Aprobado", approve=False)
    client = login_as("facilitator")
    response = client.get(HANDOUT)
    assert response.status_code == 200, response.data
    text = pdf_text(response.data, tmp_path)
    assert "Voces: Ana Tsamajain, Luis Wajai" in text
    assert "Nadie Aprobado" not in text and text.count("Ana Tsamajain") == 1
    codes = decoded_qr_codes(response.data, tmp_path)
    section_page = f"{PUBLIC}/recordings/listen/{SLUG}/mensajes-clave"
    assert sorted(codes) == sorted([section_page, f"{PUBLIC}/recordings/listen/{SLUG}/terms"])
    page = client.get(section_page.removeprefix(PUBLIC))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert re.search(rf'<audio class="take" controls preload="none" src="/recordings/take/{ana}\.ogg"', body)
    assert "La tierra de arriba es la más fértil." in body


@pytest.mark.slow
def test_handout_without_recordings_has_no_voices_line_and_no_qr_code(app, login_as, record, tmp_path):
    app.config["PUBLIC_URL"] = PUBLIC
    record(KEY_MESSAGE, "Ana Tsamajain", approve=False)  # awaiting review: not printed
    response = login_as("facilitator").get(HANDOUT)
    assert response.status_code == 200
    assert "Voces" not in pdf_text(response.data, tmp_path)
    assert decoded_qr_codes(response.data, tmp_path) == []


def stamp_key(app):
    options = services.Options("handout", SLUG)
    with app.test_request_context("/materials/print.pdf"):
        return keys.document_stamp(options, services.render_version(options)).key


def test_the_cache_key_changes_when_a_recording_is_approved_not_when_recorded(app, make_user, record):
    before = stamp_key(app)
    take_id = record(KEY_MESSAGE, "Ana Tsamajain", approve=False)
    assert stamp_key(app) == before  # a take awaiting review prints nothing
    reviewer = make_user(roles=("reviewer",))
    with app.app_context():
        voice.review(db.session.get(Recording, take_id), reviewer, True)
        db.session.commit()
    approved = stamp_key(app)
    assert approved != before
    record(TERM, "Luis Wajai")
    assert stamp_key(app) not in (before, approved)


def test_the_printed_web_view_plays_the_takes_and_shows_the_codes(app, login_as, record):
    ana = record(KEY_MESSAGE, "Ana Tsamajain")
    record(TERM, "Zoila <i>Q</i>")  # a display name is user text: escaped on the cover
    client = login_as("facilitator")
    page = client.get(VIEW).get_data(as_text=True)
    assert f'<audio class="take" controls preload="none" src="/recordings/take/{ana}.ogg"' in page
    assert "/static/js/play.js" in page and 'id="play-mode"' in page  # play the section or the document
    assert "data-texts=" in page
    assert "Voces: Ana Tsamajain, Zoila &lt;i&gt;Q&lt;/i&gt;" in page
    # PUBLIC_URL unset: the code holds the address the view was asked for.
    assert f'<a class="qr" href="http://localhost/recordings/listen/{SLUG}/mensajes-clave">' in page
    assert page.count('class="qr"') == 2  # the key messages and the key terms
    assert f'href="http://localhost/recordings/listen/{SLUG}/terms"' in page
    assert 'src="data:image/png' in page
    guide = client.get(VIEW.replace("handout", "guide").replace("side", "interlinear") + "&size=large")
    assert guide.get_data(as_text=True).count('class="qr"') == 2


def test_the_printed_web_view_without_recordings_has_no_players_nor_codes(app, login_as):
    page = login_as("facilitator").get(VIEW).get_data(as_text=True)
    assert "<audio" not in page and 'class="qr"' not in page and "Voces" not in page
    assert "play.js" not in page


def test_the_section_page_refuses_unknown_sections_and_modules(login_as):
    client = login_as("facilitator")
    assert client.get(f"/recordings/listen/{SLUG}/no-existe").status_code == 404
    assert client.get("/recordings/listen/no-existe/mensajes-clave").status_code == 404
    assert client.get(f"/recordings/listen/{SLUG}/terms").status_code == 200


def test_the_section_page_plays_approved_takes_only(app, client, login_as, record):
    approved = record(KEY_MESSAGE, "Ana Tsamajain")
    with app.app_context():
        entry = db.session.scalar(sa.select(CatalogEntry).where(CatalogEntry.context == KEY_MESSAGE))
        store.set_translation(entry, "agr", ["TEXTO-AWAJUN-PRUEBA"], "translated")
        db.session.commit()
    waiting = record(OTHER_KEY_MESSAGE, "Luis Wajai", approve=False)
    path = f"/recordings/listen/{SLUG}/mensajes-clave"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert b"<audio" not in anonymous.data
    assert client.get(f"/recordings/take/{waiting}.ogg").status_code == 302
    page = login_as("facilitator").get(path).get_data(as_text=True)
    assert f"/recordings/take/{approved}.ogg" in page
    assert f"/recordings/take/{waiting}.ogg" not in page
    assert page.count("<audio") == 1
    assert "Un suelo cubierto no se lava." in page  # every text of the section, recorded or not
    assert '<p lang="agr">TEXTO-AWAJUN-PRUEBA</p>' in page  # in both languages


def test_a_recorded_section_title_alone_gets_its_code_and_plays_under_the_heading(app, login_as, record):
    title = record(f"{SLUG}.{ACTIVITY_STEP_SECTION}.title", "Ana Tsamajain")
    client = login_as("facilitator")
    page = client.get(VIEW).get_data(as_text=True)
    assert f'href="http://localhost/recordings/listen/{SLUG}/{ACTIVITY_STEP_SECTION}"' in page
    assert page.count('class="qr"') == 1 and "Voces: Ana Tsamajain" in page
    listen = client.get(f"/recordings/listen/{SLUG}/{ACTIVITY_STEP_SECTION}").get_data(as_text=True)
    assert f"/recordings/take/{title}.ogg" in listen
    assert listen.index(f"/recordings/take/{title}.ogg") < listen.index('<ol class="listen">')
    assert "todavía no tiene grabaciones aprobadas" not in listen
