"""The conflict rules of field sync: when a device's value applies, and one open conflict per record.

A device sends, with each value, the value it last saw from the server (its base).
The value applies when the server still holds the base, or when the server's value
was last written by the same account (a facilitator correcting her own record).
Only a disagreement with someone else's later change becomes a conflict, and a
person in a session has at most one open conflict: a newer one replaces it.
"""

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..attendance import services as attendance
from ..attendance.models import AttendanceRecord, WorkshopSession
from ..auth.models import User
from ..core import audit
from ..extensions import db, utcnow
from ..people.models import Person
from . import records
from .models import FieldSubmission

OPEN_CONFLICT = (FieldSubmission.outcome == "conflict", FieldSubmission.resolution.is_(None))
Decision = Literal["same", "write", "conflict"]


def decide(
    record: AttendanceRecord | None,
    status: str,
    remark: str,
    base_status: str,
    base_remark: str | None,
    user: User,
) -> Decision:
    """Say what a device's value does to the server's record: nothing, a write, or a conflict."""
    current = (record.status, record.remark) if record else ("", "")
    if current == (status, remark):
        return "same"
    # base_remark is None from a device that only sends the status it saw.
    base_matches = current[0] == base_status and (base_remark is None or current[1] == base_remark)
    if base_matches or (record is not None and record.entered_by_id == user.id):
        return "write"
    return "conflict"


def current_value(record: AttendanceRecord | None) -> dict[str, object]:
    """The server's value of a record as the device keeps it for its next base."""
    return {"status": record.status, "remark": record.remark} if record else {"status": "", "remark": ""}


def supersede(session_id: int, person_id: int, sent_by: int | None = None, keep: int | None = None) -> None:
    """Close the open conflicts of a person in a session (only those `sent_by` sent, when given)."""
    query = (
        update(FieldSubmission)
        .where(
            *OPEN_CONFLICT, FieldSubmission.session_id == session_id, FieldSubmission.person_id == person_id
        )
        .values(resolution="superseded", resolved_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if sent_by is not None:
        query = query.where(FieldSubmission.user_id == sent_by)
    if keep is not None:
        query = query.where(FieldSubmission.id != keep)
    db.session.execute(query)


def close(open_ones: list[FieldSubmission], sent_by: int | None = None) -> None:
    """Mark open conflicts superseded (only those `sent_by` sent, when given), in memory until the commit."""
    for conflict in open_ones:
        if conflict.resolution is None and (sent_by is None or conflict.user_id == sent_by):
            conflict.resolution, conflict.resolved_at = "superseded", utcnow()


def open_conflicts() -> Sequence[FieldSubmission]:
    """The conflicts to settle, with what the page shows of each (session, person, sender) loaded at once."""
    return db.session.scalars(
        select(FieldSubmission)
        .where(*OPEN_CONFLICT)
        .options(
            selectinload(FieldSubmission.session).selectinload(WorkshopSession.community),
            selectinload(FieldSubmission.session).selectinload(WorkshopSession.module),
            selectinload(FieldSubmission.person),
            selectinload(FieldSubmission.user),
        )
        .order_by(FieldSubmission.received_at)
    ).all()


def current_records(conflicts: Sequence[FieldSubmission]) -> dict[tuple[int, int], AttendanceRecord]:
    """The records the conflicts are about, as they are now (the page shows today's server value)."""
    sessions = {c.session_id for c in conflicts}
    persons = {c.person_id for c in conflicts}
    return {
        (r.session_id, r.person_id): r
        for r in db.session.scalars(
            select(AttendanceRecord).where(
                AttendanceRecord.session_id.in_(sessions), AttendanceRecord.person_id.in_(persons)
            )
        )
    }


def count_open_conflicts() -> int:
    return db.session.scalar(select(func.count()).select_from(FieldSubmission).where(*OPEN_CONFLICT)) or 0


def resolve(submission: FieldSubmission, keep: str, user: User) -> str | None:
    """Settle a conflict: keep the server's value, or apply the device's; close any other for the record.

    Return why the device's value may not be applied now (the session was cancelled
    since, say), with nothing changed; None once settled.
    """
    if keep == "device":
        session = db.session.get(WorkshopSession, submission.session_id)
        person = db.session.get(Person, submission.person_id)
        if session is None or person is None:
            # Foreign keys keep both (the submission goes with its session): never reached.
            raise LookupError(f"field submission {submission.id}: its session or person is gone")
        refusal = attendance.attendance_refusal(session)
        if refusal is not None:
            return refusal
        record = db.session.scalar(
            select(AttendanceRecord).where(
                AttendanceRecord.session_id == session.id, AttendanceRecord.person_id == person.id
            )
        )
        records.write(session, person, record, submission.status, submission.remark, user)
        records.mark_entered([session], user)
    supersede(submission.session_id, submission.person_id, keep=submission.id)
    submission.resolution, submission.resolved_by_id, submission.resolved_at = keep, user.id, utcnow()
    audit.record(user, "field-resolve", submission.session, submission=submission.id, kept=keep)
    return None
