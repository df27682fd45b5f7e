"""Registry logic: codes, people, duplicate search, moves, the audit log."""

from datetime import date
from typing import Required, TypedDict

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import contains_eager

from ..core import audit
from ..core.audit import Identified
from ..core.clock import program_today
from ..core.text import fold
from ..extensions import db
from ..i18n import format_date
from .models import SEXES, Community, Household, HouseholdStay, Person

YEAR_TOLERANCE = 2
NAME_MAX = 120
EARLIEST_BIRTH_YEAR = 1900


class PersonFields(TypedDict, total=False):
    """A person's fields for add_person: the person form's, a walk-in's, an imported row's.

    Only the given names are required; an age may stand in for the birth year.
    """

    given_names: Required[str]
    family_names: str | None
    sex: str | None
    birth_year: int | None
    birth_year_approximate: bool
    age: int | None
    relationship_to_head: str | None
    is_contact: bool
    dni: str | None
    consent: bool
    consent_date: date | None


class InvalidWalkIn(ValueError):
    """A walk-in's data breaks a rule; the message says which, in the user's language."""


def _walk_in_year(birth_year: object) -> int | None:
    """A walk-in's birth year: none, or a whole number of four digits from 1900 to this year."""
    if birth_year is None or (isinstance(birth_year, str) and not birth_year.strip()):
        return None
    text = birth_year.strip() if isinstance(birth_year, str) else None
    if isinstance(birth_year, int) and not isinstance(birth_year, bool):
        year = birth_year
    elif text is not None and text.isascii() and text.isdigit():
        year = int(text)
    else:
        raise InvalidWalkIn(_("El año de nacimiento no es válido."))
    if 0 <= year < 100:
        # "85" is not silently taken for 1985 (nor dropped): the sheet is read again.
        raise InvalidWalkIn(
            _(
                "El año de nacimiento «%(year)s» tiene dos cifras: escríbalo con cuatro (por ejemplo 1985).",
                year=str(birth_year).strip(),
            )
        )
    if not EARLIEST_BIRTH_YEAR <= year <= date.today().year:
        raise InvalidWalkIn(_("El año de nacimiento no es válido."))
    return year


def clean_walk_in(
    given_names: str | None,
    family_names: str | None = "",
    sex: str | None = None,
    birth_year: object = None,
    consent: bool = False,
) -> PersonFields:
    """Return a walk-in's fields for add_person, by the one rule the entry page and the sync API share.

    Given names are required; names are trimmed to 120 characters; the sex must be given
    (female, male, or "unrecorded" chosen on purpose: never a default); a birth year, when
    given, is a whole number of four digits from 1900 to this year ("85" is an error, not
    1985). Raise InvalidWalkIn otherwise.
    """
    given = (given_names or "").strip()[:NAME_MAX]
    if not given:
        raise InvalidWalkIn(_("Falta el nombre de la persona nueva."))
    if sex not in SEXES:
        raise InvalidWalkIn(_("Elija el sexo de la persona nueva %(name)s (o «no registrado»).", name=given))
    return {
        "given_names": given,
        "family_names": (family_names or "").strip()[:NAME_MAX],
        "sex": sex,
        "birth_year": _walk_in_year(birth_year),
        "consent": bool(consent),
    }


def households_query(community: Community, search: str = "") -> Select[Household]:
    """The community's households by code; with a search, those whose code or a member's name matches.

    Names are compared folded (accents and case ignored), as everywhere in the registry.
    """
    query = select(Household).where(
        Household.community_id == community.id, Household.merged_into_id.is_(None)
    )
    if search:
        # autoescape: a % or _ typed in the box is a character to find, not a wildcard.
        members = select(Person.household_id).where(
            Person.search_name.contains(fold(search), autoescape=True)
        )
        query = query.where(Household.code.icontains(search, autoescape=True) | Household.id.in_(members))
    return query.order_by(Household.code)


def next_household_code(community: Community) -> str:
    """Give out the community's next household code (COM-014) atomically."""
    return _reserve_household_codes(community, 1)[0]


