"""Translation credit and memory: who reviewed each text; propagation per language

The author of a text (updated_by_id, history author_id) is always the person
who wrote it; reviewed_by_id is the reviewer who approved it or accepted it
from a suggestion. language_setting.propagate: reviewers let a saved text be
suggested to every entry with the same source. glossary_term.key_term_uid: a
term seeded from the curriculum's key terms, kept in step with them.

Revision ID: 0019_translation_memory
Revises: 0016_personal_data_rights
Create Date: 2026-12-06 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_translation_memory"
down_revision = "0016_personal_data_rights"
branch_labels = None
depends_on = None

TABLES = ("translation", "translation_history")


def upgrade():
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_term_uid", sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f("ix_glossary_term_key_term_uid"), ["key_term_uid"], unique=False)
    op.add_column(
        "language_setting",
        sa.Column("propagate", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_reviewed_by_id"), ["reviewed_by_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_reviewed_by_id_user_account"),
                "user_account",
                ["reviewed_by_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade():
    with op.batch_alter_table("glossary_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_glossary_term_key_term_uid"))
        batch_op.drop_column("key_term_uid")
    with op.batch_alter_table("language_setting", schema=None) as batch_op:
        batch_op.drop_column("propagate")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_reviewed_by_id_user_account"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_reviewed_by_id"))
            batch_op.drop_column("reviewed_by_id")
