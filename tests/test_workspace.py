"""The translator workspace through its pages: find, edit, review, conflicts, offline, glossary."""

import io
import re

import polib
import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.catalog.models import CatalogEntry, GlossaryTerm, Suggestion
from workshops.extensions import db
from workshops.translate import progress, workspace

from .conftest import TEST_PASSWORD

BASE = "/translate/agr/curriculum"


def entry_where(app, **criteria):
    with app.app_context():
        query = sa.select(CatalogEntry).where(CatalogEntry.obsolete.is_(False))
        for name, value in criteria.items():
            query = query.where(getattr(CatalogEntry, name) == value)
        entry = db.session.scalars(query.order_by(CatalogEntry.position)).first()
        return entry.id, entry.msgid, entry.context


def first_entry(app, module="vivero-de-cafe"):
    with app.app_context():
        entry = db.session.scalars(
            sa.select(CatalogEntry)
            .where(CatalogEntry.context.startswith(module + ".objectives."))
            .order_by(CatalogEntry.position)
        ).first()
        return entry.id, entry.msgid


def translation_of(app, entry_id, language="agr"):
    with app.app_context():
        entry = db.session.get(CatalogEntry, entry_id)
        translation = store.translation_for(entry, language)
        return (translation.forms, translation.state) if translation else None


def base_revision(page):
    return int(re.search(r'name="base_revision" type="hidden" value="(\d+)"', page).group(1))


def save(client, entry_id, text, action="save", base=None, domain="curriculum"):
    url = f"/translate/agr/{domain}/{entry_id}"
    if base is None:
        base = base_revision(client.get(url).get_data(as_text=True))
    texts = text if isinstance(text, list) else [text]
    return client.post(url, data={"translation": texts, "base_revision": base, "action": action})


@pytest.mark.parametrize("role", ["coordinator", "facilitator", "admin"])
def test_only_translators_and_reviewers_work_on_catalogs(login_as, role):
    client = login_as(role)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get("/translate/").status_code == 200  # progress is for everyone


def test_unknown_language_or_domain_is_404(login_as):
    client = login_as("translator")
    assert client.get("/translate/xx/curriculum/").status_code == 404
    assert client.get("/translate/es/curriculum/").status_code == 404  # the source is not translated
    assert client.get("/translate/agr/recipes/").status_code == 404


def test_save_and_next_goes_to_the_next_untranslated(login_as, app):
    client = login_as("translator")
    entry_id, _ = first_entry(app)
    response = save(client, entry_id, "TRADUCCIÓN DE PRUEBA UNO.", action="save_next")
    assert response.status_code == 302 and "/next" in response.headers["Location"]
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 302
    next_id = int(re.match(r"(\d+)", follow.headers["Location"].split("/curriculum/")[1]).group(1))
    assert next_id != entry_id
    assert translation_of(app, next_id) is None
    assert translation_of(app, entry_id) == (["TRADUCCIÓN DE PRUEBA UNO."], "translated")


def test_needs_review_saves_as_fuzzy(login_as, app):
    client = login_as("translator")
    entry_id, _ = first_entry(app)
    save(client, entry_id, "PRUEBA DUDOSA.", action="needs_review")
    assert translation_of(app, entry_id) == (["PRUEBA DUDOSA."], "fuzzy")


def test_blocking_check_refuses_with_a_clear_message(login_as, app):
    client = login_as("translator")
    entry_id, *_ = entry_where(app, domain="messages", msgid="Se creó el usuario %(name)s.")
    response = save(client, entry_id, "Usuario creado sin nombre.", domain="messages")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No se guardó" in page and "marcadores de posición" in page
    assert "Usuario creado sin nombre." in page  # the text typed is kept in the form
    assert translation_of(app, entry_id) is None


def test_warning_is_saved_shown_and_dismissed_by_a_reviewer(login_as, app):
    client = login_as("translator", "reviewer")
    entry_id, msgid = first_entry(app)
    response = save(client, entry_id, msgid)  # unchanged from the source
    assert response.status_code == 302
    page = client.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "La traducción es igual al original." in page
    listing = client.get(f"{BASE}/?state=failing").get_data(as_text=True)
    assert f"/{entry_id}" in listing
    client.post(f"{BASE}/{entry_id}/dismiss/unchanged")
    page = client.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "La traducción es igual al original." not in page


