"""Recordings on the translator side: listening in the editor, coverage on the overview, ready to teach.

The audio is TEST DATA: an FFmpeg sine tone (tests/test_voice.py's `tone`), no voice.
"""

import re

import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.catalog.models import CatalogEntry, CatalogRevision
from workshops.catalog.recordings import Recording
from workshops.curriculum.models import KeyTerm, Module, Segment
from workshops.extensions import db
from workshops.languages import LanguageSetting, get_language
from workshops.translate import recordings
from workshops.voice import media, services

from .test_voice import LIMIT_BYTES, SLUG, contexts, store_take, tone


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """Return a normalised 1-second tone, made once: what a stored take looks like."""
    return media.normalise(tone(tmp_path_factory.mktemp("coverage"), seconds=1), 180, LIMIT_BYTES)


def entry_id(app, context):
    with app.app_context():
        return db.session.scalar(
            sa.select(CatalogEntry.id).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.context == context
            )
        )


def review(app, take_id, approve=True, state=None):
    """Approve or reject a take as a reviewer would; state: set it instead (as mark_stale does)."""
    with app.app_context():
        take = db.session.get(Recording, take_id)
        if state is not None:
            take.state = state
        else:
            services.review(take, None, approve, "" if approve else "Se oye ruido")
        db.session.commit()


def recordable_contexts(app, slug=SLUG):
    """Return every text of a module that can be recorded: title, summary, section titles, segments, key terms."""
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
        found = [f"{slug}.title", f"{slug}.summary"]
        found += [f"{slug}.{section.key}.title" for section in module.sections]
        found += list(db.session.scalars(sa.select(Segment.uid).where(Segment.module_id == module.id)))
        for key in db.session.scalars(sa.select(KeyTerm.key).where(KeyTerm.module_id == module.id)):
            found += [f"{slug}.terms.{key}.term", f"{slug}.terms.{key}.definition"]
        return found


def module_row(page, slug=SLUG):
    """Return the overview's table row of a module."""
    found = re.search(rf'<tr id="module-{slug}">.*?</tr>', page, re.S)
    assert found, f"no row for {slug}"
    return found.group(0)


def cell(row, language):
    found = re.search(rf'<td class="recording-coverage" data-language="{language}">(.*?)</td>', row, re.S)
    assert found, row
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def ready_cell(row):
    found = re.search(r'<td class="ready">(.*?)</td>', row, re.S)
    assert found, row
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


# --- the editor -------------------------------------------------------------------------


def test_the_editor_plays_the_current_take_of_a_recorded_segment_only(app, login_as, make_user, audio):
    recorded, silent_one, spoken_in_spanish = contexts(app, 3)
    oral = make_user("oral-translator", roles=("translator",), display_name="Nantu Oral")
    store_take(app, recorded, audio, author=oral)  # an older take, replaced by the next one
    current = store_take(app, recorded, audio, author=oral)
    spanish = store_take(app, spoken_in_spanish, audio, language="es")
    review(app, spanish)
    client = login_as("translator")

    page = client.get(f"/translate/agr/curriculum/{entry_id(app, recorded)}").get_data(as_text=True)
    players = re.findall(r"<audio [^>]*>", page)
    assert len(players) == 1  # the current take only, not its history
    assert f'src="/recordings/take/{current}.ogg"' in players[0]
    assert 'preload="none"' in players[0] and "controls" in players[0] and 'lang="agr"' in players[0]
    listen = re.search(r'<section class="listen".*?</section>', page, re.S).group(0)
    assert "Grabado en Awajún (grabada, por revisar)" in listen
    assert "toma 2, de Nantu Oral" in listen
    assert f'href="/recordings/agr/{recorded}"' in listen
    # The page works without JavaScript: the player is in the HTML before the text box.
    assert page.index('<section class="listen"') < page.index('<textarea id="translation-0"')

    page = client.get(f"/translate/agr/curriculum/{entry_id(app, silent_one)}").get_data(as_text=True)
    assert "<audio" not in page and 'class="listen"' not in page
    # Its neighbours are marked: the recorded one in Awajún, the other in Spanish.
    neighbours = re.search(r'<section class="preview">.*?</section>', page, re.S).group(0)
    assert 'aria-label="Grabado en Awajún (grabada, por revisar)"' in neighbours
    assert 'aria-label="Grabado en Español (aprobada)"' in neighbours

    page = client.get(f"/translate/agr/curriculum/{entry_id(app, spoken_in_spanish)}").get_data(as_text=True)
    assert f'src="/recordings/take/{spanish}.ogg"' in page and "Grabado en Español (aprobada)" in page


