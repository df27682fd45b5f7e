"""The translator workspace through its pages: find, edit, review, conflicts, offline, glossary."""

import io
import re

import polib
import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.catalog.models import CatalogEntry, GlossaryTerm, Suggestion
from workshops.extensions import db
from workshops.translate import editor_context, progress, review

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
            review.approve(entry, language, user)
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
    assert "1 entrada aplicada" in page and "1 conflicto" in page and "1 no está en el catálogo" in page
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
    html = str(editor_context.highlight('El <b> CAFÉ de "la" café.', [term]))
    assert html == "El &lt;b&gt; <mark>CAFÉ</mark> de &#34;la&#34; <mark>café</mark>."


def test_history_names_the_author(login_as, app):
    client = login_as("translator", username="maria-t")
    entry_id, _ = first_entry(app)
    save(client, entry_id, "VERSIÓN DE MARÍA.")
    page = client.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "Maria-T" in page


@pytest.mark.parametrize(
    "broken",
    ["PRUEBA %(nombre)s", "PRUEBA 100 % %(name)s", "PRUEBA %(name)d", "PRUEBA " + "x" * 5000],
    ids=["renamed", "stray-percent", "other-type", "too-long"],
)
def test_a_page_renders_with_a_broken_translation_in_the_store(login_as, app, broken):
    """A text that got into the store by no check (an old row, a database edit) shows the source instead."""
    client = login_as("translator")
    with app.app_context():
        entry = store.find_entry("messages", "", "Subir un catálogo en %(name)s")
        store.set_translation(entry, "agr", [broken], "translated")
        db.session.commit()
    client.post("/language", data={"language": "agr", "next": "/"})
    response = client.get(f"{BASE}/upload")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Subir un catálogo en Awajún" in page and "PRUEBA" not in page


def test_a_translation_too_long_for_its_source_is_refused(login_as, app):
    client = login_as("translator")
    entry_id, msgid, _context = entry_where(app, domain="messages", msgid="Sesiones")
    page = save(client, entry_id, "PRUEBA " * 200, domain="messages").get_data(as_text=True)
    assert "demasiado larga" in page and "Máximo: 240 caracteres." in page
    assert translation_of(app, entry_id) is None
    save(client, entry_id, "PRUEBA LARGA " * 10, domain="messages")
    assert translation_of(app, entry_id) == (["PRUEBA LARGA " * 10], "translated")


def test_the_placeholder_error_names_the_missing_placeholder(login_as, app):
    client = login_as("translator")
    entry_id, *_ = entry_where(app, domain="messages", msgid="Se creó el usuario %(name)s.")
    page = save(client, entry_id, "PRUEBA %(nombre)s.", domain="messages").get_data(as_text=True)
    assert "Falta: %(name)s." in page and "No está en el original: %(nombre)s." in page


def suggest_mode(login_as):
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


def signed_in(app, username, roles):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    return client


def history_rows(app, entry_id):
    with app.app_context():
        from workshops.catalog.models import Translation, TranslationHistory

        rows = db.session.scalars(
            sa.select(TranslationHistory)
            .join(Translation, Translation.id == TranslationHistory.translation_id)
            .where(Translation.entry_id == entry_id)
            .order_by(TranslationHistory.revision)
        ).all()
        return [
            (
                row.forms,
                row.state,
                row.author.username if row.author else None,
                row.reviewer.username if row.reviewer else None,
            )
            for row in rows
        ]


def test_credit_after_accepting_a_suggestion_goes_to_its_author(login_as, make_user, app):
    suggest_mode(login_as)
    make_user("voluntaria", roles=("translator",))
    make_user("revisor", roles=("reviewer",))
    volunteer, reviewer = signed_in(app, "voluntaria", ()), signed_in(app, "revisor", ())
    entry_id, _ = first_entry(app)
    save(volunteer, entry_id, "PRUEBA DE LA VOLUNTARIA.")
    with app.app_context():
        suggestion_id = db.session.scalar(sa.select(Suggestion.id).where(Suggestion.entry_id == entry_id))
    reviewer.post(f"{BASE}/{entry_id}/suggestions/{suggestion_id}/accept")
    reviewer.post(f"{BASE}/{entry_id}", data={"action": "approve", "base_revision": 1})
    assert history_rows(app, entry_id) == [
        (["PRUEBA DE LA VOLUNTARIA."], "translated", "voluntaria", "revisor"),
        (["PRUEBA DE LA VOLUNTARIA."], "approved", "voluntaria", "revisor"),
    ]
    page = reviewer.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    assert "Voluntaria · revisó Revisor" in page
    with app.app_context():
        credit = dict(progress.volunteer_credit("agr"))
    assert credit["Voluntaria"]["translated"] == 1 and credit["Voluntaria"]["reviewed"] == 0
    assert credit["Revisor"]["reviewed"] == 1 and credit["Revisor"]["translated"] == 0