def _reserve_household_codes(community: Community, count: int) -> list[str]:
    """Give out the community's next `count` household codes atomically, in one statement."""
    db.session.execute(
        update(Community)
        .where(Community.id == community.id)
        .values(last_household_number=Community.last_household_number + count)
    )
    last = db.session.execute(
        select(Community.last_household_number).where(Community.id == community.id)
    ).scalar_one()
    return [f"{community.code}-{number:03d}" for number in range(last - count + 1, last + 1)]


def create_household(community: Community, notes: str, user: Identified | None) -> Household:
    household = Household(community=community, code=next_household_code(community), notes=notes.strip())
    db.session.add(household)
    db.session.flush()
    audit.record(user, "create", household, code=household.code)
    return household


def create_households(
    community: Community, import_keys: list[str], user: Identified | None
) -> list[Household]:
    """Create an empty household of a community per family reference of a bulk import, in one flush."""
    households = [
        Household(community=community, code=code, notes="", import_key=key)
        for code, key in zip(_reserve_household_codes(community, len(import_keys)), import_keys, strict=True)
    ]
    db.session.add_all(households)
    db.session.flush()
    for household in households:
        audit.record(user, "create", household, code=household.code)
    return households


def birth_year_of(data: PersonFields) -> tuple[int | None, bool]:
    """Return (birth year, approximate) from a person's fields: the year typed, or one an age gives."""
    year = data.get("birth_year")
    if year:
        return year, bool(data.get("birth_year_approximate"))
    age = data.get("age")
    if age is not None:
        # Only the age is known: keep the year it gives, marked as approximate.
        return date.today().year - age, True
    return None, False


def dni_taken(dni: str | None, exclude_id: int | None = None) -> bool:
    """Tell whether another person already has this DNI."""
    if not dni:
        return False
    query = select(func.count()).select_from(Person).where(Person.dni == dni)
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    return bool(db.session.scalar(query))


class DuplicateCommunity(ValueError):
    """A community with that name or code exists already."""


def create_community(
    name: str,
    code: str,
    user: Identified | None,
    district: str = "",
    province: str = "",
    region: str = "",
) -> Community:
    """Register a community (names trimmed, code upper case, San Ignacio, Cajamarca by default)."""
    name, code = name.strip(), code.strip().upper()
    taken = db.session.scalar(
        select(func.count())
        .select_from(Community)
        .where((Community.code == code) | (func.lower(Community.name) == name.lower()))
    )
    if taken:
        raise DuplicateCommunity(code)
    community = Community(
        name=name,
        code=code,
        district=district.strip(),
        province=province.strip() or "San Ignacio",
        region=region.strip() or "Cajamarca",
    )
    db.session.add(community)
    db.session.flush()
    audit.record(user, "create", community, name=community.name)
    return community


def add_person(
    household: Household | None, data: PersonFields, user: Identified | None, needs_review: bool = False
) -> Person:
    """Create a person in a household (data: the form's fields, an age instead of a year too); return it."""
    return add_people([(household, data)], user, needs_review)[0]


def add_people(
    rows: list[tuple[Household | None, PersonFields]], user: Identified | None, needs_review: bool = False
) -> list[Person]:
    """Create persons as add_person does, in one flush for all (a bulk import's); return them."""
    people = [_new_person(household, data, needs_review) for household, data in rows]
    db.session.add_all(people)
    db.session.flush()
    today = program_today()
    for person, (household, _data) in zip(people, rows, strict=True):
        if household is not None:
            db.session.add(HouseholdStay(person_id=person.id, household_id=household.id, started=today))
        audit.record(user, "create", person, household=household.code if household else None)
    return people


def _new_person(household: Household | None, data: PersonFields, needs_review: bool) -> Person:
    """Return a new, unsaved person from a person's fields."""
    birth_year, approximate = birth_year_of(data)
    person = Person(
        household=household,
        given_names=data["given_names"].strip(),
        family_names=(data.get("family_names") or "").strip(),
        sex=data.get("sex") or "unrecorded",
        birth_year=birth_year,
        birth_year_approximate=approximate,
        relationship_to_head=data.get("relationship_to_head") or "other",
        is_contact=bool(data.get("is_contact")),
        dni=(data.get("dni") or None),
        consent=bool(data.get("consent")),
        consent_date=(data.get("consent_date") or date.today()) if data.get("consent") else None,
        needs_review=needs_review,
    )
    person.refresh_search()
    return person


class MoveRefused(ValueError):
    """The move breaks a rule; the message says which, in the user's language."""


