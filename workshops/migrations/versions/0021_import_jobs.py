"""Import jobs: large CSV imports and .po uploads queued in the database with their input

Revision ID: 0021_import_jobs
Revises: 0018_field_conflicts
Create Date: 2026-12-06 07:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021_import_jobs"
down_revision = "0018_field_conflicts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=12), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_import_job_state")
        ),
        sa.CheckConstraint("kind IN ('people_csv', 'po_upload')", name=op.f("ck_import_job_kind")),
        sa.CheckConstraint(
            "processed >= 0 AND total >= 0 AND processed <= total", name=op.f("ck_import_job_progress")
        ),
        sa.CheckConstraint("length(content) <= 8388608", name=op.f("ck_import_job_content_size")),
        sa.CheckConstraint("error IN ('', 'refused', 'failed')", name=op.f("ck_import_job_error_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_import_job_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
    )
    op.create_index(op.f("ix_import_job_state"), "import_job", ["state"], unique=False)
    op.create_index(op.f("ix_import_job_user_id"), "import_job", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_import_job_user_id"), table_name="import_job")
    op.drop_index(op.f("ix_import_job_state"), table_name="import_job")
    op.drop_table("import_job")
