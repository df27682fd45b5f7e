"""Read and write .po catalogs (polib) to and from the translation store."""

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polib
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..catalog import store
from ..catalog.models import CatalogEntry, CatalogHeader, Translation
from ..core.paths import TRANSLATIONS_DIR
from ..extensions import db
from ..languages import get_language, parse_plural_forms

REQUIRED_HEADERS = {
    "Project-Id-Version": "workshops",
    "Report-Msgid-Bugs-To": "",
    "Last-Translator": "workshops translation store",
    "Language-Team": "workshops volunteers",
    "MIME-Version": "1.0",
    "Content-Transfer-Encoding": "8bit",
}


PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')


class CatalogError(Exception):
    """A catalog file was refused whole; `problems` lists (line, message)."""

    def __init__(self, filename, problems):
        self.filename = str(filename)
        self.problems = problems
        super().__init__("; ".join(f"{self.filename}:{line}: {message}" for line, message in problems))


@dataclass
class ImportReport:
    applied: int = 0
    unchanged: int = 0
    created: int = 0
    unknown: list = field(default_factory=list)  # msgids not in the store


def catalog_path(language, domain, template=False):
    if template:
        return TRANSLATIONS_DIR / f"{domain}.pot"
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def _language_of(header_value):
    """Return the catalog code of a Language header: 'agr_PE' -> 'agr'."""
    return re.split(r"[_@.-]", header_value.strip(), maxsplit=1)[0].lower()


def parse_po(data, filename, expected_language):
    """Parse .po bytes or text and check it belongs to the language; raise CatalogError."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise CatalogError(filename, [(line, _l("el archivo no es texto UTF-8"))]) from None
    else:
        text = data
    if "\x00" in text:
        raise CatalogError(filename, [(1, _l("no es un catálogo .po (datos binarios)"))])
    # polib forgives some broken lines (an unterminated string, say); check each line first.
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#~"):
            stripped = stripped[2:].strip()
        if stripped and not stripped.startswith("#") and not PO_LINE.match(stripped):
            raise CatalogError(filename, [(number, _l("error de sintaxis: no es un catálogo .po válido"))])
    try:
        po = polib.pofile(text, wrapwidth=78)
    except (OSError, ValueError) as error:
        match = re.search(r"line (\d+)", str(error))
        raise CatalogError(
            filename,
            [(int(match.group(1)) if match else 1, _l("error de sintaxis: no es un catálogo .po válido"))],
        ) from None
    problems = []
    if not po.metadata or "Content-Type" not in po.metadata:
        raise CatalogError(filename, [(1, _l("falta la cabecera o está dañada (no tiene Content-Type)"))])
    charset = re.search(r"charset=([\w-]+)", po.metadata.get("Content-Type", ""))
    if not charset or charset.group(1).lower() not in ("utf-8", "utf8"):
        problems.append((1, _l("la cabecera debe declarar charset=UTF-8")))
    language = get_language(expected_language)
    declared = po.metadata.get("Language", "")
    if not declared:
        problems.append((1, _l("la cabecera no tiene Language")))
    elif _language_of(declared) != expected_language:
        problems.append(
            (
                1,
                _l(
                    "este catálogo es del idioma «%(found)s», no de «%(expected)s»",
                    found=declared,
                    expected=expected_language,
                ),
            )
        )
    nplurals = language.nplurals
    if po.metadata.get("Plural-Forms"):
        try:
            declared_nplurals, _ = parse_plural_forms(po.metadata["Plural-Forms"])
        except ValueError:
            problems.append((1, _l("la cabecera Plural-Forms no es válida")))
        else:
            if declared_nplurals != nplurals and not language.is_source:
                problems.append(
                    (
                        1,
                        _l(
                            "el archivo tiene %(found)s formas de plural; %(language)s tiene %(expected)s",
                            found=declared_nplurals,
                            language=language.native_name,
                            expected=nplurals,
                        ),
                    )
                )
    for entry in po:
        wrong_count = entry.msgstr_plural and sorted(entry.msgstr_plural) != list(range(nplurals))
        if entry.msgid_plural and not language.is_source and wrong_count:
            problems.append(
                (
                    entry.linenum,
                    _l(
                        "%(found)s formas de plural en vez de %(expected)s",
                        found=len(entry.msgstr_plural),
                        expected=nplurals,
                    ),
                )
            )
    if problems:
        raise CatalogError(filename, problems)
    return po


def _state_of(entry):
    forms = _forms_of(entry)
    if not any(forms):
        return "untranslated"
    return "fuzzy" if "fuzzy" in entry.flags else "translated"


def _forms_of(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural.get(index, "") for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def import_catalog(data, domain, language_code, filename="<upload>", create_entries=False, author_id=None):
    """Merge a .po file into the store in one savepoint; raise CatalogError and change nothing."""
    language = get_language(language_code)
    if language is None:
        raise CatalogError(filename, [(1, _l("idioma desconocido: %(code)s", code=language_code))])
    po = parse_po(data, filename, language_code)
    report = ImportReport()
    with db.session.begin_nested():
        existing = {entry.key: entry for entry in store.entries(domain, include_obsolete=True)}
        for position, po_entry in enumerate(po, start=1):
            source = store.SourceEntry(
                msgid=po_entry.msgid,
                context=po_entry.msgctxt or "",
                msgid_plural=po_entry.msgid_plural or None,
                comment=po_entry.comment or "",
                references=[f"{path}:{line}" if line else path for path, line in po_entry.occurrences],
                flags=[flag for flag in po_entry.flags if flag != "fuzzy"],
            )
            entry = existing.get(source.key)
            if entry is None:
                if not create_entries:
                    report.unknown.append(po_entry.msgid)
                    continue
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
                existing[source.key] = entry
                report.created += 1
            if language.is_source:
                continue
            changed = store.set_translation(
                entry,
                language.code,
                _forms_of(po_entry),
                _state_of(po_entry),
                author_id=author_id,
                origin="import",
                translator_comment=po_entry.tcomment or "",
            )
            if changed is None:
                report.unchanged += 1
            else:
                report.applied += 1
        header = db.session.get(CatalogHeader, (domain, language.code))
        if header is None:
            header = CatalogHeader(domain=domain, language=language.code)
            db.session.add(header)
        header.header_comment = po.header or ""
        header.fields = [[name, value] for name, value in po.metadata.items()]
    return report


def build_po(domain, language_code):
    """Return a polib POFile for a domain and language from the store."""
    language = get_language(language_code)
    header = db.session.get(CatalogHeader, (domain, language_code))
    po = polib.POFile(wrapwidth=78)
    po.header = header.header_comment if header else f"{domain} catalog of workshops, {language.native_name}."
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
    po.metadata = metadata
    for entry in store.entries(domain, include_obsolete=True):
        translation = store.translation_for(entry, language_code)
        if language.is_source:
            forms = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
            state = "translated"
        elif translation is None:
            forms, state = [], "untranslated"
        else:
            forms, state = translation.forms, translation.state
        flags = entry.flag_list + (["fuzzy"] if state == "fuzzy" else [])
        po_entry = polib.POEntry(
            msgid=entry.msgid,
            msgctxt=entry.context or None,
            comment=entry.extracted_comment or None,
            tcomment=translation.translator_comment
            if translation and translation.translator_comment
            else None,
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
        po.append(po_entry)
    return po


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
