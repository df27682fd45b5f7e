"""Bulk import of households and persons from CSV: all rows valid, or nothing is imported."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

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
    "relacion",
    "dni",
    "consentimiento",
)
TEMPLATE_ROWS = (
    ("CPR", "F1", "Nombre", "Apellido Apellido", "mujer", "1985", "jefa", "", "si"),
    ("CPR", "F1", "Nombre", "Apellido Apellido", "hombre", "2008", "hijo", "", "si"),
)
SEX = {
    "mujer": "female",
    "f": "female",
    "female": "female",
    "hombre": "male",
    "h": "male",
    "m": "male",
    "male": "male",
    "": "unrecorded",
    "no registrado": "unrecorded",
}
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
    text: str = ""


def decode(data):
    """Read UTF-8 (with or without BOM) or Excel's Windows encoding."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def template_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return "\ufeff" + buffer.getvalue()


def plan(text: str) -> Plan:
    """Validate every row; return a Plan with all errors, or with what an import would create."""
    result = Plan(text=text)
    reader = _csv_reader(text)
    missing = [column for column in COLUMNS[:3] if column not in (reader.fieldnames or ())]
    if missing:
        result.errors.append((1, ", ".join(missing), _l("faltan estas columnas en la primera fila")))
        return result
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    dnis = set(db.session.scalars(select(Person.dni).where(Person.dni.is_not(None))))
    seen_dnis: set[str] = set()
    keys: set[tuple[int, str]] = set()
    for line, raw in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in raw.items() if key}
        values, errors = _check_row(row, communities, seen_dnis)
        if errors:
            result.errors.extend((line, column, message) for column, message in errors)
            continue
        if values["dni"]:
            seen_dnis.add(values["dni"])
        result.rows.append(_planned_row(row, values, dnis))
        keys.add((values["community"].id, row["familia"]))
    if result.errors:
        result.rows = []
        return result
    _count_new_and_existing(result, keys)
    return result


def _csv_reader(text: str) -> csv.DictReader:
    """Return a reader whose column names are folded; the delimiter is the one the first line uses more."""
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [fold(name).strip() for name in (reader.fieldnames or [])]
    return reader


def _check_row(row: dict, communities: dict, seen_dnis: set) -> tuple[dict, list]:
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
        errors.append(("sexo", _l("escriba mujer, hombre o déjelo vacío")))
    year = _birth_year(row.get("anio_nacimiento", ""), errors)
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
    values = {"community": community, "sex": sex, "year": year, "relation": relation, "dni": dni}
    return {**values, "consent": consent in YES}, errors


def _birth_year(value: str, errors: list) -> int | None:
    """Return the birth year, None if empty; add a problem unless it is four digits, 1900 to this year."""
    if not value:
        return None
    if not value.isdigit() or not 1900 <= int(value) <= date.today().year:
        errors.append(("anio_nacimiento", _l("escriba un año de cuatro cifras que no esté en el futuro")))
        return None
    return int(value)


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
            "relationship_to_head": values["relation"],
            "dni": dni,
            "consent": values["consent"],
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
