"""The translation store: the working copy of every catalog.

The database, not the .po files, is where translations live while people
work: several volunteers edit at once, every edit has history and a revision
for conflict detection, and every worker process sees the same truth. The
.po files under translations/ are the interchange format (see services.py).
"""

import hashlib
import re
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.text import fold
from ..extensions import Model, one_of, utcnow

DOMAINS = ("messages", "curriculum")
STATES = ("untranslated", "fuzzy", "translated", "approved")
SUGGESTION_STATES = ("pending", "accepted", "rejected")
GLOSSARY_STATES = ("approved", "proposed", "forbidden")


def word_count(text):
    return len(re.findall(r"\w+", text or ""))


def entry_key(context, msgid):
    """Return a short fixed-size key for (context, msgid): long texts cannot be indexed whole."""
    return hashlib.sha256(f"{context}\x04{msgid}".encode()).hexdigest()[:40]


class CatalogEntry(Model):
    """One source string (msgid) of a domain, shared by all languages."""

    __tablename__ = "catalog_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    context: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    msgid: Mapped[str] = mapped_column(Text, nullable=False)
    msgid_plural: Mapped[str | None] = mapped_column(Text, nullable=True)
    extracted_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    references: Mapped[str] = mapped_column(Text, nullable=False, default="")  # "path:line" per line
    flags: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # comma-separated
    previous_msgid: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    obsolete: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Accent- and case-folded source text for searching, and its word count.
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    words: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    translations: Mapped[list["Translation"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("domain", "key"),
        CheckConstraint(one_of("domain", DOMAINS), name="domain_known"),
    )

    def refresh_search(self):
        """Recompute the folded search text and word count after msgid changes."""
        self.search_text = fold(f"{self.msgid} {self.msgid_plural or ''}")
        self.words = word_count(self.msgid)

    @property
    def flag_list(self):
        return [flag for flag in self.flags.split(",") if flag]


class Translation(Model):
    """The translation of one entry into one language."""

    __tablename__ = "translation"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entry.id", ondelete="CASCADE"), index=True, nullable=False
    )
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    # One string per plural form; a singular entry has exactly one.
    forms: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="untranslated")
    translator_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # updated_by is the person who wrote the current text; reviewed_by the reviewer who
    # approved it or accepted it from a suggestion (never shown as its author).
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # The language's catalog revision right after the last change: an offline
    # file stamped with an older revision did not see this change.
    changed_at_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    warnings: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # check codes
    dismissed: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # codes a reviewer dismissed
    check_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0
    )  # len(warnings), for filtering

    entry: Mapped[CatalogEntry] = relationship(back_populates="translations")
    author = relationship("User", foreign_keys=[updated_by_id], lazy="select", viewonly=True)

    __table_args__ = (
        UniqueConstraint("entry_id", "language"),
        CheckConstraint(one_of("state", STATES), name="state_known"),
    )


class TranslationHistory(Model):
    """Every version a translation has had, with who and when."""

    __tablename__ = "translation_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(
        ForeignKey("translation.id", ondelete="CASCADE"), index=True, nullable=False
    )
    forms: Mapped[list] = mapped_column(JSON, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    origin: Mapped[str] = mapped_column(String(16), nullable=False)  # web, import, extract
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )

    author = relationship("User", lazy="joined", foreign_keys=[author_id])
    reviewer = relationship("User", lazy="joined", foreign_keys=[reviewed_by_id])


class CatalogHeader(Model):
    """The header of a catalog as imported, so export preserves custom fields."""

    __tablename__ = "catalog_header"

    domain: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    header_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    fields: Mapped[list] = mapped_column(JSON, nullable=False, default=list)  # [[name, value], ...]


class CatalogRevision(Model):
    """A counter per language, bumped by every change: the runtime cache key."""

    __tablename__ = "catalog_revision"

    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Suggestion(Model):
    """A proposed translation waiting for a reviewer (also: the loser of a concurrent edit)."""

    __tablename__ = "translation_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_entry.id", ondelete="CASCADE"), index=True, nullable=False
    )
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    forms: Mapped[list] = mapped_column(JSON, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    is_conflict: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    base_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )

    entry: Mapped[CatalogEntry] = relationship()

    __table_args__ = (CheckConstraint(one_of("state", SUGGESTION_STATES), name="state_known"),)


class GlossaryTerm(Model):
    """A bilingual term: how a Spanish word is translated, agreed by reviewers."""

    __tablename__ = "glossary_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    source_term: Mapped[str] = mapped_column(String(200), nullable=False)
    target_term: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    definition: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("curriculum_module.id", ondelete="SET NULL"), index=True, nullable=True
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # Seeded from the curriculum's key term "<module slug>.terms.<key>": kept in step with it.
    key_term_uid: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)

    __table_args__ = (
        CheckConstraint(one_of("status", GLOSSARY_STATES), name="status_known"),
        CheckConstraint("length(source_term) > 0", name="source_not_empty"),
    )
