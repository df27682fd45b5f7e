"""Bulk import of households and persons from CSV: all rows valid, or nothing is imported."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

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


@dataclass
class Plan:
    errors: list = field(default_factory=list)  # (line, column, message)
    rows: list = field(default_factory=list)
    new_households: int = 0
    new_people: int = 0
    existing_people: int = 0
    # (line, earlier line): a row that repeats an earlier one of the file; imported once.
    repeated: list = field(default_factory=list)
    text: str = ""
    # An age in the file gives a birth year counted back from this date (when the sheet was filled in).
    reference: date = field(default_factory=date.today)


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
    """Validate every row; return a Plan with all errors, or with what an import would create."""
    result = Plan(text=text, reference=reference or date.today())
    try:
        return _plan_rows(result)
    except csv.Error:
        # A field past csv's size limit, a stray quote in strict mode: not a CSV that can be read.
        message = _l("el archivo no se puede leer como CSV; ábralo en la hoja de cálculo y guárdelo como CSV")
        result.errors = [("-", "", message)]
        result.rows, result.repeated = [], []
        return result


def _plan_rows(result: Plan) -> Plan:
    """Check the rows of result.text into result."""
    reader = _csv_reader(result.text)
    header_errors = _header_problems(list(reader.fieldnames or []))
    if header_errors:
        result.errors.extend(header_errors)
        return result
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    dnis = set(db.session.scalars(select(Person.dni).where(Person.dni.is_not(None))))
    seen_dnis: set[str] = set()
    seen_people: dict[tuple, int] = {}
    keys: set[tuple[int, str]] = set()
    for line, raw in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in raw.items() if key}
        if not any(row.values()):
            continue  # a row of separators only (Excel writes them): as blank as a blank line
        values, errors = _check_row(row, communities, seen_dnis, result.reference)
        if errors:
            result.errors.extend((line, column, message) for column, message in errors)
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
    if result.errors:
        result.rows, result.repeated = [], []
        return result
    _count_new_and_existing(result, keys)
    return result


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


def _csv_reader(text: str) -> csv.DictReader:
    """Return a reader whose column names are folded; the delimiter is the one the first line uses more."""
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # newline="": csv reads the line ends itself, a CR alone included, as its documentation asks.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    reader.fieldnames = [fold(name).strip() for name in (reader.fieldnames or [])]
    return reader


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
    households = {key: _find_household(*key) for key in keys}  # one lookup per family, not per row
    result.new_households = sum(household is None for household in households.values())
    for row in result.rows:
        household = households[(row["community"].id, row["key"])]
        if row["known_dni"] or (household is not None and _find_member(household, row["data"]) is not None):
            result.existing_people += 1
        else:
            result.new_people += 1


def _find_household(community_id, key):
    return db.session.scalar(
        select(Household).where(
            Household.community_id == community_id,
            (Household.code == key.upper()) | (Household.import_key == key),
        )
    )


def _find_member(household, data):
    name = fold(f"{data['given_names']} {data['family_names']}".strip())
    return next(
        (p for p in household.members if p.search_name == name and p.birth_year == data["birth_year"]), None
    )


def run(result, user):
    """Carry out a valid plan in one savepoint; re-running the same file creates nothing."""
    created_households = created_people = 0
    households = {}
    with db.session.begin_nested():
        for row in result.rows:
            key = (row["community"].id, row["key"])
            if key not in households:
                households[key] = _find_household(*key)
            household = households[key]
            if household is None:
                household = households[key] = services.create_household(row["community"], "", user)
                household.import_key = row["key"]
                created_households += 1
            if row["known_dni"] or _find_member(household, row["data"]) is not None:
                continue
            services.add_person(household, row["data"], user)
            db.session.expire(household, ["members"])
            created_people += 1
    return created_households, created_people
