"""A person's rights over their data (Peru's Law 29733): see it, withdraw consent, have it erased.

- **Export**: everything the register holds about the person, and what other features
  add (their attendance), as JSON or CSV; every export is audited.
- **Withdrawal of consent**: a dated correction of the consent (person_change history and
  audit). The person stays counted in the figures already reported, and attendance may
  still be recorded for them (the signed sheet is a fact); the reports' person lists
  mark them "sin consentimiento", so their data is not used beyond counting.
- **Anonymisation** (the right to deletion): names, DNI, remarks and the values of their
  correction history are erased everywhere, the audit log included; sex, community,
  household and attendance are kept as an anonymous person, so past figures do not
  change. The exact birth year becomes a range that gives the same donor age group on
  every day the person attended (and the first year of that range is what the reports
  compute with). Irreversible. An anonymised person leaves future attendance sheets.

Attendance and field submissions belong to features above this one: they answer the
signals `person_data_requested` (their part of an export) and `person_anonymising`
(erase their free text, return the dates the person was counted on).
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from blinker import Namespace
from sqlalchemy import or_, select

from ..core import audit
from ..core.audit import AuditEntry
from ..core.spreadsheets import safe_cell
from ..extensions import db, utcnow
from . import corrections
from .corrections import Editor
from .models import HouseholdStay, Merge, Partnership, Person, PersonChange

_signals = Namespace()
# Sent with the person; each receiver returns {section name: [rows as dicts]} for the export.
person_data_requested = _signals.signal("person-data-requested")
# Sent with each person being anonymised, before their birth year changes; each receiver erases
# the free text it keeps about them and returns the dates on which they were counted.
person_anonymising = _signals.signal("person-anonymising")

ANONYMOUS_NAME = "Persona anonimizada #{id}"
# History values erased by anonymisation: they hold old names, the DNI and the exact birth year.
ERASED_FIELDS = ("given_names", "family_names", "dni", "birth_year", "birth_year_approximate")
EXPORT_FORMATS = ("json", "csv")


class RightsRefused(ValueError):
    """The request cannot be carried out on this record (merged away, already anonymised...)."""


# --- export -----------------------------------------------------------------------------------------


def _value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return value


def person_data(person: Person) -> dict[str, list[dict[str, object]]]:
    """Return every section of the person's data: {section: [row]}; the person's own fields first."""
    sections: dict[str, list[dict[str, object]]] = {
        "person": [_own_fields(person)],
        "households": _stays(person),
        "cooperative_partner": _memberships(person),
        "corrections": _corrections(person),
    }
    # Features above people/ (attendance, field mode) add their own sections.
    for _receiver, part in person_data_requested.send(person):
        if part:
            sections.update(part)
    return {
        name: [{key: _value(value) for key, value in row.items()} for row in rows]
        for name, rows in sections.items()
    }


def _own_fields(person: Person) -> dict[str, object]:
    """Return the person's own fields, with their household and community by name."""
    household = person.household
    return {
        "id": person.id,
        "given_names": person.given_names,
        "family_names": person.family_names,
        "sex": person.sex,
        "birth_year": person.birth_year,
        "birth_year_to": person.birth_year_to,
        "birth_year_approximate": person.birth_year_approximate,
        "relationship_to_head": person.relationship_to_head,
        "is_contact": person.is_contact,
        "dni": person.dni,
        "consent": person.consent,
        "consent_date": person.consent_date,
        "household": household.code if household else None,
        "community": household.community.name if household else None,
        "needs_review": person.needs_review,
        "created_at": person.created_at,
        "anonymised_at": person.anonymised_at,
    }


def _stays(person: Person) -> list[dict[str, object]]:
    """Return the households the person lived in, with the dates."""
    stays = db.session.scalars(
        select(HouseholdStay)
        .where(HouseholdStay.person_id == person.id)
        .order_by(HouseholdStay.started, HouseholdStay.id)
    )
    return [
        {"household": stay.household.code, "started": stay.started, "ended": stay.ended} for stay in stays
    ]


