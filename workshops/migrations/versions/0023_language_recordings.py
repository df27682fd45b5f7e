"""A language may require approved recordings before a module is ready to teach

Revision ID: 0023_language_recordings
Revises: 0022_recordings
Create Date: 2026-12-06 10:55:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_language_recordings"
down_revision = "0022_recordings"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "language_setting",
        sa.Column("require_recordings", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    with op.batch_alter_table("language_setting", schema=None) as batch_op:
        batch_op.drop_column("require_recordings")
