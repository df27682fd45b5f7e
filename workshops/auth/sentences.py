"""Account entries of the audit log as sentences in the user's language."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import someone
from .forms import ROLE_LABELS

audit.names_kind("User", _l("usuarios"))


def _roles(value: object) -> str:
    if not isinstance(value, list) or not value:
        return _("ningún rol")
    return ", ".join(str(ROLE_LABELS.get(str(role), role)) for role in value)


@audit.describes("User", "create")
def _created(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s creó la cuenta %(account)s con los roles: %(roles)s",
        user=someone(who),
        account=details.get("username") or "—",
        roles=_roles(details.get("roles")),
    )


@audit.describes("User", "update")
def _updated(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s cambió la cuenta %(account)s: roles %(before)s → %(after)s; %(state)s",
        user=someone(who),
        account=details.get("username") or "—",
        before=_roles(details.get("roles_before")),
        after=_roles(details.get("roles")),
        state=_("habilitada") if details.get("enabled") else _("deshabilitada"),
    )


@audit.describes("User", "reset-password")
def _reset(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s restableció la contraseña de la cuenta %(account)s",
        user=someone(who),
        account=details.get("username") or "—",
    )