def test_the_entry_list_marks_the_recorded_segments(app, login_as, audio):
    recorded, other = contexts(app, 2)
    store_take(app, recorded, audio)
    page = login_as("translator").get(f"/translate/agr/curriculum/?module={SLUG}").get_data(as_text=True)
    items = dict(re.findall(r'<li class="entry[^"]*" id="e(\d+)">(.*?)</li>', page, re.S))
    assert 'class="has-recording"' in items[str(entry_id(app, recorded))]
    assert 'aria-label="Grabado en Awajún (grabada, por revisar)"' in items[str(entry_id(app, recorded))]
    assert "has-recording" not in items[str(entry_id(app, other))]


# --- coverage on the overview -----------------------------------------------------------


def seed_states(app, audio):
    """Store current takes in every state in Awajún, one approved in Spanish and a replaced approved take."""
    texts = recordable_contexts(app)
    approved = [store_take(app, context, audio) for context in texts[:3]]
    for take in approved:
        review(app, take)
    waiting = [store_take(app, context, audio) for context in texts[3:5]]
    review(app, store_take(app, texts[5], audio), approve=False)
    review(app, store_take(app, texts[6], audio), state="needs_rerecording")
    review(app, store_take(app, texts[7], audio))  # approved, then replaced by a new take: not counted
    waiting.append(store_take(app, texts[7], audio))
    review(app, store_take(app, texts[-1], audio, language="es"))  # a key term's definition, in Spanish
    return texts, waiting


def test_coverage_counts_current_takes_by_state_per_language(app, login_as, audio):
    texts, _waiting = seed_states(app, audio)
    with app.app_context():
        counts = recordings.coverage(["es", "agr"])
    total = len(texts)
    assert counts[SLUG]["agr"] == {
        "recordable": total,
        "approved": 3,
        "recorded": 3,
        "rejected": 1,
        "needs_rerecording": 1,
        "missing": total - 3,
    }
    assert counts[SLUG]["es"]["approved"] == 1 and counts[SLUG]["es"]["missing"] == total - 1
    other = next(slug for slug in counts if slug != SLUG)
    assert counts[other]["agr"]["approved"] == 0 and counts[other]["agr"]["recordable"] > 0

    row = module_row(login_as("translator").get("/translate/").get_data(as_text=True))
    assert cell(row, "agr") == f"3 de {total} aprobadas 3 por revisar 1 por grabar de nuevo"
    assert cell(row, "es") == f"1 de {total} aprobadas"


def test_the_overview_reads_recordings_in_a_fixed_number_of_queries(app, login_as, count_queries, audio):
    texts = recordable_contexts(app)
    client = login_as("reviewer")
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 0

    def queries():
        client.get("/translate/")  # the kept languages and catalogs follow the new revision
        with count_queries() as statements:
            assert client.get("/translate/").status_code == 200
        return len(statements)

    review(app, store_take(app, texts[0], audio))
    few = queries()
    for index, context in enumerate(texts[1:13]):
        take = store_take(app, context, audio, language="es" if index % 3 == 0 else "agr")
        if index % 2:
            review(app, take)
    with app.app_context():
        approved = db.session.scalar(
            sa.select(sa.func.count()).where(
                Recording.language == "agr", Recording.state == "approved", Recording.module_slug == SLUG
            )
        )
    row = module_row(client.get("/translate/").get_data(as_text=True))
    assert cell(row, "agr").startswith(f"{approved} de {len(texts)} aprobadas")
    assert queries() == few


# --- ready to teach ---------------------------------------------------------------------


def approve_module_texts(app, slug=SLUG):
    """Approve a written translation of every curriculum entry of a module (the text side of ready)."""
    with app.app_context():
        entries = db.session.scalars(
            sa.select(CatalogEntry).where(
                CatalogEntry.domain == "curriculum",
                CatalogEntry.obsolete.is_(False),
                CatalogEntry.context.startswith(slug + "."),
            )
        ).all()
        for entry in entries:
            store.set_translation(entry, "agr", ["Texto de prueba"], "approved")
        db.session.commit()


