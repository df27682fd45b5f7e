"""Figures for coordinators and the donor, computed in a fixed number of queries.

Definitions used throughout (shown to users on the report pages):

- A person *participated* when they have at least one record "present" or
  "late"; excused, absent and not enrolled do not count.
- A person is counted once, whatever the number of sessions. Merging
  duplicates moves their attendance to the kept record, so a merged
  duplicate is counted once.
- A person's *community* is the community of their current household; a
  walk-in without a household yet counts where they attended.
- Age is the age on the date of the person's first session in the period,
  from the birth year; a person without a birth year is "not available".
- A person is *trained* when they attended at least N distinct modules in
  the period; a family is trained when one member is trained with the
  family's threshold, or (the other rule) when its members together
  attended N distinct modules.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, distinct, func, literal, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Subquery

from ..attendance.models import AttendanceRecord, WorkshopSession
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
    """Return the fiscal years a report can ask for: those with sessions, and the current one."""
    first, last = db.session.execute(
        select(func.min(WorkshopSession.date), func.max(WorkshopSession.date))
    ).one()
    current = fiscal_year_of(date.today())
    low = min(fiscal_year_of(first), current) if first else current
    high = max(fiscal_year_of(last), current) if last else current
    return list(range(high, low - 1, -1))


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
        conditions = []
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

    @property
    def modules(self):
        return self.module_mask.bit_count()

    def has_practice(self, practice):
        return bool(self.practices & PRACTICE_BITS[practice])


def _fetch(statement):
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


def participants(period, home_community=None, with_names=False):
    """Return every person who participated in the period, one Participant each.

    One aggregate over the attendance records (a covering index serves it), grouped
    by person; each person's modules come back as a bit mask, so "distinct modules"
    and the practice types need no second pass. home_community keeps only the
    persons whose household is in that community (and walk-ins), in SQL.
    """
    bits = _module_bits()
    per_person = _per_person(period, bits, home_community)
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
        columns += [Person.given_names, Person.family_names, Household.code]
    rows = _fetch(
        select(*columns)
        .join(Person, Person.id == per_person.c.person_id)
        .outerjoin(Household, Household.id == Person.household_id)
    )
    practices_of = {}  # module mask -> practice bits; masks repeat, so this is computed once each
    wanted = period.community_id or home_community
    return [
        _participant(row, bits, practices_of, with_names) for row in rows if not (wanted and row[6] != wanted)
    ]


def _per_person(period: Period, bits: dict, home_community: int | None) -> Subquery:
    """Return a subquery of one row per person who attended: first date, module mask, a session's community."""
    record, session = AttendanceRecord, WorkshopSession
    module_bit = case(
        *((session.module_id == module_id, literal(bit)) for module_id, (bit, _p) in bits.items()),
        else_=literal(0),
    )
    conditions = _attended_in(period)
    if home_community:
        conditions.append(
            record.person_id.in_(
                select(Person.id)
                .outerjoin(Household, Household.id == Person.household_id)
                .where(or_(Household.community_id == home_community, Person.household_id.is_(None)))
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


# --- Program summary -------------------------------------------------------------------------


@dataclass
class CommunityFigures:
    households_reached: int = 0
    households_trained: int = 0
    persons_reached: int = 0
    persons_trained: int = 0
    women_reached: int = 0

    @property
    def women_share(self):
        return self.women_reached / self.persons_reached if self.persons_reached else None

    def add(self, other):
        for name in ("households_reached", "households_trained", "persons_reached", "persons_trained"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.women_reached += other.women_reached


@dataclass
class Summary:
    rule: dict
    by_community: list  # [(community, CommunityFigures)]
    total: CommunityFigures
    by_module: list  # [dict]
    sessions: list  # [dict], one per session in the period
    months: list = field(default_factory=list)  # [(YYYY-MM, reached, women, men)] cumulative


def summary(period):
    """Build the program summary for a period and community (a fixed number of queries)."""
    rule = trained_rule()
    people = participants(period, home_community=period.community_id)
    trained_homes = trained_households(people, rule)
    figures = defaultdict(CommunityFigures)
    homes = defaultdict(set)
    for person in people:
        entry = figures[person.community_id]
        entry.persons_reached += 1
        entry.persons_trained += person.modules >= rule["person_modules"]
        entry.women_reached += person.sex == "female"
        if person.household_id:
            homes[person.community_id].add(person.household_id)
    for community_id, households in homes.items():
        figures[community_id].households_reached = len(households)
        figures[community_id].households_trained = len(households & trained_homes)
    shown = [c for c in communities() if period.community_id in (None, c.id)]
    by_community = [(community, figures.get(community.id, CommunityFigures())) for community in shown]
    total = CommunityFigures()
    for _community, entry in by_community:
        total.add(entry)
    sessions = session_attendance(period)
    return Summary(
        rule=rule,
        by_community=by_community,
        total=total,
        by_module=module_attendance(sessions, people),
        sessions=sessions,
        months=progress_by_month(people),
    )


def _session_filter(period):
    conditions = period.session_conditions()
    if period.community_id:
        conditions.append(WorkshopSession.community_id == period.community_id)
    return conditions


def session_attendance(period):
    """One row per session in the period (and community): counts by status (two queries)."""
    record, session = AttendanceRecord, WorkshopSession
    counts = defaultdict(Counter)
    query = select(record.session_id, record.status, func.count())
    conditions = _session_filter(period)
    if conditions:
        query = query.join(session, session.id == record.session_id).where(*conditions)
    # Grouped in the order of a covering index: the database aggregates as it reads the index.
    for session_id, status, number in _fetch(query.group_by(record.session_id, record.status)):
        counts[session_id][status] += number
    rows = _fetch(
        select(session.id, session.date, session.status, session.module_id, Community.name, Module.number)
        .join(Community, Community.id == session.community_id)
        .join(Module, Module.id == session.module_id)
        .where(*conditions)
        .order_by(session.date, Community.name, Module.number)
    )
    result = []
    for session_id, day, status, module_id, community, number in rows:
        found = counts[session_id]
        result.append(
            {
                "id": session_id,
                "date": day,
                "status": status,
                "module_id": module_id,
                "community": community,
                "module": number,
                "present": found["present"],
                "late": found["late"],
                "excused": found["excused"],
                "absent": found["absent"] + found["not_enrolled"],
            }
        )
    return result


def module_attendance(sessions, people):
    """Per module: sessions held, attendances by status, and the distinct persons who attended, by sex."""
    # Count (module mask, sex) pairs first: masks repeat, so the per-module loop stays short.
    persons = defaultdict(Counter)
    for (mask, sex), number in Counter((person.module_mask, person.sex) for person in people).items():
        for module_number in range(1, 13):
            if mask & (1 << (module_number - 1)):
                persons[module_number][sex] += number
    totals = defaultdict(Counter)
    for row in sessions:
        found = totals[row["module_id"]]
        found["sessions"] += row["status"] in HELD
        found["attended"] += row["present"] + row["late"]
        found["excused"] += row["excused"]
        found["absent"] += row["absent"]
    result = []
    for module in modules():
        found, learners = totals[module.id], persons[module.number]
        result.append(
            {
                "module": module,
                "sessions": found["sessions"],
                "attended": found["attended"],
                "excused": found["excused"],
                "absent": found["absent"],
                "persons": sum(learners.values()),
                **{sex: learners[sex] for sex in SEXES},
            }
        )
    return result


def progress_by_month(people):
    """Return [(YYYY-MM, reached, women, men)], cumulative, by the month of first participation."""
    new = Counter((person.first_date.year, person.first_date.month, person.sex) for person in people)
    months = sorted({(year, month) for year, month, _sex in new})
    result, reached, female, male = [], 0, 0, 0
    for year, month in months:
        female += new[year, month, "female"]
        male += new[year, month, "male"]
        reached += sum(new[year, month, sex] for sex in SEXES)
        result.append((f"{year}-{month:02d}", reached, female, male))
    return result


# --- Donor indicators --------------------------------------------------------------------------


def crosstab(people):
    """Return {(sex, age_group): count} with totals under the key "all"."""
    cells = Counter((person.sex, person.age_group) for person in people)
    table = Counter()
    for (sex, group), number in cells.items():
        for key in ((sex, group), (sex, "all"), ("all", group), ("all", "all")):
            table[key] += number
    return table


@dataclass
class Indicators:
    fiscal_year: int
    overall: Counter  # EG.3-2: crosstab of every participant
    by_community: list  # [(community, crosstab)]
    by_practice: list  # [(practice, crosstab)]
    any_practice: Counter


def indicators(fiscal_year, community_id=None):
    start, end = fiscal_year_bounds(fiscal_year)
    people = participants(Period(start, end, community_id), home_community=community_id)
    by_community = defaultdict(list)
    for person in people:
        by_community[person.community_id].append(person)
    shown = [c for c in communities() if community_id in (None, c.id)]
    return Indicators(
        fiscal_year=fiscal_year,
        overall=crosstab(people),
        by_community=[(community, crosstab(by_community.get(community.id, []))) for community in shown],
        by_practice=[
            (practice, crosstab([p for p in people if p.has_practice(practice)])) for practice in PRACTICES
        ],
        any_practice=crosstab([p for p in people if p.practices]),
    )


def select_people(people, sex=None, age=None, practice=None, trained=None, rule=None):
    """Filter participants the way a report figure was counted."""
    chosen = []
    for person in people:
        if sex and person.sex != sex:
            continue
        if age and person.age_group != age:
            continue
        if practice == "any" and not person.practices:
            continue
        if practice and practice != "any" and not person.has_practice(practice):
            continue
        if trained and person.modules < rule["person_modules"]:
            continue
        chosen.append(person)
    return chosen


def people_rows(chosen):
    """Return the persons behind a figure (participants fetched with_names), sorted for reading."""
    names = {c.id: c.name for c in communities()}
    result = [
        {
            "id": person.person_id,
            "name": person.name,
            "household": person.household_code,
            "community": names.get(person.community_id, ""),
            "sex": person.sex,
            "birth_year": person.birth_year,
            "age_group": person.age_group,
            "first_date": person.first_date,
            "modules": person.modules,
        }
        for person in chosen
    ]
    result.sort(key=lambda row: (row["community"], row["household"], row["name"].casefold(), row["id"]))
    return result


# --- Completion matrix -----------------------------------------------------------------------


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
    states = {}
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


def _matrix_row(household: Household, numbers: list, held: set, states: dict, rule: dict) -> MatrixRow:
    """Return a household's row: each member's cells, and the family's (the best state of any member)."""
    persons = []
    union = defaultdict(set)
    for person in household.members:
        if person.merged_into_id is not None:
            continue
        cells = {}
        person_states = states.get(person.id, {})
        for number in numbers:
            found = person_states.get(number)
            if found:
                union[number] |= found
                cells[number] = _best(found)
            else:
                cells[number] = "absent" if number in held else "not_held"
        completed = sum(state == "attended" for state in cells.values())
        persons.append((person, cells, completed, completed >= rule["person_modules"]))
    cells = {
        number: _best(union[number]) if union[number] else ("absent" if number in held else "not_held")
        for number in numbers
    }
    completed = sum(state == "attended" for state in cells.values())
    if rule["family_rule"] == "together":
        trained = completed >= rule["family_modules"]
    else:
        trained = any(entry[2] >= rule["family_modules"] for entry in persons)
    return MatrixRow(household, cells, completed, trained, persons)


def community_totals(community, period, rule):
    """Households and persons of a community, and how many are trained (the whole community)."""
    people = [
        p
        for p in participants(Period(period.start, period.end), home_community=community.id)
        if p.household_id
    ]
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
        "households_reached": len({p.household_id for p in people}),
        "households_trained": len(trained_households(people, rule)),
        "persons": persons,
        "persons_reached": len(people),
        "persons_trained": sum(p.modules >= rule["person_modules"] for p in people),
    }


# --- Full attendance data -------------------------------------------------------------------


def attendance_rows(period):
    """Yield every attendance record as a flat row, streamed from the database in batches."""
    record, session = AttendanceRecord, WorkshopSession
    query = (
        select(
            record.id,
            session.id,
            session.date,
            Community.code,
            Module.number,
            record.person_id,
            Household.code,
            Person.sex,
            Person.birth_year,
            record.status,
            record.remark,
        )
        .join(session, session.id == record.session_id)
        .join(Community, Community.id == session.community_id)
        .join(Module, Module.id == session.module_id)
        .join(Person, Person.id == record.person_id)
        .outerjoin(Household, Household.id == Person.household_id)
        .where(*_session_filter(period))
        .order_by(session.date, session.id, record.id)
        .execution_options(yield_per=2000)
    )
    years, groups = {}, {}  # per date and per (birth year, year): a few thousand distinct keys
    for row in db.session.connection().execute(query):
        day = row[2]
        if day not in years:
            years[day] = (day.isoformat(), fiscal_year_of(day))
        iso, fiscal_year = years[day]
        key = (row[8], day.year)
        if key not in groups:
            groups[key] = age_group(row[8], day)
        yield (
            row[0],
            row[1],
            iso,
            fiscal_year,
            row[3],
            row[4],
            row[5],
            row[6] or "",
            row[7],
            row[8] or "",
            groups[key],
            row[9],
            row[10],
        )


ATTENDANCE_COLUMNS = (
    "record_id",
    "session_id",
    "session_date",
    "fiscal_year",
    "community",
    "module",
    "person_id",
    "household",
    "sex",
    "birth_year",
    "age_group",
    "status",
    "remark",
)
