"""The register's audit entries as sentences in the user's language (corrections.py has the person's edits)."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import someone

audit.names_kind("Person", _l("personas"))
audit.names_kind("Household", _l("familias"))
audit.names_kind("Community", _l("comunidades"))
audit.names_kind("Partnership", _l("socios de la cooperativa"))

FORMATS = {"json": "JSON", "csv": "CSV"}


def _id(details: Mapping[str, object], key: str = "object_id") -> object:
    value = details.get(key)
    return value if value is not None else "—"


@audit.describes("Person", "create")
def _person_created(who: str | None, details: Mapping[str, object]) -> str:
    if details.get("household"):
        return _(
            "%(user)s registró a la persona n.º %(id)s en la familia %(household)s",
            user=someone(who),
            id=_id(details),
            household=details["household"],
        )
    return _("%(user)s registró a la persona n.º %(id)s sin familia", user=someone(who), id=_id(details))


@audit.describes("Household", "create")
def _household_created(who: str | None, details: Mapping[str, object]) -> str:
    return _("%(user)s registró la familia %(code)s", user=someone(who), code=details.get("code") or "—")


@audit.describes("Community", "create")
def _community_created(who: str | None, details: Mapping[str, object]) -> str:
    return _("%(user)s registró la comunidad %(name)s", user=someone(who), name=details.get("name") or "—")


@audit.describes("Partnership", "partner")
def _partner(who: str | None, details: Mapping[str, object]) -> str:
    if details.get("spouse"):
        return _(
            "%(user)s registró a las personas n.º %(person)s y n.º %(spouse)s como socios de la cooperativa "
            "(una membresía)",
            user=someone(who),
            person=_id(details, "person"),
            spouse=details["spouse"],
        )
    return _(
        "%(user)s registró a la persona n.º %(person)s como socia de la cooperativa",
        user=someone(who),
        person=_id(details, "person"),
    )


@audit.describes("Person", "merge")
def _person_merged(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s fusionó la persona n.º %(id)s con la n.º %(into)s (%(records)s registros de asistencia "
        "movidos, %(shared)s en común)",
        user=someone(who),
        id=_id(details),
        into=_id(details, "into"),
        records=details.get("records", 0),
        shared=details.get("shared", 0),
    )


@audit.describes("Household", "merge")
def _household_merged(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s fusionó la familia n.º %(id)s con la n.º %(into)s (%(members)s personas movidas)",
        user=someone(who),
        id=_id(details),
        into=_id(details, "into"),
        members=details.get("members", 0),
    )


@audit.describes("Person", "undo-merge")
def _person_merge_undone(who: str | None, details: Mapping[str, object]) -> str:
    return _("%(user)s deshizo la fusión de la persona n.º %(id)s", user=someone(who), id=_id(details))


@audit.describes("Household", "undo-merge")
def _household_merge_undone(who: str | None, details: Mapping[str, object]) -> str:
    return _("%(user)s deshizo la fusión de la familia n.º %(id)s", user=someone(who), id=_id(details))


@audit.describes("Person", "export")
def _exported(who: str | None, details: Mapping[str, object]) -> str:
    chosen = str(details.get("format") or "")
    return _(
        "%(user)s descargó todos los datos de la persona n.º %(id)s (%(format)s)",
        user=someone(who),
        id=_id(details),
        format=FORMATS.get(chosen, chosen or "—"),
    )


@audit.describes("Person", "anonymise")
def _anonymised(who: str | None, details: Mapping[str, object]) -> str:
    return _(
        "%(user)s anonimizó a la persona n.º %(id)s a su pedido: se borraron sus nombres, DNI, "
        "observaciones y el año exacto de nacimiento",
        user=someone(who),
        id=_id(details),
    )
