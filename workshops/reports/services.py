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

from sqlalchemy import and_, case, distinct, func, literal, select
from sqlalchemy.orm import selectinload

from ..attendance.models import AttendanceRecord, WorkshopSession
from ..core.models import AppState
from ..curriculum.models import Module, ModulePractice
from ..curriculum.source import PRACTICES
from ..extensions import db
from ..people.models import AuditEntry, Community, Household, Person

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


def age_group(birth_year, on_date):
    """Return the donor's age group on a date, from a birth year (the birthday is not recorded)."""
    if not birth_year:
        return "unknown"
    age = on_date.year - birth_year
    if age >= 30:
        return "30+"
    return "15-29" if age >= 15 else "under15"


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
    log(user, "report-rule", **rule)


def log(user, action, **details):
    """Write to the audit log who exported or changed what (exports of personal data included)."""
    db.session.add(
        AuditEntry(
            user_id=user.id,
            action=action,
            object_type="report",
            details=json.dumps(details, ensure_ascii=False, default=str),
        )
    )


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


@dataclass
class Participant:
    person_id: int
    first_date: date
    modules: int
    practices: int
    sex: str
    birth_year: int | None
    household_id: int | None
    community_id: int
    age_group: str = ""

    def has_practice(self, practice):
        return bool(self.practices & PRACTICE_BITS[practice])


def _attended_in(period):
    return [AttendanceRecord.status.in_(ATTENDED), *period.session_conditions()]


def participants(period):
    """Return every person who participated in the period, one Participant each (one query)."""
    record, session = AttendanceRecord, WorkshopSession
    per_person = (
        select(
            record.person_id.label("person_id"),
            func.min(session.date).label("first_date"),
            func.count(distinct(session.module_id)).label("modules"),
            func.min(session.community_id).label("session_community"),
        )
        .join(session, session.id == record.session_id)
        .where(*_attended_in(period))
        .group_by(record.person_id)
        .subquery()
    )
    bit = case(
        *((ModulePractice.practice == practice, literal(value)) for practice, value in PRACTICE_BITS.items()),
        else_=literal(0),
    )
    person_practices = (
        select(record.person_id.label("person_id"), bit.label("bit"))
        .join(session, session.id == record.session_id)
        .join(ModulePractice, ModulePractice.module_id == session.module_id)
        .where(*_attended_in(period))
        .distinct()
        .subquery()
    )
    practice_sums = (
        select(person_practices.c.person_id, func.sum(person_practices.c.bit).label("practices"))
        .group_by(person_practices.c.person_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            per_person.c.person_id,
            per_person.c.first_date,
            per_person.c.modules,
            func.coalesce(practice_sums.c.practices, 0),
            Person.sex,
            Person.birth_year,
            Person.household_id,
            func.coalesce(Household.community_id, per_person.c.session_community),
        )
        .join(Person, Person.id == per_person.c.person_id)
        .outerjoin(Household, Household.id == Person.household_id)
        .outerjoin(practice_sums, practice_sums.c.person_id == per_person.c.person_id)
    ).all()
    result = []
    for row in rows:
        first_date = row[1] if isinstance(row[1], date) else date.fromisoformat(str(row[1])[:10])
        found = Participant(row[0], first_date, row[2], int(row[3]), row[4], row[5], row[6], row[7])
        found.age_group = age_group(found.birth_year, first_date)
        if period.community_id is None or found.community_id == period.community_id:
            result.append(found)
    return result


def household_module_counts(period):
    """Return {household_id: distinct modules attended by its current members} (the "together" rule)."""
    rows = db.session.execute(
        select(Person.household_id, func.count(distinct(WorkshopSession.module_id)))
        .join(AttendanceRecord, AttendanceRecord.person_id == Person.id)
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .where(Person.household_id.is_not(None), *_attended_in(period))
        .group_by(Person.household_id)
    ).all()
    return dict(rows)


