"""Personal data rights: anonymised persons and their birth year range

A person whose data was erased at their request (Peru's Law 29733) keeps a row
with a neutral name, their sex, community and attendance: anonymised_at says
when, and birth_year..birth_year_to is the range that replaced the exact year.

Revision ID: 0016_personal_data_rights
Revises: 0014_person_changes
Create Date: 2026-12-10 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_personal_data_rights"
down_revision = "0014_person_changes"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch): rebuilding person would touch every row that refers to it.
    op.add_column("person", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("person", sa.Column("birth_year_to", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("person", "birth_year_to")
    op.drop_column("person", "anonymised_at")