def test_filters_and_accent_insensitive_search(login_as, app):
    client = login_as("translator")
    entry_id, msgid = first_entry(app)
    save(client, entry_id, "ÁRBOL-DE-PRUEBA translation")
    found = client.get(f"{BASE}/?q=arbol-de-prueba").get_data(as_text=True)
    assert f"/{entry_id}?" in found or f'/{entry_id}"' in found
    word = (
        next(w for w in msgid.split() if any(c in w for c in "áéíóú"))
        if any(c in msgid for c in "áéíóú")
        else msgid.split()[0]
    )
    plain = word.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")).upper()
    assert f"{entry_id}" in client.get(f"{BASE}/?q={plain}&module=vivero-de-cafe").get_data(as_text=True)
    translated = client.get(f"{BASE}/?state=translated").get_data(as_text=True)
    untranslated = client.get(f"{BASE}/?state=untranslated&module=vivero-de-cafe").get_data(as_text=True)
    assert "ÁRBOL-DE-PRUEBA" in translated and "ÁRBOL-DE-PRUEBA" not in untranslated
    other_module = client.get(f"{BASE}/?module=cosecha-y-poscosecha&state=translated").get_data(as_text=True)
    assert "ÁRBOL-DE-PRUEBA" not in other_module
    since = client.get(f"{BASE}/?since=2000-01-01&state=translated").get_data(as_text=True)
    assert "ÁRBOL-DE-PRUEBA" in since
    assert client.get(f"{BASE}/?since=nonsense").status_code == 200


def test_interface_entries_filter_by_page(login_as):
    client = login_as("translator")
    page = client.get("/translate/agr/messages/?page_ref=workshops/templates/auth/login.html").get_data(
        as_text=True
    )
    assert "Iniciar sesión" in page and "Los 12 módulos" not in page


def test_plural_entries_show_example_numbers(login_as, app):
    client = login_as("translator")
    with app.app_context():
        entry = db.session.scalar(
            sa.select(CatalogEntry).where(
                CatalogEntry.domain == "messages", CatalogEntry.msgid_plural.is_not(None)
            )
        )
    page = client.get(f"/translate/agr/messages/{entry.id}").get_data(as_text=True)
    assert "Forma para 1" in page and "Forma para 0, 2, 3, 4 …" in page
    assert page.count('name="translation"') == 2


def test_concurrent_edit_keeps_both_texts(login_as, make_user, app):
    first = login_as("translator")
    make_user("segunda", roles=("translator",))
    second = app.test_client()
    second.post("/login", data={"username": "segunda", "password": TEST_PASSWORD})
    entry_id, _ = first_entry(app)
    base_first = base_revision(first.get(f"{BASE}/{entry_id}").get_data(as_text=True))
    base_second = base_revision(second.get(f"{BASE}/{entry_id}").get_data(as_text=True))
    assert save(first, entry_id, "TEXTO PRIMERA.", base=base_first).status_code == 302
    response = save(second, entry_id, "TEXTO SEGUNDA.", base=base_second)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Otra persona guardó esta entrada" in page
    assert "TEXTO PRIMERA." in page and "TEXTO SEGUNDA." in page
    assert translation_of(app, entry_id) == (["TEXTO PRIMERA."], "translated")
    with app.app_context():
        suggestion = db.session.scalar(sa.select(Suggestion).where(Suggestion.entry_id == entry_id))
        assert suggestion.forms == ["TEXTO SEGUNDA."] and suggestion.is_conflict


def test_suggest_mode_and_review(login_as, make_user, app):
    admin = login_as("admin", username="jefa")
    admin.post(
        "/admin/languages/agr",
        data={
            "native_name": "Awajún",
            "spanish_name": "Awajún",
            "plural_forms": "nplurals=2; plural=n != 1;",
            "review_mode": "suggest",
        },
    )
    make_user("traductora", roles=("translator",))
    make_user("revisor", roles=("reviewer",))
    translator, reviewer = app.test_client(), app.test_client()
    translator.post("/login", data={"username": "traductora", "password": TEST_PASSWORD})
    reviewer.post("/login", data={"username": "revisor", "password": TEST_PASSWORD})
    entry_id, _ = first_entry(app)
    save(translator, entry_id, "SUGERENCIA UNO.")
    assert translation_of(app, entry_id) is None
    assert f"/{entry_id}" in reviewer.get(f"{BASE}/?state=suggestion").get_data(as_text=True)
    with app.app_context():
        suggestion_id = db.session.scalar(sa.select(Suggestion.id).where(Suggestion.entry_id == entry_id))
    assert translator.post(f"{BASE}/{entry_id}/suggestions/{suggestion_id}/accept").status_code == 403
    reviewer.post(f"{BASE}/{entry_id}/suggestions/{suggestion_id}/accept")
    assert translation_of(app, entry_id) == (["SUGERENCIA UNO."], "translated")
    reviewer.post(f"{BASE}/{entry_id}", data={"action": "approve", "base_revision": 1})
    assert translation_of(app, entry_id) == (["SUGERENCIA UNO."], "approved")
    save(translator, entry_id, "SUGERENCIA DOS.")
    with app.app_context():
        second_id = db.session.scalar(
            sa.select(Suggestion.id).where(Suggestion.entry_id == entry_id, Suggestion.state == "pending")
        )
    reviewer.post(f"{BASE}/{entry_id}/suggestions/{second_id}/reject")
    assert translation_of(app, entry_id) == (["SUGERENCIA UNO."], "approved")


