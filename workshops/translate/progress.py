"""Translation progress: entries and words by state, per module, and each volunteer's share."""

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..catalog.models import CatalogEntry, Translation, TranslationHistory
from ..curriculum.models import Module
from ..extensions import db
from . import recordings

STATES = ("untranslated", "fuzzy", "translated", "approved")


def _state_query(language_code, domain, *columns):
    """Return a query counting entries and words by translation state, grouped also by columns."""
    translation = aliased(Translation)
    # An inline literal, so SELECT and GROUP BY are the same expression (PostgreSQL insists).
    state_of = func.coalesce(translation.state, literal_column("'untranslated'")).label("state")
    return (
        select(*columns, state_of, func.count(), func.sum(CatalogEntry.words))
        .select_from(CatalogEntry)
        .outerjoin(
            translation, and_(translation.entry_id == CatalogEntry.id, translation.language == language_code)
        )
        .where(CatalogEntry.domain == domain, CatalogEntry.obsolete.is_(False))
        .group_by(*columns, state_of)
    )


def _summary(rows):
    """Return the progress figures of (state, entries, words) rows."""
    counts = {state: {"entries": 0, "words": 0} for state in STATES}
    for state, entries, words in rows:
        counts[state] = {"entries": entries, "words": int(words or 0)}
    total = sum(c["entries"] for c in counts.values())
    total_words = sum(c["words"] for c in counts.values())
    done = counts["translated"]["entries"] + counts["approved"]["entries"]
    return {
        **counts,
        "total": total,
        "total_words": total_words,
        "done": done,
        "percent_done": round(100 * done / total) if total else 0,
        "percent_approved": round(100 * counts["approved"]["entries"] / total) if total else 0,
        "ready": bool(total) and counts["approved"]["entries"] == total,
    }


def progress(language_code, domain, module=None):
    """Entries and words by state for a language, a domain and optionally one module."""
    query = _state_query(language_code, domain)
    if module:
        query = query.where(CatalogEntry.context.startswith(module + ".", autoescape=True))
    return _summary(db.session.execute(query))


def _progress_by_module(language_code):
    """Return {module slug: progress} of the curriculum, in one query for every module."""
    # A module's texts are those whose stable id starts with "<slug>."; substr is portable.
    of_module = func.substr(CatalogEntry.context, 1, func.length(Module.slug) + 1) == Module.slug + "."
    query = _state_query(language_code, "curriculum", Module.slug).join(Module, of_module)
    rows = {}
    for slug, state, entries, words in db.session.execute(query):
        rows.setdefault(slug, []).append((state, entries, words))
    return {slug: _summary(found) for slug, found in rows.items()}


def module_progress(language_code, require_recordings=False, recorded=None):
    """Progress of every module and whether it is ready to teach, with why not, in a fixed number of queries.

    A module is ready to teach when every segment is approved and, in a language
    that requires recordings, every recordable text has an approved current take.
    recorded: recordings.coverage's result, when the page has it already.
    """
    modules = db.session.scalars(select(Module).order_by(Module.number)).all()
    if require_recordings and recorded is None:
        recorded = recordings.coverage([language_code])
    by_module = _progress_by_module(language_code)
    rows = []
    for module in modules:
        p = by_module.get(module.slug) or _summary([])
        p["unapproved"] = p["total"] - p["approved"]["entries"]
        counts = (recorded or {}).get(module.slug, {}).get(language_code)
        p["unrecorded"] = counts["missing"] if require_recordings and counts else 0
        p["ready"] = p["ready"] and not p["unrecorded"]
        rows.append((module, p))
    return rows


def volunteer_credit(language_code):
    """Per person: entries written, entries reviewed, words written (from the history).

    A text's author is who wrote it (on the web, in an upload, in an accepted
    suggestion); the reviewer who approved or accepted it is credited as reviewer.
    """
    written = _credit_rows(
        language_code,
        TranslationHistory.author_id,
        TranslationHistory.origin.in_(("web", "suggestion", "upload", "import", "restore")),
    )
    reviewed = _credit_rows(language_code, TranslationHistory.reviewed_by_id, literal_column("1") == 1)
    credit = {}
    for name, entries, words in written:
        person = credit.setdefault(name, {"translated": 0, "reviewed": 0, "words": 0})
        person["translated"] += entries
        person["words"] += int(words or 0)
    for name, entries, _words in reviewed:
        credit.setdefault(name, {"translated": 0, "reviewed": 0, "words": 0})["reviewed"] += entries
    return sorted(credit.items(), key=lambda item: -item[1]["translated"])


def _credit_rows(language_code, person_column, condition):
    """Return (name, distinct entries, words) per person named by person_column in the history."""
    return db.session.execute(
        select(
            User.display_name,
            func.count(func.distinct(TranslationHistory.translation_id)),
            func.sum(CatalogEntry.words),
        )
        .join(User, User.id == person_column)
        .join(Translation, Translation.id == TranslationHistory.translation_id)
        .join(CatalogEntry, CatalogEntry.id == Translation.entry_id)
        .where(Translation.language == language_code, condition)
        .group_by(User.display_name)
    ).all()
