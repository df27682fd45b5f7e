"""The completion matrix: the households of a community by the 12 modules, and the community's totals.

Who was reached, and where they count, is services.reached(), as in every report:
walk-ins without a household who count in the community get rows of their own.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..attendance.models import AttendanceRecord, WorkshopSession
from ..curriculum.models import Module
from ..extensions import db
from ..people.models import Community, Household, Person
from .services import (
    ATTENDED,
    CELL_STATES,
    HELD,
    Participant,
    Period,
    modules,
    trained_households,
    trained_rule,
)


@dataclass
class MatrixRow:
    household: Household
    cells: dict  # module number -> state
    completed: int
    trained: bool
    persons: list  # [(person, {number: state}, completed, trained)]


def _best(states):
    for state in CELL_STATES:
        if state in states:
            return state
    return "not_held"


def matrix(community, period, page, per_page=50):
    """Households of a community by the 12 modules, one page (all of them without per_page)."""
    rule = trained_rule()
    numbers = [module.number for module in modules()]
    held = _held_modules(community, period)
    base = select(Household).where(Household.community_id == community.id, Household.merged_into_id.is_(None))
    total_households = db.session.scalar(select(func.count()).select_from(base.subquery()))
    query = base.options(selectinload(Household.members)).order_by(Household.code)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    households = db.session.scalars(query).all()
    if per_page:
        shown = Person.household_id.in_([household.id for household in households])
    else:
        shown = Person.household_id.in_(select(Household.id).where(Household.community_id == community.id))
    states = _cell_states(shown, period) if households else {}
    rows = [_matrix_row(household, numbers, held, states, rule) for household in households]
    return rows, total_households, numbers


def _held_modules(community: Community, period: Period) -> set[int]:
    """Return the numbers of the modules held in the community in the period."""
    return set(
        db.session.scalars(
            select(Module.number)
            .distinct()
            .join(WorkshopSession, WorkshopSession.module_id == Module.id)
            .where(
                WorkshopSession.community_id == community.id,
                WorkshopSession.status.in_(HELD),
                *period.session_conditions(),
            )
        )
    )


def _cell_states(shown, period: Period) -> dict:
    """Return {person id: {module number: cell states}} of the shown persons' records (one query)."""
    states: dict[int, dict[int, set[str]]] = {}
    for person_id, number, status in db.session.execute(
        select(AttendanceRecord.person_id, Module.number, AttendanceRecord.status)
        .join(Person, Person.id == AttendanceRecord.person_id)
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .join(Module, Module.id == WorkshopSession.module_id)
        .where(shown, *period.session_conditions())
    ):
        cell = "attended" if status in ATTENDED else ("excused" if status == "excused" else "absent")
        states.setdefault(person_id, {}).setdefault(number, set()).add(cell)
    return states


def _person_cells(person_states: dict, numbers: list, held: set) -> dict[int, str]:
    """Return a person's state for each module: the best of their records, else absent or not held."""
    return {
        number: _best(person_states[number])
        if person_states.get(number)
        else ("absent" if number in held else "not_held")
        for number in numbers
    }


def _matrix_row(household: Household, numbers: list, held: set, states: dict, rule: dict) -> MatrixRow:
    """Return a household's row: each member's cells, and the family's (the best state of any member)."""
    persons = []
    union: defaultdict[int, set[str]] = defaultdict(set)
    for person in household.members:
        if person.merged_into_id is not None:
            continue
        person_states = states.get(person.id, {})
        for number, found in person_states.items():
            union[number] |= found
        cells = _person_cells(person_states, numbers, held)
        completed = sum(state == "attended" for state in cells.values())
        persons.append((person, cells, completed, completed >= rule["person_modules"]))
    cells = _person_cells(union, numbers, held)
    completed = sum(state == "attended" for state in cells.values())
    if rule["family_rule"] == "together":
        trained = completed >= rule["family_modules"]
    else:
        trained = any(entry[2] >= rule["family_modules"] for entry in persons)
    return MatrixRow(household, cells, completed, trained, persons)


def walk_in_rows(community: Community, period: Period, people: list[Participant], rule: dict) -> list:
    """Return [(person, {number: state}, completed, trained)] of the walk-ins who count in the community.

    people is reached(period) for the community: walk-ins (no household) among them
    count here because they attended here, so the matrix shows them (two queries).
    """
    ids = [person.person_id for person in people if person.household_id is None]
    if not ids:
        return []
    numbers = [module.number for module in modules()]
    held = _held_modules(community, period)
    states = _cell_states(Person.id.in_(ids), period)
    rows = []
    for person in db.session.scalars(
        select(Person).where(Person.id.in_(ids)).order_by(Person.search_name, Person.id)
    ):
        cells = _person_cells(states.get(person.id, {}), numbers, held)
        completed = sum(state == "attended" for state in cells.values())
        rows.append((person, cells, completed, completed >= rule["person_modules"]))
    return rows


def community_totals(community: Community, period: Period, rule: dict, people: list[Participant]) -> dict:
    """Households and persons of a community, and how many are reached and trained.

    people is reached(period) for the community, as every report counts: walk-ins
    without a household who attended here are reached persons of the community.
    """
    households = db.session.scalar(
        select(func.count(Household.id)).where(
            Household.community_id == community.id, Household.merged_into_id.is_(None)
        )
    )
    persons = db.session.scalar(
        select(func.count(Person.id))
        .join(Household, Household.id == Person.household_id)
        .where(Household.community_id == community.id, Person.merged_into_id.is_(None))
    )
    return {
        "households": households,
        "households_reached": len({p.household_id for p in people if p.household_id}),
        "households_trained": len(trained_households(people, rule)),
        "persons": persons,
        "persons_reached": len(people),
        "persons_trained": sum(p.modules >= rule["person_modules"] for p in people),
        "walk_ins": sum(p.household_id is None for p in people),
    }
