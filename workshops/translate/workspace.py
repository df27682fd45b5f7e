"""The translator workspace: finding work, saving with checks, review, progress."""

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..catalog import store
from ..catalog.models import CatalogEntry, GlossaryTerm, Suggestion, Translation, TranslationHistory, fold
from ..curriculum.models import Module, Section
from ..extensions import db
from . import glossary, memory, places
from .checks import BRACE_FORMAT, PYTHON_FORMAT, run_checks

STATE_FILTERS = ("untranslated", "fuzzy", "translated", "approved", "failing", "suggestion")
PER_PAGE = 40


@dataclass
class Filters:
    state: str = ""
    module: str = ""  # curriculum: module slug
    section: str = ""  # curriculum: section key
    page: str = ""  # interface: template or file prefix
    q: str = ""
    since: datetime | None = None


@dataclass
class SaveResult:
    status: str  # saved, suggested, conflict, refused
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    details: dict = field(default_factory=dict)  # check code -> what exactly failed
    translation: Translation | None = None
    suggestion: Suggestion | None = None


def _filtered(language, domain, filters):
    translation = aliased(Translation)
    query = (
        select(CatalogEntry, translation)
        .outerjoin(
            translation, and_(translation.entry_id == CatalogEntry.id, translation.language == language)
        )
        .where(CatalogEntry.domain == domain, CatalogEntry.obsolete.is_(False))
    )
    state = filters.state
    if state == "untranslated":
        query = query.where(or_(translation.id.is_(None), translation.state == "untranslated"))
    elif state in ("fuzzy", "translated", "approved"):
        query = query.where(translation.state == state)
    elif state == "failing":
        query = query.where(translation.check_count > 0)
    elif state == "suggestion":
        query = query.where(
            exists().where(
                Suggestion.entry_id == CatalogEntry.id,
                Suggestion.language == language,
                Suggestion.state == "pending",
            )
        )
    if filters.module:
        prefix = filters.module + "." + (filters.section + "." if filters.section else "")
        query = query.where(CatalogEntry.context.startswith(prefix, autoescape=True))
    if filters.page:
        query = query.where(CatalogEntry.references.contains(filters.page, autoescape=True))
    if filters.q:
        needle = fold(filters.q.strip())
        query = query.where(
            or_(
                CatalogEntry.search_text.contains(needle, autoescape=True),
                translation.search_text.contains(needle, autoescape=True),
            )
        )
    if filters.since:
        query = query.where(translation.updated_at >= filters.since)
    return query, translation


def list_entries(language, domain, filters, page=1):
    """Return (rows of (entry, translation), total count) for one page of a filtered list."""
    query, _translation = _filtered(language, domain, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(CatalogEntry.position, CatalogEntry.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return rows, total


def next_entry(language, domain, filters, after):
    """Return the next entry after `after` that matches (state default: untranslated)."""
    filters = Filters(**{**filters.__dict__, "state": filters.state or "untranslated"})
    query, _translation = _filtered(language, domain, filters)
    if after is not None:
        query = query.where(
            or_(
                CatalogEntry.position > after.position,
                and_(CatalogEntry.position == after.position, CatalogEntry.id > after.id),
            )
        )
    row = db.session.execute(query.order_by(CatalogEntry.position, CatalogEntry.id).limit(1)).first()
    return row[0] if row else None


def previous_entry(language, domain, filters, before):
    """Return the entry before `before` that matches the filters (any state by default)."""
    query, _translation = _filtered(language, domain, filters)
    query = query.where(
        or_(
            CatalogEntry.position < before.position,
            and_(CatalogEntry.position == before.position, CatalogEntry.id < before.id),
        )
    )
    row = db.session.execute(
        query.order_by(CatalogEntry.position.desc(), CatalogEntry.id.desc()).limit(1)
    ).first()
    return row[0] if row else None


def place_in_list(language, domain, filters, entry):
    """Return (n, N): the entry's place among the entries the filters match, or None if it is not one."""
    query, _translation = _filtered(language, domain, filters)
    earlier = or_(
        CatalogEntry.position < entry.position,
        and_(CatalogEntry.position == entry.position, CatalogEntry.id < entry.id),
    )
    # One pass over the matching entries: all of them, those before this one, this one.
    total, before, this = db.session.execute(
        query.with_only_columns(
            func.count(),
            func.coalesce(func.sum(case((earlier, 1), else_=0)), 0),
            func.coalesce(func.sum(case((CatalogEntry.id == entry.id, 1), else_=0)), 0),
        )
    ).one()
    return (before + 1, total) if this else None


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


def glossary_terms(language, text):
    """Return the glossary terms (not forbidden first) whose Spanish term occurs in text."""
    folded = fold(text)
    terms = db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.language == language)).all()
    return [term for term in terms if fold(term.source_term) and fold(term.source_term) in folded]


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


def suggestions(entry, language):
    return db.session.scalars(
        select(Suggestion)
        .where(
            Suggestion.entry_id == entry.id, Suggestion.language == language, Suggestion.state == "pending"
        )
        .order_by(Suggestion.created_at)
    ).all()


def editor_context(entry, language_code, translation):
    """Return what the editor shows beside an entry: its place, glossary, other languages, history, suggestions."""
    module, section = curriculum_place(entry)
    glossary = glossary_terms(language_code, entry.msgid)
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
        "neighbours": neighbours(entry, language_code),
    }


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


def check(entry, language, forms):
    return run_checks(
        entry.msgid, entry.msgid_plural, forms, language.nplurals, glossary_terms(language.code, entry.msgid)
    )


