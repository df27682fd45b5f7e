"""The curriculum as loaded from the source files into the database."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, one_of
from .source import AREAS, PRACTICES, SECTION_KINDS

SEGMENT_ROLES = ("objective", "material", "paragraph", "item", "step", "question")


class Module(Model):
    __tablename__ = "curriculum_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    area: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    source_file: Mapped[str] = mapped_column(String(200), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    sections: Mapped[list["Section"]] = relationship(
        back_populates="module", order_by="Section.position", cascade="all, delete-orphan"
    )
    segments: Mapped[list["Segment"]] = relationship(
        back_populates="module", order_by="Segment.position", cascade="all, delete-orphan"
    )
    key_terms: Mapped[list["KeyTerm"]] = relationship(
        back_populates="module", order_by="KeyTerm.position", cascade="all, delete-orphan"
    )
    practices: Mapped[list["ModulePractice"]] = relationship(
        back_populates="module", order_by="ModulePractice.practice", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("number BETWEEN 1 AND 12", name="number_1_to_12"),
        CheckConstraint(one_of("area", AREAS), name="area_known"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    @property
    def objectives(self):
        return [s for s in self.segments if s.section_id is None and s.role == "objective"]

    @property
    def materials(self):
        return [s for s in self.segments if s.section_id is None and s.role == "material"]


class Section(Model):
    __tablename__ = "curriculum_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_module.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    key: Mapped[str] = mapped_column(String(48), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    needs_community_input: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    module: Mapped[Module] = relationship(back_populates="sections")
    segments: Mapped[list["Segment"]] = relationship(back_populates="section", order_by="Segment.position")

    __table_args__ = (
        UniqueConstraint("module_id", "key"),
        CheckConstraint(one_of("kind", SECTION_KINDS), name="kind_known"),
        CheckConstraint("minutes IS NULL OR minutes > 0", name="minutes_positive"),
    )


class Segment(Model):
    """One translatable text of a module (titles live on Module and Section)."""

    __tablename__ = "curriculum_segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_module.id", ondelete="CASCADE"), index=True, nullable=False
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("curriculum_section.id", ondelete="CASCADE"), index=True, nullable=True
    )
    uid: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    source_line: Mapped[int] = mapped_column(Integer, nullable=False)

    module: Mapped[Module] = relationship(back_populates="segments")
    section: Mapped[Section | None] = relationship(back_populates="segments")

    __table_args__ = (CheckConstraint(one_of("role", SEGMENT_ROLES), name="role_known"),)


class KeyTerm(Model):
    __tablename__ = "curriculum_key_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_module.id", ondelete="CASCADE"), index=True, nullable=False
    )
    key: Mapped[str] = mapped_column(String(48), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    term: Mapped[str] = mapped_column(Text, nullable=False)
    definition: Mapped[str] = mapped_column(Text, nullable=False)

    module: Mapped[Module] = relationship(back_populates="key_terms")

    __table_args__ = (UniqueConstraint("module_id", "key"),)


class ModulePractice(Model):
    """A practice type a module teaches, for donor indicators (EG.3.2-24)."""

    __tablename__ = "curriculum_module_practice"

    module_id: Mapped[int] = mapped_column(
        ForeignKey("curriculum_module.id", ondelete="CASCADE"), primary_key=True
    )
    practice: Mapped[str] = mapped_column(String(32), primary_key=True)

    module: Mapped[Module] = relationship(back_populates="practices")

    __table_args__ = (CheckConstraint(one_of("practice", PRACTICES), name="practice_known"),)
