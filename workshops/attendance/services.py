"""Sessions, rosters in sheet order, and saving attendance without losing anyone's work."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..core import audit
from ..core.clock import program_today
from ..core.revisions import take_next_revision
from ..core.text import fold
from ..curriculum.models import Module
from ..extensions import db, utcnow
from ..i18n import format_date
from ..people import services as people
from ..people.models import Community, Household, Person
from .models import ATTENDANCE_STATES, AttendanceChange, AttendanceRecord, SessionStaff, WorkshopSession

MANAGERS = ("admin", "coordinator")


def is_manager(user: User) -> bool:
    return user.has_role(*MANAGERS)


def visible_sessions_query(user: User) -> Select[WorkshopSession]:
    query = select(WorkshopSession).options(
        selectinload(WorkshopSession.module), selectinload(WorkshopSession.community)
    )
    if not is_manager(user):
        query = query.where(
            WorkshopSession.id.in_(select(SessionStaff.session_id).where(SessionStaff.user_id == user.id))
        )
    return query.order_by(WorkshopSession.date, WorkshopSession.start_time)


SESSIONS_PAGE_SIZE = 50
# What the list shows: sessions to come, those past whose attendance is not entered yet, past, all.
WHEN_CHOICES = ("upcoming", "to_enter", "past", "all")


@dataclass
class SessionFilters:
    """The session list's filters, read from the query string (bad values are ignored, never an error)."""

    when: str = "upcoming"
    community: int | None = None
    module: int | None = None
    facilitator: int | None = None
    status: str = ""
    start: date | None = None
    end: date | None = None
    mine: bool = False

    def arguments(self) -> dict[str, object]:
        """The filters as query arguments, for the pager's links (defaults left out)."""
        shown = {
            "when": self.when if self.when != "upcoming" else None,
            "community": self.community,
            "module": self.module,
            "facilitator": self.facilitator,
            "status": self.status or None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "mine": "1" if self.mine else None,
        }
        return {key: value for key, value in shown.items() if value is not None}


