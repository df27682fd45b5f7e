"""Browse the curriculum: modules by area, one module, the key terms."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from .. import chrome, i18n
from ..catalog.runtime import catalog_revisions
from ..core import access
from ..core.render_cache import RenderCache
from . import services

bp = Blueprint("curriculum", __name__)

# The rendered module, one per module version, language and marking mode (i18n.rendering_state),
# replaced when the catalog revision or the module's approved recordings change:
# 12 modules in a few languages, with and without marking, and room for a curriculum update.
rendered_modules = RenderCache(size=96)

AREA_LABELS = {
    "agronomy": _l("Agronomía del café"),
    "organization": _l("Organización y gobierno cooperativo"),
    "finance": _l("Educación financiera y empoderamiento económico de las mujeres"),
}
KIND_LABELS = {
    "key_messages": _l("Mensajes clave"),
    "explanation": _l("Explicación"),
    "activity": _l("Actividad"),
    "discussion": _l("Diálogo"),
    "facilitator_note": _l("Nota para el facilitador"),
    "evaluation": _l("Evaluación"),
}


@bp.app_context_processor
def curriculum_labels():
    return {"AREA_LABELS": AREA_LABELS, "KIND_LABELS": KIND_LABELS}


@bp.route("/")
@access.signed_in
def index():
    """Land where the user's work is: sessions for the field team, the translation overview for translators."""
    if current_user.has_role("admin", "coordinator", "facilitator"):
        return redirect(url_for("sessions.index"))
    if current_user.has_role("translator", "reviewer"):
        return redirect(url_for("workspace.overview"))
    return redirect(url_for("curriculum.modules"))


@bp.route("/modules")
@access.signed_in
def modules():
    return render_template("curriculum/modules.html", areas=services.modules_by_area())


@bp.route("/modules/<slug>")
@access.signed_in
def module(slug):
    content_hash = services.module_version(slug)
    if content_hash is None:
        abort(404)
    # The most read page: the module's article is kept per version, language and revision,
    # and the whole page around it too (chrome.kept_page), but for the person's header.
    # Every language's revision counts: the page plays the recordings of each, and saving
    # or reviewing one bumps its language's revision.
    version = tuple(sorted(catalog_revisions().items()))
    return chrome.kept_page(("module", slug, content_hash), lambda: _module_page(slug, content_hash), version)


def _module_page(slug, content_hash):
    """Render the module page, its article from the kept rendering when current."""
    name, revision = i18n.rendering_state()
    takes = services.module_recordings(slug)
    # A new, approved or replaced recording changes the ids, so the page is rendered again. With
    # recordings, the page carries each recorded text in every language (the play mode shows them):
    # every language's revision counts then.
    others = tuple(sorted(catalog_revisions().items())) if takes else ()
    version = (revision, tuple(take.id for take in takes), others)
    key = (slug, content_hash, name)
    rendered = rendered_modules.get(key)
    if rendered is None or rendered[0] != version:
        found = services.get_module(slug)
        heard = services.heard_by_context(takes, found, i18n.current_language().code)
        written = services.written_texts(found, heard, i18n.languages().values())
        # An autoescaped template's output is already safe HTML.
        article = Markup(  # noqa: S704
            render_template(
                "curriculum/_module_article.html",
                module=found,
                heard=heard,
                written=written,
                languages=i18n.languages(),
                play_strings=services.play_strings() if heard else None,
                language_names={code: language.native_name for code, language in i18n.languages().items()},
            )
            + render_template("curriculum/_module_prepare.html", slug=slug)
        )
        # As Jinja's |striptags: tags dropped; the plain str result is escaped again on output.
        title = Markup(str(i18n.ct(f"{slug}.title", found.title))).striptags()  # noqa: S704
        rendered_modules.put(key, rendered := (version, title, article))
    _, title, article = rendered
    return render_template("curriculum/module.html", title=title, article=article)


@bp.route("/terms")
@access.signed_in
def terms():
    return render_template("curriculum/terms.html", terms=services.all_key_terms())
