"""Writing attendance from the field: one record changed with its history, the session marked entered."""

from collections.abc import Iterable

from ..attendance.models import AttendanceChange, AttendanceRecord, WorkshopSession
from ..auth.models import User
from ..extensions import db, utcnow
from ..people.models import Person


def write(
    session: WorkshopSession,
    person: Person,
    record: AttendanceRecord | None,
    status: str,
    remark: str,
    user: User,
) -> AttendanceRecord:
    """Create or change one attendance record, keeping the earlier value; return the record."""
    if record is None:
        record = AttendanceRecord(
            session_id=session.id, person_id=person.id, status=status, remark=remark, entered_by_id=user.id
        )
        db.session.add(record)
        return record
    db.session.add(
        AttendanceChange(
            record_id=record.id, status=record.status, remark=record.remark, changed_by_id=user.id
        )
    )
    record.status, record.remark, record.entered_by_id, record.entered_at = status, remark, user.id, utcnow()
    return record


def mark_entered(sessions: Iterable[WorkshopSession], user: User) -> None:
    """Bump each changed session's revision once: a page open on the entry form will not overwrite."""
    for session in sessions:
        session.revision += 1
        if session.status in ("planned", "held"):
            session.status = "entered"
        session.entered_by_id, session.entered_at = user.id, utcnow()