def trained_households(people, rule, together_counts):
    """Return the ids of trained households among the participants, per the rule."""
    if rule["family_rule"] == "together":
        reached = {person.household_id for person in people if person.household_id}
        return {
            household for household in reached if together_counts.get(household, 0) >= rule["family_modules"]
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
    people = participants(period)
    together = household_module_counts(period) if rule["family_rule"] == "together" else {}
    trained_homes = trained_households(people, rule, together)
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
    return Summary(
        rule=rule,
        by_community=by_community,
        total=total,
        by_module=module_attendance(period),
        sessions=session_attendance(period),
        months=progress_by_month(people),
    )


def _session_filter(period):
    conditions = period.session_conditions()
    if period.community_id:
        conditions.append(WorkshopSession.community_id == period.community_id)
    return conditions


def module_attendance(period):
    """Per module: sessions held, attendances by status, unique participants by sex."""
    record, session = AttendanceRecord, WorkshopSession
    attended = record.status.in_(ATTENDED)
    rows = db.session.execute(
        select(
            session.module_id,
            func.count(distinct(session.id)),
            func.sum(case((attended, 1), else_=0)),
            func.sum(case((record.status == "excused", 1), else_=0)),
            func.sum(case((record.status.in_(("absent", "not_enrolled")), 1), else_=0)),
            func.count(distinct(case((attended, record.person_id)))),
            func.count(distinct(case((and_(attended, Person.sex == "female"), record.person_id)))),
            func.count(distinct(case((and_(attended, Person.sex == "male"), record.person_id)))),
            func.count(distinct(case((and_(attended, Person.sex == "unrecorded"), record.person_id)))),
        )
        .select_from(session)
        .join(record, record.session_id == session.id)
        .join(Person, Person.id == record.person_id)
        .where(*_session_filter(period))
        .group_by(session.module_id)
    ).all()
    held = dict(
        db.session.execute(
            select(session.module_id, func.count(session.id))
            .where(session.status.in_(HELD), *_session_filter(period))
            .group_by(session.module_id)
        ).all()
    )
    found = {row[0]: row for row in rows}
    result = []
    for module in modules():
        row = found.get(module.id)
        values = [int(value or 0) for value in row[2:]] if row else [0] * 7
        result.append(
            {
                "module": module,
                "sessions": held.get(module.id, 0),
                "attended": values[0],
                "excused": values[1],
                "absent": values[2],
                "persons": values[3],
                "female": values[4],
                "male": values[5],
                "unrecorded": values[6],
            }
        )
    return result


def session_attendance(period):
    """One row per session in the period: counts by status and women present."""
    record, session = AttendanceRecord, WorkshopSession
    counts = [func.sum(case((record.status == status, 1), else_=0)) for status in ("present", "late")]
    rows = db.session.execute(
        select(
            session.id,
            session.date,
            session.status,
            Community.name,
            Module.number,
            *counts,
            func.sum(case((record.status == "excused", 1), else_=0)),
            func.sum(case((record.status.in_(("absent", "not_enrolled")), 1), else_=0)),
            func.sum(case((and_(record.status.in_(ATTENDED), Person.sex == "female"), 1), else_=0)),
        )
        .select_from(session)
        .join(Community, Community.id == session.community_id)
        .join(Module, Module.id == session.module_id)
        .outerjoin(record, record.session_id == session.id)
        .outerjoin(Person, Person.id == record.person_id)
        .where(*_session_filter(period))
        .group_by(session.id, session.date, session.status, Community.name, Module.number)
        .order_by(session.date, Community.name, Module.number)
    ).all()
    return [
        {
            "id": row[0],
            "date": row[1],
            "status": row[2],
            "community": row[3],
            "module": row[4],
            "present": int(row[5] or 0),
            "late": int(row[6] or 0),
            "excused": int(row[7] or 0),
            "absent": int(row[8] or 0),
            "female": int(row[9] or 0),
        }
        for row in rows
    ]


def progress_by_month(people):
    """Return [(YYYY-MM, reached, women, men)], cumulative, by the month of first participation."""
    new = defaultdict(Counter)
    for person in people:
        new[person.first_date.strftime("%Y-%m")][person.sex] += 1
    result, running = [], Counter()
    for month in sorted(new):
        running.update(new[month])
        result.append((month, sum(running.values()), running["female"], running["male"]))
    return result


def sex_by_module(period):
    """Return [(module, female, male, unrecorded)] attendances (present or late) for the chart."""
    return [
        (row["module"], row["female"], row["male"], row["unrecorded"]) for row in module_attendance(period)
    ]


# --- Donor indicators --------------------------------------------------------------------------


def crosstab(people):
    """Return {(sex, age_group): count} with totals under the key "all"."""
    table = Counter()
    for person in people:
        for sex in (person.sex, "all"):
            for group in (person.age_group, "all"):
                table[sex, group] += 1
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
    people = participants(Period(start, end, community_id))
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
    """Return the persons behind a figure with their household and community, sorted by name."""
    by_id = {person.person_id: person for person in chosen}
    rows = []
    # Fetched in chunks: an IN list of tens of thousands of ids is slow on both databases.
    ids = sorted(by_id)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows.extend(
            db.session.execute(
                select(Person.id, Person.given_names, Person.family_names, Household.code)
                .outerjoin(Household, Household.id == Person.household_id)
                .where(Person.id.in_(chunk))
            ).all()
        )
    names = {c.id: c.name for c in communities()}
    result = []
    for person_id, given, family, household_code in rows:
        person = by_id[person_id]
        result.append(
            {
                "id": person_id,
                "name": f"{given} {family}".strip(),
                "household": household_code or "",
                "community": names.get(person.community_id, ""),
                "sex": person.sex,
                "birth_year": person.birth_year,
                "age_group": person.age_group,
                "first_date": person.first_date,
                "modules": person.modules,
            }
        )
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
    """Households of a community by the 12 modules, one page, plus the community's totals."""
    rule = trained_rule()
    numbers = [module.number for module in modules()]
    held = set(
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
    base = select(Household).where(Household.community_id == community.id, Household.merged_into_id.is_(None))
    total_households = db.session.scalar(select(func.count()).select_from(base.subquery()))
    query = base.options(selectinload(Household.members)).order_by(Household.code)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    households = db.session.scalars(query).all()
    members = [p for household in households for p in household.members if p.merged_into_id is None]
    states = defaultdict(lambda: defaultdict(set))
    if members:
        for person_id, number, status in db.session.execute(
            select(AttendanceRecord.person_id, Module.number, AttendanceRecord.status)
            .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
            .join(Module, Module.id == WorkshopSession.module_id)
            .where(AttendanceRecord.person_id.in_([p.id for p in members]), *period.session_conditions())
        ):
            cell = "attended" if status in ATTENDED else ("excused" if status == "excused" else "absent")
            states[person_id][number].add(cell)
    rows = []
    for household in households:
        persons = []
        union = defaultdict(set)
        for person in household.members:
            if person.merged_into_id is not None:
                continue
            cells = {}
            for number in numbers:
                found = states[person.id][number]
                union[number] |= found
                cells[number] = _best(found) if found else ("absent" if number in held else "not_held")
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
        rows.append(MatrixRow(household, cells, completed, trained, persons))
    totals = community_totals(community, period, rule)
    return rows, total_households, totals, numbers, held


def community_totals(community, period, rule):
    """Households and persons of a community, and how many are trained (the whole community)."""
    people = [p for p in participants(Period(period.start, period.end, community.id)) if p.household_id]
    together = household_module_counts(period) if rule["family_rule"] == "together" else {}
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
        "households_trained": len(trained_households(people, rule, together)),
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
    for row in db.session.execute(query):
        day = row[2]
        yield [
            row[0],
            row[1],
            day.isoformat(),
            fiscal_year_of(day),
            row[3],
            row[4],
            row[5],
            row[6] or "",
            row[7],
            row[8] or "",
            age_group(row[8], day),
            row[9],
            row[10],
        ]


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
