"""What the editor shows beside an entry: its place, glossary, neighbours, memory, history, recordings."""

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..catalog import store
from ..catalog.models import CatalogEntry, TranslationHistory, fold
from ..curriculum.models import Module, Section
from ..extensions import db
from ..languages import SOURCE_LANGUAGE
from . import memory, places, recordings
from .checks import BRACE_FORMAT, PYTHON_FORMAT
from .workspace import glossary_terms, suggestions


def curriculum_place(entry):
    """Return (module, section) of a curriculum entry, either may be None."""
    if entry.domain != "curriculum" or not entry.context:
        return None, None
    slug, _, rest = entry.context.partition(".")
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    section = None
    if module is not None:
        section_key = rest.split(".")[0]
        section = db.session.scalar(
            select(Section).where(Section.module_id == module.id, Section.key == section_key)
        )
    return module, section


def highlight(text, terms):
    """Return text as HTML with the glossary terms marked (accent- and case-insensitive)."""
    folded, origin = [], []
    for index, char in enumerate(text):
        for folded_char in fold(char):
            folded.append(folded_char)
            origin.append(index)
    folded_text = "".join(folded)
    spans = []
    for term in terms:
        needle = fold(term.source_term)
        start = folded_text.find(needle) if needle else -1
        while start != -1:
            spans.append((origin[start], origin[start + len(needle) - 1] + 1, "mark"))
            start = folded_text.find(needle, start + len(needle))
    # Placeholders are marked too, so a translator sees them and can copy one with a click.
    for pattern in (PYTHON_FORMAT, BRACE_FORMAT):
        spans.extend((m.start(), m.end(), "code") for m in pattern.finditer(text) if m.group(0) != "%%")
    html, position = Markup(""), 0
    for begin, end, tag in sorted(spans):
        if begin < position:
            continue  # overlapping spans: keep the first
        opening = Markup('<code class="placeholder">') if tag == "code" else Markup("<mark>")
        closing = Markup("</code>") if tag == "code" else Markup("</mark>")
        html += escape(text[position:begin]) + opening + escape(text[begin:end]) + closing
        position = end
    return html + escape(text[position:])


def other_translations(entry, language):
    return [t for t in entry.translations if t.language != language and t.state != "untranslated"]


def history(translation):
    if translation is None:
        return []
    return db.session.scalars(
        select(TranslationHistory)
        .where(TranslationHistory.translation_id == translation.id)
        .order_by(TranslationHistory.revision.desc())
    ).all()


def editor_context(entry, language_code, translation):
    """Return what the editor shows beside an entry: its place, glossary, other languages, history, suggestions."""
    module, section = curriculum_place(entry)
    glossary = glossary_terms(language_code, entry.msgid)
    shown = neighbours(entry, language_code)
    return {
        "module": module,
        "section": section,
        "glossary": glossary,
        "highlighted": highlight(entry.msgid, [t for t in glossary if t.status != "forbidden"]),
        "others": other_translations(entry, language_code),
        "history": history(translation),
        "suggestions": suggestions(entry, language_code),
        "memory": memory.matches(entry, language_code),
        "places": places.places(entry.references.splitlines()) if entry.domain == "messages" else [],
        "neighbours": shown,
        # The current takes of this text and of its neighbours, to listen to while writing.
        "takes": listening([entry, *(other for other, _translation, _here in shown)], language_code),
    }


def recordable(entry):
    """Tell whether an entry is a text that can be recorded: every curriculum text (curriculum.recordable)."""
    return entry.domain == "curriculum" and bool(entry.context)


def listening(entries, language_code):
    """Return {context: current takes in the language, then in Spanish} of the entries shown, in one query."""
    if not any(entry.domain == "curriculum" for entry in entries):
        return {}
    contexts = [entry.context for entry in entries if recordable(entry)]
    return recordings.current_takes(contexts, [language_code, SOURCE_LANGUAGE])


def neighbours(entry, language_code, around=2):
    """Return the curriculum entries before and after this one in its module, in order, with itself.

    Each is (entry, its translation or None, is this entry).
    """
    if entry.domain != "curriculum" or "." not in entry.context:
        return []
    slug = entry.context.split(".", 1)[0]
    base = (
        select(CatalogEntry)
        .where(
            CatalogEntry.domain == "curriculum",
            CatalogEntry.obsolete.is_(False),
            CatalogEntry.context.startswith(slug + ".", autoescape=True),
        )
        .options(selectinload(CatalogEntry.translations))
    )
    before = db.session.scalars(
        base.where(CatalogEntry.position < entry.position)
        .order_by(CatalogEntry.position.desc())
        .limit(around)
    ).all()
    after = db.session.scalars(
        base.where(CatalogEntry.position > entry.position).order_by(CatalogEntry.position).limit(around)
    ).all()
    shown = [*reversed(before), entry, *after]
    return [(other, store.translation_for(other, language_code), other.id == entry.id) for other in shown]