def test_restore_in_suggestion_mode_creates_a_suggestion(login_as, make_user, app):
    make_user("revisor", roles=("reviewer",))
    make_user("traductor", roles=("translator",))
    reviewer, translator = signed_in(app, "revisor", ()), signed_in(app, "traductor", ())
    entry_id, _ = first_entry(app)
    save(translator, entry_id, "PRUEBA VIEJA.")
    save(reviewer, entry_id, "PRUEBA BUENA.")
    reviewer.post(f"{BASE}/{entry_id}", data={"action": "approve", "base_revision": 2})
    assert translation_of(app, entry_id) == (["PRUEBA BUENA."], "approved")
    suggest_mode(login_as)
    page = translator.get(f"{BASE}/{entry_id}").get_data(as_text=True)
    old_version = re.findall(rf"{entry_id}/restore/(\d+)", page)[-1]
    translator.post(f"{BASE}/{entry_id}/restore/{old_version}")
    assert translation_of(app, entry_id) == (["PRUEBA BUENA."], "approved")
    with app.app_context():
        pending = db.session.scalars(sa.select(Suggestion.forms).where(Suggestion.state == "pending")).all()
    assert pending == [["PRUEBA VIEJA."]]
    # A reviewer's restore is a save, credited to the text's author.
    reviewer.post(f"{BASE}/{entry_id}/restore/{old_version}")
    assert translation_of(app, entry_id) == (["PRUEBA VIEJA."], "translated")
    assert history_rows(app, entry_id)[-1][:3] == (["PRUEBA VIEJA."], "translated", "traductor")


def test_approving_an_edited_text_saves_the_edit_and_approves_it(login_as, make_user, app):
    make_user("traductor", roles=("translator",))
    translator = signed_in(app, "traductor", ())
    reviewer = login_as("reviewer")
    entry_id, _ = first_entry(app)
    save(translator, entry_id, "PRUEBA CON ERROR.")
    save(reviewer, entry_id, "PRUEBA CORREGIDA.", action="approve")
    assert translation_of(app, entry_id) == (["PRUEBA CORREGIDA."], "approved")
    assert history_rows(app, entry_id)[0][2] == "traductor"
    # An edit that fails a blocking check approves nothing.
    save(reviewer, entry_id, "PRUEBA <b>ROTA.", action="approve")
    assert translation_of(app, entry_id) == (["PRUEBA CORREGIDA."], "approved")


def test_the_awajun_module_title_appears_wherever_the_module_is_named(login_as, app, program):
    """An approved (test-only) title of module 1 replaces the Spanish one in the Awajún interface."""
    with app.app_context():
        from workshops.curriculum.models import Module

        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        entry = store.find_entry("curriculum", f"{module.slug}.title", module.title)
        store.set_translation(entry, "agr", ["PRUEBA TITULO UNO"], "approved")
        db.session.commit()
        spanish_title = module.title
    client = login_as("coordinator", "translator")
    client.post("/language", data={"language": "agr", "next": "/"})
    session_url = f"/sessions/{program['session']}"
    for url in ("/materials/", "/sessions/?when=all", session_url, f"{session_url}/sheet", "/translate/"):
        page = client.get(url).get_data(as_text=True)
        assert "PRUEBA TITULO UNO" in page, url
    # The sheet is bilingual: both titles.
    assert spanish_title in client.get(f"{session_url}/sheet").get_data(as_text=True)


