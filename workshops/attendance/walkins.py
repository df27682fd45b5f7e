"""Walk-ins: people who came to a session without being on its roster.

Before a walk-in is created it is compared, by the registry's rule (people.resembles),
with the people of the session's community (their households, and the walk-ins
already seen in its sessions) and with the other walk-ins of the same save. Those
flagged `needs_review` wait in the review queue: merge into an existing person,
assign to a household, or confirm as someone new.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..auth.models import User
from ..core import audit
from ..core.text import fold
from ..extensions import db
from ..people import services as people
from ..people.models import Household, Person
from .models import AttendanceRecord, WorkshopSession

REVIEW_PAGE_SIZE = 25
MATCHES_SHOWN = 10
# A community with more households than this gets a household-code field instead of a list,
# so that a page of the queue stays the same size whatever the size of the registry.
HOUSEHOLDS_LISTED = 40
# At most this many people are read per row to look for matches (narrowed by name in SQL).
POOL_PER_ROW = 200


def community_attendees(community_id: int) -> Select[int]:
    """The ids of the people recorded in any session of a community (walk-ins have no household)."""
    return (
        select(AttendanceRecord.person_id)
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .where(WorkshopSession.community_id == community_id)
    )


@dataclass
class WalkInMatch:
    """A walk-in of the entry page (its row number) and whom it resembles."""

    row: int
    fields: people.PersonFields
    people: list[Person] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # other walk-in rows of the same save


def walk_in_candidates(
    session: WorkshopSession, walk_ins: Sequence[tuple[int, people.PersonFields]]
) -> list[WalkInMatch]:
    """For each typed walk-in (row, fields) that may be someone known, whom it resembles."""
    matches = []
    attendees = community_attendees(session.community_id)
    for row, fields in walk_ins:
        given, family, year = fields["given_names"], fields.get("family_names"), fields.get("birth_year")
        match = WalkInMatch(row, fields)
        match.people = people.similar_people(
            given, family, year, session.community_id, limit=MATCHES_SHOWN, also=attendees
        )
        match.rows = [
            other_row
            for other_row, other in walk_ins
            if other_row != row
            and people.resembles(
                given, family, year, other["given_names"], other.get("family_names"), other.get("birth_year")
            )
        ]
        if match.people or match.rows:
            matches.append(match)
    return matches


def resolve_walk_ins(
    session: WorkshopSession, walk_ins: Sequence[tuple[int, people.PersonFields]], form: Mapping[str, str]
) -> tuple[list[int], list[tuple[int, people.PersonFields]]]:
    """Return (ids of known people the coordinator chose for typed walk-ins, the walk-ins left).

    A walk-in shown with its likely matches may be answered "it is this person"
    (`walkin-is-<row>`): they get a "present" mark instead of a new record. Only a person
    the page offered for that row is taken; any other value leaves the row a walk-in.
    """
    known: list[int] = []
    left = []
    attendees = community_attendees(session.community_id)
    for row, fields in walk_ins:
        chosen = form.get(f"walkin-is-{row}", "")
        offered = (
            people.similar_people(
                fields["given_names"],
                fields.get("family_names"),
                fields.get("birth_year"),
                session.community_id,
                limit=MATCHES_SHOWN,
                also=attendees,
            )
            if chosen.isdigit()
            else []
        )
        match = next((person.id for person in offered if str(person.id) == chosen), None)
        if match is None:
            left.append((row, fields))
        elif match not in known:
            known.append(match)
    return known, left


def walk_ins_digest(walk_ins: Sequence[tuple[int, people.PersonFields]]) -> str:
    """A fingerprint of the walk-ins a coordinator saw: confirming them confirms exactly these."""
    seen = json.dumps([[row, dict(fields)] for row, fields in walk_ins], sort_keys=True, default=str)
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def same_walk_in(session: WorkshopSession, fields: people.PersonFields) -> Person | None:
    """The person already recorded in this session as the same walk-in (name, sex, birth year), if any.

    Two devices (or two records of one device) may send one walk-in twice: it becomes one person.
    """
    name = fold(f"{fields['given_names']} {fields.get('family_names') or ''}".strip())
    query = (
        select(Person)
        .join(AttendanceRecord, AttendanceRecord.person_id == Person.id)
        .where(
            AttendanceRecord.session_id == session.id,
            Person.household_id.is_(None),
            Person.merged_into_id.is_(None),
            Person.search_name == name,
            Person.sex == fields.get("sex"),
        )
        .order_by(Person.id)
    )
    year = fields.get("birth_year")
    query = query.where(Person.birth_year == year if year else Person.birth_year.is_(None))
    return db.session.scalars(query.limit(1)).first()


# --- The review queue -------------------------------------------------------------------------


@dataclass
class ReviewRow:
    person: Person
    sessions: list[WorkshopSession] = field(default_factory=list)
    matches: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    type_household_code: bool = False  # too many households in the community to list them


@dataclass
class ReviewPage:
    rows: list[ReviewRow]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // REVIEW_PAGE_SIZE))


TO_REVIEW = (Person.needs_review.is_(True), Person.merged_into_id.is_(None))


def count_to_review() -> int:
    return db.session.scalar(select(func.count()).select_from(Person).where(*TO_REVIEW)) or 0


def review_page(page: int) -> ReviewPage:
    """One page of the people to review, oldest first, with their sessions, likely matches and the
    households they could join; a fixed number of queries whatever the number of rows."""
    total = count_to_review()
    page = max(1, min(page, max(1, -(-total // REVIEW_PAGE_SIZE))))
    rows = _rows_of_page(page)
    communities_of = {
        row.person.id: {s.community_id for s in row.sessions}
        | ({row.person.household.community_id} if row.person.household else set())
        for row in rows.values()
    }
    wanted = set().union(*communities_of.values()) if communities_of else set()
    if not wanted:
        return ReviewPage(list(rows.values()), page, total)
    attended, pool = _candidates(wanted, [row.person for row in rows.values()])
    households, crowded = _households_to_list(wanted)
    for row in rows.values():
        mine = communities_of[row.person.id]
        row.matches = _matches(row.person, mine, pool, attended)
        row.households = [h for h in households if h.community_id in mine]
        row.type_household_code = bool(mine & crowded)
    return ReviewPage(list(rows.values()), page, total)


def _households_to_list(wanted: set[int]) -> tuple[list[Household], set[int]]:
    """Return (households of the communities small enough to list, the communities too big to list)."""
    counts = db.session.execute(
        select(Household.community_id, func.count())
        .where(Household.community_id.in_(wanted), Household.merged_into_id.is_(None))
        .group_by(Household.community_id)
    ).all()
    crowded = {community for community, count in counts if count > HOUSEHOLDS_LISTED}
    small = wanted - crowded
    households = db.session.scalars(
        select(Household)
        .where(Household.community_id.in_(small), Household.merged_into_id.is_(None))
        .order_by(Household.code)
    ).all()
    return list(households), crowded


def _rows_of_page(page: int) -> dict[int, ReviewRow]:
    """Return {person id: row} of one page of people to review, each with the sessions they came from."""
    persons = db.session.scalars(
        select(Person)
        .where(*TO_REVIEW)
        .options(joinedload(Person.household))
        .order_by(Person.id)
        .offset((page - 1) * REVIEW_PAGE_SIZE)
        .limit(REVIEW_PAGE_SIZE)
    ).all()
    rows = {person.id: ReviewRow(person) for person in persons}
    records = db.session.scalars(
        select(AttendanceRecord)
        .join(AttendanceRecord.session)
        .where(AttendanceRecord.person_id.in_(rows))
        .options(
            contains_eager(AttendanceRecord.session).joinedload(WorkshopSession.community),
            contains_eager(AttendanceRecord.session).joinedload(WorkshopSession.module),
        )
        .order_by(WorkshopSession.date, WorkshopSession.id)
    ).all()
    for record in records:
        rows[record.person_id].sessions.append(record.session)
    return rows


def _candidates(wanted: set[int], persons: Sequence[Person]) -> tuple[dict[int, set[int]], list[Person]]:
    """Return ({person id: communities attended}, who these persons may be) for the communities.

    The pool is the people of the communities' households and those seen in their sessions,
    narrowed in SQL by each person's first given and family name (as similar_people does),
    so a page reads a bounded number of people whatever the size of the communities.
    """
    anchored = [
        and_(*(Person.search_name.contains(anchor, autoescape=True) for anchor in anchors))
        for anchors in (people.name_anchors(p.given_names, p.family_names) for p in persons)
        if anchors
    ]
    if not anchored:
        return {}, []
    seen_in_sessions = (
        select(AttendanceRecord.person_id)
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .where(WorkshopSession.community_id.in_(wanted))
    )
    pool = db.session.scalars(
        select(Person)
        .outerjoin(Person.household)
        .options(contains_eager(Person.household))
        .where(
            Person.merged_into_id.is_(None),
            or_(*anchored),
            Household.community_id.in_(wanted) | Person.id.in_(seen_in_sessions),
        )
        .order_by(Person.id)
        .limit(POOL_PER_ROW * len(anchored))
    ).all()
    attended: dict[int, set[int]] = {}
    for person_id, community_id in db.session.execute(
        select(AttendanceRecord.person_id, WorkshopSession.community_id)
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .where(WorkshopSession.community_id.in_(wanted), AttendanceRecord.person_id.in_([p.id for p in pool]))
        .distinct()
    ):
        attended.setdefault(person_id, set()).add(community_id)
    return attended, list(pool)


def _matches(me: Person, mine: set[int], pool: list[Person], attended: dict[int, set[int]]) -> list[Person]:
    """Return up to MATCHES_SHOWN people of the pool in a community of mine who resemble me."""
    found: list[Person] = []
    for other in pool:
        if other.id == me.id:
            continue
        theirs = attended.get(other.id, set()) | (
            {other.household.community_id} if other.household else set()
        )
        if mine & theirs and people.resembles(
            me.given_names,
            me.family_names,
            me.birth_year,
            other.given_names,
            other.family_names,
            other.birth_year,
        ):
            found.append(other)
            if len(found) >= MATCHES_SHOWN:
                break
    return found


class ReviewRefused(ValueError):
    """The action breaks a rule; the message says which, in the user's language."""


