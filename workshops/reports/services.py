"""Who participated, and the rules every report shares, computed in a fixed number of queries.

The reports built on these: program.py (the summary and the full attendance
data), figures.py (donor indicators and the persons behind a figure) and
completion.py (the completion matrix).

Definitions used throughout (shown to users on the report pages):

- A person *participated* when they have at least one record "present" or
  "late"; excused, absent and not enrolled do not count.
- A person is counted once, whatever the number of sessions. Merging
  duplicates moves their attendance to the kept record, so a merged
  duplicate is counted once.
- A person's *community* is the community of their current household; a
  walk-in without a household yet counts where they attended. reached() is
  this definition, and the only one: every report asks it who was reached.
- Age is the age on the date of the person's first session in the period,
  from the birth year; a person without a birth year is "not available".
- A person is *trained* when they attended at least N distinct modules in
  the period; a family is trained when one member is trained with the
  family's threshold, or (the other rule) when its members together
  attended N distinct modules.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, distinct, func, literal, or_, select
from sqlalchemy.sql import Subquery

from ..attendance.models import OFF_STATES, AttendanceRecord, WorkshopSession
from ..core import audit
from ..core.models import AppState
from ..curriculum.models import Module, ModulePractice
from ..curriculum.source import PRACTICES
from ..extensions import db
from ..people.models import Community, Household, Person
from ..people.services import age_group

ATTENDED = ("present", "late")
HELD = ("held", "entered", "checked")
SEXES = ("female", "male", "unrecorded")
AGE_GROUPS = ("15-29", "30+", "under15", "unknown")
CELL_STATES = ("attended", "excused", "absent", "not_held")
FAMILY_RULES = ("member", "together")
RULE_KEY = "report_rule"
DEFAULT_RULE = {"person_modules": 9, "family_modules": 9, "family_rule": "member"}
PRACTICE_BITS = {practice: 1 << index for index, practice in enumerate(PRACTICES)}


def fiscal_year_of(day):
    """Return the US fiscal year of a date: FY 2026 runs from 1 October 2025 to 30 September 2026."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_year_bounds(year):
    return date(year - 1, 10, 1), date(year, 9, 30)


def fiscal_years():
    """Return the fiscal years with attendance in a held session, latest first; the current one if none has."""
    dates = db.session.scalars(
        select(WorkshopSession.date)
        .distinct()
        .where(
            WorkshopSession.status.not_in(OFF_STATES),
            select(AttendanceRecord.id).where(AttendanceRecord.session_id == WorkshopSession.id).exists(),
        )
    )
    years = sorted({fiscal_year_of(day) for day in dates}, reverse=True)
    return years or [fiscal_year_of(date.today())]


def trained_rule():
    state = db.session.get(AppState, RULE_KEY)
    rule = dict(DEFAULT_RULE)
    if state is not None:
        rule.update(json.loads(state.value))
    return rule


def save_trained_rule(person_modules, family_modules, family_rule, user):
    rule = {"person_modules": person_modules, "family_modules": family_modules, "family_rule": family_rule}
    state = db.session.get(AppState, RULE_KEY)
    if state is None:
        db.session.add(AppState(key=RULE_KEY, value=json.dumps(rule)))
    else:
        state.value = json.dumps(rule)
    audit.record(user, "report-rule", "report", **rule)


@dataclass(frozen=True)
class Period:
    """The filter every report shares: a date range (either end open) and a community."""

    start: date | None = None
    end: date | None = None
    community_id: int | None = None

    def session_conditions(self):
        # A cancelled or postponed session was not held: neither it nor any mark in it counts.
        conditions = [WorkshopSession.status.not_in(OFF_STATES)]
        if self.start:
            conditions.append(WorkshopSession.date >= self.start)
        if self.end:
            conditions.append(WorkshopSession.date <= self.end)
        return conditions

    def query_args(self):
        args = {}
        if self.start:
            args["start"] = self.start.isoformat()
        if self.end:
            args["end"] = self.end.isoformat()
        if self.community_id:
            args["community"] = self.community_id
        return args


@dataclass(slots=True)
class Participant:
    person_id: int
    first_date: date
    module_mask: int  # bit n-1 set when module n was attended
    sex: str
    birth_year: int | None
    household_id: int | None
    community_id: int
    practices: int = 0  # PRACTICE_BITS of the attended modules
    age_group: str = ""
    name: str = ""
    household_code: str = ""
    consent: bool = True  # with_names only: False marks the person in the lists
    anonymised: bool = False  # with_names only: the data was erased at their request

    @property
    def modules(self):
        return self.module_mask.bit_count()

    def has_practice(self, practice):
        return bool(self.practices & PRACTICE_BITS[practice])


def fetch(statement):
    """Run a report query on the session's connection, skipping the ORM's row processing."""
    return db.session.connection().execute(statement).all()


