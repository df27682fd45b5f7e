"""Languages and the translation store

Revision ID: 0002_translation_store
Revises: 0001_initial
Create Date: 2026-11-27 21:07:11.216596

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002_translation_store"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("context", sa.String(length=200), nullable=False),
        sa.Column("msgid", sa.Text(), nullable=False),
        sa.Column("msgid_plural", sa.Text(), nullable=True),
        sa.Column("extracted_comment", sa.Text(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("flags", sa.String(length=200), nullable=False),
        sa.Column("previous_msgid", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("obsolete", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "domain IN ('messages', 'curriculum')", name=op.f("ck_catalog_entry_domain_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entry")),
        sa.UniqueConstraint("domain", "key", name=op.f("uq_catalog_entry_domain_key")),
    )
    op.create_table(
        "catalog_header",
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("header_comment", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("domain", "language", name=op.f("pk_catalog_header")),
    )
    op.create_table(
        "catalog_revision",
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("language", name=op.f("pk_catalog_revision")),
    )
    op.create_table(
        "language_setting",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("native_name", sa.String(length=80), nullable=True),
        sa.Column("spanish_name", sa.String(length=80), nullable=True),
        sa.Column("plural_forms", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_language_setting")),
    )
    op.create_table(
        "translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("translator_comment", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('untranslated', 'fuzzy', 'translated', 'approved')",
            name=op.f("ck_translation_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entry.id"],
            name=op.f("fk_translation_entry_id_catalog_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_translation_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation")),
        sa.UniqueConstraint("entry_id", "language", name=op.f("uq_translation_entry_id_language")),
    )
    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_translation_updated_by_id"), ["updated_by_id"], unique=False)

    op.create_table(
        "translation_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("translation_id", sa.Integer(), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_translation_history_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["translation_id"],
            ["translation.id"],
            name=op.f("fk_translation_history_translation_id_translation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_history")),
    )
    with op.batch_alter_table("translation_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_history_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_translation_history_translation_id"), ["translation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("translation_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_history_translation_id"))
        batch_op.drop_index(batch_op.f("ix_translation_history_author_id"))

    op.drop_table("translation_history")
    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_updated_by_id"))
        batch_op.drop_index(batch_op.f("ix_translation_entry_id"))

    op.drop_table("translation")
    op.drop_table("language_setting")
    op.drop_table("catalog_revision")
    op.drop_table("catalog_header")
    op.drop_table("catalog_entry")
