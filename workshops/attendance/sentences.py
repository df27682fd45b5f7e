"""The sessions' audit entries as sentences in the user's language: created, edited, attendance, sheets."""

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import someone
from ..i18n import format_date
from .routes import FIELD_LABELS, SESSION_LABELS, shown_value

audit.names_kind("WorkshopSession", _l("sesiones"))
audit.names_kind("SessionAttachment", _l("hojas firmadas"))


def _day(value: object) -> str:
    try:
        return str(format_date(date.fromisoformat(str(value))))
    except ValueError:
        return str(value) if value else "—"


def _session_words(details: Mapping[str, object]) -> dict[str, object]:
    return {
        "id": details.get("object_id") or "—",
        "module": details.get("module") or "—",
        "community": details.get("community") or "—",
        "date": _day(details.get("date")),
    }


@audit.describes("WorkshopSession", "create")
def _created(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s programó la sesión n.º %(id)s: módulo %(module)s en %(community)s el %(date)s",
        user=someone(who),
        **_session_words(details),
    )


@audit.describes("WorkshopSession", "delete")
def _deleted(who: str | None, details: Mapping[str, object]) -> str:
    status = str(details.get("status") or "")
    return _(
        "%(user)s borró la sesión n.º %(id)s (módulo %(module)s en %(community)s el %(date)s, %(status)s)",
        user=someone(who),
        status=SESSION_LABELS.get(status, status or "—"),
        **_session_words(details),
    )


@audit.describes("WorkshopSession", "attendance")
def _attendance(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s guardó la asistencia de la sesión n.º %(id)s (%(count)s marcas cambiadas)",
        user=someone(who),
        id=details.get("object_id") or "—",
        count=details.get("changed", 0),
    )


@audit.describes("WorkshopSession", "edit")
def _edited(who: str | None, details: Mapping[str, object]) -> str:
    changed = "; ".join(
        f"{FIELD_LABELS[name]}: {shown_value(name, str(value or ''))}"
        for name, value in details.items()
        if name in FIELD_LABELS
    )
    return _(
        "%(user)s cambió la sesión n.º %(id)s: %(changes)s",
        user=someone(who),
        id=details.get("object_id") or "—",
        changes=changed or "—",
    )


@audit.describes("WorkshopSession", "status")
def _status(who: str | None, details: Mapping[str, object]) -> str:
    status = str(details.get("status") or "")
    return _(
        "%(user)s marcó la sesión n.º %(id)s como %(status)s. Motivo: %(reason)s",
        user=someone(who),
        id=details.get("object_id") or "—",
        status=SESSION_LABELS.get(status, status or "—"),
        reason=details.get("reason") or "—",
    )


@audit.describes("WorkshopSession", "sheet-pdf")
def _sheet_pdf(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s descargó el PDF de la hoja de asistencia de la sesión n.º %(id)s",
        user=someone(who),
        id=details.get("object_id") or "—",
    )


@audit.describes("SessionAttachment", "upload")
def _uploaded(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s subió una hoja firmada (n.º %(id)s, %(size)s bytes) a la sesión n.º %(session)s",
        user=someone(who),
        id=details.get("object_id") or "—",
        size=details.get("size") or "—",
        session=details.get("session") or "—",
    )


@audit.describes("SessionAttachment", "download")
def _downloaded(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s descargó la hoja firmada n.º %(id)s de la sesión n.º %(session)s",
        user=someone(who),
        id=details.get("object_id") or "—",
        session=details.get("session") or "—",
    )
