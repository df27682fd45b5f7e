"""The audit log: who changed or exported what, and when. One way to write an entry: `record()`."""

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

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
Describer = Callable[[str | None, Mapping[str, object]], str | None]
_describers: dict[tuple[str, str], Describer] = {}


def describes(object_type: str, action: str) -> Callable[[Describer], Describer]:
    """Register a feature's sentence for its entries (the log itself knows no feature)."""

    def register(describer: Describer) -> Describer:
        _describers[(object_type, action)] = describer
        return describer

    return register


def describe(entry: AuditEntry, who: str | None) -> str | None:
    """Return the entry as a sentence ("Ana cambió el sexo de Rosa: mujer → hombre"), or None."""
    describer = _describers.get((entry.object_type, entry.action))
    if describer is None:
        return None
    try:
        details = json.loads(entry.details or "{}")
    except ValueError:
        return None
    return describer(who, details) if isinstance(details, dict) else None
