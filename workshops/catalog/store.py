"""Operations on the translation store: entries, translations, revisions."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..extensions import db, utcnow
from .models import CatalogEntry, CatalogRevision, Translation, TranslationHistory, entry_key, fold


@dataclass
class SourceEntry:
    """One msgid of a template (.pot), as extracted from code or curriculum."""

    msgid: str
    context: str = ""
    msgid_plural: str | None = None
    comment: str = ""
    references: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def key(self):
        return entry_key(self.context, self.msgid)


def current_revision(language):
    """Return the language's catalog revision (0 when nothing was stored yet)."""
    value = db.session.scalar(select(CatalogRevision.revision).where(CatalogRevision.language == language))
    return value or 0


_ALL_REVISIONS = select(CatalogRevision.language, CatalogRevision.revision)
# Where an app keeps the revisions it read (runtime.catalog_revisions).
KEPT_REVISIONS = "workshops.catalog_revisions"


@event.listens_for(Session, "after_commit")
def _forget_after_catalog_changes(session):
    """Drop the kept revisions once a bumped revision is committed: this process sees it at once."""
    if session.info.pop("catalog_changed", False) and has_app_context():
        current_app.extensions.pop(KEPT_REVISIONS, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, _previous):
    session.info.pop("catalog_changed", None)


def all_revisions():
    """Return {language: catalog revision} of every language that has one (one small query)."""
    return {language: revision for language, revision in db.session.execute(_ALL_REVISIONS)}


# Inside one_revision(): {language: the revision this batch of saves took}.
_batch: ContextVar[dict[str, int] | None] = ContextVar("catalog_revision_batch", default=None)


@contextmanager
def one_revision():
    """Make every save inside take one new revision per language, not one each (an import of a file).

    Other processes see the change once, at the commit, as with one save; the translations
    saved here all record that revision as the one they changed at.
    """
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def bump_revision(language):
    """Add one to the language's catalog revision, atomically; return the new revision."""
    db.session.info["catalog_changed"] = True
    batch = _batch.get()
    if batch is not None and language in batch:
        return batch[language]
    revision = _bump(language)
    if batch is not None:
        batch[language] = revision
    return revision