def save(entry, language, forms, base_revision, user, needs_review=False, origin="web", author_id=None):
    """Save a translation unless a check blocks it; a stale base or suggest mode makes a suggestion.

    author_id is who wrote the text when that is not the user (a restored version).
    """
    result = check(entry, language, forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, warnings=result.warnings, details=result.details)
    current = store.translation_for(entry, language.code)
    current_revision = current.revision if current else 0
    if base_revision == current_revision:
        if language.review_mode == "suggest" and not user.has_role("reviewer"):
            suggestion = _suggest(entry, language.code, forms, base_revision, user, conflict=False)
            return SaveResult("suggested", warnings=result.warnings, suggestion=suggestion)
        state = "fuzzy" if needs_review else "translated"
        try:
            translation = store.set_translation_at(
                entry,
                language.code,
                base_revision,
                forms,
                state,
                author_id=author_id if author_id is not None else user.id,
                origin=origin,
                warnings=result.warnings,
            )
            if translation is not None and language.propagate:
                memory.propagate(entry, language.code, forms, user)
            follow_key_term(entry, language)
            return SaveResult("saved", warnings=result.warnings, translation=translation or current)
        except store.StaleRevision:
            current = store.translation_for(entry, language.code)  # saved by someone else just now
    suggestion = _suggest(entry, language.code, forms, base_revision, user, conflict=True)
    return SaveResult("conflict", warnings=result.warnings, translation=current, suggestion=suggestion)


def follow_key_term(entry, language):
    """Keep the glossary in step when the translation of a curriculum key term changed."""
    if entry.domain == "curriculum" and ".terms." in entry.context and entry.context.endswith(".term"):
        glossary.sync_key_terms([language.code])


def _suggest(entry, language_code, forms, base_revision, user, conflict):
    suggestion = Suggestion(
        entry_id=entry.id,
        language=language_code,
        forms=list(forms),
        is_conflict=conflict,
        base_revision=base_revision,
        author_id=user.id if user else None,
    )
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def approve(entry, language, user, forms=None, base_revision=None):
    """Approve a translation (reviewers): the stored text, or the edited one given, saved and approved.

    Returns a SaveResult: "saved", "refused" (a blocking check, or nothing to
    approve) or "conflict" (the text changed since base_revision; the edit is kept
    as a suggestion). The stored text keeps its author; an edit is the reviewer's.
    """
    translation = store.translation_for(entry, language.code)
    if forms is not None and any(forms) and (translation is None or list(forms) != translation.forms):
        return _approve_edit(entry, language, user, list(forms), base_revision, translation)
    if translation is None or translation.state == "untranslated":
        return SaveResult("refused")
    result = check(entry, language, translation.forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, details=result.details)
    store.set_translation(
        entry,
        language.code,
        translation.forms,
        "approved",
        author_id=translation.updated_by_id,
        origin="approve",
        reviewed_by_id=user.id,
    )
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=translation)


def _approve_edit(entry, language, user, forms, base_revision, translation):
    """Save a reviewer's edited text as approved, on the revision it was based on."""
    result = check(entry, language, forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, warnings=result.warnings, details=result.details)
    current_revision = translation.revision if translation else 0
    base = current_revision if base_revision is None else base_revision
    try:
        if base != current_revision:
            raise store.StaleRevision
        saved = store.set_translation_at(
            entry,
            language.code,
            base,
            forms,
            "approved",
            author_id=user.id,
            origin="approve",
            warnings=result.warnings,
            reviewed_by_id=user.id,
        )
    except store.StaleRevision:
        suggestion = _suggest(entry, language.code, forms, base, user, conflict=True)
        current = store.translation_for(entry, language.code)
        return SaveResult("conflict", warnings=result.warnings, translation=current, suggestion=suggestion)
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=saved)


def accept_suggestion(suggestion, language, user):
    """Apply a suggestion: its author stays the text's author, the reviewer is recorded as such."""
    entry = suggestion.entry
    result = check(entry, language, suggestion.forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, details=result.details)
    translation = store.set_translation(
        entry,
        language.code,
        suggestion.forms,
        "translated",
        author_id=suggestion.author_id,
        origin="suggestion",
        warnings=result.warnings,
        reviewed_by_id=user.id,
    )
    suggestion.state, suggestion.decided_by_id = "accepted", user.id
    for other in suggestions(entry, language.code):
        if other.id != suggestion.id and other.forms == suggestion.forms:
            other.state, other.decided_by_id = "accepted", user.id
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=translation)


def reject_suggestion(suggestion, user):
    suggestion.state, suggestion.decided_by_id = "rejected", user.id


def restore(history_row, language, user):
    """Bring back an earlier version as a new revision, by the same rules as a save.

    History is never rewritten. The restored text keeps the author who wrote it;
    in a language that takes translators' saves as suggestions, a translator's
    restore is a suggestion too, and a blocking check refuses it like any save.
    """
    translation = db.session.get(Translation, history_row.translation_id)
    entry = translation.entry
    return save(
        entry,
        language,
        list(history_row.forms),
        translation.revision,
        user,
        needs_review=history_row.state == "fuzzy",
        origin="restore",
        author_id=history_row.author_id,
    )


def dismiss_warning(translation, code):
    if code in (translation.warnings or []):
        translation.warnings = [w for w in translation.warnings if w != code]
        translation.dismissed = sorted({*(translation.dismissed or []), code})
        translation.check_count = len(translation.warnings)


def load_entry(entry_id, domain):
    return db.session.scalar(
        select(CatalogEntry)
        .where(CatalogEntry.id == entry_id, CatalogEntry.domain == domain)
        .options(selectinload(CatalogEntry.translations))
    )