def test_history_and_restore(login_as, app):
    client = login_as("translator")
    entry_id, _ = first_entry(app)
    save(client, entry_id, "VERSIÓN UNO.")
    save(client, entry_id, "VERSIÓN DOS.")
    page = client.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "Historial (2 versiones)" in page and "VERSIÓN UNO." in page
    history_id = int(re.findall(rf"{entry_id}/restore/(\d+)", page)[0])
    client.post(f"{BASE}/{entry_id}/restore/{history_id}")
    assert translation_of(app, entry_id) == (["VERSIÓN UNO."], "translated")
    assert "Historial (3 versiones)" in client.get(f"{BASE}/{entry_id}").get_data(as_text=True)


def test_ready_to_teach_when_every_segment_is_approved(login_as, app, make_user):
    reviewer_id = make_user("revisora", roles=("reviewer",))
    with app.app_context():
        from workshops.auth.models import User
        from workshops.languages import get_language

        user = db.session.get(User, reviewer_id)
        language = get_language("agr")
        entries = db.session.scalars(
            sa.select(CatalogEntry).where(
                CatalogEntry.context.startswith("vivero-de-cafe."), CatalogEntry.obsolete.is_(False)
            )
        ).all()
        assert progress.progress("agr", "curriculum", "vivero-de-cafe")["ready"] is False
        for entry in entries:
            store.set_translation(entry, "agr", [f"PRUEBA {entry.id}"], "translated", author_id=user.id)
            workspace.approve(entry, language, user)
        db.session.commit()
        counts = progress.progress("agr", "curriculum", "vivero-de-cafe")
        assert counts["ready"] and counts["percent_approved"] == 100
    page = login_as("facilitator").get("/translate/").get_data(as_text=True)
    assert "El vivero de café" in page and "revisora".title() in page


def test_offline_round_trip_with_a_conflict(login_as, make_user, app):
    client = login_as("translator")
    response = client.get(f"{BASE}/download?module=vivero-de-cafe")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith(".po")
    po = polib.pofile(response.get_data(as_text=True))
    assert all(entry.msgctxt.startswith("vivero-de-cafe.") for entry in po)
    first, second = po[0], po[1]
    # Meanwhile someone else changes the first entry on the server.
    make_user("otra", roles=("translator",))
    other = app.test_client()
    other.post("/login", data={"username": "otra", "password": TEST_PASSWORD})
    first_id, *_ = entry_where(app, context=first.msgctxt)
    save(other, first_id, "EN EL SERVIDOR.")
    first.msgstr, second.msgstr = "EN EL ARCHIVO UNO.", "EN EL ARCHIVO DOS."
    po.append(polib.POEntry(msgid="No existe esta frase.", msgstr="NADA."))
    upload = client.post(
        f"{BASE}/upload",
        data={"catalog": (io.BytesIO(str(po).encode()), "vivero.po")},
        content_type="multipart/form-data",
    )
    page = upload.get_data(as_text=True)
    assert upload.status_code == 200
    assert "1 entrada aplicada" in page and "1 conflicto" in page and "1 rechazada" in page
    assert translation_of(app, first_id) == (["EN EL SERVIDOR."], "translated")
    second_id, *_ = entry_where(app, context=second.msgctxt)
    assert translation_of(app, second_id) == (["EN EL ARCHIVO DOS."], "translated")
    with app.app_context():
        conflict = db.session.scalar(sa.select(Suggestion).where(Suggestion.entry_id == first_id))
        assert conflict.is_conflict and conflict.forms == ["EN EL ARCHIVO UNO."]


@pytest.mark.parametrize(
    "content",
    [
        b"no es un catalogo",
        b'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n',
    ],
)
def test_bad_upload_is_rejected_whole(login_as, app, content):
    client = login_as("translator")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Suggestion))
    response = client.post(
        f"{BASE}/upload",
        data={"catalog": (io.BytesIO(content), "malo.po")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "El archivo no se aceptó y no cambió nada" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suggestion)) == before


