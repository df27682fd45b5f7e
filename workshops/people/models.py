"""Communities, households ("families") and the people in them.

Personal data of indigenous families: only what the program needs, visible
only to coordinators and admins (and facilitators for their own sessions),
with consent recorded (Peru's Ley 29733).
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
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

SEXES = ("female", "male", "unrecorded")
RELATIONSHIPS = ("head", "spouse", "child", "parent", "sibling", "grandchild", "other")


class Community(Model):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    district: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    province: Mapped[str] = mapped_column(String(80), nullable=False, default="San Ignacio")
    region: Mapped[str] = mapped_column(String(80), nullable=False, default="Cajamarca")
    # The last household number given out, so codes are never reused.
    last_household_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    households: Mapped[list["Household"]] = relationship(
        back_populates="community", order_by="Household.code"
    )

    __table_args__ = (CheckConstraint("length(code) BETWEEN 2 AND 6", name="code_length"),)


class Household(Model):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True, nullable=False)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)  # e.g. COM-014
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The family's reference in an imported CSV file: re-importing the file finds it again.
    import_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    community: Mapped[Community] = relationship(back_populates="households")
    members: Mapped[list["Person"]] = relationship(
        back_populates="household", order_by="(Person.relationship_order, Person.id)"
    )

    __table_args__ = (UniqueConstraint("community_id", "import_key"),)

    @property
    def contact(self):
        return next((person for person in self.members if person.is_contact), None)


class Person(Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True, nullable=True)
    given_names: Mapped[str] = mapped_column(String(120), nullable=False)
    family_names: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    sex: Mapped[str] = mapped_column(String(12), nullable=False, default="unrecorded")
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    birth_year_approximate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    relationship_to_head: Mapped[str] = mapped_column(String(16), nullable=False, default="other")
    relationship_order: Mapped[int] = mapped_column(Integer, nullable=False, default=9)
    is_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dni: Mapped[str | None] = mapped_column(String(8), unique=True, nullable=True)
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # walk-ins
    # Set when the person's data was erased at their request (Law 29733): names, DNI and
    # remarks are gone; birth_year is then the first year of the range birth_year..birth_year_to,
    # which gives the same age group as the exact year on every day they attended.
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    birth_year_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Bumped by every correction: a save based on an older revision is not applied blindly.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, nullable=True)
    search_name: Mapped[str] = mapped_column(String(250), nullable=False, default="", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="members")

    __table_args__ = (
        CheckConstraint(one_of("sex", SEXES), name="sex_known"),
        CheckConstraint(one_of("relationship_to_head", RELATIONSHIPS), name="relationship_known"),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        CheckConstraint("dni IS NULL OR length(dni) = 8", name="dni_length"),
        CheckConstraint("length(given_names) > 0", name="given_names_not_empty"),
    )

    @property
    def full_name(self):
        return f"{self.given_names} {self.family_names}".strip()

    def refresh_search(self):
        self.search_name = fold(self.full_name)
        self.relationship_order = RELATIONSHIPS.index(self.relationship_to_head)


class HouseholdStay(Model):
    """Which household a person belonged to, from when to when: moving keeps history."""

    __tablename__ = "household_stay"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True, nullable=False
    )
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True, nullable=False)
    started: Mapped[date] = mapped_column(Date, nullable=False)
    ended: Mapped[date | None] = mapped_column(Date, nullable=True)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    household: Mapped[Household] = relationship()

    __table_args__ = (CheckConstraint("ended IS NULL OR ended >= started", name="ended_after_started"),)


# The fields a correction may change, in the order the history and the form show them.
CORRECTABLE = (
    "given_names",
    "family_names",
    "sex",
    "birth_year",
    "birth_year_approximate",
    "relationship_to_head",
    "is_contact",
    "dni",
    "consent",
    "consent_date",
)


class PersonChange(Model):
    """One corrected field of a person: who, when, the old and the new value (as text, None for none)."""

    __tablename__ = "person_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True, nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # The name the user had then: the history still says who after the account is renamed or gone.
    user_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (CheckConstraint(one_of("field", CORRECTABLE), name="field_known"),)


class Merge(Model):
    """A merge of two persons or households, with what it moved, so it can be undone."""

    __tablename__ = "merge_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    kept_id: Mapped[int] = mapped_column(Integer, nullable=False)
    removed_id: Mapped[int] = mapped_column(Integer, nullable=False)
    moved: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (CheckConstraint("kind IN ('person', 'household')", name="kind_known"),)


class Partnership(Model):
    """Membership of the cooperative: one person, or a married or common-law couple (Law 31335).

    A partner of the cooperative is not the same thing as a person in a household:
    a couple holds one membership, and most household members are not partners.
    """

    __tablename__ = "cooperative_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True, nullable=False)
    spouse_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, nullable=True)
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    person = relationship("Person", foreign_keys=[person_id])
    spouse = relationship("Person", foreign_keys=[spouse_id])

    __table_args__ = (
        CheckConstraint("spouse_id IS NULL OR spouse_id <> person_id", name="spouse_is_someone_else"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )
