"""The sync of attendance taken offline: each record applied exactly once (packs: pack.py)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, TypeGuard

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..attendance import services as attendance
from ..attendance import walkins
from ..attendance.models import (
    ATTENDANCE_STATES,
    AttendanceRecord,
    WorkshopSession,
)
from ..auth.models import User
from ..core import audit
from ..extensions import db
from ..people import services as people
from ..people.models import Household, Person
from . import conflicts, records
from .models import FieldSubmission

MAX_RECORDS = 500
MAX_BYTES = 1_000_000
UID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Outcome:
    id: str
    outcome: str  # applied, already_applied, conflict, rejected
    reason: str = ""
    # The server's value of the record after this one (applied or conflict): the device's next base.
    server: dict[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"id": self.id, "outcome": self.outcome}
        if self.reason:
            result["reason"] = self.reason
        if self.server is not None:
            result["server"] = self.server
        return result


class Rejected(Exception):
    """A record the server will never apply, with the reason for the device to show."""


class ParsedRecord(TypedDict):
    """One record of a sync, checked by _parse: a known person's (person_id) or a walk-in's."""

    session_id: int
    person_id: int | None
    walk_in: people.PersonFields | None
    status: str
    remark: str
    base_status: str
    base_remark: str | None
    entered_at: datetime | None


def _text(value: object, limit: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Rejected(_("El campo %(field)s debe ser texto.", field=what))
    if "\x00" in value:  # PostgreSQL cannot store it
        raise Rejected(_("El campo %(field)s tiene un carácter no válido (NUL).", field=what))
    return value.strip()[:limit]


# Record ids are 32-bit integers in both databases: a larger number (10^30, 2^63) names no record,
# and handing it to the database would fail (SQLite: OverflowError; PostgreSQL: out of range).
LARGEST_ID = 2**31 - 1


def is_record_id(value: object) -> TypeGuard[int]:
    """Tell whether a JSON value can be the id of a record: a whole number, not a boolean, in range."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= LARGEST_ID


