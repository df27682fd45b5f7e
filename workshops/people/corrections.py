"""Correcting a person: every field, with history (who, when, old and new value), never a blind overwrite.

Each corrected field is a PersonChange row and an audit entry; both read as a
sentence in the user's language ("Ana cambió el sexo de Rosa Tsamajain: mujer →
hombre"). A save based on an older revision of the person is refused with the
differences between what is stored and what was typed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.revisions import take_next_revision
from ..extensions import db, utcnow
from ..i18n import format_date
from .forms import RELATIONSHIP_LABELS, SEX_LABELS
from .models import CORRECTABLE, SEXES, Household, HouseholdStay, Person, PersonChange
from .services import PersonFields, birth_year_of

Value = str | int | bool | date | None
BOOLEANS = ("birth_year_approximate", "is_contact", "consent")

# One sentence per field, so that each reads naturally once translated.
SENTENCES = {
    "given_names": _l("%(user)s cambió los nombres de %(person)s: %(old)s → %(new)s"),
    "family_names": _l("%(user)s cambió los apellidos de %(person)s: %(old)s → %(new)s"),
    "sex": _l("%(user)s cambió el sexo de %(person)s: %(old)s → %(new)s"),
    "birth_year": _l("%(user)s cambió el año de nacimiento de %(person)s: %(old)s → %(new)s"),
    "birth_year_approximate": _l(
        "%(user)s cambió si el año de nacimiento de %(person)s es aproximado: %(old)s → %(new)s"
    ),
    "relationship_to_head": _l(
        "%(user)s cambió la relación de %(person)s con la jefa o el jefe del hogar: %(old)s → %(new)s"
    ),
    "is_contact": _l(
        "%(user)s cambió si %(person)s es la persona de contacto de la familia: %(old)s → %(new)s"
    ),
    "dni": _l("%(user)s cambió el DNI de %(person)s: %(old)s → %(new)s"),
    "consent": _l("%(user)s cambió el consentimiento de %(person)s: %(old)s → %(new)s"),
    "consent_date": _l("%(user)s cambió la fecha del consentimiento de %(person)s: %(old)s → %(new)s"),
}
# The field names of the conflict list.
LABELS = {
    "given_names": _l("Nombres"),
    "family_names": _l("Apellidos"),
    "sex": _l("Sexo"),
    "birth_year": _l("Año de nacimiento"),
    "birth_year_approximate": _l("Año aproximado"),
    "relationship_to_head": _l("Relación con la jefa o el jefe del hogar"),
    "is_contact": _l("Persona de contacto"),
    "dni": _l("DNI"),
    "consent": _l("Consentimiento"),
    "consent_date": _l("Fecha del consentimiento"),
}


class Editor(Protocol):
    """Who corrects: a signed-in user (its id, and its name for the history)."""

    @property
    def id(self) -> int: ...

    @property
    def display_name(self) -> str: ...


class Correction(PersonFields, total=False):
    """The edit form's fields: a person's fields and the date consent was given or withdrawn."""

    consent_date: date | None


@dataclass
class CorrectionResult:
    saved: bool
    changed: list[str] = field(default_factory=list)  # the fields changed
    # On a refused save: (field label, stored value, the value typed), as shown to the user.
    differences: list[tuple[str, str, str]] = field(default_factory=list)
    dni_taken: bool = False  # someone else got the DNI since the caller checked: nothing saved


@dataclass
class HistoryLine:
    when: datetime
    sentence: str


def as_text(value: Value) -> str | None:
    """A field's value as the history keeps it: "1"/"0", an ISO date, a code, a number, or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def shown(name: str, text: str | None) -> str:
    """A kept value in the user's language: "mujer", "sí", "5 de mayo de 2026", "—" for none."""
    if text is None or text == "":
        return "—"
    if name == "sex":
        return str(SEX_LABELS.get(text, text))
    if name == "relationship_to_head":
        return str(RELATIONSHIP_LABELS.get(text, text))
    if name in BOOLEANS:
        return _("sí") if text == "1" else _("no")
    if name == "consent_date":
        try:
            return str(format_date(date.fromisoformat(text)))
        except ValueError:
            return text
    return text


def sentence(name: str, user: str | None, person: str, old: str | None, new: str | None) -> str:
    """Who changed what for whom, with the old and the new value, in the user's language."""
    return str(SENTENCES[name]) % {
        "user": user or _("Alguien"),
        "person": person,
        "old": shown(name, old),
        "new": shown(name, new),
    }


def corrected_values(person: Person, data: Correction) -> dict[str, Value]:
    """Return the value of every correctable field after applying the form's data to the person."""
    sex = data.get("sex")
    if sex not in SEXES:
        raise ValueError(sex)
    year, approximate = birth_year_of(data)
    consent = bool(data.get("consent"))
    consent_date = data.get("consent_date")
    if consent_date is None:
        # A change of consent is dated (today unless given); otherwise the date stays.
        consent_date = date.today() if consent != person.consent else person.consent_date
    return {
        "given_names": data["given_names"].strip(),
        "family_names": (data.get("family_names") or "").strip(),
        "sex": sex,
        "birth_year": year,
        "birth_year_approximate": approximate if year is not None else False,
        "relationship_to_head": data.get("relationship_to_head") or person.relationship_to_head,
        "is_contact": bool(data.get("is_contact")),
        "dni": (data.get("dni") or "").strip() or None,
        "consent": consent,
        "consent_date": consent_date,
    }


