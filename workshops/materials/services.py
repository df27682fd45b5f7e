"""Build printable documents from the curriculum and the store; render and cache PDFs."""

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..catalog.models import CatalogEntry, Translation
from ..core.paths import PACKAGE_DIR, STATIC_DIR, TEMPLATES_DIR
from ..curriculum.models import Module, Section
from ..curriculum.recordable import module_texts
from ..extensions import db
from ..languages import SOURCE_LANGUAGE
from . import voices
from .keys import Stamp, document_stamp

DOCUMENTS = ("handout", "guide", "book", "terms")
LAYOUTS = ("side", "interlinear", "single")
PAPERS = ("A4", "Letter")
SIZES = ("normal", "large")
FUZZY = ("mark", "omit")
HANDOUT_KINDS = ("key_messages", "activity", "discussion")
FILE_WORDS = {
    "handout": "hoja",
    "guide": "guia",
    "side": "lado-a-lado",
    "interlinear": "interlineal",
    "single": "solo",
}


@dataclass(frozen=True)
class Options:
    document: str
    module: str | None = None  # slug, for handout and guide
    layout: str = "side"
    first: str = "agr"  # the language printed first (or alone)
    second: str = SOURCE_LANGUAGE
    paper: str = "A4"
    size: str = "normal"
    fuzzy: str = "mark"

    @property
    def languages(self):
        return (self.first,) if self.layout == "single" else (self.first, self.second)

    @property
    def target(self):
        """The non-source language of the document, or None for Spanish only."""
        return next((code for code in self.languages if code != SOURCE_LANGUAGE), None)


@dataclass
class Piece:
    uid: str
    role: str
    es: str
    translated: str | None = None  # None: no usable translation
    status: str = "missing"  # missing, fuzzy, translated, approved

    def text(self, language):
        if language == SOURCE_LANGUAGE or self.translated is None:
            return self.es
        return self.translated

    def missing_in(self, language):
        return language != SOURCE_LANGUAGE and self.translated is None


@dataclass
class Coverage:
    total: int = 0
    translated: int = 0
    approved: int = 0
    fuzzy: int = 0


@dataclass
class Document:
    options: Options
    modules: list
    coverage: Coverage
    stamp: Stamp
    terms: list = field(default_factory=list)  # (module number, term piece, definition piece)
    heard: dict = field(default_factory=dict)  # {text id: [voices.Take]}: approved takes of printed texts
    voices: list = field(default_factory=list)  # who voiced them: display names, sorted, each once


def _translations(language):
    """Return {context: (msgid, forms, state)} of the curriculum in a language, in one query."""
    if language is None:
        return {}
    rows = db.session.execute(
        select(CatalogEntry.context, CatalogEntry.msgid, Translation.forms, Translation.state)
        .join(Translation.entry)
        .where(
            CatalogEntry.domain == "curriculum",
            CatalogEntry.obsolete.is_(False),
            Translation.language == language,
        )
    ).all()
    return {context: (msgid, forms, state) for context, msgid, forms, state in rows}


def _piece(uid, role, text, found, options, coverage):
    coverage.total += 1
    piece = Piece(uid, role, text)
    if options.target is None:
        piece.status = "translated"
        return piece
    msgid, forms, state = found.get(uid, (None, [], "untranslated"))
    usable = msgid == text and forms and forms[0]
    if usable and state in ("translated", "approved"):
        piece.translated, piece.status = forms[0], state
        coverage.translated += 1
        coverage.approved += state == "approved"
    elif usable and state == "fuzzy":
        coverage.fuzzy += 1
        if options.fuzzy == "mark":
            piece.translated, piece.status = forms[0], "fuzzy"
    return piece


