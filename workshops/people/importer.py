"""Bulk import of households and persons from CSV: all rows valid, or nothing is imported."""

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.text import fold
from ..extensions import db
from . import services
from .models import Community, Household, Person

COLUMNS = (
    "comunidad",
    "familia",
    "nombres",
    "apellidos",
    "sexo",
    "anio_nacimiento",
    "edad",
    "relacion",
    "dni",
    "consentimiento",
    "fecha_consentimiento",
)
# Columns a file made with an earlier template may lack: the rest must all be there.
OPTIONAL_COLUMNS = ("edad", "fecha_consentimiento")
TEMPLATE_ROWS = (
    ("CPR", "F1", "Nombre", "Apellido Apellido", "mujer", "1985", "", "jefa", "", "si", "2026-03-14"),
    ("CPR", "F1", "Nombre", "Apellido Apellido", "hombre", "", "17", "hijo", "", "si", "2026-03-14"),
)
# Whole words only: a single letter means different things ("M": mujer or masculino; "H": hombre),
# so it is refused, never guessed.
SEX = {
    "mujer": "female",
    "femenino": "female",
    "hombre": "male",
    "masculino": "male",
    "no registrado": "unrecorded",
}
SEX_WORDS = "mujer, hombre, no registrado"
RELATION = {
    "jefe": "head",
    "jefa": "head",
    "head": "head",
    "esposa": "spouse",
    "esposo": "spouse",
    "conviviente": "spouse",
    "spouse": "spouse",
    "hija": "child",
    "hijo": "child",
    "child": "child",
    "madre": "parent",
    "padre": "parent",
    "parent": "parent",
    "hermana": "sibling",
    "hermano": "sibling",
    "sibling": "sibling",
    "nieta": "grandchild",
    "nieto": "grandchild",
    "grandchild": "grandchild",
    "otro": "other",
    "otra": "other",
    "other": "other",
    "": "other",
}
YES = {"si", "sí", "yes", "1", "x"}
NO = {"no", "0", ""}
MAX_BYTES = 2 * 1024 * 1024


# A file of more rows with something in them is refused before any row is checked: the
# preview and the import each finish in a few seconds (bench/import_bounds.py measures it).
MAX_ROWS = 2000
# The errors listed on the page; the rest are counted. Correcting these first usually fixes the rest.
SHOWN_ERRORS = 100
# Families looked up per query: two parameters each, under SQLite's old limit of 999.
BATCH = 400


class TooManyRows(ValueError):
    """The file has more rows than one import takes; it must be split."""


@dataclass
class Plan:
    errors: list = field(default_factory=list)  # the first SHOWN_ERRORS (line, column, message)
    error_count: int = 0  # all of them
    rows: list = field(default_factory=list)
    new_households: int = 0
    new_people: int = 0
    existing_people: int = 0
    # (line, earlier line): a row that repeats an earlier one of the file; imported once.
    repeated: list = field(default_factory=list)
    text: str = ""
    # An age in the file gives a birth year counted back from this date (when the sheet was filled in).
    reference: date = field(default_factory=date.today)

    def add_error(self, line: int, column: str, message: object) -> None:
        """Count a problem; keep it to show if it is one of the first SHOWN_ERRORS."""
        self.error_count += 1
        if len(self.errors) < SHOWN_ERRORS:
            self.errors.append((line, column, message))

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors)


