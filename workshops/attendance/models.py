"""Workshop sessions and who attended them."""

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, one_of, utcnow

# The course of a session, then the two ways it may not happen: kept, but never counted as held.
PROGRESS_STATES = ("planned", "held", "entered", "checked")
OFF_STATES = ("cancelled", "postponed")
SESSION_STATES = PROGRESS_STATES + OFF_STATES
ATTENDANCE_STATES = ("present", "late", "excused", "absent", "not_enrolled")
STAFF_ROLES = ("facilitator", "interpreter")


class WorkshopSession(Model):
    __tablename__ = "workshop_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("curriculum_module.id"), index=True, nullable=False)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True, nullable=False)
    date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    start_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=240)
    venue: Mapped[str] = mapped_column(String(160), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="planned")
    # Why the session was cancelled or postponed ("" otherwise).
    status_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Bumped by every attendance save: a save based on an older revision is not applied blindly.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The same for the session's own details (date, module, team, status): an edit form
    # based on an older one shows the differences instead of overwriting.
    details_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    module = relationship("Module")
    community = relationship("Community")
    staff: Mapped[list["SessionStaff"]] = relationship(back_populates="session", cascade="all, delete-orphan")
    records: Mapped[list["AttendanceRecord"]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("module_id", "community_id", "date"),
        CheckConstraint(one_of("status", SESSION_STATES), name="status_known"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )


class SessionChange(Model):
    """One changed detail of a session: who, when, the field, its old and new value, and why."""

    __tablename__ = "session_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # date, start_time, duration, venue, module, facilitators, interpreter or status
    field: Mapped[str] = mapped_column(String(20), nullable=False)
    # As shown when it changed (module "3. Title", names of the team, ISO dates): the
    # history stays readable after the module, an account or the session changes again.
    old_value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    new_value: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    changed_by = relationship("User")


class SessionStaff(Model):
    """A facilitator or interpreter of a session: a user, or a named volunteer without an account."""

    __tablename__ = "session_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True, nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="facilitator")

    session: Mapped[WorkshopSession] = relationship(back_populates="staff")
    user = relationship("User")

    __table_args__ = (
        CheckConstraint(one_of("role", STAFF_ROLES), name="role_known"),
        CheckConstraint("user_id IS NOT NULL OR length(name) > 0", name="user_or_name"),
    )


class AttendanceRecord(Model):
    __tablename__ = "attendance_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True, nullable=False
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    session: Mapped[WorkshopSession] = relationship(back_populates="records")
    person = relationship("Person")

    __table_args__ = (
        UniqueConstraint("session_id", "person_id"),
        CheckConstraint(one_of("status", ATTENDANCE_STATES), name="status_known"),
        # Covering indexes: reports aggregate 400,000 records per person and per session
        # from the index alone, without reading the table.
        Index("ix_attendance_record_person_status_session", "person_id", "status", "session_id"),
        Index("ix_attendance_record_session_status_person", "session_id", "status", "person_id"),
    )


class AttendanceChange(Model):
    """Every earlier value of an attendance record (later edits keep history)."""

    __tablename__ = "attendance_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("attendance_record.id", ondelete="CASCADE"), index=True, nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class SessionAttachment(Model):
    """A photo or scan of the signed paper sheet; its bytes are an AttachmentContent row."""

    __tablename__ = "session_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # A random name: the ETag of the download, and the file name under instance/uploads
    # of a sheet uploaded before the bytes moved into the database (0011).
    stored_name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="type_known"),
        CheckConstraint("size > 0", name="size_positive"),
    )


class AttachmentContent(Model):
    """The bytes of a signed sheet, in a table of their own so that listing sheets never reads them.

    In the database rather than in a folder: every app server on the same
    database can serve it, and the database backup is the whole backup.
    """

    __tablename__ = "attachment_content"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("session_attachment.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
