"""Attendance follows a person merge of the register (people.merge's signals), and its undo."""

from sqlalchemy import select

from ..extensions import db
from ..people.merge import person_merge_undone, persons_merged
from .models import AttendanceRecord


@persons_merged.connect
def move_attendance(keep, remove):
    """Move remove's records to keep; where both have a record of a session, keep's wins."""
    kept_sessions = set(
        db.session.scalars(select(AttendanceRecord.session_id).where(AttendanceRecord.person_id == keep.id))
    )
    moved, dropped = [], []
    for record in db.session.scalars(select(AttendanceRecord).where(AttendanceRecord.person_id == remove.id)):
        if record.session_id in kept_sessions:
            dropped.append(
                {
                    "session_id": record.session_id,
                    "status": record.status,
                    "remark": record.remark,
                    "entered_by_id": record.entered_by_id,
                }
            )
            db.session.delete(record)
        else:
            record.person_id = keep.id
            moved.append(record.id)
    return {"records": moved, "dropped": dropped}


@person_merge_undone.connect
def restore_attendance(keep, remove, moved):
    """Give remove back the records the merge moved or dropped."""
    for record_id in moved.get("records", []):
        record = db.session.get(AttendanceRecord, record_id)
        if record is not None:
            record.person_id = remove.id
    for data in moved.get("dropped", []):
        db.session.add(AttendanceRecord(person_id=remove.id, **data))