def test_translation_memory_offers_an_exact_and_a_close_match(login_as, app):
    """A test-only translation of one curriculum sentence is offered for the same and a similar one."""
    with app.app_context():
        entries = db.session.scalars(
            sa.select(CatalogEntry).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.obsolete.is_(False)
            )
        ).all()
        by_text = {}
        for entry in entries:
            by_text.setdefault(entry.msgid, []).append(entry)
        # A repeated source (exact match) and a sentence with a one-word change (close match).
        # The repeated sentence with the most words (a deterministic choice: two-word texts
        # changed by one word are not "close"), whatever order the database returns rows in.
        repeated = max(
            (group for text, group in by_text.items() if len(group) > 1 and len(text.split()) >= 2),
            key=lambda group: (len(group[0].msgid.split()), -group[0].id),
        )
        source, target = repeated[0], repeated[1]
        store.set_translation(source, "agr", ["PRUEBA MEMORIA"], "approved")
        words = source.msgid.split()
        similar = store.SourceEntry(
            msgid=" ".join(words[:-1] + ["distinto" + words[-1]]), context="prueba.tm"
        )
        close_entry = CatalogEntry(
            domain="messages", key=similar.key, context=similar.context, msgid=similar.msgid, position=99999
        )
        close_entry.refresh_search()
        db.session.add(close_entry)
        db.session.commit()
        target_id, close_id = target.id, close_entry.id
    client = login_as("translator")
    page = client.get(f"{BASE}/{target_id}").get_data(as_text=True)
    assert "Memoria de traducción" in page and "Mismo original" in page and "PRUEBA MEMORIA" in page
    page = client.get(f"/translate/agr/messages/{close_id}").get_data(as_text=True)
    assert "Parecido:" in page and "PRUEBA MEMORIA" in page and "<mark>" in page
    # One click uses it.
    base = base_revision(page)
    client.post(
        f"/translate/agr/messages/{close_id}",
        data={"translation": "PRUEBA MEMORIA", "base_revision": base, "action": "save"},
    )
    assert translation_of(app, close_id) == (["PRUEBA MEMORIA"], "translated")


def test_concordance_and_propagation(login_as, make_user, app):
    make_user("revisor", roles=("reviewer",))
    reviewer = signed_in(app, "revisor", ())
    entry_id, msgid, _context = entry_where(app, domain="messages", msgid="Guardar")
    with app.app_context():
        duplicate = CatalogEntry(
            domain="curriculum",
            key="prueba-guardar",
            context="prueba.guardar",
            msgid="Guardar",
            position=99999,
        )
        duplicate.refresh_search()
        db.session.add(duplicate)
        db.session.commit()
        duplicate_id = duplicate.id
    reviewer.post("/translate/agr/propagation", data={"propagate": "1"})
    save(reviewer, entry_id, "PRUEBA GUARDAR", domain="messages")
    with app.app_context():
        suggested = db.session.scalars(
            sa.select(Suggestion.forms).where(
                Suggestion.entry_id == duplicate_id, Suggestion.state == "pending"
            )
        ).all()
    assert suggested == [["PRUEBA GUARDAR"]]
    page = reviewer.get("/translate/agr/concordance?q=prueba guardar").get_data(as_text=True)
    assert "PRUEBA GUARDAR" in page and f"/translate/agr/messages/{entry_id}" in page
    assert login_as("facilitator").get("/translate/agr/concordance?q=x").status_code == 403