def _memberships(person: Person) -> list[dict[str, object]]:
    """Return the person's cooperative memberships; the other member of a couple by number only."""
    memberships = db.session.scalars(
        select(Partnership)
        .where(or_(Partnership.person_id == person.id, Partnership.spouse_id == person.id))
        .order_by(Partnership.joined_on, Partnership.id)
    )
    return [
        {
            "joined_on": membership.joined_on,
            "left_on": membership.left_on,
            # The other member's data is theirs: only their record number.
            "with_person": membership.spouse_id
            if membership.person_id == person.id
            else membership.person_id,
        }
        for membership in memberships
    ]


def _corrections(person: Person) -> list[dict[str, object]]:
    """Return the history of corrections to the person's fields."""
    changes = db.session.scalars(
        select(PersonChange)
        .where(PersonChange.person_id == person.id)
        .order_by(PersonChange.changed_at, PersonChange.id)
    )
    return [
        {
            "changed_at": change.changed_at,
            "changed_by": change.user_name,
            "field": change.field,
            "old_value": change.old_value,
            "new_value": change.new_value,
        }
        for change in changes
    ]


def export_person(person: Person, chosen: str, user: Editor) -> bytes:
    """Return the person's data as JSON or CSV bytes, and log the export (without the data)."""
    if chosen not in EXPORT_FORMATS:
        raise ValueError(chosen)
    data = person_data(person)
    audit.record(user, "export", person, format=chosen, sections=sorted(data))
    if chosen == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return ("\ufeff" + sections_csv(data)).encode("utf-8")  # the BOM lets Excel read UTF-8


def sections_csv(data: Mapping[str, Sequence[Mapping[str, object]]]) -> str:
    """Each section as a small table: its name on a line, its header, its rows, then a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for name, rows in data.items():
        writer.writerow([name])
        header: list[str] = []
        for row in rows:
            header += [key for key in row if key not in header]
        if header:
            writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell("" if row.get(key) is None else row.get(key)) for key in header])
        writer.writerow([])
    return out.getvalue()


# --- withdrawal of consent ---------------------------------------------------------------------------


def withdraw_consent(person: Person, when: date, base_revision: int, user: Editor) -> bool:
    """Record that the person withdrew their consent on `when` (with history); False if it changed since.

    Raise RightsRefused when there is no consent to withdraw or the date is in the future.
    """
    if person.anonymised_at is not None or person.merged_into_id is not None:
        raise RightsRefused("record")
    if not person.consent:
        raise RightsRefused("no-consent")
    if when > date.today():
        raise RightsRefused("future")
    data: corrections.Correction = {
        "given_names": person.given_names,
        "family_names": person.family_names,
        "sex": person.sex,
        "birth_year": person.birth_year,
        "birth_year_approximate": person.birth_year_approximate,
        "relationship_to_head": person.relationship_to_head,
        "is_contact": person.is_contact,
        "dni": person.dni,
        "consent": False,
        "consent_date": when,
    }
    # The correction's history and audit entries say it: "cambió el consentimiento de ...: sí → no".
    return corrections.correct_person(person, data, base_revision, user).saved


# --- anonymisation -----------------------------------------------------------------------------------


def _group_bounds(year: int, birth_year: int) -> tuple[int, int]:
    """The birth years that give the same donor age group in `year` as birth_year does."""
    age = year - birth_year
    if age >= 30:
        return 1900, year - 30
    if age >= 15:
        return year - 29, year - 15
    return year - 14, 2100


def birth_year_range(birth_year: int, counted_on: Iterable[date]) -> tuple[int, int]:
    """The decade of birth_year narrowed to the years giving the same age group on every date counted.

    Any year of the range puts the person in the same group (15-29, 30+, under 15) on each
    of those dates, so every report of a past period counts them as before.
    """
    low, high = birth_year - birth_year % 10, birth_year - birth_year % 10 + 9
    for year in {day.year for day in counted_on}:
        first, last = _group_bounds(year, birth_year)
        low, high = max(low, first), min(high, last)
    return low, high


def _merged_into(person: Person) -> list[Person]:
    """The person and every record merged into them (the same human), at any depth."""
    found, todo = [person], [person.id]
    while todo:
        more = list(db.session.scalars(select(Person).where(Person.merged_into_id.in_(todo))))
        found += more
        todo = [other.id for other in more]
    return found


def _scrub(value: Any, words: Sequence[tuple[str, str]]) -> Any:
    """Replace each (old, new) text inside strings of a JSON value; recurse into lists and dicts."""
    if isinstance(value, str):
        for old, new in words:
            if old:
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, words) for key, item in value.items()}
    return value


def _blank_remarks(value: Any) -> Any:
    """Erase every "remark" and "dni" kept in a merge's record of what it moved."""
    if isinstance(value, list):
        return [_blank_remarks(item) for item in value]
    if isinstance(value, dict):
        return {
            key: ("" if key == "remark" else None if key == "dni" else _blank_remarks(item))
            for key, item in value.items()
        }
    return value


