"""Recordings in field packs and the module page's play mode: which takes, how many bytes, which texts.

The audio is TEST DATA: FFmpeg sine tones (tests/test_voice.py's helper), no voice and no Awajún.
The "Awajún" written text is a PRUEBA placeholder, not Awajún.
"""

import json
import math
import re
from html import unescape

import pytest
import sqlalchemy as sa

from workshops.catalog.models import CatalogEntry
from workshops.catalog.recordings import Recording
from workshops.catalog.store import set_translation
from workshops.curriculum.models import Module, Segment
from workshops.extensions import db
from workshops.voice import media, services

from .helpers import login
from .test_voice import tone

LIMIT_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    """Two normalised tones of different lengths (so of different sizes): what stored takes look like."""
    folder = tmp_path_factory.mktemp("pack-voice")
    return [media.normalise(tone(folder, seconds=s, name=f"t{s}.wav"), 180, LIMIT_BYTES) for s in (2, 5)]


def _segments(app, number, count):
    with app.app_context():
        return db.session.scalars(
            sa.select(Segment.uid)
            .join(Segment.module)
            .where(Module.number == number)
            .order_by(Segment.position)
            .limit(count)
        ).all()


def _take(app, context, audio, language, approve=True):
    with app.app_context():
        take = services.save_take(services.source_of(context), language, audio, None)
        db.session.flush()
        if approve:
            services.review(take, None, True)
        db.session.commit()
        return take.id, take.size


def test_the_pack_keeps_the_approved_current_takes_and_the_field_page_shows_their_size(
    app, client, field, tones
):
    first, second, third, fourth = _segments(app, 2, 4)
    short, long = tones
    kept = [_take(app, first, short, "agr"), _take(app, first, long, "es"), _take(app, second, long, "agr")]
    waiting, _ = _take(app, third, short, "agr", approve=False)
    stale, _ = _take(app, fourth, short, "agr")
    with app.app_context():  # the text changed since it was approved: the page does not play it
        db.session.get(Recording, stale).source_hash = "0" * 64
        db.session.commit()
    other_module, _ = _take(app, _segments(app, 3, 1)[0], long, "agr")
    expected_bytes = sum(size for _id, size in kept)
    urls = [f"/recordings/take/{take_id}.ogg" for take_id, _size in kept]
    login(client, "fac")

    pack = client.get(f"/api/field/pack?session={field['session']}&lang=es").get_json()
    (session,) = pack["sessions"]
    assert sorted(session["recordings"]) == sorted(urls)
    assert set(urls) <= set(pack["files"])
    assert {"/static/js/play.js", "/static/css/play.css"} <= {f.split("?")[0] for f in pack["files"]}
    for left_out in (waiting, stale, other_module):
        assert f"/recordings/take/{left_out}.ogg" not in pack["files"]
    # Each packed URL is the audio the module page plays.
    page = client.get(f"/modules/{_module_slug(app, 2)}").get_data(as_text=True)
    assert sorted(re.findall(r'<audio [^>]*src="([^"?]+)', page)) == sorted(urls)

    estimate = client.get(f"/api/field/estimate?session={field['session']}&lang=es").get_json()
    assert estimate["recordings"] == 3 and estimate["recording_bytes"] == expected_bytes
    assert not set(urls) & set(estimate["files"])  # counted by the server, not measured one by one

    listed = re.search(
        r'<ul id="pack-recordings">(.*?)</ul>', client.get("/field/").get_data(as_text=True), re.S
    )
    assert listed is not None
    lines = [
        " ".join(unescape(re.sub(r"<[^>]+>", "", line)).split())
        for line in re.findall(r"<li>(.*?)</li>", listed[1], re.S)
    ]
    # Both sessions of the fixture's community show module 2 (one visible to fac): listed once.
    assert lines == [f"Módulo 2: 3 grabaciones, {math.ceil(expected_bytes / 1000)} KB"]
    assert (
        f"Total de las sesiones de la lista: 3 grabaciones, {math.ceil(expected_bytes / 1000)} KB"
        in unescape(client.get("/field/").get_data(as_text=True))
    )


def _module_slug(app, number):
    with app.app_context():
        return db.session.scalar(sa.select(Module.slug).where(Module.number == number))


def test_sizes_read_as_kilobytes_or_megabytes(app):
    from workshops.field.routes import size_text

    with app.test_request_context("/"):
        assert size_text(12_345) == "13 KB"
        assert re.fullmatch(r"1[.,]4 MB", size_text(1_400_000))
        assert re.fullmatch(r"1[.,]234[.,]6 MB", size_text(1_234_567_890))


def test_the_module_page_carries_the_play_mode_only_with_recordings(app, login_as, tones):
    slug = _module_slug(app, 1)
    client = login_as("facilitator")
    plain = client.get(f"/modules/{slug}").get_data(as_text=True)
    assert "play.js" not in plain and 'id="play-mode"' not in plain
    first, second = _segments(app, 1, 2)
    _take(app, first, tones[0], "agr")
    _take(app, first, tones[0], "es")
    _take(app, second, tones[0], "es")
    page = client.get(f"/modules/{slug}").get_data(as_text=True)
    assert page.count('<script src="/static/js/play.js') == 1
    strings = json.loads(
        unescape(
            re.search(
                r'id="play-mode" hidden data-css="/static/css/play.css[^"]*" data-strings="([^"]*)"', page
            )[1]
        )
    )
    assert (
        strings["play_section"] == "Reproducir la sección"
        and strings["play_module"] == "Reproducir el módulo"
    )
    with app.app_context():
        spanish = db.session.scalar(sa.select(Segment.text).where(Segment.uid == first))

    def texts(html):
        found = re.findall(r'<audio [^>]*lang="(\w+)" data-texts="([^"]*)"', html)
        return [(lang, json.loads(unescape(value))) for lang, value in found]

    # On the text's first player (the page's language first); no written Awajún yet: Spanish only.
    assert texts(page)[0] == ("es", {"es": spanish})
    assert len(re.findall(r"<audio ", page)) == 3 and len(texts(page)) == 2  # once per text
    with app.app_context():
        entry = db.session.scalar(
            sa.select(CatalogEntry).where(CatalogEntry.domain == "curriculum", CatalogEntry.context == first)
        )
        set_translation(entry, "agr", ["PRUEBA-agr-<b>"], "translated")
        db.session.commit()
    # A translation saved later shows in the Spanish page's kept rendering at once, escaped.
    page = client.get(f"/modules/{slug}").get_data(as_text=True)
    assert texts(page)[0] == ("es", {"es": spanish, "agr": "PRUEBA-agr-<b>"})
    assert "PRUEBA-agr-<b>" not in page
