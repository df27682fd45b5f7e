"""One part of a module read aloud: the page the QR code of a printed section opens.

A printed handout or guide carries, beside each section with approved takes, a
QR code to this page (materials/voices.py): the section's texts in every
language, each with a plain player per approved take. It is seen by whoever may
see the module page (any signed-in user) and, like that page, plays approved
takes only: the takes awaiting review are heard on their recording page.
"""

from dataclasses import dataclass, field

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from ..catalog.runtime import get_translations
from ..core import access
from ..curriculum import services as curriculum
from ..i18n import current_language, languages
from .routes import bp

# The parts of a module that are not sections, under the keys the curriculum reserves for them.
PARTS = {"objectives": _l("Objetivos"), "materials": _l("Materiales"), "terms": _l("Términos clave")}


@dataclass
class Text:
    """A text of the part: its Spanish original, its written translations, its approved takes."""

    uid: str
    spanish: str
    written: list[tuple[str, str]] = field(default_factory=list)  # (language code, text)
    takes: list = field(default_factory=list)


def _texts(module, key: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """Return (Spanish title, title's text id or "", [(text id, Spanish text)]) of a part, or None."""
    if key in ("objectives", "materials"):
        segments = module.objectives if key == "objectives" else module.materials
        return str(PARTS[key]), "", [(s.uid, s.text) for s in segments]
    if key == "terms":
        texts = []
        for term in module.key_terms:
            prefix = f"{module.slug}.terms.{term.key}"
            texts += [(f"{prefix}.term", term.term), (f"{prefix}.definition", term.definition)]
        return str(PARTS[key]), "", texts
    section = next((s for s in module.sections if s.key == key), None)
    if section is None:
        return None
    return section.title, f"{module.slug}.{key}.title", [(s.uid, s.text) for s in section.segments]


def _written(uid: str, text: str) -> list[tuple[str, str]]:
    """Return [(language code, text)] of the written translations of a text (none while untranslated)."""
    found = []
    for language in languages().values():
        if not language.is_source:
            translated = get_translations("curriculum", language).upgettext(uid, text)
            if translated != text:
                found.append((language.code, translated))
    return found


@bp.route("/listen/<slug>/<key>")
@access.signed_in
def listen(slug: str, key: str) -> ResponseReturnValue:
    module = curriculum.get_module(slug)
    if module is None:
        abort(404)
    part = _texts(module, key)
    if part is None:
        abort(404)
    title, title_uid, pairs = part
    # Approved current takes of texts unchanged since they were recorded, the page's language first.
    heard = curriculum.heard_by_context(curriculum.module_recordings(slug), module, current_language().code)
    texts = [Text(uid, spanish, _written(uid, spanish), heard.get(uid, [])) for uid, spanish in pairs]
    # A section's title is recorded too: its takes play under the heading.
    return render_template(
        "voice/listen.html",
        module=module,
        key=key,
        title=title,
        title_written=_written(title_uid, title) if title_uid else [],
        title_takes=heard.get(title_uid, []) if title_uid else [],
        module_written=_written(f"{slug}.title", module.title),
        texts=texts,
        anchor=key if key in PARTS else f"s-{key}",
        languages=languages(),
    )