def _changes(person: Person, values: Mapping[str, Value]) -> list[tuple[str, str | None, str | None]]:
    changes = []
    for name in CORRECTABLE:
        old, new = as_text(getattr(person, name)), as_text(values[name])
        if old != new:
            changes.append((name, old, new))
    return changes


def _record(
    person: Person,
    user: Editor,
    when: datetime,
    name_before: str,
    name: str,
    old: str | None,
    new: str | None,
) -> None:
    db.session.add(
        PersonChange(
            person_id=person.id,
            changed_at=when,
            user_id=user.id,
            user_name=user.display_name,
            field=name,
            old_value=old,
            new_value=new,
        )
    )
    audit.record(user, "update", person, person=name_before, field=name, old=old, new=new)


def correct_person(person: Person, data: Correction, base_revision: int, user: Editor) -> CorrectionResult:
    """Apply the form's data to the person, keeping history; refuse if the person changed since base_revision.

    The caller has checked the data (the edit form's rules, a DNI no one else has).
    """
    values = corrected_values(person, data)
    changes = _changes(person, values)
    if not changes:
        return CorrectionResult(True)
    if not take_next_revision(Person.revision, person.id, base_revision):
        # Someone saved this person since the form was read: show the differences, apply nothing.
        db.session.rollback()
        return CorrectionResult(
            False,
            differences=[
                (str(LABELS[name]), shown(name, old), shown(name, new))
                for name, old, new in _changes(person, corrected_values(person, data))
            ],
        )
    name_before, when = person.full_name, utcnow()
    for name, old, new in changes:
        setattr(person, name, values[name])
        _record(person, user, when, name_before, name, old, new)
    person.refresh_search()
    try:
        db.session.flush()
    except IntegrityError:  # the DNI is the only unique column a correction sets
        db.session.rollback()
        return CorrectionResult(False, dni_taken=True)
    if values["is_contact"] and person.household_id is not None:
        _one_contact(person, user, when)
    return CorrectionResult(True, changed=[name for name, _old, _new in changes])


def _one_contact(contact: Person, user: Editor, when: datetime) -> None:
    """A family has one contact person: whoever was it before is no longer (with history)."""
    others = db.session.scalars(
        select(Person).where(
            Person.household_id == contact.household_id,
            Person.id != contact.id,
            Person.is_contact.is_(True),
        )
    ).all()
    for other in others:
        other.is_contact = False
        other.revision += 1
        _record(other, user, when, other.full_name, "is_contact", "1", "0")


def history_of(person: Person) -> list[HistoryLine]:
    """The person's corrections, newest save first, as sentences naming the person as they were then."""
    rows = db.session.scalars(
        select(PersonChange)
        .where(PersonChange.person_id == person.id)
        .order_by(PersonChange.changed_at.desc(), PersonChange.id)
    ).all()
    names = {"given_names": person.given_names, "family_names": person.family_names}
    lines = []
    # One save's rows share their time: each names the person as they were before that save,
    # worked out backwards from the name they have now.
    for when, save in groupby(rows, key=lambda row: row.changed_at):
        changes = list(save)
        for row in changes:
            if row.field in names:
                names[row.field] = row.old_value or ""
        name = f"{names['given_names']} {names['family_names']}".strip()
        lines += [
            HistoryLine(when, sentence(row.field, row.user_name, name, row.old_value, row.new_value))
            for row in changes
        ]
    return lines


def stays_of_person(person: Person) -> list[HouseholdStay]:
    """The households the person belonged to, from when to when, latest first."""
    return list(
        db.session.scalars(
            select(HouseholdStay)
            .where(HouseholdStay.person_id == person.id)
            .options(joinedload(HouseholdStay.household))
            .order_by(HouseholdStay.started.desc(), HouseholdStay.id.desc())
        )
    )


def stays_in_household(household: Household) -> list[HouseholdStay]:
    """Who lived in the household, from when to when (those who left too), latest arrival first."""
    return list(
        db.session.scalars(
            select(HouseholdStay)
            .where(HouseholdStay.household_id == household.id)
            .options(joinedload(HouseholdStay.person))
            .order_by(HouseholdStay.started.desc(), HouseholdStay.id.desc())
        )
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@audit.describes("Person", "update")
def _describe_update(who: str | None, details: Mapping[str, object]) -> str | None:
    name, person = details.get("field"), details.get("person")
    if not isinstance(name, str) or name not in SENTENCES or not isinstance(person, str):
        return None
    return sentence(name, who, person, _text(details.get("old")), _text(details.get("new")))


@audit.describes("Person", "move")
def _describe_move(who: str | None, details: Mapping[str, object]) -> str | None:
    person, target, on = details.get("person"), details.get("to"), details.get("on")
    if not isinstance(person, str) or not isinstance(target, str) or not isinstance(on, str):
        return None
    try:
        when = str(format_date(date.fromisoformat(on)))
    except ValueError:
        return None
    values = {"user": who or _("Alguien"), "person": person, "old": details.get("from"), "new": target}
    if values["old"]:
        return _(
            "%(user)s pasó a %(person)s de la familia %(old)s a la %(new)s desde el %(date)s",
            date=when,
            **values,
        )
    return _("%(user)s puso a %(person)s en la familia %(new)s desde el %(date)s", date=when, **values)