def settings_form(require):
    form = {
        "native_name": "Awajún",
        "spanish_name": "Awajún (aguaruna)",
        "plural_forms": "nplurals=2; plural=n != 1;",
        "review_mode": "direct",
    }
    return {**form, "require_recordings": "y"} if require else form


def revision(app, language="agr"):
    with app.app_context():
        return db.session.scalar(
            sa.select(CatalogRevision.revision).where(CatalogRevision.language == language)
        )


def test_requiring_recordings_flips_ready_to_teach_and_says_why(app, login_as, client, audio):
    approve_module_texts(app)
    texts = recordable_contexts(app)
    login_as("admin")
    row = module_row(client.get("/translate/").get_data(as_text=True))
    assert ready_cell(row) == "sí"  # by default recordings are not required

    assert "require_recordings" in client.get("/admin/languages/agr").get_data(as_text=True)
    before = revision(app)
    assert client.post("/admin/languages/agr", data=settings_form(True)).status_code == 302
    assert revision(app) == before + 1  # kept registries and pages are read again
    with app.app_context():
        assert get_language("agr").require_recordings is True
    assert "<td>sí</td>" in client.get("/admin/languages").get_data(as_text=True)

    page = client.get("/translate/").get_data(as_text=True)
    assert ready_cell(module_row(page)) == f"no falta grabar {len(texts)} textos"
    assert "todos tienen una grabación aprobada" in page
    for context in texts[:-1]:
        review(app, store_take(app, context, audio))
    store_take(app, texts[-1], audio)  # recorded, not yet approved: still missing
    assert (
        ready_cell(module_row(client.get("/translate/").get_data(as_text=True))) == "no falta grabar 1 texto"
    )
    with app.app_context():
        last = db.session.scalar(sa.select(Recording.id).where(Recording.context == texts[-1]))
    review(app, last)
    assert ready_cell(module_row(client.get("/translate/").get_data(as_text=True))) == "sí"

    assert client.post("/admin/languages/agr", data=settings_form(False)).status_code == 302
    with app.app_context():
        assert get_language("agr").require_recordings is False


def test_a_module_not_ready_for_its_text_says_so(app, login_as):
    page = login_as("translator").get("/translate/").get_data(as_text=True)
    with app.app_context():
        total = db.session.scalar(
            sa.select(sa.func.count()).where(
                CatalogEntry.domain == "curriculum",
                CatalogEntry.obsolete.is_(False),
                CatalogEntry.context.startswith(SLUG + "."),
            )
        )
    assert ready_cell(module_row(page)) == f"no falta aprobar {total} textos"


@pytest.mark.parametrize("role", ["translator", "reviewer", "coordinator"])
def test_only_admins_change_the_setting(app, login_as, role):
    client = login_as(role)
    assert client.get("/admin/languages/agr").status_code == 403
    assert client.post("/admin/languages/agr", data=settings_form(True)).status_code == 403
    with app.app_context():
        row = db.session.get(LanguageSetting, "agr")
        assert row is None or row.require_recordings is False


def test_module_progress_is_one_query_and_agrees_with_each_module_counted_alone(app, count_queries):
    from workshops.translate import progress

    with app.app_context():
        entries = db.session.scalars(
            sa.select(CatalogEntry)
            .where(CatalogEntry.domain == "curriculum", CatalogEntry.context.startswith(SLUG + "."))
            .order_by(CatalogEntry.id)
            .limit(5)
        ).all()
        for state, entry in zip(
            ("approved", "approved", "translated", "fuzzy", "approved"), entries, strict=True
        ):
            store.set_translation(entry, "agr", ["Texto de prueba"], state)
        db.session.commit()
        with count_queries() as statements:
            rows = progress.module_progress("agr")
        assert len(statements) == 2  # the modules, and the counts of all of them
        assert len(rows) == 12
        for module, figures in rows:
            alone = progress.progress("agr", "curriculum", module.slug)
            assert {key: figures[key] for key in alone} == alone
        mine = dict((module.slug, figures) for module, figures in rows)[SLUG]
        assert mine["approved"]["entries"] == 3 and mine["fuzzy"]["entries"] == 1
        assert mine["unapproved"] == mine["total"] - 3
