"""A person's attendance in their data export, and erased with them (people.rights' signals)."""

from datetime import date

from sqlalchemy import select, update

from ..curriculum.models import Module
from ..extensions import db
from ..people.models import Community, Person
from ..people.rights import person_anonymising, person_data_requested
from .models import AttendanceChange, AttendanceRecord, WorkshopSession


@person_data_requested.connect
def attendance_of(person: Person) -> dict[str, list[dict[str, object]]]:
    """Every attendance record of the person (and only theirs), oldest session first."""
    rows = db.session.execute(
        select(
            AttendanceRecord.id,
            WorkshopSession.id,
            WorkshopSession.date,
            Module.number,
            Community.name,
            AttendanceRecord.status,
            AttendanceRecord.remark,
            AttendanceRecord.entered_at,
        )
        .join(WorkshopSession, WorkshopSession.id == AttendanceRecord.session_id)
        .join(Module, Module.id == WorkshopSession.module_id)
        .join(Community, Community.id == WorkshopSession.community_id)
        .where(AttendanceRecord.person_id == person.id)
        .order_by(WorkshopSession.date, WorkshopSession.id)
    ).all()
    return {
        "attendance": [
            {
                "record": record_id,
                "session": session_id,
                "date": day,
                "module": number,
                "community": community,
                "status": status,
                "remark": remark,
                "entered_at": entered_at,
            }
            for record_id, session_id, day, number, community, status, remark, entered_at in rows
        ]
    }


@person_anonymising.connect
def erase_remarks(person: Person) -> list[date]:
    """Erase the remarks on the person's records and their history; return the sessions' dates."""
    records = select(AttendanceRecord.id).where(AttendanceRecord.person_id == person.id)
    db.session.execute(
        update(AttendanceRecord).where(AttendanceRecord.person_id == person.id).values(remark="")
    )
    db.session.execute(
        update(AttendanceChange).where(AttendanceChange.record_id.in_(records)).values(remark="")
    )
    return list(
        db.session.scalars(
            select(WorkshopSession.date)
            .join(AttendanceRecord, AttendanceRecord.session_id == WorkshopSession.id)
            .where(AttendanceRecord.person_id == person.id)
        )
    )