def _bump(language):
    result = db.session.execute(
        update(CatalogRevision)
        .where(CatalogRevision.language == language)
        .values(revision=CatalogRevision.revision + 1)
        # Nothing reads the row as an object: without this, SQLAlchemy walks every object in
        # the session after each bump, and an import of n entries costs n squared.
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(CatalogRevision(language=language, revision=1))
        except IntegrityError:
            # Another process created the row meanwhile; count on it.
            return bump_revision(language)
    return current_revision(language)


def entries(domain, include_obsolete=False):
    query = select(CatalogEntry).where(CatalogEntry.domain == domain).order_by(CatalogEntry.position)
    if not include_obsolete:
        query = query.where(CatalogEntry.obsolete.is_(False))
    return db.session.scalars(query.options(selectinload(CatalogEntry.translations))).all()


def find_entry(domain, context, msgid):
    return db.session.scalar(
        select(CatalogEntry).where(
            CatalogEntry.domain == domain, CatalogEntry.key == entry_key(context, msgid)
        )
    )


def translation_for(entry, language):
    return next((t for t in entry.translations if t.language == language), None)


def set_translation(
    entry,
    language,
    forms,
    state,
    author_id=None,
    origin="web",
    translator_comment=None,
    warnings=None,
    reviewed_by_id=None,
):
    """Store a new version of a translation, with history; return it, or None if unchanged.

    author_id is who wrote the text, reviewed_by_id the reviewer who approved or accepted it.
    """
    forms = [str(form) for form in forms]
    if not any(forms):
        state = "untranslated"
    translation = translation_for(entry, language)
    if translation is None and state == "untranslated" and not translator_comment:
        return None  # nothing to keep: no row for an entry nobody translated
    if translation is None:
        translation = Translation(language=language, forms=[], state="untranslated", revision=0)
        entry.translations.append(translation)
    unchanged = translation.forms == forms and translation.state == state
    if translator_comment is not None and translator_comment != translation.translator_comment:
        translation.translator_comment = translator_comment
        unchanged = False
    if unchanged:
        return None
    translation.forms = forms
    translation.state = state
    translation.search_text = fold(" ".join(forms))
    translation.revision = (translation.revision or 0) + 1
    translation.updated_by_id = author_id
    translation.reviewed_by_id = reviewed_by_id
    translation.updated_at = utcnow()
    if warnings is not None:
        translation.warnings = [code for code in warnings if code not in (translation.dismissed or [])]
        translation.check_count = len(translation.warnings)
    db.session.flush()
    db.session.add(
        TranslationHistory(
            translation_id=translation.id,
            forms=forms,
            state=state,
            revision=translation.revision,
            author_id=author_id,
            origin=origin,
            reviewed_by_id=reviewed_by_id,
        )
    )
    translation.changed_at_revision = bump_revision(language)
    return translation


class StaleRevision(Exception):
    """Another save changed the translation after the revision a save was based on."""


def set_translation_at(entry, language, revision, forms, state, **options):
    """set_translation(), only while the translation is still at `revision`; else raise StaleRevision.

    Reading the revision and then writing is not atomic: two saves based on the same
    revision would both pass the check and the later would silently overwrite the
    earlier. The conditional UPDATE takes the row lock (SQLite: the write lock) and
    matches only if nobody saved in between; a new row is guarded by the unique
    (entry, language) key.
    """
    translation = translation_for(entry, language)
    if translation is not None:
        claimed = db.session.execute(
            update(Translation)
            .where(Translation.id == translation.id, Translation.revision == revision)
            .values(revision=revision)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            db.session.expire(translation)
            raise StaleRevision
        return set_translation(entry, language, forms, state, **options)
    try:
        with db.session.begin_nested():
            return set_translation(entry, language, forms, state, **options)
    except IntegrityError:
        db.session.expire(entry, ["translations"])
        raise StaleRevision from None


def merge_template(domain, template, languages):
    """Make the store's entries of a domain match a template; return (added, changed, obsoleted).

    In the curriculum the context is the segment's stable id, so a changed
    Spanish sentence keeps its entry: the msgid changes, the old one is kept
    as previous_msgid (`#|` in .po files), and existing translations become
    fuzzy instead of being lost. Entries gone from the template are marked
    obsolete, never deleted.
    """
    existing = {entry.key: entry for entry in entries(domain, include_obsolete=True)}
    by_context = {}
    if domain == "curriculum":
        by_context = {
            entry.context: entry for entry in existing.values() if entry.context and not entry.obsolete
        }
    seen, added, changed = set(), 0, 0
    for position, source in enumerate(template, start=1):
        entry = existing.get(source.key)
        if entry is None and source.context in by_context and by_context[source.context].id not in seen:
            entry = by_context[source.context]
            entry.previous_msgid = entry.msgid
            entry.msgid = source.msgid
            entry.key = source.key
            entry.refresh_search()
            _mark_fuzzy(entry)
            changed += 1
        elif entry is None:
            entry = CatalogEntry(domain=domain, key=source.key, context=source.context, msgid=source.msgid)
            entry.refresh_search()
            db.session.add(entry)
            added += 1
        entry.msgid_plural = source.msgid_plural
        entry.refresh_search()
        entry.extracted_comment = source.comment
        entry.references = "\n".join(source.references)
        entry.flags = ",".join(flag for flag in source.flags if flag != "fuzzy")
        entry.position = position
        if entry.obsolete:
            entry.obsolete = False
            changed += 1
        db.session.flush()
        seen.add(entry.id)
    obsoleted = 0
    for entry in existing.values():
        if entry.id not in seen and not entry.obsolete:
            entry.obsolete = True
            obsoleted += 1
    if added or changed or obsoleted:
        for language in languages:
            bump_revision(language)
    db.session.flush()
    return added, changed, obsoleted


def _mark_fuzzy(entry):
    """Make every translation of an entry whose source changed fuzzy, keeping its author."""
    for translation in entry.translations:
        if translation.state != "untranslated":
            set_translation(
                entry,
                translation.language,
                translation.forms,
                "fuzzy",
                author_id=translation.updated_by_id,  # still the words its author wrote
                origin="extract",
            )


def statistics(domain, language):
    """Count the entries of a domain by translation state for a language."""
    total = db.session.scalar(
        select(func.count())
        .select_from(CatalogEntry)
        .where(CatalogEntry.domain == domain, CatalogEntry.obsolete.is_(False))
    )
    rows = db.session.execute(
        select(Translation.state, func.count())
        .join(Translation.entry)
        .where(
            CatalogEntry.domain == domain, CatalogEntry.obsolete.is_(False), Translation.language == language
        )
        .group_by(Translation.state)
    ).all()
    counts = {"translated": 0, "approved": 0, "fuzzy": 0}
    counts.update({state: count for state, count in rows if state != "untranslated"})
    counts["total"] = total
    counts["untranslated"] = total - counts["translated"] - counts["approved"] - counts["fuzzy"]
    return counts
