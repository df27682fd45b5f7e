"""Spoken recordings: the media checks with real FFmpeg, takes and their history, review, playing.

The audio here is TEST DATA made by FFmpeg's lavfi sources (a sine tone, silence,
a test picture): no voice, and no Awajún, is synthesised.
"""

import json
import re
import subprocess

import markupsafe
import pytest
import sqlalchemy as sa

from workshops.catalog.recordings import Recording, RecordingAudio
from workshops.curriculum import recordable
from workshops.curriculum.models import Module, Segment
from workshops.extensions import db
from workshops.voice import media, services

from .conftest import TEST_PASSWORD, tool_required

SLUG = "vivero-de-cafe"
LIMIT_BYTES = 10 * 1024 * 1024


def lavfi(tmp_path, name, source, *output):
    """Make a test file with FFmpeg's generated sources (labelled test data, not a voice)."""
    tool_required("ffmpeg")
    path = tmp_path / name
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *source,
            "-metadata",
            "comment=workshops test data",
            *output,
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def tone(tmp_path, seconds=3, name="tone.wav"):
    """Return a 440 Hz test tone, stereo at 44.1 kHz (as a recorder might make), as WAV."""
    return lavfi(
        tmp_path,
        name,
        ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"],
        "-ac",
        "2",
    )


def probe_streams(path):
    tool_required("ffprobe")
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,channels:format=format_name,duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def tone_take(tmp_path_factory):
    """Return a normalised 2-second tone, made once: what a stored take looks like."""
    folder = tmp_path_factory.mktemp("voice")
    return media.normalise(tone(folder, seconds=2), 180, LIMIT_BYTES)


def contexts(app, count=2):
    with app.app_context():
        return db.session.scalars(
            sa.select(Segment.uid)
            .join(Segment.module)
            .where(Module.slug == SLUG)
            .order_by(Segment.position)
            .limit(count)
        ).all()


def store_take(app, context, audio, language="agr", author=None):
    with app.app_context():
        take = services.save_take(services.source_of(context), language, audio, author)
        db.session.commit()
        return take.id


# --- the media library -----------------------------------------------------------------


def test_a_tone_becomes_mono_opus_in_ogg_under_the_size_budget(tmp_path):
    result = media.normalise(tone(tmp_path, seconds=10), 180, LIMIT_BYTES)
    stored = tmp_path / "stored.ogg"
    stored.write_bytes(result.data)
    found = probe_streams(stored)
    assert found["format"]["format_name"] == "ogg"
    assert [(s["codec_name"], s["channels"]) for s in found["streams"]] == [("opus", 1)]
    assert 9_900 <= result.duration_ms <= 10_100
    assert not result.silent
    kb_per_minute = len(result.data) / 1024 / (result.duration_ms / 60_000)
    assert kb_per_minute < 250, kb_per_minute


def test_silence_is_kept_with_a_warning(tmp_path):
    silence = lavfi(tmp_path, "silence.wav", ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "2"])
    assert media.normalise(silence, 180, LIMIT_BYTES).silent


def _video_only(tmp_path):
    return lavfi(
        tmp_path, "video.mp4", ["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5"], "-c:v", "mpeg4"
    )


def _renamed_video_with_sound(tmp_path):
    return lavfi(
        tmp_path,
        "film.mkv",
        ["-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5", "-f", "lavfi", "-i", "sine=duration=1"],
        "-c:v",
        "mpeg4",
        "-c:a",
        "libopus",
        "-f",
        "matroska",
    )


def _damaged(tmp_path):
    """Return a good Ogg file with a stretch of its middle overwritten: its pages fail their checksums."""
    data = bytearray(media.normalise(tone(tmp_path, seconds=6), 180, LIMIT_BYTES).data)
    data[len(data) // 3 : len(data) // 3 + 3000] = bytes(3000)
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda tmp_path: b"", "empty"),
        (lambda tmp_path: b"Esto no es audio.\n" * 50, "unreadable"),
        (lambda tmp_path: b"OggS" + bytes(range(256)) * 8, "unreadable"),
        (lambda tmp_path: b"#EXTM3U\n#EXTINF:1,\n/etc/passwd\n", "unreadable"),
        (_video_only, "video"),
        (_renamed_video_with_sound, "video"),
        (_damaged, "damaged"),
        (lambda tmp_path: tone(tmp_path, seconds=5), "too_long"),
        (lambda tmp_path: tone(tmp_path, seconds=1) + bytes(LIMIT_BYTES), "too_large"),
    ],
    ids=[
        "empty",
        "text",
        "corrupt-header",
        "playlist",
        "video-only",
        "renamed-video",
        "damaged",
        "too-long",
        "too-large",
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, make, code):
    tool_required("ffmpeg")
    data = make(tmp_path)
    with pytest.raises(media.MediaRefused) as refused:
        media.normalise(data, 3, LIMIT_BYTES)
    assert refused.value.code == code