def test_the_glossary_is_seeded_from_the_key_terms_and_follows_them(login_as, make_user, app):
    from workshops.curriculum.models import KeyTerm
    from workshops.translate import glossary

    with app.app_context():
        glossary.sync_key_terms(["agr"])
        db.session.commit()
        key_term = db.session.scalars(sa.select(KeyTerm).order_by(KeyTerm.id)).first()
        uid = glossary.key_term_uid(key_term)
        seeded = db.session.scalar(sa.select(GlossaryTerm).where(GlossaryTerm.key_term_uid == uid))
        assert (seeded.source_term, seeded.target_term, seeded.status) == (key_term.term, "", "proposed")
        count = db.session.scalar(sa.select(sa.func.count()).select_from(KeyTerm))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GlossaryTerm)) == count
        term_entry = store.find_entry("curriculum", f"{uid}.term", key_term.term)
        term_text = key_term.term
    # A reviewer approves a (test-only) translation of the key term: the glossary follows.
    reviewer = login_as("reviewer")
    save(reviewer, term_entry.id, "PRUEBA-TERMINO", action="approve")
    with app.app_context():
        seeded = db.session.scalar(sa.select(GlossaryTerm).where(GlossaryTerm.key_term_uid == uid))
        assert (seeded.target_term, seeded.status) == ("PRUEBA-TERMINO", "approved")
    # A translator may propose a term (it was a 403).
    make_user("traductora", roles=("translator",))
    translator = signed_in(app, "traductora", ())
    assert translator.get(f"/translate/agr/glossary/propose?source={term_text}").status_code == 200
    response = translator.post(
        "/translate/agr/glossary/propose",
        data={"source_term": term_text, "target_term": "PRUEBA-OTRA", "definition": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        proposals = db.session.scalars(
            sa.select(GlossaryTerm.target_term).where(
                GlossaryTerm.status == "proposed", GlossaryTerm.key_term_uid.is_(None)
            )
        ).all()
    assert proposals == ["PRUEBA-OTRA"]
    listing = translator.get("/translate/agr/glossary").get_data(as_text=True)
    assert "PRUEBA-TERMINO" in listing and "PRUEBA-OTRA" in listing


def test_context_names_the_page_and_marks_placeholders(login_as, app):
    client = login_as("translator")
    entry_id, *_ = entry_where(app, domain="messages", msgid="Se creó el usuario %(name)s.")
    page = client.get(f"/translate/agr/messages/{entry_id}").get_data(as_text=True)
    assert "Aparece en:" in page and "Administración · " in page and "/admin/users" in page
    assert '<code class="placeholder">%(name)s</code>' in page
    assert "Atajos de teclado" in page and re.search(r"\d+ de \d+", page)
    layout_id, *_ = entry_where(app, domain="messages", msgid="Términos clave")
    assert "Todas las páginas" in client.get(f"/translate/agr/messages/{layout_id}").get_data(as_text=True)


def test_curriculum_editor_shows_the_neighbouring_segments_in_order(login_as, app):
    client = login_as("translator")
    with app.app_context():
        entries = db.session.scalars(
            sa.select(CatalogEntry)
            .where(CatalogEntry.context.startswith("vivero-de-cafe.objectives."))
            .order_by(CatalogEntry.position)
        ).all()
        first, second, third = (entry.id for entry in entries[:3])
        texts = [entry.msgid for entry in entries[:3]]
    page = client.get(f"{BASE}/{second}").get_data(as_text=True)
    section = page[page.index("Segmentos vecinos") :]
    positions = [section.index(text) for text in texts]
    assert positions == sorted(positions)
    assert f"{BASE}/{first}" in page and f"{BASE}/{third}" in page
    previous = client.get(f"{BASE}/previous?before={second}")
    assert previous.headers["Location"].startswith(f"{BASE}/{first}")


def test_list_counts_and_quick_save_keeps_the_place(login_as, app):
    client = login_as("translator")
    listing = client.get("/translate/agr/messages/").get_data(as_text=True)
    assert re.search(r"1 de \d+", listing)
    entry_id, *_ = entry_where(app, domain="messages", msgid="Sesiones")
    listing = client.get("/translate/agr/messages/?q=sesiones").get_data(as_text=True)
    assert f'id="e{entry_id}"' in listing
    next_value = re.search(rf'name="next" value="([^"]*#e{entry_id})"', listing).group(1)
    response = client.post(
        f"/translate/agr/messages/{entry_id}",
        data={"translation": "PRUEBA", "base_revision": 0, "action": "save", "next": next_value},
    )
    assert response.headers["Location"].endswith(f"#e{entry_id}")


def test_a_warning_is_not_shown_as_if_it_were_the_next_entrys(login_as, app):
    client = login_as("translator")
    entry_id, msgid, _context = entry_where(app, domain="messages", msgid="Sesiones")
    response = save(client, entry_id, "PRUEBA.", action="save_next", domain="messages")  # punctuation warning
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "«Sesiones» se guardó con avisos." in page
    assert "El signo de puntuación final no coincide con el original." not in page


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
    import polib

    from workshops.translate import catalog_import

    client = login_as("translator")
    count = catalog_import.SHOWN_ENTRIES + 25
    with app.app_context():
        entries = db.session.scalars(
            sa.select(CatalogEntry)
            .where(CatalogEntry.domain == "curriculum", CatalogEntry.obsolete.is_(False))
            .where(~CatalogEntry.msgid.contains("%", autoescape=True))
            .order_by(CatalogEntry.id)
            .limit(count)
        ).all()
        po = polib.POFile()
        po.metadata = {
            "Language": "agr",
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": "nplurals=2; plural=n != 1;",
        }
        for entry in entries:  # a placeholder the source does not have: refused, one by one
            po.append(
                polib.POEntry(msgctxt=entry.context or None, msgid=entry.msgid, msgstr="PRUEBA %(nada)s")
            )
    response = _upload(client, str(po))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{count} rechazadas" in page
    assert page.split("<h3>Rechazadas</h3>")[1].count("<li>") == catalog_import.SHOWN_ENTRIES
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
