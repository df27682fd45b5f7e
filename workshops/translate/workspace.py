"""The translator workspace: finding work, saving with checks, review, progress."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..catalog import store
from ..catalog.models import CatalogEntry, GlossaryTerm, Suggestion, Translation, fold
from ..extensions import db
from . import glossary, memory
from .checks import run_checks

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


def glossary_index(language):
    """Return [(folded Spanish term, term)] of a language's glossary, to check many texts against it."""
    terms = db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.language == language)).all()
    return [(folded, term) for term in terms if (folded := fold(term.source_term))]


def glossary_terms(language, text, index=None):
    """Return the glossary terms whose Spanish term occurs in text (index: glossary_index's, if at hand)."""
    folded = fold(text)
    return [
        term
        for source, term in (index if index is not None else glossary_index(language))
        if source in folded
    ]


def suggestions(entry, language):
    return db.session.scalars(
        select(Suggestion)
        .where(
            Suggestion.entry_id == entry.id, Suggestion.language == language, Suggestion.state == "pending"
        )
        .order_by(Suggestion.created_at)
    ).all()


def check(entry, language, forms, glossary=None):
    """Run the checks of a translation; glossary: glossary_index's result when checking many entries."""
    return run_checks(
        entry.msgid,
        entry.msgid_plural,
        forms,
        language.nplurals,
        glossary_terms(language.code, entry.msgid, glossary),
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


def load_entry(entry_id, domain):
    return db.session.scalar(
        select(CatalogEntry)
        .where(CatalogEntry.id == entry_id, CatalogEntry.domain == domain)
        .options(selectinload(CatalogEntry.translations))
    )