# --- recording through the pages --------------------------------------------------------


def _upload(client, lang, context, data, name="take.wav", json_answer=False):
    import io

    headers = {"Accept": "application/json"} if json_answer else {}
    return client.post(
        f"/recordings/{lang}/{context}",
        data={"audio": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Recording)),
            db.session.scalar(sa.select(sa.func.count()).select_from(RecordingAudio)),
        )


def test_a_translator_records_and_records_again_keeping_the_history(app, login_as, tmp_path):
    client = login_as("translator")
    context = contexts(app, 1)[0]
    page = client.get(f"/recordings/agr/{context}")
    assert page.status_code == 200
    assert b'accept="audio/*"' in page.data and b"capture" in page.data
    assert b"js/recorder.js" in page.data
    first = _upload(client, "agr", context, tone(tmp_path, 2))
    assert first.status_code == 302
    second = _upload(client, "agr", context, tone(tmp_path, 1, "other.wav"), json_answer=True)
    assert second.status_code == 200 and second.json["ok"] is True
    with app.app_context():
        takes = services.takes(context, "agr")
        assert [(t.take, t.is_current, t.state) for t in takes] == [
            (2, True, "recorded"),
            (1, False, "recorded"),
        ]
        assert all(services.audio_of(t)[:4] == b"OggS" for t in takes)
    page = client.get(f"/recordings/agr/{context}")
    assert page.data.count(b"<audio") == 2  # the current take and the one before


@pytest.mark.parametrize("json_answer", [False, True])
def test_a_refused_file_says_why_and_stores_nothing(app, login_as, json_answer):
    tool_required("ffmpeg")
    client = login_as("translator")
    context = contexts(app, 1)[0]
    response = _upload(client, "agr", context, b"not audio at all" * 10, "x.mp3", json_answer=json_answer)
    if json_answer:
        assert response.status_code == 422
        assert response.json["ok"] is False and "audio" in response.json["message"]
    else:
        assert response.status_code == 302
        assert "No se pudo leer el archivo como audio" in client.get(response.location).get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_a_silent_recording_is_saved_with_a_warning(app, login_as, tmp_path):
    client = login_as("translator")
    context = contexts(app, 1)[0]
    silence = lavfi(tmp_path, "silence.wav", ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "2"])
    response = _upload(client, "agr", context, silence)
    assert "en silencio" in client.get(response.location).get_data(as_text=True)
    assert _counts(app) == (1, 1)


@pytest.mark.parametrize("role", ["facilitator", "coordinator"])
def test_only_translators_reviewers_and_admins_record(app, login_as, role, tone_take):
    client = login_as(role)
    context = contexts(app, 1)[0]
    assert client.get(f"/recordings/agr/{context}").status_code == 403
    assert _upload(client, "agr", context, tone_take.data, "t.ogg").status_code == 403
    assert _counts(app) == (0, 0)


def test_unknown_text_or_language_is_404(app, login_as):
    client = login_as("translator")
    assert client.get("/recordings/agr/no-such.segment").status_code == 404
    assert client.get(f"/recordings/xx/{contexts(app, 1)[0]}").status_code == 404


# --- review -----------------------------------------------------------------------------


def test_a_reviewer_approves_or_rejects_with_a_reason(app, login_as, tone_take):
    first, second = contexts(app, 2)
    approved, rejected = store_take(app, first, tone_take), store_take(app, second, tone_take)
    translator = login_as("translator")
    assert translator.post(f"/recordings/take/{approved}/approve").status_code == 403
    translator.post("/logout")
    reviewer = login_as("reviewer")
    assert reviewer.post(f"/recordings/take/{approved}/approve").status_code == 302
    no_reason = reviewer.post(f"/recordings/take/{rejected}/reject", data={"reason": "  "})
    assert "Escriba el motivo" in reviewer.get(no_reason.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Recording, rejected).state == "recorded"
    reviewer.post(f"/recordings/take/{rejected}/reject", data={"reason": "Se oye ruido de lluvia."})
    with app.app_context():
        assert db.session.get(Recording, approved).state == "approved"
        take = db.session.get(Recording, rejected)
        assert (take.state, take.reason) == ("rejected", "Se oye ruido de lluvia.")
        assert take.reviewed_by_id is not None


