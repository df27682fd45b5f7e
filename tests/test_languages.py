"""Spanish and Awajún: locale selection, dates, the store at runtime, a third language."""

import datetime
import time

import babel
import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.extensions import db
from workshops.i18n import format_date
from workshops.languages import BUILTIN_LANGUAGES, Language, get_language, parse_plural_forms
from workshops.translate import catalogs, merge

from .conftest import make_test_app

AGR = BUILTIN_LANGUAGES[1]


def test_babel_has_no_awajun_so_we_never_ask_it():
    with pytest.raises(babel.UnknownLocaleError):
        babel.Locale.parse("agr")
    assert AGR.locale == "es_PE"
    babel.Locale.parse(AGR.locale)  # the formatting locale is known


def test_awajun_month_names_come_from_glibc():
    assert AGR.month_names[0] == "Petsatin" and AGR.month_names[10] == "Shinutin"
    assert AGR.day_names[0] == "Tuntuamtin"
    assert "agr_PE" in AGR.calendar_source


def _set_language(client, code):
    return client.post("/language", data={"language": code, "next": "/modules"})


def test_switcher_works_without_javascript(login_as):
    client = login_as("facilitator")
    page = client.get("/modules").get_data(as_text=True)
    assert 'action="/language"' in page and '<select id="language" name="language">' in page
    response = _set_language(client, "agr")
    assert response.status_code == 302 and response.headers["Location"] == "/modules"
    assert '<html lang="agr"' in client.get("/modules").get_data(as_text=True)


def test_switcher_needs_csrf_token(csrf_app, make_user):
    client = csrf_app.test_client()
    make_user("ana", roles=("admin",))
    response = client.post("/language", data={"language": "agr", "next": "/login"})
    assert response.status_code == 400


def test_selection_order_user_then_session_then_browser(client, app, make_user, admin_exists):
    # Browser only.
    page = client.get("/login", headers={"Accept-Language": "agr, es;q=0.5"}).get_data(as_text=True)
    assert '<html lang="agr"' in page
    # The session beats the browser.
    _set_language(client, "es")
    page = client.get("/login", headers={"Accept-Language": "agr"}).get_data(as_text=True)
    assert '<html lang="es"' in page
    # The logged-in user's preference beats the session.
    user_id = make_user("maria", roles=("coordinator",))
    with app.app_context():
        from workshops.auth.models import User

        db.session.get(User, user_id).language = "agr"
        db.session.commit()
    client.post("/login", data={"username": "maria", "password": "correct horse battery"})
    assert '<html lang="agr"' in client.get("/modules").get_data(as_text=True)


def test_language_in_the_url(client, admin_exists):
    assert '<html lang="agr"' in client.get("/login?lang=agr").get_data(as_text=True)
    assert '<html lang="es"' in client.get("/login?lang=xx").get_data(as_text=True)


def test_unknown_language_falls_back_to_spanish(client, admin_exists):
    with client.session_transaction() as session:
        session["language"] = "xx"
    assert '<html lang="es"' in client.get("/login").get_data(as_text=True)
    response = _set_language(client, "klingon")
    assert response.status_code == 302
    assert '<html lang="es"' in client.get("/login").get_data(as_text=True)


def test_dates_in_awajun_and_spanish(app):
    day = datetime.date(2026, 11, 27)
    with app.test_request_context():
        assert format_date(day, AGR) == "27 Shinutin 2026"
        assert format_date(day, get_language("es")) == "27 de noviembre de 2026"


def test_numbers_use_es_pe_in_awajun(client, admin_exists):
    from flask_babel import format_decimal

    app = client.application
    with app.test_request_context(headers={"Accept-Language": "agr"}):
        assert format_decimal(1234567.5) == "1,234,567.5"


def test_translation_in_the_store_shows_in_another_worker(app, database_url, instance_dir, login_as):
    client = login_as("translator")
    _set_language(client, "agr")
    # Another worker trusts the revisions it read for SHARED_STATE_RECHECK_SECONDS.
    other_app = make_test_app(database_url, instance_dir, SHARED_STATE_RECHECK_SECONDS=0.3)
    other = other_app.test_client()
    other.post("/login", data={"username": "first-admin", "password": "correct horse battery"})
    _set_language(other, "agr")
    assert "Términos clave" in other.get("/modules").get_data(as_text=True)  # warms the cache
    with app.app_context():
        entry = store.find_entry("messages", "", "Términos clave")
        store.set_translation(entry, "agr", ["TERMINOS-PRUEBA"], "translated")
        db.session.commit()
    assert "TERMINOS-PRUEBA" in client.get("/modules").get_data(as_text=True)  # this worker: at once
    time.sleep(0.4)
    page = other.get("/modules").get_data(as_text=True)
    assert "TERMINOS-PRUEBA" in page
    with other_app.app_context():
        db.engine.dispose()


