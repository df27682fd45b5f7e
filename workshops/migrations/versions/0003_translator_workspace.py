"""Translator workspace: suggestions, glossary, search, checks

Revision ID: 0003_translator_workspace
Revises: 0002_translation_store
Create Date: 2026-11-27 21:14:55.190522

"""

import json
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_translator_workspace"
down_revision = "0002_translation_store"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "glossary_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("source_term", sa.String(length=200), nullable=False),
        sa.Column("target_term", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('approved', 'proposed', 'forbidden')", name=op.f("ck_glossary_term_status_known")
        ),
        sa.CheckConstraint("length(source_term) > 0", name=op.f("ck_glossary_term_source_not_empty")),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["curriculum_module.id"],
            name=op.f("fk_glossary_term_module_id_curriculum_module"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_glossary_term_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_term")),
    )
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_glossary_term_language"), ["language"], unique=False)
        batch_op.create_index(batch_op.f("ix_glossary_term_module_id"), ["module_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_glossary_term_updated_by_id"), ["updated_by_id"], unique=False)

    op.create_table(
        "translation_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("is_conflict", sa.Boolean(), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'accepted', 'rejected')", name=op.f("ck_translation_suggestion_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_translation_suggestion_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_translation_suggestion_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entry.id"],
            name=op.f("fk_translation_suggestion_entry_id_catalog_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_suggestion")),
    )
    with op.batch_alter_table("translation_suggestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_translation_suggestion_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_translation_suggestion_decided_by_id"), ["decided_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_translation_suggestion_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("catalog_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("words", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("language_setting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_mode", sa.String(length=16), nullable=False, server_default="direct")
        )

    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("changed_at_revision", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("dismissed", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("check_count", sa.Integer(), nullable=False, server_default="0"))

    # Fill the new search columns of rows that existed before this revision.
    connection = op.get_bind()
    entries = sa.table(
        "catalog_entry",
        sa.column("id"),
        sa.column("msgid"),
        sa.column("msgid_plural"),
        sa.column("search_text"),
        sa.column("words"),
    )
    for row in connection.execute(sa.select(entries.c.id, entries.c.msgid, entries.c.msgid_plural)).all():
        source = row.msgid + " " + (row.msgid_plural or "")
        connection.execute(
            entries.update()
            .where(entries.c.id == row.id)
            .values(search_text=_fold(source), words=len(re.findall(r"\w+", row.msgid)))
        )
    translations = sa.table("translation", sa.column("id"), sa.column("forms"), sa.column("search_text"))
    for row in connection.execute(sa.select(translations.c.id, translations.c.forms)).all():
        forms = row.forms if isinstance(row.forms, list) else json.loads(row.forms or "[]")
        connection.execute(
            translations.update()
            .where(translations.c.id == row.id)
            .values(search_text=_fold(" ".join(forms)))
        )


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def downgrade():
    with op.batch_alter_table("translation", schema=None) as batch_op:
        batch_op.drop_column("check_count")
        batch_op.drop_column("dismissed")
        batch_op.drop_column("warnings")
        batch_op.drop_column("search_text")
        batch_op.drop_column("changed_at_revision")

    with op.batch_alter_table("language_setting", schema=None) as batch_op:
        batch_op.drop_column("review_mode")

    with op.batch_alter_table("catalog_entry", schema=None) as batch_op:
        batch_op.drop_column("words")
        batch_op.drop_column("search_text")

    with op.batch_alter_table("translation_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_translation_suggestion_entry_id"))
        batch_op.drop_index(batch_op.f("ix_translation_suggestion_decided_by_id"))
        batch_op.drop_index(batch_op.f("ix_translation_suggestion_author_id"))

    op.drop_table("translation_suggestion")
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_glossary_term_updated_by_id"))
        batch_op.drop_index(batch_op.f("ix_glossary_term_module_id"))
        batch_op.drop_index(batch_op.f("ix_glossary_term_language"))

    op.drop_table("glossary_term")