def test_only_the_current_take_is_reviewed(app, login_as, tone_take):
    context = contexts(app, 1)[0]
    old = store_take(app, context, tone_take)
    store_take(app, context, tone_take)
    login_as("reviewer").post(f"/recordings/take/{old}/approve")
    with app.app_context():
        assert db.session.get(Recording, old).state == "recorded"


def test_a_take_needs_recording_again_when_its_text_changes(app, login_as, tone_take):
    first, second = contexts(app, 2)
    approved, waiting = store_take(app, first, tone_take), store_take(app, second, tone_take)
    with app.app_context():
        services.review(db.session.get(Recording, approved), None, True)
        db.session.commit()
        segments = {
            s.uid: s for s in db.session.scalars(sa.select(Segment).where(Segment.uid.in_([first, second])))
        }
        originals = {uid: s.text for uid, s in segments.items()}
        for segment in segments.values():
            segment.text += " (texto cambiado)"
        db.session.commit()
    try:
        reviewer = login_as("reviewer")
        response = reviewer.post(f"/recordings/take/{waiting}/approve")
        assert "grabarlo de nuevo" in reviewer.get(response.location).get_data(as_text=True)
        page = reviewer.get(f"/modules/{SLUG}").get_data(as_text=True)
        assert f"/recordings/take/{approved}.ogg" not in page  # its text is not what it says any more
        with app.app_context():
            assert services.mark_stale() == 1
            db.session.commit()
            assert db.session.get(Recording, approved).state == "needs_rerecording"
            assert db.session.get(Recording, waiting).state == "needs_rerecording"
    finally:
        with app.app_context():
            for uid, text in originals.items():
                db.session.scalar(sa.select(Segment).where(Segment.uid == uid)).text = text
            db.session.commit()


# --- playing ----------------------------------------------------------------------------


def _approve(app, take_id):
    with app.app_context():
        services.review(db.session.get(Recording, take_id), None, True)
        db.session.commit()


def test_audio_is_served_with_ranges_and_the_right_cache_rule(app, login_as, client, tone_take):
    first, second = contexts(app, 2)
    approved, waiting = store_take(app, first, tone_take), store_take(app, second, tone_take)
    _approve(app, approved)
    assert client.get(f"/recordings/take/{approved}.ogg").status_code == 302  # not signed in: the login
    login_as("facilitator")
    whole = client.get(f"/recordings/take/{approved}.ogg")
    assert whole.status_code == 200 and whole.mimetype == "audio/ogg"
    assert whole.data == tone_take.data
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert "immutable" in whole.headers["Cache-Control"] and "private" in whole.headers["Cache-Control"]
    part = client.get(f"/recordings/take/{approved}.ogg", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(tone_take.data)}"
    assert part.data == tone_take.data[100:200]
    again = client.get(f"/recordings/take/{approved}.ogg", headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    unapproved = client.get(f"/recordings/take/{waiting}.ogg")
    assert unapproved.status_code == 200 and unapproved.headers["Cache-Control"] == "no-store"
    assert client.get("/recordings/take/999999.ogg").status_code == 404


def test_the_module_page_plays_approved_takes_only(app, login_as, tone_take):
    first, second = contexts(app, 2)
    approved, waiting = store_take(app, first, tone_take), store_take(app, second, tone_take)
    client = login_as("facilitator")
    before = client.get(f"/modules/{SLUG}").get_data(as_text=True)
    assert "<audio" not in before
    _approve(app, approved)
    page = client.get(f"/modules/{SLUG}").get_data(as_text=True)  # the kept rendering follows the approval
    players = re.findall(r"<audio [^>]*>", page)
    assert len(players) == 1
    assert f'src="/recordings/take/{approved}.ogg"' in players[0]
    assert 'preload="none"' in players[0] and "controls" in players[0]
    assert f"/recordings/take/{waiting}.ogg" not in page


def test_the_module_page_reads_recordings_in_one_query(app, login_as, count_queries, tone_take):
    client = login_as("facilitator")
    uids = contexts(app, 12)

    def queries():
        client.get(f"/modules/{SLUG}")  # rendered and kept
        with count_queries() as statements:
            assert client.get(f"/modules/{SLUG}").status_code == 200
        return len(statements)

    first = store_take(app, uids[0], tone_take)
    _approve(app, first)
    one = queries()
    for uid in uids[1:]:
        _approve(app, store_take(app, uid, tone_take))
    page = client.get(f"/modules/{SLUG}").get_data(as_text=True)
    assert page.count("<audio") == len(uids)
    assert queries() == one


def test_the_translation_editor_links_a_segment_to_its_recording_page(app, login_as):
    from workshops.catalog.models import CatalogEntry

    context = contexts(app, 1)[0]
    with app.app_context():
        entry_id = db.session.scalar(
            sa.select(CatalogEntry.id).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.context == context
            )
        )
        title_id = db.session.scalar(
            sa.select(CatalogEntry.id).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.context == f"{SLUG}.title"
            )
        )
    client = login_as("translator")
    link = f'href="/recordings/agr/{context}"'
    assert link in client.get(f"/translate/agr/curriculum/{entry_id}").get_data(as_text=True)
    assert "/recordings/agr/" not in client.get(f"/translate/agr/curriculum/{title_id}").get_data(
        as_text=True
    )