def build(options: Options) -> Document:
    """Collect the texts of a document with their translation status; raise LookupError if unknown."""
    modules = _modules(options)
    found = _translations(options.target)
    coverage = Coverage()
    printed: set[str] = set()

    def piece(uid, role, text):
        printed.add(uid)
        return _piece(uid, role, text, found, options, coverage)

    built: list = []
    terms: list = []
    for module in modules:
        module_terms = [
            (
                piece(f"{module.slug}.terms.{term.key}.term", "term", term.term),
                piece(f"{module.slug}.terms.{term.key}.definition", "definition", term.definition),
            )
            for term in module.key_terms
        ]
        terms.extend((module.number, term, definition) for term, definition in module_terms)
        if options.document != "terms":
            built.append(_module_texts(module, options, piece, module_terms))
    stamp = document_stamp(options, render_version(options))
    heard = _heard(modules, options, printed)
    _add_listening(built, options, heard)
    return Document(options, built, coverage, stamp, terms, heard, voices.voices(heard))


def _heard(modules: list[Module], options: Options, printed: set[str]) -> dict:
    """Return {text id: [takes]} of the approved current takes of the texts the document prints."""
    texts = {uid: text for module in modules for uid, text in module_texts(module).items() if uid in printed}
    slugs = [module.slug for module in modules] if options.document in ("handout", "guide") else None
    return voices.approved_takes(slugs, texts) if texts else {}


def _add_listening(built: list, options: Options, heard: dict) -> None:
    """Give each part of a handout or guide with approved takes the QR code to hear them (else None).

    The parts are the module's sections and its objectives, materials and key terms,
    each under the key the recordings page knows it by.
    """
    coded = options.document in ("handout", "guide") and bool(heard)
    for module in built:

        def code(key, pieces, slug=module["slug"]):
            spoken = any(p.uid in heard for p in pieces) or f"{slug}.{key}.title" in heard
            return voices.listen(slug, key) if coded and spoken else None

        for section in module["sections"]:
            section["listen"] = code(section["key"], section["pieces"])
        module["listen"] = {
            "objectives": code("objectives", module["objectives"]),
            "materials": code("materials", module["materials"]),
            "terms": code("terms", [piece for pair in module["terms"] for piece in pair]),
        }


def _modules(options: Options) -> list[Module]:
    """Return the modules of a document, with their texts loaded; raise LookupError if there are none."""
    query = (
        select(Module)
        .order_by(Module.number)
        .options(
            selectinload(Module.sections).selectinload(Section.segments),
            selectinload(Module.segments),
            selectinload(Module.key_terms),
        )
    )
    if options.document in ("handout", "guide"):
        query = query.where(Module.slug == options.module)
    modules = list(db.session.scalars(query))
    if not modules:
        raise LookupError(options.module)
    return modules


def _module_texts(module: Module, options: Options, piece, module_terms: list) -> dict:
    """Return a module's texts as the document prints them; a handout leaves out the materials."""
    return {
        "number": module.number,
        "slug": module.slug,
        "area": module.area,
        "duration": module.duration_minutes,
        "title": piece(f"{module.slug}.title", "title", module.title),
        "summary": piece(f"{module.slug}.summary", "summary", module.summary),
        "objectives": [piece(s.uid, s.role, s.text) for s in module.objectives],
        "materials": [piece(s.uid, s.role, s.text) for s in module.materials]
        if options.document != "handout"
        else [],
        "sections": _sections(module, options, piece),
        "terms": module_terms,
    }


def _sections(module: Module, options: Options, piece) -> list[dict]:
    """Return the sections a document prints: a handout only key messages, activities and discussions."""
    return [
        {
            "key": section.key,
            "kind": section.kind,
            "minutes": section.minutes,
            "needs_community_input": section.needs_community_input,
            "title": piece(f"{module.slug}.{section.key}.title", "title", section.title),
            "pieces": [piece(seg.uid, seg.role, seg.text) for seg in section.segments],
        }
        for section in module.sections
        if options.document != "handout" or section.kind in HANDOUT_KINDS
    ]


