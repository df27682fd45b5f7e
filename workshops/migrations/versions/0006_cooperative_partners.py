"""Cooperative partners

Revision ID: 0006_cooperative_partners
Revises: 0005_uploads_merges
Create Date: 2026-11-27 22:24:08.075043

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_cooperative_partners"
down_revision = "0005_uploads_merges"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cooperative_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("spouse_id", sa.Integer(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined_on", name=op.f("ck_cooperative_partner_left_after_joined")
        ),
        sa.CheckConstraint(
            "spouse_id IS NULL OR spouse_id <> person_id",
            name=op.f("ck_cooperative_partner_spouse_is_someone_else"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_cooperative_partner_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["spouse_id"], ["person.id"], name=op.f("fk_cooperative_partner_spouse_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperative_partner")),
    )
    with op.batch_alter_table("cooperative_partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cooperative_partner_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cooperative_partner_spouse_id"), ["spouse_id"], unique=False)


def downgrade():
    with op.batch_alter_table("cooperative_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cooperative_partner_spouse_id"))
        batch_op.drop_index(batch_op.f("ix_cooperative_partner_person_id"))

    op.drop_table("cooperative_partner")
