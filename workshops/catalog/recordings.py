"""Spoken recordings of the curriculum: a kind of translation, kept take by take.

A recording belongs to a curriculum text by its stable id (the msgctxt of the
curriculum catalog: a segment's uid, or a key term's) and a language, as a
translation does. Every take is kept: the newest take of a (text, language)
is the current one (`is_current`, at most one, enforced by a partial unique
index), the older ones are its history. A take has a state like a
translation's, its author and reviewer, and the hash of the Spanish text it
was recorded against: when the text changes, an approved take needs
re-recording (voice/services.py).

The audio bytes (Opus in Ogg, made by voice/media.py) are in a table of their
own, read only when a take is played, and in the database rather than in a
folder, as the signed sheets are: every app server on the database serves them
and the database backup holds them.
"""

import hashlib
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, one_of, utcnow

RECORDING_STATES = ("recorded", "approved", "rejected", "needs_rerecording")
AUDIO_TYPE = "audio/ogg"


def source_hash(source_text: str) -> str:
    """Return the SHA-256 of a Spanish source text, as a recording remembers it."""
    return hashlib.sha256(source_text.encode()).hexdigest()


class Recording(Model):
    """One take of a curriculum text read aloud in one language."""

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    context: Mapped[str] = mapped_column(String(200), nullable=False)
    module_slug: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    take: Mapped[int] = mapped_column(Integer, nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="recorded")
    source_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    silent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    author = relationship("User", foreign_keys=[author_id], lazy="joined", viewonly=True)
    reviewer = relationship("User", foreign_keys=[reviewed_by_id], lazy="joined", viewonly=True)

    __table_args__ = (
        UniqueConstraint("context", "language", "take"),
        Index(
            "uq_recording_current",
            "context",
            "language",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_recording_module_slug_state", "module_slug", "state"),
        Index("ix_recording_language_state", "language", "state"),
        CheckConstraint(one_of("state", RECORDING_STATES), name="state_known"),
        CheckConstraint("take >= 1", name="take_positive"),
        CheckConstraint("duration_ms > 0", name="duration_positive"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("state <> 'rejected' OR reason <> ''", name="rejection_has_reason"),
        CheckConstraint("length(source_hash) = 64 AND length(sha256) = 64", name="hashes_complete"),
    )


class RecordingAudio(Model):
    """The bytes of a take, in a table of their own so that listing takes never reads them."""

    __tablename__ = "recording_audio"

    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recording.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
