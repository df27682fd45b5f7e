"""Changing a session after it was created: edit with history, cancel or postpone, reopen, delete.

Every change is a SessionChange row (who, when, the field, the old and new value,
the reason) and an audit entry. A change based on an older details_revision
than the stored one is not applied: the caller shows the differences.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..core import audit
from ..core.clock import program_today
from ..core.revisions import take_next_revision
from ..curriculum.models import Module
from ..extensions import db
from .models import (
    OFF_STATES,
    PROGRESS_STATES,
    AttendanceRecord,
    SessionAttachment,
    SessionChange,
    SessionStaff,
    WorkshopSession,
)

# The details an edit may change, in the order forms and differences list them.
FIELDS = ("module", "date", "start_time", "duration", "venue", "facilitators", "interpreter")
REASON_MAX = 500


@dataclass
class Details:
    """What the edit form says a session should be."""

    module: Module
    date: date
    start_time: time | None
    duration: int
    venue: str
    facilitator_ids: list[int]
    interpreter: str


@dataclass
class ChangeResult:
    saved: bool
    # (field, the stored value, yours), as history shows them, where another save came first
    differences: list[tuple[str, str, str]] = field(default_factory=list)
    error: str = ""
    changed: list[str] = field(default_factory=list)


def _names(users: Sequence[User]) -> str:
    return ", ".join(sorted(user.display_name for user in users))


def current_values(session: WorkshopSession) -> dict[str, str]:
    """The session's editable details as text, the way history keeps them."""
    facilitators = [m.user for m in session.staff if m.role == "facilitator" and m.user is not None]
    return {
        "module": f"{session.module.number}. {session.module.title}",
        "date": session.date.isoformat(),
        "start_time": session.start_time.strftime("%H:%M") if session.start_time else "",
        "duration": str(session.duration_minutes),
        "venue": session.venue,
        "facilitators": _names(facilitators),
        "interpreter": ", ".join(m.name for m in session.staff if m.role == "interpreter" and not m.user_id),
    }


def _proposed_values(details: Details, facilitators: Sequence[User]) -> dict[str, str]:
    return {
        "module": f"{details.module.number}. {details.module.title}",
        "date": details.date.isoformat(),
        "start_time": details.start_time.strftime("%H:%M") if details.start_time else "",
        "duration": str(details.duration),
        "venue": details.venue.strip(),
        "facilitators": _names(facilitators),
        "interpreter": details.interpreter.strip(),
    }


def attendance_count(session: WorkshopSession) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AttendanceRecord)
            .where(AttendanceRecord.session_id == session.id)
        )
        or 0
    )


def _edit_error(session: WorkshopSession, details: Details) -> str:
    """Why the edit cannot be applied as it stands ("" when it can)."""
    if details.date != session.date and details.date > program_today() and attendance_count(session):
        return _(
            "Esta sesión ya tiene asistencia registrada: no puede pasar a una fecha futura. "
            "Corrija la fecha a la del día en que se realizó."
        )
    clash = db.session.scalar(
        select(WorkshopSession.id).where(
            WorkshopSession.module_id == details.module.id,
            WorkshopSession.community_id == session.community_id,
            WorkshopSession.date == details.date,
            WorkshopSession.id != session.id,
        )
    )
    if clash is not None:
        return _("Ya hay una sesión de ese módulo en esta comunidad en esa fecha. Elija otra fecha.")
    return ""


def edit_session(session: WorkshopSession, details: Details, base_revision: int, user: User) -> ChangeResult:
    """Apply the edit form; each changed detail becomes a SessionChange row. Nothing is applied on an error."""
    facilitators = (
        db.session.scalars(select(User).where(User.id.in_(details.facilitator_ids))).all()
        if details.facilitator_ids
        else []
    )
    before = current_values(session)
    after = _proposed_values(details, facilitators)
    changed = [name for name in FIELDS if before[name] != after[name]]
    if not changed:
        return ChangeResult(True)  # the form says what is stored: nothing to apply, stale or not
    if session.details_revision != base_revision:
        return ChangeResult(False, [(name, before[name], after[name]) for name in changed])
    error = _edit_error(session, details)
    if error:
        return ChangeResult(False, error=error)
    if not take_next_revision(WorkshopSession.details_revision, session.id, base_revision):
        db.session.rollback()  # another save came first: show the differences, apply nothing
        stored = current_values(db.session.get(WorkshopSession, session.id) or session)
        differences = [(n, stored[n], after[n]) for n in FIELDS if stored[n] != after[n]]
        return ChangeResult(not differences, differences)
    session.module_id, session.module = details.module.id, details.module
    session.date, session.start_time = details.date, details.start_time
    session.duration_minutes, session.venue = details.duration, details.venue.strip()
    _replace_team(session, [f.id for f in facilitators], details.interpreter.strip())
    for name in changed:
        db.session.add(
            SessionChange(
                session_id=session.id,
                field=name,
                old_value=before[name],
                new_value=after[name],
                changed_by_id=user.id,
            )
        )
    try:
        db.session.flush()
    except IntegrityError:  # the same module, community and date saved by another request just now
        db.session.rollback()
        return ChangeResult(False, error=_("Ya hay una sesión de ese módulo en esta comunidad en esa fecha."))
    audit.record(user, "edit", session, **{name: after[name] for name in changed})
    return ChangeResult(True, changed=changed)


