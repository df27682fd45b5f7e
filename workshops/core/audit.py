"""The audit log: who changed or exported what, and when. One way to write an entry: `record()`."""

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db, utcnow


class AuditEntry(Model):
    """Who changed what about people, attendance, accounts or reports, and when."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Identified(Protocol):
    """What the log needs of a user or a row: its integer id (User, Person, WorkshopSession...)."""

    @property
    def id(self) -> int: ...


def record(user: Identified | None, action: str, target: Identified | str, **details: object) -> AuditEntry:
    """Add an entry (committed with the request): `target` is a row, or a kind such as "report".

    `user` may be None (a command run by the operator, a system task).
    """
    if isinstance(target, str):
        object_type, object_id = target, None
    else:
        object_type, object_id = type(target).__name__, target.id
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=json.dumps(details, ensure_ascii=False, default=str),
    )
    db.session.add(entry)
    return entry


# Turns an entry's details into a sentence in the user's language: (who, details) -> sentence,
# or None when the details lack what the sentence needs (entries written before it existed).
# The details a describer gets carry the entry's row id as "object_id" unless they hold one already.
Describer = Callable[[str | None, Mapping[str, object]], str | None]
_describers: dict[tuple[str, str], Describer] = {}
# What a kind of entry is about, in the user's language ("persona", "sesión"): the page's filter.
_kinds: dict[str, object] = {}


def describes(object_type: str, action: str) -> Callable[[Describer], Describer]:
    """Register a feature's sentence for its entries (the log itself knows no feature)."""

    def register(describer: Describer) -> Describer:
        _describers[(object_type, action)] = describer
        return describer

    return register


def names_kind(object_type: str, label: object) -> None:
    """Register what entries of object_type are about, as a (lazy) string in the user's language."""
    _kinds[object_type] = label


def kind_label(object_type: str) -> str:
    """The registered name of a kind of entry, or a neutral one for a kind nobody registered."""
    label = _kinds.get(object_type)
    return str(label) if label is not None else _("otro registro")


def someone(who: str | None) -> str:
    """The user of a sentence: their name, or "Alguien" (a command, a deleted account)."""
    return who or _("Alguien")


def _plain(value: object) -> str:
    """A detail's value as plain words: lists joined with commas, nested details as "name: value"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("sí") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{name}: {_plain(item)}" for name, item in value.items()) or "—"
    return str(value)


GENERIC = _l("%(user)s registró «%(action)s» en %(kind)s%(number)s%(details)s")


def generic(entry: AuditEntry, who: str | None, details: Mapping[str, object]) -> str:
    """A readable sentence for an entry no feature describes: who, what, on what, and its details."""
    shown = "; ".join(f"{name}: {_plain(value)}" for name, value in details.items())
    return str(GENERIC) % {
        "user": someone(who),
        "action": entry.action,
        "kind": kind_label(entry.object_type),
        "number": _(" n.º %(id)s", id=entry.object_id) if entry.object_id is not None else "",
        "details": f" ({shown})" if shown else "",
    }


def describe(entry: AuditEntry, who: str | None) -> str:
    """Return the entry as a sentence ("Ana cambió el sexo de Rosa: mujer → hombre").

    The feature's sentence when one is registered and the details have what it needs,
    otherwise a generic sentence; never the raw details.
    """
    try:
        loaded = json.loads(entry.details or "{}")
    except ValueError:
        loaded = {}
    details: dict[str, object] = loaded if isinstance(loaded, dict) else {"": loaded}
    describer = _describers.get((entry.object_type, entry.action))
    if describer is not None:
        given = details if "object_id" in details else {**details, "object_id": entry.object_id}
        sentence = describer(who, given)
        if sentence is not None:
            return sentence
    return generic(entry, who, details)
