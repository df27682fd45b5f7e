"""Merging duplicate persons or households, and undoing a merge.

Records of higher layers that point at a person (attendance) are moved by
their own feature: a merge sends `persons_merged`, its undo `person_merge_undone`
(as Indico's user merge does), so people/ never imports those features.
"""

from blinker import Namespace

from ..core import audit
from ..extensions import db, utcnow
from . import services
from .models import Household, Merge, Person

_signals = Namespace()
# Sent with the kept person as sender and `remove=` the merged one; each receiver moves
# its own records and returns a dict of what it did, kept in the merge for its undo.
persons_merged = _signals.signal("persons-merged")
# Sent with the kept person, `remove=` and `moved=` (what persons_merged's receivers returned).
person_merge_undone = _signals.signal("person-merge-undone")


class MergeRefused(Exception):
    """The two records cannot be merged (same record, already merged)."""


def merge_persons(keep, remove, user):
    """Move remove's attendance to keep (keep's record wins a shared session) and hide remove."""
    if keep.id == remove.id or keep.merged_into_id or remove.merged_into_id:
        raise MergeRefused()
    moved = {"household_id": remove.household_id, "dni": remove.dni}
    for _receiver, part in persons_merged.send(keep, remove=remove):
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
        dropped=len(moved.get("dropped", [])),
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
        person_merge_undone.send(keep, remove=remove, moved=merge.moved)
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
