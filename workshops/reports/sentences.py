"""Report entries of the audit log as sentences in the user's language: downloads and the "trained" rule."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import someone

audit.names_kind("report", _l("informes"))


def _filters(value: object) -> str:
    if not isinstance(value, dict) or not value:
        return _("sin filtros")
    return ", ".join(f"{name} {item}" for name, item in value.items())


@audit.describes("report", "export")
def _exported(who: str | None, details: Mapping[str, object]) -> str:
    words = {
        "user": someone(who),
        "report": details.get("report") or "—",
        "format": str(details.get("format") or "—").upper(),
        "filters": _filters(details.get("filters")),
    }
    if details.get("personal"):
        return _(
            "%(user)s descargó el informe %(report)s en %(format)s (%(filters)s), con datos personales",
            **words,
        )
    return _("%(user)s descargó el informe %(report)s en %(format)s (%(filters)s)", **words)


@audit.describes("report", "report-rule")
def _rule(who: str | None, details: Mapping[str, object]) -> str:
    together = details.get("family_rule") == "together"
    return _(
        "%(user)s cambió la regla de «capacitado»: una persona con %(person)s módulos; una familia con "
        "%(family)s módulos %(how)s",
        user=someone(who),
        person=details.get("person_modules") or "—",
        family=details.get("family_modules") or "—",
        how=_("entre todos sus miembros") if together else _("de un mismo miembro"),
    )
