"""Attendance follows a person merge of the register (people.merge's signals), and its undo.

Where both records of a person have a mark for the same session, the merge keeps
the strongest fact (present > late > excused > absent > not enrolled) and the
remarks of both; the kept record's earlier value goes to its history
(AttendanceChange), as any correction does. Everything the merge changed is kept
in the merge's `moved` so that its undo puts back every field as it was.

`moved` holds:
- "records": ids of the removed person's records given to the kept person;
- "shared": one entry per session both had a mark for: the full rows of the kept
  record ("kept") and the removed one ("removed") before the merge, the value the
  merge wrote ("merged"), the history rows of the removed record moved onto the
  kept one ("changes") and the history row the merge added ("change", or None);
- "sessions": ids of the sessions whose revision the merge bumped.
Merges made before this (keep's record won) hold "records" and "dropped" instead.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..extensions import db, utcnow
from ..people.merge import person_merge_previewed, person_merge_undone, persons_merged
from ..people.models import Person
from .models import ATTENDANCE_STATES, AttendanceChange, AttendanceRecord, WorkshopSession


def stronger(first: str, second: str) -> str:
    """Return the stronger of two marks: ATTENDANCE_STATES lists them strongest first."""
    return first if ATTENDANCE_STATES.index(first) <= ATTENDANCE_STATES.index(second) else second


def _label(person: Person) -> str:
    """Name a record in a joined remark: the name, and the household code where there is one."""
    return f"{person.full_name} ({person.household.code})" if person.household else person.full_name


def joined_remark(keep: Person, remove: Person, kept: str, removed: str) -> str:
    """Return the remarks of both records of a session, each labelled with the record it came from."""
    if not removed or removed == kept:
        return kept
    parts = [f"{_label(keep)}: {kept}"] if kept else []
    parts.append(f"{_label(remove)}: {removed}")
    return " · ".join(parts)


@dataclass
class Shared:
    """A session both records have a mark for, and what the merge keeps."""

    kept: AttendanceRecord
    removed: AttendanceRecord
    status: str
    remark: str

    @property
    def disagree(self) -> bool:
        return (self.kept.status, self.kept.remark) != (self.removed.status, self.removed.remark)


def _plan(keep: Person, remove: Person) -> tuple[list[Shared], list[AttendanceRecord]]:
    """Return the sessions both have a mark for (by date), and the removed person's other records."""
    kept = {
        record.session_id: record
        for record in db.session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.person_id == keep.id)
        )
    }
    removed = db.session.scalars(
        select(AttendanceRecord)
        .options(joinedload(AttendanceRecord.session).joinedload(WorkshopSession.module))
        .options(joinedload(AttendanceRecord.session).joinedload(WorkshopSession.community))
        .where(AttendanceRecord.person_id == remove.id)
    ).all()
    shared, alone = [], []
    for record in removed:
        mine = kept.get(record.session_id)
        if mine is None:
            alone.append(record)
        else:
            status = stronger(mine.status, record.status)
            shared.append(
                Shared(mine, record, status, joined_remark(keep, remove, mine.remark, record.remark))
            )
    shared.sort(key=lambda entry: (entry.removed.session.date, entry.removed.session_id))
    return shared, alone


@person_merge_previewed.connect
def preview_attendance(keep: Person, remove: Person) -> dict[str, Any]:
    """What a merge would do to attendance, changing nothing: the sessions where the two records disagree."""
    shared, alone = _plan(keep, remove)
    conflicts = [
        {
            "session_id": entry.removed.session_id,
            "date": entry.removed.session.date,
            "community": entry.removed.session.community.name,
            "module": entry.removed.session.module.number,
            "kept_status": entry.kept.status,
            "kept_remark": entry.kept.remark,
            "removed_status": entry.removed.status,
            "removed_remark": entry.removed.remark,
            "status": entry.status,
            "remark": entry.remark,
        }
        for entry in shared
        if entry.disagree
    ]
    return {"conflicts": conflicts, "moving": len(alone), "same": len(shared) - len(conflicts)}


def _row(record: AttendanceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "session_id": record.session_id,
        "status": record.status,
        "remark": record.remark,
        "entered_by_id": record.entered_by_id,
        "entered_at": record.entered_at.isoformat(),
    }