def communities_of(person: Person) -> set[int]:
    """The communities a person to review belongs to: their household's and those of their sessions."""
    found = set(
        db.session.scalars(
            select(WorkshopSession.community_id)
            .join(AttendanceRecord, AttendanceRecord.session_id == WorkshopSession.id)
            .where(AttendanceRecord.person_id == person.id)
        )
    )
    if person.household is not None:
        found.add(person.household.community_id)
    return found


def confirm_new(person: Person, user: User) -> None:
    """The coordinator checked the matches: this is someone new. Leaves the queue, audited."""
    person.needs_review = False
    audit.record(user, "review", person, outcome="new", person=person.full_name)


def assign_household(person: Person, household: Household, when: date, user: User) -> None:
    """Put a person to review into a household of their community (from a date): reviewed, audited.

    Raise ReviewRefused (a household of another community) or people.MoveRefused (a date in the
    future, say) with nothing changed.
    """
    if household.community_id not in communities_of(person) or household.merged_into_id is not None:
        raise ReviewRefused(
            _("La familia %(code)s no es de la comunidad de esta persona.", code=household.code)
        )
    people.move_person(person, household, user, when)
    person.needs_review = False
    audit.record(
        user, "review", person, outcome="household", household=household.code, person=person.full_name
    )


@audit.describes("Person", "review")
def _describe_review(who: str | None, details: Mapping[str, object]) -> str | None:
    person, outcome = details.get("person"), details.get("outcome")
    if not isinstance(person, str):
        return None
    if outcome == "new":
        return _(
            "%(user)s confirmó que %(person)s es una persona nueva", user=who or _("Alguien"), person=person
        )
    household = details.get("household")
    if outcome == "household" and isinstance(household, str):
        return _(
            "%(user)s revisó a %(person)s y la puso en la familia %(code)s",
            user=who or _("Alguien"),
            person=person,
            code=household,
        )
    return None