def _replace_team(session: WorkshopSession, facilitator_ids: list[int], interpreter: str) -> None:
    """Make the facilitators with accounts and the named interpreter those of the form."""
    wanted = set(facilitator_ids)
    for member in list(session.staff):
        if member.role == "facilitator" and member.user_id is not None:
            if member.user_id in wanted:
                wanted.discard(member.user_id)
            else:
                session.staff.remove(member)
    for user_id in sorted(wanted):
        session.staff.append(SessionStaff(user_id=user_id, role="facilitator"))
    named = [m for m in session.staff if m.role == "interpreter" and not m.user_id]
    if ", ".join(m.name for m in named) != interpreter:
        for member in named:
            session.staff.remove(member)
        if interpreter:
            session.staff.append(SessionStaff(name=interpreter, role="interpreter"))


def change_status(
    session: WorkshopSession, status: str, reason: str, base_revision: int, user: User
) -> ChangeResult:
    """Cancel or postpone (with a reason), reopen (back to planned), or move along the progress states."""
    if status not in PROGRESS_STATES + OFF_STATES:
        raise ValueError(status)
    reason = reason.strip()[:REASON_MAX]
    old = session.status
    if session.details_revision != base_revision:
        return ChangeResult(False, error=stale_message())
    if status in OFF_STATES and not reason:
        return ChangeResult(False, error=_("Escriba el motivo."))
    if old in OFF_STATES and status != "planned":
        return ChangeResult(False, error=_("La sesión está cancelada o postergada: reábrala primero."))
    if old == status:
        return ChangeResult(True)
    if not take_next_revision(WorkshopSession.details_revision, session.id, base_revision):
        db.session.rollback()
        return ChangeResult(False, error=stale_message())
    session.status = status
    session.status_reason = reason if status in OFF_STATES else ""
    db.session.add(
        SessionChange(
            session_id=session.id,
            field="status",
            old_value=old,
            new_value=status,
            reason=reason,
            changed_by_id=user.id,
        )
    )
    audit.record(user, "status", session, status=status, reason=reason)
    return ChangeResult(True, changed=["status"])


def stale_message() -> str:
    return _(
        "Otra persona cambió esta sesión mientras usted la veía. No se aplicó nada: revise y vuelva a intentar."
    )


def deletion_refusal(session: WorkshopSession) -> str | None:
    """Why the session may not be deleted (it holds what a report or a person relies on), or None."""
    records = attendance_count(session)
    sheets = (
        db.session.scalar(
            select(func.count())
            .select_from(SessionAttachment)
            .where(SessionAttachment.session_id == session.id)
        )
        or 0
    )
    if records or sheets:
        return _(
            "Esta sesión no se puede borrar: tiene %(records)s marcas de asistencia y %(sheets)s hojas "
            "firmadas, que se perderían. Si no se realizó, cancélela: queda en el registro y no se cuenta.",
            records=records,
            sheets=sheets,
        )
    return None


def delete_session(session: WorkshopSession, user: User) -> str | None:
    """Delete a session made by mistake; return the refusal instead when it holds any record."""
    refusal = deletion_refusal(session)
    if refusal is not None:
        return refusal
    audit.record(
        user,
        "delete",
        session,
        module=session.module.number,
        community=session.community.code,
        date=session.date,
        status=session.status,
    )
    db.session.delete(session)
    return None


def history(session: WorkshopSession) -> Sequence[SessionChange]:
    """The session's changes, newest first, with who made each (one query for all)."""
    return db.session.scalars(
        select(SessionChange)
        .where(SessionChange.session_id == session.id)
        .options(selectinload(SessionChange.changed_by))
        .order_by(SessionChange.changed_at.desc(), SessionChange.id.desc())
    ).all()