def _attended_in(period):
    return [AttendanceRecord.status.in_(ATTENDED), *period.session_conditions()]


def _module_bits():
    """Return {module id: (bit of its number, bits of its practices)} (one small query)."""
    bits = {}
    for module_id, number, practice in db.session.execute(
        select(Module.id, Module.number, ModulePractice.practice).outerjoin(
            ModulePractice, ModulePractice.module_id == Module.id
        )
    ):
        module_bit, practices = bits.get(module_id, (1 << (number - 1), 0))
        bits[module_id] = (module_bit, practices | PRACTICE_BITS.get(practice, 0))
    return bits


def modules_mask(module_bit):
    """OR the module bits of a person's records: bit_or on PostgreSQL (a hash aggregate), else SUM(DISTINCT)."""
    if db.engine.dialect.name == "postgresql":
        return func.bit_or(module_bit)
    return func.sum(distinct(module_bit))


def reached(period: Period, with_names: bool = False) -> list[Participant]:
    """Return the people reached in the period, and where they count: one Participant each.

    The one definition every report uses (summary, indicators, the persons behind a
    figure, the completion matrix): a person is reached when they have a record
    "present" or "late" in a session of the period; they count in the community of
    their current household, or, without a household (a walk-in), in the community
    of a session they attended in the period (the first by community id when there
    are several). With period.community_id only those who count there are returned.

    One aggregate over the attendance records (a covering index serves it), grouped
    by person; each person's modules come back as a bit mask, so "distinct modules"
    and the practice types need no second pass.
    """
    bits = _module_bits()
    per_person = _per_person(period, bits)
    columns = [
        per_person.c.person_id,
        per_person.c.first_date,
        per_person.c.modules,
        Person.sex,
        Person.birth_year,
        Person.household_id,
        func.coalesce(Household.community_id, per_person.c.session_community),
    ]
    if with_names:
        columns += [
            Person.given_names,
            Person.family_names,
            Household.code,
            Person.consent,
            Person.anonymised_at,
        ]
    rows = fetch(
        select(*columns)
        .join(Person, Person.id == per_person.c.person_id)
        .outerjoin(Household, Household.id == Person.household_id)
    )
    practices_of: dict[int, int] = {}  # module mask -> practice bits; masks repeat, so computed once each
    wanted = period.community_id
    return [
        _participant(row, bits, practices_of, with_names) for row in rows if not (wanted and row[6] != wanted)
    ]


def _per_person(period: Period, bits: dict) -> Subquery:
    """Return a subquery of one row per person who attended: first date, module mask, a session's community."""
    record, session = AttendanceRecord, WorkshopSession
    module_bit = case(
        *((session.module_id == module_id, literal(bit)) for module_id, (bit, _p) in bits.items()),
        else_=literal(0),
    )
    conditions = _attended_in(period)
    if period.community_id:
        # Those whose household is in the community, and walk-ins (kept or not by reached()).
        conditions.append(
            record.person_id.in_(
                select(Person.id)
                .outerjoin(Household, Household.id == Person.household_id)
                .where(or_(Household.community_id == period.community_id, Person.household_id.is_(None)))
            )
        )
    return (
        select(
            record.person_id.label("person_id"),
            func.min(session.date).label("first_date"),
            modules_mask(module_bit).label("modules"),
            func.min(session.community_id).label("session_community"),
        )
        .join(session, session.id == record.session_id)
        .where(*conditions)
        .group_by(record.person_id)
        .subquery()
    )


def _participant(row, bits: dict, practices_of: dict, with_names: bool) -> Participant:
    """Return the Participant of a result row; practices_of caches the practice bits of each module mask."""
    first_date = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1])[:10])
    mask = int(row[2] or 0)
    practices = practices_of.get(mask)
    if practices is None:
        practices = 0
        for bit, module_practices in bits.values():
            if mask & bit:
                practices |= module_practices
        practices_of[mask] = practices
    found = Participant(
        row[0], first_date, mask, row[3], row[4], row[5], row[6], practices, age_group(row[4], first_date)
    )
    if with_names:
        found.name = f"{row[7]} {row[8]}".strip()
        found.household_code = row[9] or ""
        found.consent = bool(row[10])
        found.anonymised = row[11] is not None
    return found


def trained_households(people, rule):
    """Return the ids of trained households among the participants, per the rule."""
    if rule["family_rule"] == "together":
        together = defaultdict(int)
        for person in people:
            if person.household_id:
                together[person.household_id] |= person.module_mask
        return {
            household for household, mask in together.items() if mask.bit_count() >= rule["family_modules"]
        }
    return {
        person.household_id
        for person in people
        if person.household_id and person.modules >= rule["family_modules"]
    }


def communities():
    return db.session.scalars(select(Community).order_by(Community.name)).all()


def modules():
    return db.session.scalars(select(Module).order_by(Module.number)).all()
