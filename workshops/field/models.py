"""What devices sent: each record once, by the id the device gave it."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..attendance.models import ATTENDANCE_STATES
from ..extensions import Model, one_of, utcnow

OUTCOMES = ("applied", "conflict")
# "superseded": the same device sent a later value for the record, or another conflict was settled.
RESOLUTIONS = ("device", "server", "superseded")
OPEN_CONFLICT_SQL = "outcome = 'conflict' AND resolution IS NULL"


class FieldSubmission(Model):
    """One attendance record entered on a device, kept so that sending it again changes nothing.

    A conflict (the person's status changed on the server since the pack was
    taken) is kept here, with both values, until a coordinator resolves it.
    """

    __tablename__ = "field_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)  # made on the device
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_session.id", ondelete="CASCADE"), index=True, nullable=False
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The status the pack showed when it was taken ("" when there was no record yet).
    base_status: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    # The remark the device last saw from the server (None: the device did not say).
    base_remark: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The server's status when the record arrived, for a conflict.
    server_status: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    server_remark: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The device's clock: kept apart, never used as the session's date.
    device_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)
    walk_in: Mapped[bool] = mapped_column(default=False, nullable=False)
    resolution: Mapped[str | None] = mapped_column(String(12), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    session = relationship("WorkshopSession")
    person = relationship("Person")
    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        CheckConstraint(one_of("status", ATTENDANCE_STATES), name="status_known"),
        CheckConstraint(one_of("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(
            "resolution IS NULL OR " + one_of("resolution", RESOLUTIONS), name="resolution_known"
        ),
        # One open conflict per person and session: a later one replaces it (services.supersede).
        Index(
            "uq_field_submission_open_conflict",
            "session_id",
            "person_id",
            unique=True,
            sqlite_where=text(OPEN_CONFLICT_SQL),
            postgresql_where=text(OPEN_CONFLICT_SQL),
        ),
    )
