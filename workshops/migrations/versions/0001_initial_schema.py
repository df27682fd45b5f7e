"""Initial schema: accounts, curriculum, app state

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27 20:53:36.107255

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_state")),
    )
    op.create_table(
        "curriculum_module",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "area IN ('agronomy', 'organization', 'finance')", name=op.f("ck_curriculum_module_area_known")
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_curriculum_module_duration_positive")),
        sa.CheckConstraint("number BETWEEN 1 AND 12", name=op.f("ck_curriculum_module_number_1_to_12")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_module")),
        sa.UniqueConstraint("number", name=op.f("uq_curriculum_module_number")),
        sa.UniqueConstraint("slug", name=op.f("uq_curriculum_module_slug")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(username) > 0", name=op.f("ck_user_account_username_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "curriculum_key_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["curriculum_module.id"],
            name=op.f("fk_curriculum_key_term_module_id_curriculum_module"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_key_term")),
        sa.UniqueConstraint("module_id", "key", name=op.f("uq_curriculum_key_term_module_id_key")),
    )
    with op.batch_alter_table("curriculum_key_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curriculum_key_term_module_id"), ["module_id"], unique=False)

    op.create_table(
        "curriculum_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("needs_community_input", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('key_messages', 'explanation', 'activity', 'discussion', 'facilitator_note', 'evaluation')",
            name=op.f("ck_curriculum_section_kind_known"),
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes > 0", name=op.f("ck_curriculum_section_minutes_positive")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["curriculum_module.id"],
            name=op.f("fk_curriculum_section_module_id_curriculum_module"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_section")),
        sa.UniqueConstraint("module_id", "key", name=op.f("uq_curriculum_section_module_id_key")),
    )
    with op.batch_alter_table("curriculum_section", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curriculum_section_module_id"), ["module_id"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'facilitator', 'translator', 'reviewer')",
            name=op.f("ck_user_role_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_role_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_role_user_id"), ["user_id"], unique=False)

    op.create_table(
        "curriculum_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=True),
        sa.Column("uid", sa.String(length=160), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('objective', 'material', 'paragraph', 'item', 'step', 'question')",
            name=op.f("ck_curriculum_segment_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["curriculum_module.id"],
            name=op.f("fk_curriculum_segment_module_id_curriculum_module"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["curriculum_section.id"],
            name=op.f("fk_curriculum_segment_section_id_curriculum_section"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_segment")),
        sa.UniqueConstraint("uid", name=op.f("uq_curriculum_segment_uid")),
    )
    with op.batch_alter_table("curriculum_segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curriculum_segment_module_id"), ["module_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_curriculum_segment_section_id"), ["section_id"], unique=False)


def downgrade():
    with op.batch_alter_table("curriculum_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curriculum_segment_section_id"))
        batch_op.drop_index(batch_op.f("ix_curriculum_segment_module_id"))

    op.drop_table("curriculum_segment")
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_role_user_id"))

    op.drop_table("user_role")
    with op.batch_alter_table("curriculum_section", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curriculum_section_module_id"))

    op.drop_table("curriculum_section")
    with op.batch_alter_table("curriculum_key_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curriculum_key_term_module_id"))

    op.drop_table("curriculum_key_term")
    op.drop_table("user_account")
    op.drop_table("curriculum_module")
    op.drop_table("app_state")