def _parse(item: object) -> ParsedRecord:
    """Check one record's shape; return its cleaned fields or raise Rejected."""
    if not isinstance(item, dict):
        raise Rejected(_("Cada registro debe ser un objeto JSON."))
    status = item.get("status")
    if status not in ATTENDANCE_STATES:
        raise Rejected(_("El estado «%(status)s» no es válido.", status=str(status)[:20]))
    session_id = item.get("session_id")
    if not is_record_id(session_id):
        raise Rejected(_("Falta el número de la sesión, o no es un número de sesión."))
    base_status = item.get("base_status") or ""
    if base_status and base_status not in ATTENDANCE_STATES:
        raise Rejected(_("El estado anterior no es válido."))
    base_remark = item.get("base_remark")
    if base_remark is not None and not isinstance(base_remark, str):
        raise Rejected(_("El campo %(field)s debe ser texto.", field="base_remark"))
    entered_at = None
    if item.get("entered_at"):
        try:
            entered_at = datetime.fromisoformat(str(item["entered_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise Rejected(_("La hora de registro no es una fecha válida.")) from None
    person_id, walk_in = item.get("person_id"), item.get("walk_in")
    if walk_in is not None:
        if not isinstance(walk_in, dict):
            raise Rejected(_("Los datos de la persona nueva no son válidos."))
        consent = walk_in.get("consent", False)
        if not isinstance(consent, bool):
            raise Rejected(_("El campo %(field)s debe ser true o false.", field="consent"))
        sex = walk_in.get("sex")
        try:
            walk_in = people.clean_walk_in(
                _text(walk_in.get("given_names"), people.NAME_MAX, "given_names"),
                _text(walk_in.get("family_names"), people.NAME_MAX, "family_names"),
                sex if isinstance(sex, str) else None,
                walk_in.get("birth_year"),
                consent=consent,
            )
        except people.InvalidWalkIn as error:
            raise Rejected(str(error)) from None
    elif not is_record_id(person_id):
        raise Rejected(_("Falta la persona, o su número no es válido."))
    return {
        "session_id": session_id,
        "person_id": person_id,
        "walk_in": walk_in,
        "status": status,
        "remark": _text(item.get("remark"), 500, "remark"),
        "base_status": base_status,
        "base_remark": None if base_remark is None else base_remark.strip()[:500],
        "entered_at": entered_at,
    }


class Batch:
    """What a sync needs to look up, loaded in a few queries for the whole batch."""

    def __init__(self, items: Sequence[object]) -> None:
        self.sessions: dict[int, WorkshopSession | None] = {}
        # What the server holds after each record, for the device's next base value.
        self.answers: dict[str, dict[str, object]] = {}
        self.touched: set[WorkshopSession] = set()
        person_ids = {
            i.get("person_id") for i in items if isinstance(i, dict) and is_record_id(i.get("person_id"))
        }
        session_ids = {
            i.get("session_id") for i in items if isinstance(i, dict) and is_record_id(i.get("session_id"))
        }
        self.persons = {
            person.id: person
            for person in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))
        }
        merged_into = {p.merged_into_id for p in self.persons.values() if p.merged_into_id}
        self.persons.update(
            {
                person.id: person
                for person in db.session.scalars(select(Person).where(Person.id.in_(merged_into)))
            }
        )
        self.communities = dict(
            db.session.execute(
                select(Household.id, Household.community_id).where(
                    Household.id.in_({p.household_id for p in self.persons.values() if p.household_id})
                )
            ).all()
        )
        # Open conflicts are closed in memory, never flushed before the commit: a flush would hold
        # SQLite's write lock for the rest of the batch.
        self.conflicts: dict[tuple[int, int], list[FieldSubmission]] = {}
        for conflict in db.session.scalars(
            select(FieldSubmission).where(
                *conflicts.OPEN_CONFLICT,
                FieldSubmission.session_id.in_(session_ids),
                FieldSubmission.person_id.in_(set(self.persons)),
            )
        ):
            self.conflicts.setdefault((conflict.session_id, conflict.person_id), []).append(conflict)
        self.records = {
            (record.session_id, record.person_id): record
            for record in db.session.scalars(
                select(AttendanceRecord).where(
                    AttendanceRecord.session_id.in_(session_ids),
                    AttendanceRecord.person_id.in_(set(self.persons)),
                )
            )
        }

    def session(self, session_id: int) -> WorkshopSession | None:
        if session_id not in self.sessions:
            self.sessions[session_id] = db.session.get(WorkshopSession, session_id)
        return self.sessions[session_id]

    def person(self, person_id: int) -> Person | None:
        person = self.persons.get(person_id)
        if person is not None and person.merged_into_id is not None:
            person = self.persons.get(person.merged_into_id)
        return person

    def in_roster(self, session: WorkshopSession, person: Person) -> bool:
        """A device may mark the persons of the session's community, and those already recorded in it."""
        if (
            person.household_id is not None
            and self.communities.get(person.household_id) == session.community_id
        ):
            return True
        return (session.id, person.id) in self.records


def _person_and_record(
    session: WorkshopSession, data: ParsedRecord, user: User, batch: Batch
) -> tuple[Person, AttendanceRecord | None]:
    """Find (or, for a new walk-in, create) the person a record is about, and their record if any."""
    person: Person | None
    if data["walk_in"] is not None:
        # Walk-ins go to the registry flagged for the review queue, like those typed on the entry page:
        # the device cannot ask whether they resemble someone, so the queue shows the candidates,
        # and nothing is merged by itself. The same walk-in sent again for this session (another
        # record, say from a second device) is the person the first one created.
        person = walkins.same_walk_in(session, data["walk_in"])
        if person is None:
            return people.add_person(None, data["walk_in"], user, needs_review=True), None
        return person, batch.records.get((session.id, person.id)) or db.session.scalar(
            select(AttendanceRecord).where(
                AttendanceRecord.session_id == session.id, AttendanceRecord.person_id == person.id
            )
        )
    person_id = data["person_id"]  # a number whenever there is no walk-in (_parse)
    person = batch.person(person_id) if person_id is not None else None
    if person is None or not batch.in_roster(session, person):
        raise Rejected(_("Esa persona no está en la lista de esta sesión."))
    return person, batch.records.get((session.id, person.id))


def _apply_one(uid: str, data: ParsedRecord, user: User, batch: Batch) -> str:
    """Apply one record within the caller's transaction; return the outcome."""
    session = batch.session(data["session_id"])
    if session is None or not attendance.can_see(user, session):
        # The same answer whether the session is missing or not the facilitator's.
        raise Rejected(_("Usted no está asignado a esta sesión."))
    refusal = attendance.attendance_refusal(session)
    if refusal is not None:
        raise Rejected(refusal)
    submission = FieldSubmission(
        uid=uid,
        user_id=user.id,
        session_id=session.id,
        status=data["status"],
        remark=data["remark"],
        base_status=data["base_status"],
        base_remark=data["base_remark"],
        device_entered_at=data["entered_at"],
        walk_in=data["walk_in"] is not None,
    )
    person, record = _person_and_record(session, data, user, batch)
    submission.person_id = person.id
    decision = conflicts.decide(
        record, data["status"], data["remark"], data["base_status"], data["base_remark"], user
    )
    if decision == "conflict":
        submission.outcome = "conflict"
        submission.server_status = record.status if record else ""
        submission.server_remark = record.remark if record else ""
        # One open conflict per person and session: this one replaces any earlier.
        conflicts.close(batch.conflicts.get((session.id, person.id), []))
    else:
        if decision == "write":
            batch.records[session.id, person.id] = records.write(
                session, person, record, data["status"], data["remark"], user
            )
            batch.touched.add(session)
        submission.outcome = "applied"
        # Her own later value replaces her own earlier open conflict for the record.
        conflicts.close(batch.conflicts.get((session.id, person.id), []), sent_by=user.id)
    db.session.add(submission)
    if submission.outcome == "conflict":
        batch.conflicts[session.id, person.id] = [submission]
    batch.answers[uid] = conflicts.current_value(batch.records.get((session.id, person.id)))
    return submission.outcome


def _known_outcomes(items: Sequence[object]) -> dict[str, str]:
    """Return the outcome stored for each id of the batch that the server has seen before."""
    # Only well-formed ids go into the query: a list, an object or a NUL there is a database error.
    uids = [
        item["id"].lower()
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), str) and UID_RE.match(item["id"].lower())
    ]
    found = db.session.scalars(select(FieldSubmission).where(FieldSubmission.uid.in_(uids[:MAX_RECORDS])))
    return {submission.uid: submission.outcome for submission in found}