@persons_merged.connect
def move_attendance(keep: Person, remove: Person, user: User | None = None) -> dict[str, Any]:
    """Give remove's records to keep; where both have one for a session, keep the strongest mark and both remarks."""
    shared, alone = _plan(keep, remove)
    user_id = user.id if user else None
    sessions = {record.session_id for record in alone}
    for record in alone:
        record.person_id = keep.id
    entries = []
    for entry in shared:
        kept, removed = entry.kept, entry.removed
        change_ids = list(
            db.session.scalars(select(AttendanceChange.id).where(AttendanceChange.record_id == removed.id))
        )
        saved = {
            "session_id": removed.session_id,
            "kept": _row(kept),
            "removed": _row(removed),
            "merged": {"status": entry.status, "remark": entry.remark},
            "changes": change_ids,
            "change": None,
        }
        if change_ids:  # the removed record's history stays, on the kept record
            db.session.execute(
                update(AttendanceChange).where(AttendanceChange.id.in_(change_ids)).values(record_id=kept.id)
            )
        if (kept.status, kept.remark) != (entry.status, entry.remark):
            change = AttendanceChange(
                record_id=kept.id, status=kept.status, remark=kept.remark, changed_by_id=user_id
            )
            db.session.add(change)
            kept.status, kept.remark, kept.entered_by_id, kept.entered_at = (
                entry.status,
                entry.remark,
                user_id,
                utcnow(),
            )
            db.session.flush()
            saved["change"] = change.id
            sessions.add(kept.session_id)
        db.session.delete(removed)
        entries.append(saved)
    _bump(sessions)
    db.session.flush()
    return {"records": [record.id for record in alone], "shared": entries, "sessions": sorted(sessions)}


def _bump(session_ids: set[int]) -> None:
    """A page open on the entry form of a changed session will not overwrite it blindly."""
    if session_ids:
        db.session.execute(
            update(WorkshopSession)
            .where(WorkshopSession.id.in_(session_ids))
            .values(revision=WorkshopSession.revision + 1)
        )


def _user_or_none(user_id: int | None) -> int | None:
    """Return user_id if that account still exists (a deleted one is a NULL, as its foreign key does)."""
    return user_id if user_id is not None and db.session.get(User, user_id) is not None else None


def _restore_shared(keep: Person, remove: Person, saved: dict[str, Any], user_id: int | None) -> set[int]:
    """Put back both records of a session both had a mark for; return the session id if it still exists."""
    session_id = saved["session_id"]
    if db.session.get(WorkshopSession, session_id) is None:
        return set()  # the session was deleted since, with its records
    before, merged = saved["kept"], saved["merged"]
    kept = db.session.get(AttendanceRecord, before["id"])
    if kept is not None and (kept.status, kept.remark) == (merged["status"], merged["remark"]):
        if saved.get("change") is not None:
            db.session.add(
                AttendanceChange(
                    record_id=kept.id, status=kept.status, remark=kept.remark, changed_by_id=user_id
                )
            )
        kept.status, kept.remark = before["status"], before["remark"]
        kept.entered_by_id = _user_or_none(before["entered_by_id"])
        kept.entered_at = datetime.fromisoformat(before["entered_at"])
    # else: the kept record was corrected since the merge; the correction stays.
    old = saved["removed"]
    db.session.add(
        AttendanceRecord(
            id=old["id"],
            session_id=session_id,
            person_id=remove.id,
            status=old["status"],
            remark=old["remark"],
            entered_by_id=_user_or_none(old["entered_by_id"]),
            entered_at=datetime.fromisoformat(old["entered_at"]),
        )
    )
    db.session.flush()
    if saved["changes"]:
        db.session.execute(
            update(AttendanceChange)
            .where(AttendanceChange.id.in_(saved["changes"]))
            .values(record_id=old["id"])
        )
    return {session_id}


@person_merge_undone.connect
def restore_attendance(keep: Person, remove: Person, moved: dict[str, Any], user: User | None = None) -> None:
    """Give remove back the records the merge moved, merged or (in merges made before) dropped."""
    sessions: set[int] = set()
    for record_id in moved.get("records", []):
        record = db.session.get(AttendanceRecord, record_id)
        if record is not None:
            record.person_id = remove.id
            sessions.add(record.session_id)
    user_id = user.id if user else None
    for saved in moved.get("shared", []):
        sessions |= _restore_shared(keep, remove, saved, user_id)
    for data in moved.get("dropped", []):  # merges made before the strongest mark was kept
        db.session.add(AttendanceRecord(person_id=remove.id, **data))
    _bump(sessions)
    db.session.flush()