def _section_key(app):
    from workshops.curriculum.models import Section

    with app.app_context():
        return db.session.scalar(
            sa.select(Section.key).join(Section.module).where(Module.slug == SLUG).order_by(Section.position)
        )


def test_a_module_is_heard_from_its_title_summary_and_section_titles(app, login_as, tone_take):
    titles = [f"{SLUG}.title", f"{SLUG}.summary", f"{SLUG}.{_section_key(app)}.title"]
    recorder = login_as("translator")
    for context in titles:
        assert recorder.get(f"/recordings/agr/{context}").status_code == 200
    assert recorder.get(f"/recordings/agr/{SLUG}.no-such-section.title").status_code == 404
    assert recorder.get("/recordings/agr/no-such-module.title").status_code == 404
    takes = [store_take(app, context, tone_take) for context in titles]
    for take in takes:
        _approve(app, take)
    page = login_as("facilitator").get(f"/modules/{SLUG}").get_data(as_text=True)
    for take in takes:
        assert f'src="/recordings/take/{take}.ogg"' in page
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.slug == SLUG))
        original, module.summary = module.summary, module.summary + " (texto cambiado)"
        db.session.commit()
        try:
            assert services.mark_stale() == 1  # the summary's take, and only it
            db.session.commit()
            states = [db.session.get(Recording, take).state for take in takes]
            assert states == ["approved", "needs_rerecording", "approved"]
        finally:
            db.session.scalar(sa.select(Module).where(Module.slug == SLUG)).summary = original
            db.session.commit()


# --- the review queue -------------------------------------------------------------------


def test_the_review_queue_lists_takes_waiting_and_a_reviewer_decides_there(app, login_as, client, tone_take):
    first, second, third = contexts(app, 3)
    waiting = [store_take(app, first, tone_take), store_take(app, second, tone_take)]
    approved = store_take(app, third, tone_take)
    _approve(app, approved)
    queue = f"/recordings/agr/?state=recorded&module={SLUG}"
    reviewer = login_as("reviewer")
    page = reviewer.get(queue).get_data(as_text=True)
    listed = [int(found) for found in re.findall(r'<li class="queue-take" id="take-(\d+)">', page)]
    assert listed == waiting  # in the module's order; the approved one is not waiting
    with app.app_context():
        text = services.source_of(first).text
    assert str(markupsafe.escape(text)) in page and "2 grabaciones" in page

    # Rejecting without a reason changes nothing and says why; approving goes back to the queue.
    response = reviewer.post(f"/recordings/take/{waiting[0]}/reject", data={"next": queue, "reason": ""})
    assert response.location == queue
    assert "Escriba el motivo del rechazo" in reviewer.get(queue).get_data(as_text=True)
    response = reviewer.post(f"/recordings/take/{waiting[0]}/approve", data={"next": queue})
    assert response.location == queue
    page = reviewer.get(queue).get_data(as_text=True)
    assert f'id="take-{waiting[0]}"' not in page and f'id="take-{waiting[1]}"' in page
    assert f'id="take-{waiting[0]}"' in reviewer.get("/recordings/agr/?state=approved").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Recording, waiting[0]).state == "approved"
    # A next that leaves the site is not followed.
    response = reviewer.post(f"/recordings/take/{waiting[1]}/approve", data={"next": "//elsewhere.example/"})
    assert "elsewhere" not in response.location


