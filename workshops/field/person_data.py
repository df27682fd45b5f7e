"""What devices sent about a person: erased with them (people.rights' signal)."""

from datetime import date

from sqlalchemy import update

from ..extensions import db
from ..people.models import Person
from ..people.rights import person_anonymising
from .models import FieldSubmission


@person_anonymising.connect
def erase_submitted_remarks(person: Person) -> list[date]:
    """Erase the remarks sent from devices for the person (the dates are the attendance's)."""
    db.session.execute(
        update(FieldSubmission)
        .where(FieldSubmission.person_id == person.id)
        .values(remark="", server_remark="")
    )
    return []
