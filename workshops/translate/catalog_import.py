"""Read .po catalogs (polib) and check a file whole; merge.py merges it into the translation store."""

import re

import polib
from flask_babel import lazy_gettext as _l

from ..catalog.models import CatalogHeader
from ..extensions import db
from ..languages import Language, get_language, parse_plural_forms

# Entries one file may hold: 2.5 times the curriculum catalog (1,935 entries), so an import or an
# upload finishes in seconds (bench/import_bounds.py); a bigger file is refused before polib reads it.
MAX_ENTRIES = 5000
# Entries a report lists by name (not in the catalog, refused); the rest are counted.
SHOWN_ENTRIES = 100
PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')


class CatalogError(Exception):
    """A catalog file was refused whole; `problems` lists (line, message)."""

    def __init__(self, filename, problems):
        self.filename = str(filename)
        self.problems = problems
        super().__init__("; ".join(f"{self.filename}:{line}: {message}" for line, message in problems))


def _language_of(header_value):
    """Return the catalog code of a Language header: 'agr_PE' -> 'agr'."""
    return re.split(r"[_@.-]", header_value.strip(), maxsplit=1)[0].lower()


def parse_po(data: bytes | str, filename, expected_language: str) -> polib.POFile:
    """Parse .po bytes or text and check it belongs to the language; raise CatalogError."""
    text = check_text(data, filename)
    po = _read_po(text, filename)
    # Without a header there is nothing to check the rest against: refuse it alone.
    if not po.metadata or "Content-Type" not in po.metadata:
        raise CatalogError(filename, [(1, _l("falta la cabecera o está dañada (no tiene Content-Type)"))])
    problems = _header_problems(po, expected_language)
    language = get_language(expected_language)
    if language is None:
        raise LookupError(expected_language)
    problems += _plural_problems(po, language)
    if problems:
        raise CatalogError(filename, problems)
    return po


def check_text(data: bytes | str, filename) -> str:
    """Return the text of .po data after the checks that need no parse (UTF-8, size, syntax); raise CatalogError."""
    text = _decode(data, filename)
    _check_lines(text, filename)
    return text


def _decode(data: bytes | str, filename) -> str:
    """Return the text of .po data; refuse bytes that are not UTF-8."""
    if not isinstance(data, bytes):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CatalogError(filename, [(line, _l("el archivo no es texto UTF-8"))]) from None


def _check_lines(text: str, filename) -> None:
    """Refuse binary data and any line that is neither a comment nor a .po keyword with a string."""
    if "\x00" in text:
        raise CatalogError(filename, [(1, _l("no es un catálogo .po (datos binarios)"))])
    # Lines are counted before any list of them is made (here or in polib): 20 a entry is
    # twice what the shipped catalogs use.
    if text.count("\n") + text.count("\r") > 20 * MAX_ENTRIES:
        raise CatalogError(filename, [(20 * MAX_ENTRIES, _too_many_entries())])
    # polib forgives some broken lines (an unterminated string, say); check each line first.
    entries = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#~"):
            stripped = stripped[2:].strip()
        if stripped and not stripped.startswith("#") and not PO_LINE.match(stripped):
            raise CatalogError(filename, [(number, _l("error de sintaxis: no es un catálogo .po válido"))])
        if stripped.startswith("msgid "):
            entries += 1
            if entries > MAX_ENTRIES + 1:  # the header is an entry too
                raise CatalogError(filename, [(number, _too_many_entries())])


def _too_many_entries():
    return _l(
        "el archivo tiene más de %(limit)s entradas: divídalo en partes (por ejemplo, un módulo por archivo)",
        limit=MAX_ENTRIES,
    )


def _read_po(text: str, filename) -> polib.POFile:
    """Return polib's reading of the text; refuse what polib cannot read, at the line it names."""
    try:
        return polib.pofile(text, wrapwidth=78)
    except (OSError, ValueError) as error:
        match = re.search(r"line (\d+)", str(error))
        raise CatalogError(
            filename,
            [(int(match.group(1)) if match else 1, _l("error de sintaxis: no es un catálogo .po válido"))],
        ) from None


def _header_problems(po: polib.POFile, expected_language: str) -> list:
    """Return the header's problems: a charset other than UTF-8, no Language or another language."""
    problems = []
    charset = re.search(r"charset=([\w-]+)", po.metadata.get("Content-Type", ""))
    if not charset or charset.group(1).lower() not in ("utf-8", "utf8"):
        problems.append((1, _l("la cabecera debe declarar charset=UTF-8")))
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
    return problems


def _plural_problems(po: polib.POFile, language: Language) -> list:
    """Return plural problems: a bad Plural-Forms header, or a count of forms other than the language's."""
    problems = []
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
    return problems


def save_header(domain: str, language_code: str, po: polib.POFile) -> None:
    """Keep the file's header comment and fields, so that an export gives them back."""
    header = db.session.get(CatalogHeader, (domain, language_code))
    if header is None:
        header = CatalogHeader(domain=domain, language=language_code)
        db.session.add(header)
    header.header_comment = po.header or ""
    header.fields = [[name, value] for name, value in po.metadata.items()]
