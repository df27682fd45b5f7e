"""Print jobs: long PDF builds queued in the database

Revision ID: 0020_print_jobs
Revises: 0019_translation_memory
Create Date: 2026-12-06 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_print_jobs"
down_revision = "0019_translation_memory"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "print_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_seconds", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_print_job_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_job")),
        sa.UniqueConstraint("key", name=op.f("uq_print_job_key")),
    )
    op.create_index(op.f("ix_print_job_state"), "print_job", ["state"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_print_job_state"), table_name="print_job")
    op.drop_table("print_job")