def sync(items: Sequence[object], user: User) -> list[Outcome]:
    """Apply a batch and answer per record; the caller commits (see sync_and_commit)."""
    outcomes: list[Outcome] = []
    batch = Batch(items)
    known = _known_outcomes(items)
    applied = 0
    for item in items:
        uid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(uid, str) or not UID_RE.match(uid.lower()):
            outcomes.append(
                Outcome(str(uid)[:40] if uid else "", "rejected", _("El registro no tiene un id válido."))
            )
            continue
        uid = uid.lower()
        if uid in known:
            outcomes.append(Outcome(uid, "already_applied"))
            continue
        try:
            # Every check comes before the first write, so a rejected record leaves nothing behind.
            data = _parse(item)
            outcome = _apply_one(uid, data, user, batch)
        except Rejected as refusal:
            outcomes.append(Outcome(uid, "rejected", str(refusal)))
            continue
        known[uid] = outcome
        applied += outcome == "applied"
        outcomes.append(Outcome(uid, outcome, server=batch.answers.get(uid)))
    records.mark_entered(batch.touched, user)
    for session in batch.touched:
        audit.record(user, "field-sync", session, records=applied)
    return outcomes


def sync_and_commit(items: Sequence[object], user: User) -> list[Outcome]:
    """Apply and commit a batch. The same batch sent twice at once: the unique record id stops
    the later commit; it is rolled back and run again, and then finds every record already there."""
    for attempt in (1, 2):
        try:
            outcomes = sync(items, user)
            db.session.commit()
            return outcomes
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    return []