def decode(data):
    """Read UTF-8 (with or without BOM) or Excel's Windows encoding."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_reference(value: str | None) -> date | None:
    """Return the reference date typed on the import page (YYYY-MM-DD), today when empty; None if invalid or future."""
    if not value:
        return date.today()
    try:
        given = date.fromisoformat(value)
    except ValueError:
        return None
    return given if given <= date.today() else None


def template_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return "\ufeff" + buffer.getvalue()


def plan(text: str, reference: date | None = None) -> Plan:
    """Validate every row; return a Plan with the errors, or with what an import would create.

    Raise TooManyRows, before checking any row, for a file of more than MAX_ROWS rows.
    """
    result = Plan(text=text, reference=reference or date.today())
    try:
        header = [fold(name).strip() for name in next(_rows(text), (1, []))[1]]
        header_errors = _header_problems(header)
        if header_errors:
            for line, column, message in header_errors:
                result.add_error(line, column, message)
            return result
        if sum(1 for _ in itertools.islice(_rows(text), MAX_ROWS + 2)) > MAX_ROWS + 1:
            raise TooManyRows(MAX_ROWS)
        keys = _check_rows(result, header, itertools.islice(_rows(text), 1, None))
    except UnreadableRow as error:
        result.add_error(
            error.line,
            "",
            _l("desde esta fila el archivo no se puede leer como CSV (¿unas comillas sin cerrar?)"),
        )
    if result.error_count:
        result.rows, result.repeated = [], []
        return result
    _count_new_and_existing(result, keys)
    return result


def _check_rows(result: Plan, header: list[str], rows: Iterator[tuple[int, list[str]]]) -> set:
    """Check each row into the plan (its errors, or what it creates); return the (community, family) keys."""
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    dnis = set(db.session.scalars(select(Person.dni).where(Person.dni.is_not(None))))
    seen_dnis: set[str] = set()
    seen_people: dict[tuple, int] = {}
    keys: set[tuple[int, str]] = set()
    for line, cells in rows:
        row = {name: cells[index].strip() if index < len(cells) else "" for index, name in enumerate(header)}
        values, errors = _check_row(row, communities, seen_dnis, result.reference)
        if errors:
            for column, message in errors:
                result.add_error(line, column, message)
            continue
        if values["dni"]:
            seen_dnis.add(values["dni"])
        planned = _planned_row(row, values, dnis)
        same = _same_person_key(planned)
        if same in seen_people:
            result.repeated.append((line, seen_people[same]))
            continue
        seen_people[same] = line
        result.rows.append(planned)
        keys.add((values["community"].id, row["familia"]))
    return keys


class UnreadableRow(ValueError):
    """The csv module cannot read on from this row (an unclosed quote, a cell past its size limit)."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(line)


# A line that holds something besides spaces and separators. Found by the regular expression
# engine, so the thousands of separator-only rows Excel writes cost no Python work at all.
FILLED_LINE = re.compile(r"^(?:[^\S\n]|[,;])*[^\s,;].*", re.MULTILINE)


