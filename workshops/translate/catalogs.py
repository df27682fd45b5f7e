"""Write .po catalogs (polib) from the translation store, and say where catalog files live.

Reading a catalog back into the store is catalog_import.py.
"""

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polib
from sqlalchemy import func, select

from ..catalog import store
from ..catalog.models import CatalogEntry, CatalogHeader, Translation
from ..core.paths import TRANSLATIONS_DIR
from ..extensions import db
from ..languages import Language, get_language

REQUIRED_HEADERS = {
    "Project-Id-Version": "workshops",
    "Report-Msgid-Bugs-To": "",
    "Last-Translator": "workshops translation store",
    "Language-Team": "workshops volunteers",
    "MIME-Version": "1.0",
    "Content-Transfer-Encoding": "8bit",
}


def catalog_path(language, domain, template=False):
    if template:
        return TRANSLATIONS_DIR / f"{domain}.pot"
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def build_po(domain: str, language_code: str) -> polib.POFile:
    """Return a polib POFile for a domain and language from the store."""
    language = get_language(language_code)
    if language is None:
        raise LookupError(language_code)
    header = db.session.get(CatalogHeader, (domain, language_code))
    po = polib.POFile(wrapwidth=78)
    po.header = header.header_comment if header else f"{domain} catalog of workshops, {language.native_name}."
    po.metadata = _metadata(domain, language_code, language, header)
    for entry in store.entries(domain, include_obsolete=True):
        po.append(_po_entry(entry, language, store.translation_for(entry, language_code)))
    return po


def _metadata(domain: str, language_code: str, language: Language, header: CatalogHeader | None) -> dict:
    """Return the header fields: the required ones, those the store kept, dates, then the language's own."""
    metadata = dict(REQUIRED_HEADERS)
    if header:
        metadata.update({name: value for name, value in header.fields})
    # Dates change only when translations change, so exports diff cleanly in git.
    last_change = db.session.scalar(
        select(func.max(Translation.updated_at))
        .join(Translation.entry)
        .where(CatalogEntry.domain == domain, Translation.language == language_code)
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M+0000")
    metadata.setdefault("POT-Creation-Date", now)
    if last_change is not None:
        metadata["PO-Revision-Date"] = last_change.strftime("%Y-%m-%d %H:%M+0000")
    metadata.setdefault("PO-Revision-Date", metadata["POT-Creation-Date"])
    metadata.update(
        {
            "Language": language.code,
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": language.plural_forms,
            "X-Catalog-Revision": str(store.current_revision(language.code)),
        }
    )
    return metadata


def _forms_and_state(entry: CatalogEntry, language: Language, translation) -> tuple[list[str], str]:
    """Return an entry's forms and state in a language; the source language's are the msgids."""
    if language.is_source:
        return ([entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]), "translated"
    if translation is None:
        return [], "untranslated"
    return translation.forms, translation.state


def _po_entry(entry: CatalogEntry, language: Language, translation) -> polib.POEntry:
    """Return the .po entry of a store entry and its translation (None if there is none)."""
    forms, state = _forms_and_state(entry, language, translation)
    flags = entry.flag_list + (["fuzzy"] if state == "fuzzy" else [])
    po_entry = polib.POEntry(
        msgid=entry.msgid,
        msgctxt=entry.context or None,
        comment=entry.extracted_comment or None,
        tcomment=translation.translator_comment if translation and translation.translator_comment else None,
        occurrences=[_occurrence(ref) for ref in entry.references.splitlines() if ref],
        flags=flags,
        obsolete=entry.obsolete,
    )
    if state == "fuzzy" and entry.previous_msgid:
        po_entry.previous_msgid = entry.previous_msgid
    if entry.msgid_plural:
        po_entry.msgid_plural = entry.msgid_plural
        count = 2 if language.is_source else language.nplurals
        po_entry.msgstr_plural = {
            index: (forms[index] if index < len(forms) else "") for index in range(count)
        }
    else:
        po_entry.msgstr = forms[0] if forms else ""
    return po_entry


def _occurrence(reference):
    path, _, line = reference.rpartition(":")
    if path and line.isdigit():
        return (path, line)
    return (reference, "")


def write_atomically(path, text):
    """Write text to path so readers see the old or the new file, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; catalogs are ordinary shared files
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def export_catalog(domain, language_code, path=None):
    """Write the store's catalog to translations/<lang>/LC_MESSAGES/<domain>.po; return the path."""
    path = Path(path) if path else catalog_path(language_code, domain)
    write_atomically(path, str(build_po(domain, language_code)))
    return path
