"""Uploads, merges, import keys

Revision ID: 0005_uploads_merges
Revises: 0004_attendance
Create Date: 2026-11-27 22:06:19.397880

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005_uploads_merges"
down_revision = "0004_attendance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "merge_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("removed_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('person', 'household')", name=op.f("ck_merge_record_kind_known")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_merge_record_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_record")),
    )
    with op.batch_alter_table("merge_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merge_record_user_id"), ["user_id"], unique=False)

    op.create_table(
        "session_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name=op.f("ck_session_attachment_type_known"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_session_attachment_size_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workshop_session.id"],
            name=op.f("fk_session_attachment_session_id_workshop_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_session_attachment_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_session_attachment_stored_name")),
    )
    with op.batch_alter_table("session_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_attachment_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_session_attachment_uploaded_by_id"), ["uploaded_by_id"], unique=False
        )

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_household_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_household_community_id_import_key"), ["community_id", "import_key"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_household_merged_into_id_household"), "household", ["merged_into_id"], ["id"]
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_person_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_person_merged_into_id_person"), "person", ["merged_into_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_person_merged_into_id_person"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_person_merged_into_id"))
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_household_merged_into_id_household"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_household_community_id_import_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_household_merged_into_id"))
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("import_key")

    with op.batch_alter_table("session_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_attachment_uploaded_by_id"))
        batch_op.drop_index(batch_op.f("ix_session_attachment_session_id"))

    op.drop_table("session_attachment")
    with op.batch_alter_table("merge_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merge_record_user_id"))

    op.drop_table("merge_record")
