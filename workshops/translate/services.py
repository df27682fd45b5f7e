"""What the CLI, the start-up and (later) the web share about catalogs."""

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from ..catalog import store
from ..catalog.models import DOMAINS, CatalogEntry
from ..core.models import AppState
from ..extensions import db
from ..languages import all_languages
from . import catalogs, extract, glossary, merge
from .merge import MergeReport

# What merging a template did: (entries added, changed, made obsolete).
MergeCounts = tuple[int, int, int]

IMPORTED_KEY = "catalogs_imported"


def _state(key: str) -> str | None:
    row = db.session.get(AppState, key)
    return row.value if row else None


def _set_state(key: str, value: str) -> None:
    row = db.session.get(AppState, key)
    if row is None:
        db.session.add(AppState(key=key, value=value))
    else:
        row.value = value


def target_codes() -> list[str]:
    return [language.code for language in all_languages() if not language.is_source]


def import_shipped_catalogs() -> dict[tuple[str, str], MergeReport]:
    """Import translations/<lang>/LC_MESSAGES/*.po into an empty store (source language first)."""
    reports: dict[tuple[str, str], MergeReport] = {}
    for language in all_languages():
        for domain in DOMAINS:
            path = catalogs.catalog_path(language.code, domain)
            if path.exists():
                reports[(domain, language.code)] = merge.import_file(
                    path.read_bytes(), domain, language.code, filename=path, create_entries=True
                )
    return reports


def sync_template(
    domain: str, entries: Sequence[store.SourceEntry], force: bool = False
) -> MergeCounts | None:
    """Merge a template into the store unless the same template was merged before."""
    digest = hashlib.sha256(
        "\n".join(
            f"{e.context}\x04{e.msgid}\x04{e.msgid_plural}\x04{e.references}\x04{e.comment}" for e in entries
        ).encode()
    ).hexdigest()
    key = f"template_hash:{domain}"
    if _state(key) == digest and not force:
        return None
    result = store.merge_template(domain, entries, target_codes())
    _set_state(key, digest)
    return result


def ensure_catalogs_loaded() -> None:
    """At start: import the shipped catalogs once, then follow template changes."""
    if _state(IMPORTED_KEY) is None:
        if db.session.query(CatalogEntry.id).first() is None:
            import_shipped_catalogs()
        _set_state(IMPORTED_KEY, "1")
    sync_template("curriculum", extract.curriculum_template())
    pot = catalogs.catalog_path(None, "messages", template=True)
    if pot.exists():
        sync_template("messages", extract.read_template(pot))
    glossary.sync_key_terms(target_codes())  # the key terms may have changed with the modules


def write_templates() -> dict[str, int]:
    """Extract both domains and write translations/<domain>.pot; return entry counts."""
    counts: dict[str, int] = {}
    for domain, make in extract.TEMPLATES.items():
        entries = make()
        path = catalogs.catalog_path(None, domain, template=True)
        catalogs.write_atomically(path, str(extract.template_po(domain, entries)))
        counts[domain] = len(entries)
    return counts


def update_from_templates() -> dict[str, MergeCounts | None]:
    """Merge the .pot files into the store (forcing a merge); the caller commits, then exports.

    Exporting after the commit means the .po files never show a merge the
    database does not have; if an export fails, `flask translate export` redoes it.
    """
    results: dict[str, MergeCounts | None] = {}
    for domain in DOMAINS:
        entries = extract.read_template(catalogs.catalog_path(None, domain, template=True))
        results[domain] = sync_template(domain, entries, force=True)
    return results


def export_all(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write every catalog of every language; return the paths."""
    paths: list[Path] = []
    for language in all_languages():
        for domain in DOMAINS:
            target = None
            if directory:
                target = f"{directory}/{language.code}/LC_MESSAGES/{domain}.po"
            paths.append(catalogs.export_catalog(domain, language.code, target))
    return paths
