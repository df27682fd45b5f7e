"""Merging duplicate persons or households, and undoing a merge."""

from sqlalchemy import select

from ..attendance.models import AttendanceRecord
from ..extensions import db, utcnow
from . import services
from .models import Household, Merge, Person


class MergeRefused(Exception):
    """The two records cannot be merged (same record, already merged)."""


def merge_persons(keep, remove, user):
    """Move remove's attendance to keep (keep's record wins a shared session) and hide remove."""
    if keep.id == remove.id or keep.merged_into_id or remove.merged_into_id:
        raise MergeRefused()
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
    merge = Merge(
        kind="person",
        kept_id=keep.id,
        removed_id=remove.id,
        moved={"records": moved, "dropped": dropped, "household_id": remove.household_id, "dni": remove.dni},
        user_id=user.id if user else None,
    )
    if remove.dni and not keep.dni:
        keep.dni, remove.dni = remove.dni, None
    elif remove.dni:
        remove.dni = None
    remove.merged_into_id = keep.id
    remove.household_id = None
    db.session.add(merge)
    db.session.flush()
    services.audit(
        user, "merge", remove, into=keep.id, merge=merge.id, records=len(moved), dropped=len(dropped)
    )
    return merge


def merge_households(keep, remove, user):
    """Move every member of remove into keep and hide remove."""
    if keep.id == remove.id or keep.merged_into_id or remove.merged_into_id:
        raise MergeRefused()
    members = [person.id for person in remove.members]
    for person in list(remove.members):
        services.move_person(person, keep, user)
    remove.merged_into_id = keep.id
    merge = Merge(
        kind="household",
        kept_id=keep.id,
        removed_id=remove.id,
        moved={"members": members},
        user_id=user.id if user else None,
    )
    db.session.add(merge)
    db.session.flush()
    services.audit(user, "merge", remove, into=keep.id, merge=merge.id, members=len(members))
    return merge


def undo(merge, user):
    """Put everything a merge moved back where it was."""
    if merge.undone_at is not None:
        raise MergeRefused()
    if merge.kind == "person":
        keep, remove = db.session.get(Person, merge.kept_id), db.session.get(Person, merge.removed_id)
        for record_id in merge.moved.get("records", []):
            record = db.session.get(AttendanceRecord, record_id)
            if record is not None:
                record.person_id = remove.id
        for data in merge.moved.get("dropped", []):
            db.session.add(AttendanceRecord(person_id=remove.id, **data))
        if merge.moved.get("dni"):
            if keep.dni == merge.moved["dni"]:
                keep.dni = None
                db.session.flush()
            remove.dni = merge.moved["dni"]
        remove.household_id = merge.moved.get("household_id")
        remove.merged_into_id = None
        target = remove
    else:
        keep, remove = db.session.get(Household, merge.kept_id), db.session.get(Household, merge.removed_id)
        for person_id in merge.moved.get("members", []):
            person = db.session.get(Person, person_id)
            if person is not None and person.household_id == keep.id:
                services.move_person(person, remove, user)
        remove.merged_into_id = None
        target = remove
    merge.undone_at = utcnow()
    db.session.flush()
    services.audit(user, "undo-merge", target, merge=merge.id)
