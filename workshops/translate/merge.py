"""One way a .po file reaches the store, for the web upload and `flask translate import` alike.

The rules, per entry of the file:

- an entry the catalog does not have is reported, never added (but for the
  shipped catalogs loaded into an empty store at the first start);
- an empty msgstr never erases a translation;
- a text equal to the stored one is unchanged: it keeps its state and its
  reviewer, whatever flags the file carries;
- a text that fails a blocking check (placeholders, markup, length...) is
  refused, so nothing that would break a page reaches the store;
- a text the server changed after the file's revision stamp (X-Catalog-Revision)
  becomes a conflict suggestion, so nothing typed on the server is overwritten;
- in a language that takes translators' saves as suggestions, a translator's
  text becomes a suggestion; a reviewer's (or the command line's) is applied.

A dry run does all of this in a savepoint, reports, and rolls it back.
"""

from collections import Counter
from dataclasses import dataclass, field

import polib
from flask_babel import lazy_gettext as _l

from ..catalog import store
from ..catalog.models import CatalogEntry
from ..extensions import db
from ..languages import Language, get_language
from . import glossary, workspace
from .catalog_import import CatalogError, parse_po, save_header

PROGRESS_EVERY = 250  # entries between two progress reports of a background upload


@dataclass
class MergeReport:
    applied: list = field(default_factory=list)  # msgids
    applied_states: Counter = field(default_factory=Counter)  # state -> count of applied texts
    suggested: list = field(default_factory=list)  # msgids
    conflicts: list = field(default_factory=list)  # (msgid, server forms, file forms)
    rejected: list = field(default_factory=list)  # (line, msgid, reason)
    unknown: list = field(default_factory=list)  # msgids not in the catalog
    unchanged: int = 0
    empty: int = 0  # entries with no text: never erase
    created: int = 0
    stamp: int = 0
    dry_run: bool = False
    before: dict = field(default_factory=dict)  # store counts per state before the merge
    after: dict = field(default_factory=dict)  # ... and after it (or as it would be)
    # The glossary, read once for the whole file (workspace.glossary_index): not once per entry.
    glossary: list | None = field(default=None, repr=False)


def forms_of(po_entry: polib.POEntry) -> list[str]:
    if po_entry.msgid_plural:
        return [po_entry.msgstr_plural.get(index, "") for index in sorted(po_entry.msgstr_plural)]
    return [po_entry.msgstr]


def stamp_of(po: polib.POFile) -> int:
    """Return the store revision a file was exported at; 0 (older than anything) without one."""
    try:
        return int(po.metadata.get("X-Catalog-Revision", ""))
    except ValueError:
        return 0


def import_file(
    data,
    domain,
    language_code,
    filename="<upload>",
    user=None,
    dry_run=False,
    create_entries=False,
    origin="import",
    progress=None,
):
    """Check a .po file whole, then merge it by the rules above; raise CatalogError and change nothing.

    `progress`, when given, is told (entries done, entries) every PROGRESS_EVERY entries.
    """
    language = get_language(language_code)
    if language is None:
        raise CatalogError(filename, [(1, _l("idioma desconocido: %(code)s", code=language_code))])
    po = parse_po(data, filename, language_code)
    report = MergeReport(stamp=stamp_of(po), dry_run=dry_run)
    existing = {entry.key: entry for entry in store.entries(domain, include_obsolete=create_entries)}
    if not create_entries and _translatable(po) and not any(source_of(e).key in existing for e in po):
        raise CatalogError(
            filename,
            [(1, _l("ninguna entrada de este archivo está en el catálogo «%(domain)s»", domain=domain))],
        )
    # A dry run merges in a savepoint and rolls it back; a real one is committed by the caller
    # (or rolled back, on an error). On SQLite a savepoint takes the write lock: only when asked.
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        report.before = store.statistics(domain, language.code)
        report.glossary = workspace.glossary_index(language.code)
        with store.one_revision():
            _merge(po, domain, existing, language, user, report, create_entries, origin, progress)
        if not dry_run:
            save_header(domain, language.code, po)
            if domain == "curriculum" and not language.is_source and report.applied:
                glossary.sync_key_terms([language.code])
        report.after = store.statistics(domain, language.code)
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return report