class _FilledLines:
    """The filled lines of a text, for csv.reader, each numbered as in the file."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._matches = FILLED_LINE.finditer(text)
        self._position = 0
        self.number = 1  # of the line last given
        self.first: int | None = None  # of the first line of the row being read, once given

    def __iter__(self) -> "_FilledLines":
        return self

    def __next__(self) -> str:
        match = next(self._matches)
        self.number += self._text.count("\n", self._position, match.start())
        self._position = match.start()
        if self.first is None:
            self.first = self.number
        return match.group() + "\n"


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, cells) of each row that holds something, the first (the header) included.

    The delimiter is the one the first line uses more. Rows of separators only are skipped as
    blank; so are blank lines inside a quoted cell. Raise UnreadableRow where csv cannot read on.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text[: text.find("\n")] if "\n" in text else text
    lines = _FilledLines(text)
    reader = csv.reader(lines, delimiter=";" if first_line.count(";") > first_line.count(",") else ",")
    while True:
        lines.first = None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise UnreadableRow(lines.first or lines.number) from None
        if any(cell and not cell.isspace() for cell in cells):
            yield lines.first or lines.number, cells


def _header_problems(names: list[str]) -> list[tuple[int, str, object]]:
    """Return the first line's problems: unknown columns and missing ones, each naming the expected headers."""
    expected = ", ".join(COLUMNS)
    problems: list[tuple[int, str, object]] = []
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        problems.append(
            (
                1,
                ", ".join(unknown),
                _l("columnas desconocidas; la primera fila debe tener: %(expected)s", expected=expected),
            )
        )
    missing = [column for column in COLUMNS if column not in names and column not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(
            (
                1,
                ", ".join(missing),
                _l("faltan columnas; la primera fila debe tener: %(expected)s", expected=expected),
            )
        )
    return problems


def _same_person_key(planned: dict) -> tuple:
    """What makes two rows of one file the same person: the DNI, or household, name and birth year."""
    data = planned["data"]
    if data["dni"]:
        return ("dni", data["dni"])
    name = fold(f"{data['given_names']} {data['family_names']}".strip())
    return (planned["community"].id, planned["key"], name, data["birth_year"])


def _check_row(row: dict, communities: dict, seen_dnis: set, reference: date) -> tuple[dict, list]:
    """Return a row's values and its problems as (column, message), in the order of the columns."""
    errors = []
    community = communities.get(row.get("comunidad", "").upper())
    if community is None:
        errors.append(("comunidad", _l("no hay una comunidad con ese código")))
    if not row.get("familia"):
        errors.append(("familia", _l("falta el código o la referencia de la familia")))
    if not row.get("nombres"):
        errors.append(("nombres", _l("faltan los nombres")))
    sex = SEX.get(fold(row.get("sexo", "")))
    if sex is None:
        errors.append(
            (
                "sexo",
                _l(
                    "escriba una de estas palabras: %(words)s (una letra sola no se adivina)", words=SEX_WORDS
                ),
            )
        )
    year, approximate = _birth_year_or_age(row, reference, errors)
    relation = RELATION.get(fold(row.get("relacion", "")))
    if relation is None:
        errors.append(
            ("relacion", _l("relación desconocida (jefa, esposo, hija, madre, hermano, nieta, otro)"))
        )
    dni = row.get("dni") or None
    if dni and (len(dni) != 8 or not dni.isdigit()):
        errors.append(("dni", _l("el DNI tiene exactamente 8 números")))
    elif dni and dni in seen_dnis:
        errors.append(("dni", _l("el mismo DNI aparece dos veces en el archivo")))
    consent = fold(row.get("consentimiento", ""))
    if consent not in YES | NO:
        errors.append(("consentimiento", _l("escriba sí o no")))
    consent_date = _consent_date(row.get("fecha_consentimiento", ""), consent in YES, reference, errors)
    values = {"community": community, "sex": sex, "year": year, "relation": relation, "dni": dni}
    return {
        **values,
        "approximate": approximate,
        "consent": consent in YES,
        "consent_date": consent_date,
    }, errors


def _birth_year_or_age(row: dict, reference: date, errors: list) -> tuple[int | None, bool]:
    """Return (birth year, approximate): the year written, or the one an age gives at the reference date."""
    year = _birth_year(row.get("anio_nacimiento", ""), errors)
    age = row.get("edad", "")
    if not age:
        return year, False
    if year is not None:
        errors.append(("edad", _l("escriba el año de nacimiento o la edad, no los dos")))
        return year, False
    if not age.isdigit() or not 0 <= int(age) <= 120:
        errors.append(("edad", _l("escriba la edad en años, de 0 a 120")))
        return None, False
    return reference.year - int(age), True


def _birth_year(value: str, errors: list) -> int | None:
    """Return the birth year, None if empty; add a problem unless it is four digits, 1900 to this year."""
    if not value:
        return None
    if len(value) != 4 or not value.isdigit() or not 1900 <= int(value) <= date.today().year:
        errors.append(("anio_nacimiento", _l("escriba un año de cuatro cifras que no esté en el futuro")))
        return None
    return int(value)


def _consent_date(value: str, consent: bool, reference: date, errors: list) -> date | None:
    """Return the date consent was given (YYYY-MM-DD or DD/MM/YYYY), required with consent, never later than today."""
    if not consent:
        return None
    if not value:
        errors.append(
            ("fecha_consentimiento", _l("escriba la fecha en que la persona dio su consentimiento"))
        )
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            given = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if given > date.today():
            break
        return given
    errors.append(
        ("fecha_consentimiento", _l("escriba una fecha como 2026-03-14 o 14/03/2026, no en el futuro"))
    )
    return None


def _planned_row(row: dict, values: dict, dnis: set) -> dict:
    """Return what run() needs of a valid row: community, family key, person data, known DNI."""
    dni = values["dni"]
    return {
        "community": values["community"],
        "key": row["familia"],
        "data": {
            "given_names": row["nombres"][:120],
            "family_names": row.get("apellidos", "")[:120],
            "sex": values["sex"],
            "birth_year": values["year"],
            "birth_year_approximate": values["approximate"],
            "relationship_to_head": values["relation"],
            "dni": dni,
            "consent": values["consent"],
            "consent_date": values["consent_date"],
        },
        "known_dni": bool(dni and dni in dnis),
    }


def _count_new_and_existing(result: Plan, keys: set) -> None:
    """Count the households and people an import would create and the people already registered."""
    households = _households(keys)
    result.new_households = sum(household is None for household in households.values())
    for row in result.rows:
        household = households[(row["community"].id, row["key"])]
        if row["known_dni"] or (household is not None and _find_member(household, row["data"]) is not None):
            result.existing_people += 1
        else:
            result.new_people += 1


def _households(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Household | None]:
    """Find the household of each (community id, family key), members loaded, BATCH keys a query.

    A key is a household's code (CPR-014) or the family reference of an earlier import.
    """
    by_community: dict[int, list[str]] = {}
    for community_id, key in sorted(keys):
        by_community.setdefault(community_id, []).append(key)
    found: dict[tuple[int, str], Household | None] = {}
    for community_id, names in by_community.items():
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            query = (
                select(Household)
                .where(
                    Household.community_id == community_id,
                    Household.code.in_({name.upper() for name in chunk}) | Household.import_key.in_(chunk),
                )
                .options(selectinload(Household.members))
            )
            households = list(db.session.scalars(query))
            by_code = {household.code: household for household in households}
            by_import_key = {household.import_key: household for household in households}
            for name in chunk:
                found[(community_id, name)] = by_code.get(name.upper()) or by_import_key.get(name)
    return found


def _find_member(household, data):
    name = fold(f"{data['given_names']} {data['family_names']}".strip())
    return next(
        (p for p in household.members if p.search_name == name and p.birth_year == data["birth_year"]), None
    )


def count_rows(text: str, at_most: int) -> int:
    """Return how many rows with something in them follow the header, counting no further than at_most."""
    try:
        return sum(1 for _ in itertools.islice(_rows(text), 1, at_most + 1))
    except UnreadableRow:
        return 0  # the check of the whole file says where


def run(result, user, progress=None):
    """Carry out a valid plan in one savepoint, BATCH rows a flush; re-running the same file creates nothing.

    `progress`, when given, is told (rows done, rows) after each batch.
    """
    created_people = 0
    with db.session.begin_nested():
        households = _households({(row["community"].id, row["key"]) for row in result.rows})
        # Who each household has, this import's people included: a row never adds someone twice.
        members = {
            household.id: {(person.search_name, person.birth_year) for person in household.members}
            for household in households.values()
            if household is not None
        }
        created_households = _create_missing_households(result.rows, households, user)
        for start in range(0, len(result.rows), BATCH):
            new = []
            for row in result.rows[start : start + BATCH]:
                household = households[(row["community"].id, row["key"])]
                data = row["data"]
                same = (fold(f"{data['given_names']} {data['family_names']}".strip()), data["birth_year"])
                known = members.setdefault(household.id, set())
                if row["known_dni"] or same in known:
                    continue
                known.add(same)
                new.append((household, data))
            services.add_people(new, user)
            created_people += len(new)
            if progress is not None:
                progress(min(start + BATCH, len(result.rows)), len(result.rows))
    return created_households, created_people


def _create_missing_households(rows: list, households: dict, user) -> int:
    """Create the households the rows need and do not find, in file order, one flush per community."""
    missing: dict[tuple[int, str], Community] = {}
    for row in rows:
        key = (row["community"].id, row["key"])
        if households[key] is None and key not in missing:
            missing[key] = row["community"]
    for community in {community.id: community for community in missing.values()}.values():
        keys = [key for key, owner in missing.items() if owner.id == community.id]
        created = services.create_households(community, [name for _, name in keys], user)
        households.update(zip(keys, created, strict=True))
    return len(missing)
