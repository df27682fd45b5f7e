"""Person corrections: their history, and a revision number for concurrent edits

A person's fields can now be corrected after they were registered. Each
corrected field is a person_change row (who, when, old and new value); the
person's revision is bumped by every correction, so a save based on an older
revision is shown the difference instead of being applied.

Revision ID: 0014_person_changes
Revises: 0013_session_changes
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_person_changes"
down_revision = "0013_session_changes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "person_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "field IN ('given_names', 'family_names', 'sex', 'birth_year', 'birth_year_approximate', "
            "'relationship_to_head', 'is_contact', 'dni', 'consent', 'consent_date')",
            name=op.f("ck_person_change_field_known"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_change_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_person_change_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_change")),
    )
    with op.batch_alter_table("person_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_change_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_change_user_id"), ["user_id"], unique=False)

    # A plain ADD COLUMN (no batch): rebuilding person would touch every row that refers to it.
    op.add_column("person", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    op.drop_column("person", "revision")

    with op.batch_alter_table("person_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_change_user_id"))
        batch_op.drop_index(batch_op.f("ix_person_change_person_id"))

    op.drop_table("person_change")
