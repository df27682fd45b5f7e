"""Families, sessions and attendance

Revision ID: 0004_attendance
Revises: 0003_translator_workspace
Create Date: 2026-11-27 21:51:20.156351

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004_attendance"
down_revision = "0003_translator_workspace"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("district", sa.String(length=80), nullable=False),
        sa.Column("province", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("last_household_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(code) BETWEEN 2 AND 6", name=op.f("ck_community_code_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("code", name=op.f("uq_community_code")),
        sa.UniqueConstraint("name", name=op.f("uq_community_name")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_audit_entry_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_user_id"), ["user_id"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_household_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_community_id"), ["community_id"], unique=False)

    op.create_table(
        "workshop_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'held', 'entered', 'checked')",
            name=op.f("ck_workshop_session_status_known"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_workshop_session_duration_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_workshop_session_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_workshop_session_entered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["curriculum_module.id"],
            name=op.f("fk_workshop_session_module_id_curriculum_module"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_session")),
        sa.UniqueConstraint(
            "module_id", "community_id", "date", name=op.f("uq_workshop_session_module_id_community_id_date")
        ),
    )
    with op.batch_alter_table("workshop_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_session_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshop_session_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workshop_session_entered_by_id"), ["entered_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_workshop_session_module_id"), ["module_id"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("given_names", sa.String(length=120), nullable=False),
        sa.Column("family_names", sa.String(length=120), nullable=False),
        sa.Column("sex", sa.String(length=12), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("birth_year_approximate", sa.Boolean(), nullable=False),
        sa.Column("relationship_to_head", sa.String(length=16), nullable=False),
        sa.Column("relationship_order", sa.Integer(), nullable=False),
        sa.Column("is_contact", sa.Boolean(), nullable=False),
        sa.Column("dni", sa.String(length=8), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("search_name", sa.String(length=250), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relationship_to_head IN ('head', 'spouse', 'child', 'parent', 'sibling', 'grandchild', 'other')",
            name=op.f("ck_person_relationship_known"),
        ),
        sa.CheckConstraint("sex IN ('female', 'male', 'unrecorded')", name=op.f("ck_person_sex_known")),
        sa.CheckConstraint(
            "birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", name=op.f("ck_person_birth_year_range")
        ),
        sa.CheckConstraint("dni IS NULL OR length(dni) = 8", name=op.f("ck_person_dni_length")),
        sa.CheckConstraint("length(given_names) > 0", name=op.f("ck_person_given_names_not_empty")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_person_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("dni", name=op.f("uq_person_dni")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_search_name"), ["search_name"], unique=False)

    op.create_table(
        "session_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('facilitator', 'interpreter')", name=op.f("ck_session_staff_role_known")
        ),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR length(name) > 0", name=op.f("ck_session_staff_user_or_name")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workshop_session.id"],
            name=op.f("fk_session_staff_session_id_workshop_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_session_staff_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_staff")),
    )
    with op.batch_alter_table("session_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_staff_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_staff_user_id"), ["user_id"], unique=False)

    op.create_table(
        "attendance_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('present', 'late', 'excused', 'absent', 'not_enrolled')",
            name=op.f("ck_attendance_record_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_record_entered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_attendance_record_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workshop_session.id"],
            name=op.f("fk_attendance_record_session_id_workshop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_record")),
        sa.UniqueConstraint(
            "session_id", "person_id", name=op.f("uq_attendance_record_session_id_person_id")
        ),
    )
    with op.batch_alter_table("attendance_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_record_entered_by_id"), ["entered_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attendance_record_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_record_session_id"), ["session_id"], unique=False)

    op.create_table(
        "household_stay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("started", sa.Date(), nullable=False),
        sa.Column("ended", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "ended IS NULL OR ended >= started", name=op.f("ck_household_stay_ended_after_started")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_stay_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_household_stay_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_stay")),
    )
    with op.batch_alter_table("household_stay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_stay_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_household_stay_person_id"), ["person_id"], unique=False)

    op.create_table(
        "attendance_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_change_changed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["attendance_record.id"],
            name=op.f("fk_attendance_change_record_id_attendance_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_change")),
    )
    with op.batch_alter_table("attendance_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_change_changed_by_id"), ["changed_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attendance_change_record_id"), ["record_id"], unique=False)


def downgrade():
    with op.batch_alter_table("attendance_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_change_record_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_change_changed_by_id"))

    op.drop_table("attendance_change")
    with op.batch_alter_table("household_stay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_stay_person_id"))
        batch_op.drop_index(batch_op.f("ix_household_stay_household_id"))

    op.drop_table("household_stay")
    with op.batch_alter_table("attendance_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_record_session_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_record_person_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_record_entered_by_id"))

    op.drop_table("attendance_record")
    with op.batch_alter_table("session_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_session_staff_session_id"))

    op.drop_table("session_staff")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_search_name"))
        batch_op.drop_index(batch_op.f("ix_person_household_id"))

    op.drop_table("person")
    with op.batch_alter_table("workshop_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_session_module_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_session_entered_by_id"))
        batch_op.drop_index(batch_op.f("ix_workshop_session_date"))
        batch_op.drop_index(batch_op.f("ix_workshop_session_community_id"))

    op.drop_table("workshop_session")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_community_id"))

    op.drop_table("household")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_user_id"))

    op.drop_table("audit_entry")
    op.drop_table("community")
