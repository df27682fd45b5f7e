"""The field mode's audit entries as sentences in the user's language: packs, syncs, conflicts."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..core import audit
from ..core.audit import someone

audit.names_kind("field-pack", _l("paquetes de campo"))


@audit.describes("field-pack", "pack")
def _pack(who: str | None, details: Mapping[str, object]) -> str:
    sessions = details.get("sessions")
    numbers = ", ".join(str(number) for number in sessions) if isinstance(sessions, list) else "—"
    return _(
        "%(user)s descargó un paquete de campo con las sesiones n.º %(sessions)s",
        user=someone(who),
        sessions=numbers,
    )


@audit.describes("WorkshopSession", "field-sync")
def _synced(who: str | None, details: Mapping[str, object]) -> str:
    records = details.get("records")
    count = records if isinstance(records, int) else 0
    return ngettext(
        "%(user)s envió desde el campo %(num)d registro de asistencia de la sesión n.º %(id)s",
        "%(user)s envió desde el campo %(num)d registros de asistencia de la sesión n.º %(id)s",
        count,
        user=someone(who),
        id=details.get("object_id") or "—",
    )


@audit.describes("WorkshopSession", "field-resolve")
def _resolved(who: str | None, details: Mapping[str, object]) -> str:
    if details.get("kept") == "device":
        return _(
            "%(user)s resolvió el conflicto n.º %(submission)s de la sesión n.º %(id)s: quedó lo anotado en el campo",
            user=someone(who),
            submission=details.get("submission") or "—",
            id=details.get("object_id") or "—",
        )
    return _(
        "%(user)s resolvió el conflicto n.º %(submission)s de la sesión n.º %(id)s: quedó lo que había en el servidor",
        user=someone(who),
        submission=details.get("submission") or "—",
        id=details.get("object_id") or "—",
    )
