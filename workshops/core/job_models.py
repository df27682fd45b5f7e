"""Background jobs kept in the database: the columns every queue shares, and import jobs."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, one_of, utcnow

JOB_STATES = ("pending", "running", "done", "failed")
IMPORT_KINDS = ("people_csv", "po_upload")
# The uploaded text kept in the row: the largest upload either import takes (the .po upload's 8 MB;
# a CSV takes 2 MB), counted in characters, which are never more than the bytes of UTF-8.
MAX_CONTENT = 8 * 1024 * 1024


class JobColumns:
    """The columns of a queued job: its state, when it ran, how many times it was taken, its error."""

    state: Mapped[str] = mapped_column(String(12), nullable=False, default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")


class ImportJob(JobColumns, Model):
    """A large import queued with its whole input: a restart finds everything it needs in the row."""

    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(one_of("state", JOB_STATES), name="state"),
        CheckConstraint(one_of("kind", IMPORT_KINDS), name="kind"),
        CheckConstraint("processed >= 0 AND total >= 0 AND processed <= total", name="progress"),
        CheckConstraint(f"length(content) <= {MAX_CONTENT}", name="content_size"),
        CheckConstraint(one_of("error", ("", "refused", "failed")), name="error_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # Who queued it: only they (and administrators) see it. Deleting the account ends its jobs.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The catalog language of the person who queued it: its messages are written in it.
    language: Mapped[str] = mapped_column(String(12), nullable=False)
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON, per kind
    content: Mapped[str] = mapped_column(Text, nullable=False)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # JSON: the summary the page shows when done, or the problems [line, message] when refused.
    result: Mapped[str] = mapped_column(Text, nullable=False, default="")