def test_curriculum_translation_and_visible_fallback(app, login_as):
    client = login_as("facilitator")
    _set_language(client, "agr")
    with app.app_context():
        from workshops.curriculum.models import Module

        title = db.session.scalar(sa.select(Module.title).where(Module.slug == "vivero-de-cafe"))
        entry = store.find_entry("curriculum", "vivero-de-cafe.title", title)
        assert entry is not None
        store.set_translation(entry, "agr", ["<b>prueba</b> vivero"], "translated")
        db.session.commit()
    page = client.get("/modules/vivero-de-cafe").get_data(as_text=True)
    assert "&lt;b&gt;prueba&lt;/b&gt; vivero" in page  # translations are text, always escaped
    assert '<span lang="es" class="fallback">' in page  # untranslated text shows in Spanish, marked


def test_fuzzy_translations_are_not_shown(app, login_as):
    client = login_as("facilitator")
    _set_language(client, "agr")
    with app.app_context():
        entry = store.find_entry("messages", "", "Términos clave")
        store.set_translation(entry, "agr", ["DUDOSO"], "fuzzy")
        db.session.commit()
    assert "DUDOSO" not in client.get("/modules").get_data(as_text=True)


def test_show_untranslated_mode_marks_fallback_text(login_as):
    client = login_as("translator")
    client.post("/language", data={"language": "agr", "show_untranslated": "y", "next": "/modules"})
    page = client.get("/modules").get_data(as_text=True)
    assert "⟦Términos clave⟧" in page
    client.post("/language", data={"language": "agr", "next": "/modules"})
    assert "⟦" not in client.get("/modules").get_data(as_text=True)


def test_a_third_language_is_one_registry_entry_plus_a_catalog(
    database_url, instance_dir, make_user, admin_exists
):
    english = Language("en", "English", "Inglés", locale="en")
    app = make_test_app(database_url, instance_dir, LANGUAGES=[english])
    po = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=n != 1;\\n"\n\nmsgid "Términos clave"\nmsgstr "Key terms"\n'
    )
    with app.app_context():
        report = merge.import_file(po.encode(), "messages", "en", filename="en.po")
        db.session.commit()
    assert len(report.applied) == 1
    client = app.test_client()
    client.post("/login", data={"username": "first-admin", "password": "correct horse battery"})
    client.post("/language", data={"language": "en", "next": "/modules"})
    page = client.get("/modules").get_data(as_text=True)
    assert '<html lang="en"' in page and "Key terms" in page
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM catalog_revision WHERE language = 'en'"))
        db.session.commit()
        db.engine.dispose()


def test_plural_forms_are_validated():
    assert parse_plural_forms("nplurals=2; plural=n != 1;")[0] == 2
    assert parse_plural_forms("nplurals=3; plural=(n==1 ? 0 : n==2 ? 1 : 2);")[1](2) == 1
    for bad in (
        "nplurals=2;",
        "plural=n!=1;",
        "nplurals=2; plural=n+5;",
        "nplurals=x; plural=0;",
        "nplurals=2; plural=n/0;",  # divides by zero: refused, never a 500
        "nplurals=2; plural=(n%0);",
    ):
        with pytest.raises(ValueError):
            parse_plural_forms(bad)


def test_admin_edits_plural_forms_and_names(login_as, app):
    client = login_as("admin")
    assert "Awajún" in client.get("/admin/languages").get_data(as_text=True)
    bad = client.post(
        "/admin/languages/agr",
        data={"native_name": "Awajún", "spanish_name": "Awajún", "plural_forms": "n != 1"},
    )
    assert bad.status_code == 200 and 'class="errors"' in bad.get_data(as_text=True)
    by_zero = client.post(
        "/admin/languages/agr",
        data={"native_name": "Awajún", "spanish_name": "Awajún", "plural_forms": "nplurals=2; plural=n/0;"},
    )
    assert by_zero.status_code == 200 and 'class="errors"' in by_zero.get_data(as_text=True)
    good = client.post(
        "/admin/languages/agr",
        data={"native_name": "Awajún", "spanish_name": "Aguaruna", "plural_forms": "nplurals=1; plural=0;"},
    )
    assert good.status_code == 302
    with app.app_context():
        assert get_language("agr").nplurals == 1 and get_language("agr").spanish_name == "Aguaruna"
        po = catalogs.build_po("messages", "agr")
        assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert client.get("/admin/languages/xx").status_code == 404
