"""Merging duplicate persons or households, and undoing a merge.

Records of higher layers that point at a person (attendance) are moved by
their own feature: a merge sends `persons_merged`, its undo `person_merge_undone`
(as Indico's user merge does), so people/ never imports those features.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core import audit
from ..extensions import db, utcnow
from . import services
from .models import Household, Merge, Person

_signals = Namespace()
# Sent with the kept person as sender, `remove=` the merged one and `user=`; each receiver
# moves its own records and returns a dict of what it did, kept in the merge for its undo.
persons_merged = _signals.signal("persons-merged")
# Sent with the kept person, `remove=`, `moved=` (what persons_merged's receivers returned) and `user=`.
person_merge_undone = _signals.signal("person-merge-undone")
# Sent with the kept person and `remove=` before a merge, changing nothing; each receiver
# returns {"conflicts": [...], "moving": n, "same": n} of its records (see preview()).
person_merge_previewed = _signals.signal("person-merge-previewed")


class MergeRefused(Exception):
    """The two records cannot be merged (same record, already merged)."""


class MergeChanged(Exception):
    """The records changed since the coordinator saw the preview: `plan` is the new one."""

    def __init__(self, plan: dict[str, Any]) -> None:
        super().__init__()
        self.plan = plan


def _check(keep: Person, remove: Person) -> None:
    if keep.id == remove.id or keep.merged_into_id or remove.merged_into_id:
        raise MergeRefused()


def preview(keep: Person, remove: Person) -> dict[str, Any]:
    """What merging remove into keep would do, changing nothing.

    Returns {"conflicts": [one dict per session where the two records disagree: both
    marks and remarks and what will be kept], "moving": records that only move,
    "same": sessions where both agree, "digest": a fingerprint of all this}.
    """
    _check(keep, remove)
    plan: dict[str, Any] = {"conflicts": [], "moving": 0, "same": 0}
    for _receiver, part in person_merge_previewed.send(keep, remove=remove):
        part = part or {}
        plan["conflicts"] += part.get("conflicts", [])
        plan["moving"] += part.get("moving", 0)
        plan["same"] += part.get("same", 0)
    seen = json.dumps([keep.id, remove.id, plan], sort_keys=True, default=str)
    plan["digest"] = hashlib.sha256(seen.encode()).hexdigest()[:32]
    return plan


def merge_persons(keep: Person, remove: Person, user: Any, seen: str | None = None) -> Merge:
    """Give remove's attendance to keep (the strongest mark of a shared session wins) and hide remove.

    seen is the digest of the preview the coordinator confirmed: when the records
    changed since, nothing is merged and MergeChanged carries the new preview.
    """
    _check(keep, remove)
    if seen is not None:
        plan = preview(keep, remove)
        if plan["digest"] != seen:
            raise MergeChanged(plan)
    moved: dict[str, Any] = {"household_id": remove.household_id, "dni": remove.dni}
    for _receiver, part in persons_merged.send(keep, remove=remove, user=user):
        moved.update(part or {})
    merge = Merge(
        kind="person", kept_id=keep.id, removed_id=remove.id, moved=moved, user_id=user.id if user else None
    )
    if remove.dni and not keep.dni:
        keep.dni, remove.dni = remove.dni, None
    elif remove.dni:
        remove.dni = None
    remove.merged_into_id = keep.id
    remove.household_id = None
    db.session.add(merge)
    db.session.flush()
    audit.record(
        user,
        "merge",
        remove,
        into=keep.id,
        merge=merge.id,
        records=len(moved.get("records", [])),
        shared=len(moved.get("shared", [])),
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
    audit.record(user, "merge", remove, into=keep.id, merge=merge.id, members=len(members))
    return merge


def undo(merge, user):
    """Put everything a merge moved back where it was."""
    if merge.undone_at is not None:
        raise MergeRefused()
    if merge.kind == "person":
        keep, remove = db.session.get(Person, merge.kept_id), db.session.get(Person, merge.removed_id)
        person_merge_undone.send(keep, remove=remove, moved=merge.moved, user=user)
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
    audit.record(user, "undo-merge", target, merge=merge.id)


@dataclass
class MergeRow:
    """A merge as the merge list shows it: who or which family was kept and merged, and where they live."""

    merge: Merge
    kept: Person | Household | None
    removed: Person | Household | None
    kept_household: Household | None
    removed_household: Household | None


def recent_merges(limit: int = 200) -> list[MergeRow]:
    """Return the latest merges with their persons, households and communities (three queries)."""
    merges = db.session.scalars(select(Merge).order_by(Merge.id.desc()).limit(limit)).all()
    person_ids = {m.kept_id for m in merges if m.kind == "person"} | {
        m.removed_id for m in merges if m.kind == "person"
    }
    persons = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    household_ids = {h for m in merges if m.kind == "household" for h in (m.kept_id, m.removed_id)}
    household_ids |= {p.household_id for p in persons.values() if p.household_id}
    # A merged person has no household any more: the merge kept which it was.
    household_ids |= {
        m.moved["household_id"] for m in merges if m.kind == "person" and m.moved.get("household_id")
    }
    households = {
        h.id: h
        for h in db.session.scalars(
            select(Household).options(joinedload(Household.community)).where(Household.id.in_(household_ids))
        )
    }
    rows = []
    for m in merges:
        if m.kind == "household":
            kept_home, removed_home = households.get(m.kept_id), households.get(m.removed_id)
            rows.append(MergeRow(m, kept_home, removed_home, kept_home, removed_home))
            continue
        kept, removed = persons.get(m.kept_id), persons.get(m.removed_id)
        kept_home = households.get(kept.household_id) if kept and kept.household_id else None
        removed_id = removed.household_id if removed and removed.household_id else m.moved.get("household_id")
        rows.append(MergeRow(m, kept, removed, kept_home, households.get(removed_id) if removed_id else None))
    return rows