def _scrub_audit(
    people: Sequence[Person], names: Sequence[tuple[str, str]], parts: Sequence[tuple[str, str]]
) -> None:
    """Take the erased values out of the audit log: the persons' own entries and any naming them.

    names (full names, DNIs) are replaced wherever they appear; parts (given or family
    names alone, which other people may share) only in the persons' own entries.
    """
    ids = [person.id for person in people]
    naming = [AuditEntry.details.contains(old, autoescape=True) for old, _new in names if old]
    entries = db.session.scalars(
        select(AuditEntry).where(
            or_(
                (AuditEntry.object_type == "Person") & AuditEntry.object_id.in_(ids),
                *naming,
            )
        )
    )
    for entry in entries:
        try:
            details = json.loads(entry.details or "{}")
        except ValueError:
            details = {}
        if not isinstance(details, dict):
            details = {}
        own = entry.object_type == "Person" and entry.object_id in ids
        if own and details.get("field") in ERASED_FIELDS:
            details["old"] = details["new"] = None
        words = [*names, *parts] if own else names
        entry.details = json.dumps(_scrub(details, words), ensure_ascii=False, default=str)


def anonymise(person: Person, user: Editor) -> int:
    """Erase the person's personal data for good, keeping them as an anonymous count; return how many
    records were anonymised (the person and those merged into them).

    Raise RightsRefused for a record merged into another (anonymise the kept one) or one
    already anonymised.
    """
    if person.merged_into_id is not None or person.anonymised_at is not None:
        raise RightsRefused("record")
    people = _merged_into(person)
    names: list[tuple[str, str]] = []
    parts: list[tuple[str, str]] = []
    now = utcnow()
    for one in people:
        label = ANONYMOUS_NAME.format(id=one.id)
        names += [(one.full_name, label), (one.dni or "", "")]
        if one.family_names:
            parts += [(one.given_names, label), (one.family_names, label)]
        counted: list[date] = []
        for _receiver, dates in person_anonymising.send(one):
            counted += dates or []
        if one.birth_year is not None:
            one.birth_year, one.birth_year_to = birth_year_range(one.birth_year, counted)
            one.birth_year_approximate = True
        one.given_names, one.family_names, one.dni = label, "", None
        one.anonymised_at = now
        one.revision += 1
        one.refresh_search()
    ids = [one.id for one in people]
    for change in db.session.scalars(
        select(PersonChange).where(PersonChange.person_id.in_(ids), PersonChange.field.in_(ERASED_FIELDS))
    ):
        change.old_value = change.new_value = None
    for merge in db.session.scalars(
        select(Merge).where(Merge.kind == "person", or_(Merge.kept_id.in_(ids), Merge.removed_id.in_(ids)))
    ):
        merge.moved = _blank_remarks(merge.moved)
    names.sort(key=lambda pair: -len(pair[0]))  # a longer name before one it contains
    parts.sort(key=lambda pair: -len(pair[0]))
    db.session.flush()
    _scrub_audit(people, [pair for pair in names if pair[0]], parts)
    audit.record(user, "anonymise", person, records=len(people))
    return len(people)
