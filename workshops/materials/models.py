"""Print jobs: the database is the queue of long PDF builds."""

from sqlalchemy import CheckConstraint, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.job_models import JOB_STATES, JobColumns
from ..extensions import Model, one_of


class PrintJob(JobColumns, Model):
    """One PDF to build in the background, keyed like the cache file it makes (state and times: JobColumns)."""

    __tablename__ = "print_job"
    __table_args__ = (CheckConstraint(one_of("state", JOB_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    options: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of materials.services.Options
    # How long the build is expected to take (the last one of its kind), for the progress bar.
    expected_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=20.0)