def test_the_review_queue_is_for_the_signed_in_and_only_reviewers_get_the_buttons(
    app, login_as, make_user, client, tone_take
):
    store_take(app, contexts(app, 1)[0], tone_take)
    assert client.get("/recordings/agr/").status_code == 302  # to the sign-in page
    page = login_as("facilitator").get("/recordings/agr/").get_data(as_text=True)
    assert 'class="queue-take"' in page and "/approve" not in page and "Grabar de nuevo" not in page
    reviewer = app.test_client()
    make_user("queue-reviewer", roles=("reviewer",))
    reviewer.post("/login", data={"username": "queue-reviewer", "password": TEST_PASSWORD})
    assert "/approve" in reviewer.get("/recordings/agr/").get_data(as_text=True)
    assert login_as("translator").get("/recordings/xx/").status_code == 404
    page = login_as("translator").get("/recordings/agr/?state=nonsense&module=nonsense&page=99")
    assert page.status_code == 200 and 'class="queue-take"' in page.get_data(as_text=True)


def test_the_review_queue_pages_and_reads_a_fixed_number_of_queries(app, login_as, count_queries, tone_take):
    client = login_as("reviewer")
    uids = contexts(app, 25)

    def queries(url):
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    store_take(app, uids[0], tone_take)
    one = queries("/recordings/agr/")
    for uid in uids[1:]:
        store_take(app, uid, tone_take)
    page = client.get("/recordings/agr/").get_data(as_text=True)
    assert page.count('class="queue-take"') == services.QUEUE_PAGE_SIZE
    assert "Página 1 de 2" in page
    assert client.get("/recordings/agr/?page=2").get_data(as_text=True).count('class="queue-take"') == 5
    assert queries("/recordings/agr/") == one


def _queue_ids(client, url):
    return [
        int(found) for found in re.findall(r'<li class="queue-take" id="take-(\d+)">', client.get(url).text)
    ]


def test_the_review_queue_lists_takes_in_document_order(app, login_as, tone_take):
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.slug == SLUG))
        earlier = db.session.scalar(
            sa.select(Module).where(Module.number < module.number).order_by(Module.number)
        )
        order = list(recordable.module_texts(module))
        before = next(iter(recordable.module_texts(earlier)))
    section_title = next(uid for uid in order if uid.count(".") == 2 and uid.endswith(".title"))
    wanted = [
        f"{SLUG}.title",
        f"{SLUG}.summary",
        order[2],
        section_title,
        order[order.index(section_title) + 1],
    ]
    wanted += [order[-2], order[-1]]  # the last key term's term and definition
    assert wanted == sorted(wanted, key=order.index)
    # Recorded backwards, and the key terms before the titles in the alphabet: neither is the page's order.
    takes = {context: store_take(app, context, tone_take) for context in reversed(wanted)}
    first = store_take(app, before, tone_take)
    listed = _queue_ids(login_as("reviewer"), "/recordings/agr/")
    assert listed == [first, *(takes[context] for context in wanted)]


def test_the_review_queue_reads_the_texts_of_the_modules_on_its_page_only(app, tone_take):
    with app.app_context():
        first, second = db.session.scalars(sa.select(Module).order_by(Module.number).limit(2)).all()
        ids = {first.slug: first.id, second.slug: second.id}
        uids = list(recordable.module_texts(first))[: services.QUEUE_PAGE_SIZE]
        later = next(iter(recordable.module_texts(second)))
    for uid in uids:
        store_take(app, uid, tone_take)
    store_take(app, later, tone_take)
    read = set()

    def loaded(segment, _context):
        read.add(segment.module_id)

    sa.event.listen(Segment, "load", loaded)
    try:
        for page, slug in ((1, first.slug), (2, second.slug)):
            read.clear()
            with app.app_context():
                found = services.queue("agr", "recorded", None, page)
            assert {take.module_slug for take in found.takes} == {slug} and found.total == len(uids) + 1
            assert read == {ids[slug]}  # the segments read are the page's module's, not the others'
    finally:
        sa.event.remove(Segment, "load", loaded)