def move_person(
    person: Person, household: Household, user: Identified | None, when: date | None = None
) -> None:
    """Move a person to another household on a date (today by default), closing the current stay.

    History is kept: the stay in the old household ends on that date, one in the new household
    starts on it. A date in the future, one before the current stay began, or a move into the
    household the person is in already raise MoveRefused.
    """
    when = when or program_today()
    if when > program_today():
        raise MoveRefused(_("La fecha del cambio no puede estar en el futuro."))
    if person.household_id == household.id:
        raise MoveRefused(_("La persona ya está en la familia %(code)s.", code=household.code))
    current = db.session.scalar(
        select(HouseholdStay).where(HouseholdStay.person_id == person.id, HouseholdStay.ended.is_(None))
    )
    if current is not None:
        if when < current.started:
            raise MoveRefused(
                _(
                    "La fecha del cambio no puede ser anterior a su llegada a la familia actual (%(date)s).",
                    date=format_date(current.started),
                )
            )
        current.ended = when
    previous = person.household.code if person.household is not None else None
    person.household = household
    db.session.add(HouseholdStay(person_id=person.id, household_id=household.id, started=when))
    audit.record(
        user,
        "move",
        person,
        to=household.code,
        person=person.full_name,
        on=when.isoformat(),
        **{"from": previous},
    )


def _tokens(text: str | None) -> list[str]:
    return [token for token in fold(text).replace("-", " ").split() if token]


def name_anchors(given_names: str | None, family_names: str | None) -> list[str]:
    """The words a similar person's search name must contain: the first given and first family name."""
    return _tokens(given_names)[:1] + _tokens(family_names)[:1]


def names_match(given_a: str | None, family_a: str | None, given_b: str | None, family_b: str | None) -> bool:
    """Same person by name? Accents and case ignored; second family name may be missing or swapped."""
    given_1, given_2 = set(_tokens(given_a)), set(_tokens(given_b))
    family_1, family_2 = set(_tokens(family_a)), set(_tokens(family_b))
    if not given_1 or not given_2 or not (given_1 <= given_2 or given_2 <= given_1):
        return False
    if not family_1 or not family_2:
        return True
    return family_1 <= family_2 or family_2 <= family_1


def resembles(
    given_a: str | None,
    family_a: str | None,
    year_a: int | None,
    given_b: str | None,
    family_b: str | None,
    year_b: int | None,
) -> bool:
    """The registry's rule for "may be the same person": names match, birth years (if both known) within two."""
    if not names_match(given_a, family_a, given_b, family_b):
        return False
    return not (year_a and year_b and abs(year_a - year_b) > YEAR_TOLERANCE)


def similar_people(
    given_names: str | None,
    family_names: str | None,
    birth_year: int | None = None,
    community_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 10,
    also: Select[int] | None = None,
) -> list[Person]:
    """Return existing people who may be the same person, for the user to confirm.

    With community_id, only people of that community's households, and those whose ids
    `also` selects (the walk-ins, who have no household yet, seen in its sessions).
    """
    # The household comes with the same join: the pages show each candidate's household code.
    query = (
        select(Person)
        .outerjoin(Person.household)
        .options(contains_eager(Person.household))
        .where(Person.merged_into_id.is_(None))
    )
    if community_id is not None:
        if also is not None:
            query = query.where((Household.community_id == community_id) | Person.id.in_(also))
        else:
            query = query.where(Household.community_id == community_id)
    # Narrow in SQL by one given-name and one family-name word; the exact rules run in Python.
    for anchor in name_anchors(given_names, family_names):
        query = query.where(Person.search_name.contains(anchor, autoescape=True))
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    found: list[Person] = []
    for person in db.session.scalars(query.order_by(Person.id).limit(500)):
        if not resembles(
            given_names, family_names, birth_year, person.given_names, person.family_names, person.birth_year
        ):
            continue
        found.append(person)
        if len(found) >= limit:
            break
    return found


def age_group(birth_year: int | None, on_date: date) -> str:
    """Return the donor's age group on a date, from a birth year (the birthday is not recorded)."""
    if not birth_year:
        return "unknown"
    age = on_date.year - birth_year
    if age >= 30:
        return "30+"
    return "15-29" if age >= 15 else "under15"
