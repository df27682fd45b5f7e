"""The program summary: figures per community, module, session and month; the full attendance data.

The definitions are in services.py.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..attendance.models import AttendanceRecord, WorkshopSession
from ..curriculum.models import Module
from ..extensions import db
from ..people.models import Community, Household, Person
from ..people.services import age_group
from .services import (
    HELD,
    SEXES,
    communities,
    fetch,
    fiscal_year_of,
    modules,
    reached,
    trained_households,
    trained_rule,
)


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
    people = reached(period)
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
    for session_id, status, number in fetch(query.group_by(record.session_id, record.status)):
        counts[session_id][status] += number
    rows = fetch(
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