def print_context(document):
    """The words around the texts: title, kind, coverage language, date; in the first language."""
    from flask import g
    from flask_babel import gettext as _

    from ..i18n import languages

    options = document.options
    known = languages()
    g.language = known[options.first]  # labels print in the document's first language
    kinds = {
        "handout": _("Hoja para participantes"),
        "guide": _("Guía del facilitador"),
        "book": _("Currículo completo"),
        "terms": _("Términos clave"),
    }
    if options.document in ("handout", "guide"):
        module = document.modules[0]
        title = _(
            "Módulo %(number)s: %(title)s", number=module["number"], title=module["title"].text(options.first)
        )
    else:
        title = _("Talleres de café, organización y finanzas")
    target = known.get(options.target) if options.target else None
    return {
        "title": title,
        "kind_label": kinds[options.document],
        "target_name": target.native_name if target else "",
        "stamp": _stamp_line(document.stamp, known[options.first]),
        # Who read the printed texts aloud, when some have approved recordings.
        "voices_line": _("Voces: %(names)s", names=", ".join(document.voices)) if document.voices else "",
        "language_names": {code: language.native_name for code, language in known.items()},
        "pdf_url": "",
    }


def _stamp_line(stamp, language):
    """The cover's date line, all in one language: the date follows the label's language.

    The date is the content's (the last change to a translation the document prints),
    not today's: the same content prints the same cover. An untranslated label falls
    back to Spanish, so then the month is Spanish too, never "el 30 Shinutin".
    """
    from flask_babel import gettext as _

    from ..i18n import format_date, languages

    if stamp.changed is None:
        return _("Revisión del catálogo %(revision)s", revision=stamp.revision)
    label = "Traducciones al %(date)s · revisión del catálogo %(revision)s"
    translated = _(label) != label
    shown_in = language if translated else languages()[SOURCE_LANGUAGE]
    return _(label, date=format_date(stamp.changed, shown_in), revision=stamp.revision)


def render_html(document, context, for_pdf=False, part="whole", part_modules=(), part_glossary=False):
    """Render a document as HTML; for the PDF, lang attributes only when the PDF is tagged.

    The book's PDF renders in parts (materials/render.py): `part` is "front" or "body",
    the latter with `part_modules` and, in the last part, the glossary.
    """
    return render_template(
        "materials/document.html",
        doc=document,
        opt=document.options,
        for_pdf=for_pdf,
        tagged=pdf_tagged(document.options),
        part=part,
        part_modules=part_modules,
        part_glossary=part_glossary,
        **context,
    )


@functools.cache
def template_version():
    """A hash of everything that shapes a PDF besides the data: templates, CSS, the code that lays it out."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    code = [here / "render.py", PACKAGE_DIR / "core" / "pdf.py", PACKAGE_DIR / "core" / "pdf_child.py"]
    for path in sorted((TEMPLATES_DIR / "materials").glob("*.html")) + [
        STATIC_DIR / "css" / "print.css",
        Path(__file__),
        *code,
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pdf_tagged(options=None):
    """Whether PDFs carry tags (structure and languages for screen readers): the PDF_TAGGED setting.

    Never the book: it is laid out in parts at once, to build within its time budget,
    and joining parts keeps no structure tree (README, "Printed materials").
    """
    if options is not None and options.document == "book":
        return False
    return bool(current_app.config.get("PDF_TAGGED", True))


def render_version(options=None):
    """The part of a PDF's key that is not data: templates, styles, code, and tagging."""
    return f"{template_version()}-{'tagged' if pdf_tagged(options) else 'plain'}"


def file_name(options, stamp, shop="", extension="pdf"):
    """Name a download by everything that tells two files apart: document, languages, layout, size, shop."""
    if options.document in ("handout", "guide"):
        number, slug = stamp.modules[0]
        stem = f"modulo-{number:02d}-{slug}-{FILE_WORDS[options.document]}"
    elif options.document == "book":
        stem = "curriculo-completo"
    else:
        stem = "terminos-clave"
    languages = "-".join(options.languages)
    size = "-letra-grande" if options.size == "large" else ""
    shop = f"-{shop}" if shop else ""
    return f"{stem}-{languages}-{FILE_WORDS[options.layout]}-{options.paper.lower()}{size}{shop}.{extension}"
