"""Browsing the curriculum: module list, module page, key terms."""

import re

import pytest
import sqlalchemy as sa

from workshops.catalog.models import CatalogEntry
from workshops.catalog.store import set_translation
from workshops.curriculum.models import Module, Segment
from workshops.curriculum.routes import rendered_modules
from workshops.curriculum.source import load_curriculum
from workshops.extensions import db

ALL_ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")


@pytest.fixture(scope="module")
def parsed():
    return {module.slug: module for module in load_curriculum()}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_can_browse(login_as, role):
    client = login_as(role)
    assert client.get("/modules").status_code == 200
    assert client.get("/modules/vivero-de-cafe").status_code == 200
    assert client.get("/terms").status_code == 200


def test_module_list_is_grouped_by_area(login_as, parsed):
    page = login_as("facilitator").get("/modules").get_data(as_text=True)
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings == [
        "Agronomía del café",
        "Organización y gobierno cooperativo",
        "Educación financiera y empoderamiento económico de las mujeres",
    ]
    for module in parsed.values():
        assert f'href="/modules/{module.slug}"' in page


def test_module_page_shows_every_section_and_text(login_as, parsed):
    client = login_as("facilitator")
    for slug, module in parsed.items():
        page = client.get(f"/modules/{slug}").get_data(as_text=True)
        for section in module.sections:
            assert f'id="s-{section.key}"' in page
        for segment in module.segments():
            escaped = segment.text.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")
            assert escaped in page, segment.uid


def test_community_note_is_visible(login_as, parsed):
    slug = next(
        m.slug
        for m in parsed.values()
        if any(s.needs_community_input and "buits" in s.title.text.lower() for s in m.sections)
    )
    page = login_as("facilitator").get(f"/modules/{slug}").get_data(as_text=True)
    assert "Por completar con la comunidad." in page


def test_unknown_module_is_404_in_app_style(login_as):
    response = login_as("facilitator").get("/modules/no-existe")
    assert response.status_code == 404
    assert "Página no encontrada" in response.get_data(as_text=True)


def test_key_terms_page_lists_all_terms(login_as, parsed):
    page = login_as("translator").get("/terms").get_data(as_text=True)
    for module in parsed.values():
        for term in module.key_terms:
            assert term.term.text.replace("'", "&#39;") in page


def test_module_page_query_count_does_not_depend_on_size(login_as, count_queries, app):
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 3600  # the login and revisions: read once, not by the clock
    client = login_as("facilitator")
    with app.app_context():
        sizes = dict(
            db.session.execute(
                sa.select(Module.slug, sa.func.count(Segment.id)).join(Segment).group_by(Module.slug)
            ).all()
        )
    smallest, largest = min(sizes, key=sizes.get), max(sizes, key=sizes.get)
    assert sizes[smallest] < sizes[largest]
    # The login, the revisions and the module versions: read once and kept.
    assert client.get(f"/modules/{smallest}").status_code == 200
    counts, warm_counts = [], []
    for slug in (smallest, largest):
        rendered_modules.clear()  # first the rendering, then the kept one
        app.extensions["workshops.frames"].clear()
        for measured in (counts, warm_counts):
            with count_queries() as statements:
                assert client.get(f"/modules/{slug}").status_code == 200
            measured.append(len(statements))
    assert counts[0] == counts[1]
    assert warm_counts[0] == warm_counts[1] < counts[0]
    with count_queries() as statements:
        client.get("/terms")
    assert len(statements) <= counts[0]


CSRF_VALUE = re.compile(r'(name="csrf_token" value=)"[^"]*"')


def page(client, path):
    """The page's HTML without its CSRF tokens, which carry the second they were made in."""
    html, found = CSRF_VALUE.subn(r'\1""', client.get(path).get_data(as_text=True))
    assert found, "no CSRF token on the page: the layout changed, and so should this helper"
    return html


def test_kept_module_rendering_follows_translations_and_language(app, login_as):
    """A module is rendered once per language and catalog revision; a saved translation shows at once."""
    client = login_as("translator")
    rendered_modules.clear()
    app.extensions["workshops.frames"].clear()
    spanish = page(client, "/modules/vivero-de-cafe")
    awajun = page(client, "/modules/vivero-de-cafe?lang=agr")
    assert spanish != awajun and 'class="fallback"' in awajun and 'class="fallback"' not in spanish
    assert page(client, "/modules/vivero-de-cafe?lang=agr") == awajun
    with app.app_context():
        entry = db.session.scalar(
            sa.select(CatalogEntry).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.context == "vivero-de-cafe.title"
            )
        )
        set_translation(entry, "agr", ["PRUEBA-titulo-<b>"], "translated")
        db.session.commit()
    again = page(client, "/modules/vivero-de-cafe?lang=agr")
    assert "<h1>PRUEBA-titulo-&lt;b&gt;</h1>" in again
    assert "<title>PRUEBA-titulo- ·" in again  # tags are stripped from the title, as |striptags does
    assert page(client, "/modules/vivero-de-cafe") == spanish
    assert page(client, "/modules/vivero-de-cafe?lang=agr") == again


def test_user_text_is_escaped(app, login_as):
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.number == 2))
        module.summary = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
        db.session.commit()
    try:
        page = login_as("facilitator").get("/modules").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    finally:
        with app.app_context():
            from workshops.curriculum.source import load_curriculum as reload

            module = db.session.scalar(sa.select(Module).where(Module.number == 2))
            module.summary = next(m for m in reload() if m.number == 2).summary.text
            db.session.commit()


def test_long_words_get_soft_hyphens_between_syllables():
    from markupsafe import Markup

    from workshops.core.text import SOFT_HYPHEN, soft_hyphens

    assert soft_hyphens("Yamaikiamtaijinak tsawantin") == SOFT_HYPHEN.join(
        ["Yamai", "kiam", "tai", "jinak tsawantin"]
    )
    assert soft_hyphens("Selección de semilla") == "Selección de semilla"  # short words stay whole
    # Digraphs (sh, ch, ts, ll, rr) are never split; tags, attributes and entities are left alone.
    marked = soft_hyphens(Markup('<span title="Ijuntainumshajamu">Ijuntainumshajamu</span> &amp;'))
    assert isinstance(marked, Markup)
    assert str(marked) == (
        '<span title="Ijuntainumshajamu">'
        + SOFT_HYPHEN.join(["Ijun", "tai", "num", "sha", "jamu"])
        + "</span> &amp;"
    )
    assert soft_hyphens("Ijuntainum", 6) == "Ijun" + SOFT_HYPHEN + "tainum"
    assert (
        soft_hyphens("%(nombre)s desarrollamientos1") == "%(nombre)s desarrollamientos1"
    )  # digits: not a word