def _translatable(po: polib.POFile) -> int:
    return sum(1 for po_entry in po if not po_entry.obsolete and po_entry.msgid)


def _merge(po, domain, existing, language, user, report, create_entries, origin, progress=None):
    for position, po_entry in enumerate(po, start=1):
        if progress is not None and position % PROGRESS_EVERY == 0:
            progress(position, len(po))
        if po_entry.obsolete and not create_entries:
            continue
        source = source_of(po_entry)
        entry = existing.get(source.key)
        if entry is None:
            if not create_entries:
                report.unknown.append(po_entry.msgid)
                continue
            entry = existing[source.key] = _create_entry(domain, source, po_entry, position)
            report.created += 1
        if not language.is_source:
            merge_entry(report, po_entry, entry, language, user, origin)


def merge_entry(report, po_entry, entry, language, user, origin):
    """Apply one entry of a file, or count it as empty, unchanged, refused, suggested or a conflict."""
    forms = forms_of(po_entry)
    if not any(forms):
        report.empty += 1  # an empty text never erases a translation
        return
    current = store.translation_for(entry, language.code)
    if current is not None and current.forms == forms and current.state != "untranslated":
        report.unchanged += 1  # same text: keeps its state and its reviewer
        return
    result = workspace.check(entry, language, forms, report.glossary)
    if result.errors:
        report.rejected.append((po_entry.linenum, po_entry.msgid, "; ".join(result.error_messages())))
        return
    if current is not None and current.state != "untranslated" and current.changed_at_revision > report.stamp:
        _keep_as_conflict(report, po_entry.msgid, entry, language, forms, user)
        return
    if user is not None and language.review_mode == "suggest" and not user.has_role("reviewer"):
        workspace._suggest(
            entry, language.code, forms, current.revision if current else 0, user, conflict=False
        )
        report.suggested.append(po_entry.msgid)
        return
    state = "fuzzy" if "fuzzy" in po_entry.flags else "translated"
    try:
        # Conditional on the revision read above: a web save landing in between is a conflict too.
        store.set_translation_at(
            entry,
            language.code,
            current.revision if current else 0,
            forms,
            state,
            author_id=user.id if user is not None else None,
            origin=origin,
            warnings=result.warnings,
            translator_comment=po_entry.tcomment or None,
        )
    except store.StaleRevision:
        _keep_as_conflict(report, po_entry.msgid, entry, language, forms, user)
        return
    report.applied.append(po_entry.msgid)
    report.applied_states[state] += 1


def _keep_as_conflict(report, msgid, entry, language: Language, forms, user):
    """Keep the file's text as a conflict suggestion against the translation the server has now."""
    current = store.translation_for(entry, language.code)
    suggestion = workspace._suggest(
        entry, language.code, forms, current.revision if current else 0, user, conflict=True
    )
    report.conflicts.append((msgid, list(current.forms) if current else [], list(suggestion.forms)))


def source_of(po_entry: polib.POEntry) -> store.SourceEntry:
    """Return the source side of a .po entry (its msgid, context, comments and flags but fuzzy)."""
    return store.SourceEntry(
        msgid=po_entry.msgid,
        context=po_entry.msgctxt or "",
        msgid_plural=po_entry.msgid_plural or None,
        comment=po_entry.comment or "",
        references=[f"{path}:{line}" if line else path for path, line in po_entry.occurrences],
        flags=[flag for flag in po_entry.flags if flag != "fuzzy"],
    )


def _create_entry(
    domain: str, source: store.SourceEntry, po_entry: polib.POEntry, position: int
) -> CatalogEntry:
    """Add a store entry for a .po entry the store does not have yet, and flush it."""
    entry = CatalogEntry(
        domain=domain,
        key=source.key,
        context=source.context,
        msgid=source.msgid,
        msgid_plural=source.msgid_plural,
        extracted_comment=source.comment,
        references="\n".join(source.references),
        flags=",".join(source.flags),
        previous_msgid=po_entry.previous_msgid or None,
        position=position,
        obsolete=po_entry.obsolete,
    )
    entry.refresh_search()
    db.session.add(entry)
    db.session.flush()
    return entry
