"""Print jobs: the database is the queue of long PDF builds."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, one_of, utcnow

JOB_STATES = ("pending", "running", "done", "failed")


class PrintJob(Model):
    """One PDF to build in the background, keyed like the cache file it makes."""

    __tablename__ = "print_job"
    __table_args__ = (CheckConstraint(one_of("state", JOB_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    options: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of materials.services.Options
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # How long the build is expected to take (the last one of its kind), for the progress bar.
    expected_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=20.0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