def test_glossary_edit_export_and_highlight(login_as, make_user, app):
    make_user("traductor2", roles=("translator",))
    translator = app.test_client()
    translator.post("/login", data={"username": "traductor2", "password": TEST_PASSWORD})
    assert translator.get("/translate/agr/glossary/new").status_code == 403
    reviewer = login_as("reviewer")
    response = reviewer.post(
        "/translate/agr/glossary/new",
        data={
            "source_term": "vivero",
            "target_term": "=TERMINO-PRUEBA",
            "definition": "<b>def</b>",
            "status": "approved",
            "module": "",
        },
    )
    assert response.status_code == 302
    listing = translator.get("/translate/agr/glossary").get_data(as_text=True)
    assert "&lt;b&gt;def&lt;/b&gt;" in listing
    csv_text = translator.get("/translate/agr/glossary.csv").get_data(as_text=True)
    assert "vivero,'=TERMINO-PRUEBA" in csv_text  # no spreadsheet formula
    tbx = translator.get("/translate/agr/glossary.tbx").get_data(as_text=True)
    assert "<term>vivero</term>" in tbx and "preferredTerm-admn-sts" in tbx
    assert "&lt;b&gt;def&lt;/b&gt;" in tbx
    entry_id, *_ = entry_where(app, context="vivero-de-cafe.title")
    page = translator.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "=TERMINO-PRUEBA" in page  # the glossary term shows in the editor
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GlossaryTerm)) >= 1


def test_translations_are_always_escaped(login_as, app):
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{ 7*7 }}'
    entry_id, msgid, context = entry_where(app, context="vivero-de-cafe.title")
    with app.app_context():
        store.set_translation(db.session.get(CatalogEntry, entry_id), "agr", [attack], "translated")
        db.session.commit()
    client = login_as("translator")
    client.post("/language", data={"language": "agr", "next": "/"})
    for path in (
        f"{BASE}/{entry_id}",
        f"{BASE}/?module=vivero-de-cafe",
        "/modules/vivero-de-cafe",
        "/modules",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;" in page, path
        assert "{{ 7*7 }}" in page, path  # shown as typed, never evaluated


def test_saved_translation_shows_on_the_module_page_next_request(login_as, app):
    client = login_as("translator")
    client.post("/language", data={"language": "agr", "next": "/"})
    entry_id, *_ = entry_where(app, context="vivero-de-cafe.title")
    save(client, entry_id, "TÍTULO DE PRUEBA")
    assert "TÍTULO DE PRUEBA" in client.get("/modules/vivero-de-cafe").get_data(as_text=True)


def test_glossary_terms_are_highlighted_in_the_source():
    term = GlossaryTerm(source_term="cafe", target_term="", status="approved")
    html = str(workspace.highlight('El <b> CAFÉ de "la" café.', [term]))
    assert html == "El &lt;b&gt; <mark>CAFÉ</mark> de &#34;la&#34; <mark>café</mark>."


def test_history_names_the_author(login_as, app):
    client = login_as("translator", username="maria-t")
    entry_id, _ = first_entry(app)
    save(client, entry_id, "VERSIÓN DE MARÍA.")
    page = client.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "Maria-T" in page


def _upload(client, text):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    # Encoded here, in memory: the test client would spool a body over 500 KB to a
    # temporary file it never closes (a ResourceWarning, an error under filterwarnings).
    boundary, body = encode_multipart({"catalog": FileStorage(io.BytesIO(text.encode()), "grande.po")})
    return client.post(f"{BASE}/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")


UPLOAD_HEADER = (
    'msgid ""\nmsgstr ""\n"Language: agr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=n != 1;\\n"\n\n'
)


def test_upload_lists_the_first_refused_entries_then_a_count(login_as, app):
    from workshops.translate import catalog_import

    client = login_as("translator")
    count = catalog_import.SHOWN_ENTRIES + 25
    entries = "".join(f'msgid "No existe {n}."\nmsgstr "NADA."\n\n' for n in range(count))
    response = _upload(client, UPLOAD_HEADER + entries)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{count} rechazadas" in page
    assert page.count("no está en el catálogo") == catalog_import.SHOWN_ENTRIES
    assert "Se muestran las primeras 100; hay 25 más." in page


def test_upload_over_the_entry_limit_is_refused_whole(login_as, app):
    """100,000 unknown entries once took 15 s and a 10.5 MB page; past the limit polib never reads them."""
    import tracemalloc

    from workshops.translate import catalog_import

    client = login_as("translator")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Suggestion))
    entries = "".join(f'msgid "No existe {n}."\nmsgstr "NADA."\n\n' for n in range(100_000))
    tracemalloc.start()
    try:
        response = _upload(client, UPLOAD_HEADER + entries)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "El archivo no se aceptó y no cambió nada" in page
    assert f"más de {catalog_import.MAX_ENTRIES} entradas" in page
    assert len(response.data) < 50_000
    assert peak < 100 * 1024 * 1024, peak
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suggestion)) == before