def filtered_sessions(user: User, filters: SessionFilters) -> Select[WorkshopSession]:
    """The sessions a user may see, narrowed by the list's filters, in the order the list shows them.

    Upcoming sessions come soonest first (next week's session is near the top); past ones
    most recent first.
    """
    query = visible_sessions_query(user).order_by(None)
    today = program_today()
    if filters.when == "upcoming":
        query = query.where(WorkshopSession.date >= today)
    elif filters.when == "to_enter":
        query = query.where(WorkshopSession.date <= today, WorkshopSession.status.in_(("planned", "held")))
    elif filters.when == "past":
        query = query.where(WorkshopSession.date < today)
    if filters.mine or filters.facilitator is not None:
        staff_id = user.id if filters.mine else filters.facilitator
        query = query.where(
            WorkshopSession.id.in_(select(SessionStaff.session_id).where(SessionStaff.user_id == staff_id))
        )
    for column, wanted in (
        (WorkshopSession.community_id, filters.community),
        (WorkshopSession.module_id, filters.module),
        (WorkshopSession.status, filters.status or None),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    if filters.start is not None:
        query = query.where(WorkshopSession.date >= filters.start)
    if filters.end is not None:
        query = query.where(WorkshopSession.date <= filters.end)
    if filters.when in ("upcoming", "to_enter"):
        return query.order_by(WorkshopSession.date, WorkshopSession.start_time, WorkshopSession.id)
    return query.order_by(WorkshopSession.date.desc(), WorkshopSession.start_time.desc(), WorkshopSession.id)


def can_see(user: User, session: WorkshopSession) -> bool:
    return is_manager(user) or any(member.user_id == user.id for member in session.staff)


def create_session(
    module: Module,
    community: Community,
    when: date,
    start_time: time | None,
    duration: int,
    venue: str,
    facilitator_ids: Iterable[int],
    interpreter: str | None,
    user: User,
) -> WorkshopSession:
    session = WorkshopSession(
        module_id=module.id,
        community_id=community.id,
        date=when,
        start_time=start_time,
        duration_minutes=duration,
        venue=venue.strip(),
    )
    for user_id in facilitator_ids:
        session.staff.append(SessionStaff(user_id=user_id, role="facilitator"))
    if interpreter and interpreter.strip():
        session.staff.append(SessionStaff(name=interpreter.strip(), role="interpreter"))
    db.session.add(session)
    db.session.flush()
    audit.record(user, "create", session, module=module.number, community=community.code, date=when)
    return session


def generate_series(
    modules: Sequence[Module],
    communities: Sequence[Community],
    first_date: date,
    interval_days: int,
    start_time: time | None,
    duration: int,
    facilitator_ids: Sequence[int],
    user: User,
) -> int:
    """Module k in every community on first_date + k * interval; existing sessions are skipped."""
    created = 0
    for index, module in enumerate(modules):
        when = first_date + timedelta(days=index * interval_days)
        for community in communities:
            exists = db.session.scalar(
                select(WorkshopSession.id).where(
                    WorkshopSession.module_id == module.id,
                    WorkshopSession.community_id == community.id,
                    WorkshopSession.date == when,
                )
            )
            if exists is None:
                create_session(module, community, when, start_time, duration, "", facilitator_ids, "", user)
                created += 1
    return created


def roster(session: WorkshopSession) -> list[tuple[Household | None, Sequence[Person]]]:
    """Return [(household or None, [person])] in the printed sheet's order: household code, then person."""
    households = db.session.scalars(
        select(Household)
        .where(Household.community_id == session.community_id, Household.merged_into_id.is_(None))
        .options(selectinload(Household.members))
        .order_by(Household.code)
    ).all()
    return _groups(session, households, _others(session))


def _taking_marks(household: Household) -> list[Person]:
    # Merged-away and anonymised records take no new marks (an anonymised person's past
    # records still list them among "others", on the sheets of those sessions).
    return [p for p in household.members if p.merged_into_id is None and p.anonymised_at is None]


def _others(session: WorkshopSession) -> Sequence[Person]:
    """The people with a mark in this session outside the community's households: walk-ins, people who moved."""
    in_households = select(Household.id).where(
        Household.community_id == session.community_id, Household.merged_into_id.is_(None)
    )
    # is_not(None) first: "NULL IN (...)" is NULL, and NOT NULL would hide the walk-ins.
    on_roster = (
        Person.household_id.is_not(None)
        & Person.household_id.in_(in_households)
        & Person.merged_into_id.is_(None)
    )
    return db.session.scalars(
        select(Person)
        .join(AttendanceRecord, AttendanceRecord.person_id == Person.id)
        .where(AttendanceRecord.session_id == session.id, ~(on_roster & Person.anonymised_at.is_(None)))
        .order_by(Person.id)
    ).all()


def _cut_into_pages(counts: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Split [(household id, people)] in order into pages of whole households, each about ENTRY_PAGE_PERSONS."""
    pages: list[list[int]] = [[]]
    filled = 0
    for household_id, people_in_it in counts:
        if filled >= ENTRY_PAGE_PERSONS:
            pages.append([])
            filled = 0
        pages[-1].append(household_id)
        filled += people_in_it
    return pages


def _groups(
    session: WorkshopSession, households: Sequence[Household], others: Sequence[Person]
) -> list[tuple[Household | None, Sequence[Person]]]:
    groups: list[tuple[Household | None, Sequence[Person]]] = [
        (household, members) for household in households if (members := _taking_marks(household))
    ]
    if others:
        groups.append((None, others))  # walk-ins and people who moved away since
    return groups


# The entry page shows whole households until it holds at least this many people.
ENTRY_PAGE_PERSONS = 200


@dataclass
class RosterPage:
    groups: list[tuple[Household | None, Sequence[Person]]]
    page: int
    pages: int
    persons: int  # on every page together


def roster_page(session: WorkshopSession, page: int, search: str = "") -> RosterPage:
    """One page of the roster for the entry page: whole households, in sheet order, about 200 people.

    The people outside the community's households (walk-ins, people who moved) come on the
    last page. `search` keeps the households whose code or one of whose members' names
    contains it. A fixed number of queries, and only one page's people read, whatever the
    size of the community.
    """
    active = (Person.merged_into_id.is_(None), Person.anonymised_at.is_(None))
    counts = (
        select(Household.id, func.count(Person.id))
        .join(Person, Person.household_id == Household.id)
        .where(Household.community_id == session.community_id, Household.merged_into_id.is_(None), *active)
        .group_by(Household.id, Household.code)
        .order_by(Household.code)
    )
    needle = fold(search)[:100]
    if needle:
        counts = counts.where(
            func.lower(Household.code).contains(needle, autoescape=True)
            | Household.id.in_(
                select(Person.household_id).where(Person.search_name.contains(needle, autoescape=True))
            )
        )
    counted = [(household_id, number) for household_id, number in db.session.execute(counts)]
    plan = _cut_into_pages(counted)
    page = max(1, min(page, len(plan)))
    households = db.session.scalars(
        select(Household)
        .where(Household.id.in_(plan[page - 1]))
        .options(selectinload(Household.members))
        .order_by(Household.code)
    ).all()
    others: Sequence[Person] = []
    if page == len(plan):
        others = [person for person in _others(session) if not needle or needle in person.search_name]
    return RosterPage(_groups(session, households, others), page, len(plan), sum(n for _id, n in counted))


def records_by_person(
    session: WorkshopSession, person_ids: Sequence[int] | None = None
) -> dict[int, AttendanceRecord]:
    """Return {person id: record} of a session, of every person or of these."""
    query = select(AttendanceRecord).where(AttendanceRecord.session_id == session.id)
    if person_ids is not None:
        query = query.where(AttendanceRecord.person_id.in_(person_ids))
    return {record.person_id: record for record in db.session.scalars(query)}


def attendance_refusal(session: WorkshopSession) -> str | None:
    """Why no attendance may be recorded for this session now, or None.

    The one rule for the entry page and the field sync: a session may be planned
    ahead, but its attendance waits for its day (in the program's time zone), and
    a cancelled or postponed session takes none until it is reopened.
    """
    if session.status == "cancelled":
        return _("La sesión está cancelada: no se registra asistencia. Si sí se realizó, reábrala primero.")
    if session.status == "postponed":
        return _("La sesión está postergada: no se registra asistencia. Cambie su fecha y reábrala primero.")
    if session.date > program_today():
        return _(
            "La sesión es el %(date)s: la asistencia se registra desde ese día, no antes.",
            date=format_date(session.date),
        )
    return None


@dataclass
class SaveResult:
    saved: bool
    # (person, stored status, your status)
    conflicts: list[tuple[Person | None, str, str]] = field(default_factory=list)
    changed: int = 0
    refusal: str = ""  # why nothing may be saved for this session now (attendance_refusal)


def save_attendance(
    session: WorkshopSession,
    marks: Mapping[int, tuple[str, str]],
    base_revision: int,
    user: User,
    walk_ins: Iterable[people.PersonFields] = (),
) -> SaveResult:
    """Save {person_id: (status, remark)}; refuse if someone saved this session since base_revision.

    Nothing is saved for a session that takes no attendance now (attendance_refusal).
    """
    refusal = attendance_refusal(session)
    if refusal is not None:
        return SaveResult(False, refusal=refusal)
    if not take_next_revision(WorkshopSession.revision, session.id, base_revision):
        # Another save came first: show the differences, apply nothing.
        db.session.rollback()
        return SaveResult(False, _differences(session, marks))
    stored = records_by_person(session, list(marks))
    changed = 0
    for person_id, (status, remark) in marks.items():
        if status:
            changed += _mark(session, person_id, stored.get(person_id), status, remark, user)
    for walk_in in walk_ins:
        person = people.add_person(None, walk_in, user, needs_review=True)
        db.session.add(
            AttendanceRecord(
                session_id=session.id, person_id=person.id, status="present", entered_by_id=user.id
            )
        )
        changed += 1
    if session.status in ("planned", "held"):
        session.status = "entered"
    session.entered_by_id, session.entered_at = user.id, utcnow()
    audit.record(user, "attendance", session, changed=changed)
    return SaveResult(True, changed=changed)


def _differences(
    session: WorkshopSession, marks: Mapping[int, tuple[str, str]]
) -> list[tuple[Person | None, str, str]]:
    """Return (person, stored status, submitted status) where a submitted mark differs from the stored one."""
    stored = records_by_person(session, list(marks))
    conflicts: list[tuple[Person | None, str, str]] = []
    for person_id, (status, _remark) in marks.items():
        record = stored.get(person_id)
        if status and (record is None or record.status != status):
            conflicts.append((db.session.get(Person, person_id), record.status if record else "", status))
    return conflicts


def _mark(
    session: WorkshopSession,
    person_id: int,
    record: AttendanceRecord | None,
    status: str,
    remark: str,
    user: User,
) -> int:
    """Write one person's mark, keeping the replaced one as history; return 1 if anything changed."""
    if status not in ATTENDANCE_STATES:
        raise ValueError(status)
    if record is None:
        db.session.add(
            AttendanceRecord(
                session_id=session.id,
                person_id=person_id,
                status=status,
                remark=remark,
                entered_by_id=user.id,
            )
        )
        return 1
    if (record.status, record.remark) == (status, remark):
        return 0
    db.session.add(
        AttendanceChange(
            record_id=record.id, status=record.status, remark=record.remark, changed_by_id=user.id
        )
    )
    record.status, record.remark, record.entered_by_id, record.entered_at = status, remark, user.id, utcnow()
    return 1


# The sheet's narrow age column: the donor's groups (people.age_group), shortened.
SHEET_AGE_LABELS = {"under15": "<15", "15-29": "15-29", "30+": "30+", "unknown": ""}


def age_group(person: Person, on_date: date) -> str:
    """Return the person's age group on a date as the printed sheet shows it."""
    return SHEET_AGE_LABELS[people.age_group(person.birth_year, on_date)]


def figures(session: WorkshopSession) -> tuple[dict[str, int], dict[str, int]]:
    """Counts of a session by status and, for those present or late, by sex."""
    counts = {status: 0 for status in ATTENDANCE_STATES}
    by_sex = {"female": 0, "male": 0, "unrecorded": 0}
    rows = db.session.execute(
        select(AttendanceRecord.status, Person.sex)
        .join(Person, Person.id == AttendanceRecord.person_id)
        .where(AttendanceRecord.session_id == session.id)
    ).all()
    for status, sex in rows:
        counts[status] += 1
        if status in ("present", "late"):
            by_sex[sex] += 1
    return counts, by_sex
