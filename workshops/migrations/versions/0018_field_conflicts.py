"""Field conflicts: one open per person and session, superseded ones kept, the remark the device saw

A device's later value for the same person and session replaces its earlier open
conflict (resolution "superseded", kept so that the record's id still answers
"already applied"); a partial unique index keeps at most one open conflict per
(session, person). base_remark is the remark the device last saw from the server
(NULL from devices that do not send it).

Revision ID: 0018_field_conflicts
Revises: 0020_print_jobs
Create Date: 2026-12-06 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_field_conflicts"
down_revision = "0020_print_jobs"
branch_labels = None
depends_on = None

CHECK = "ck_field_submission_resolution_known"
INDEX = "uq_field_submission_open_conflict"
OPEN = "outcome = 'conflict' AND resolution IS NULL"


def upgrade():
    # field_submission is a leaf (no row refers to it): rebuilding it on SQLite loses nothing.
    with op.batch_alter_table("field_submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_remark", sa.Text(), nullable=True))
        batch_op.alter_column(
            "resolution",
            existing_type=sa.String(length=8),
            type_=sa.String(length=12),
            existing_nullable=True,
        )
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(CHECK), sa.text("resolution IS NULL OR resolution IN ('device', 'server', 'superseded')")
        )
    # Before the index: of the open conflicts of one (session, person), the newest stays open.
    op.execute(
        "UPDATE field_submission SET resolution = 'superseded' "
        "WHERE outcome = 'conflict' AND resolution IS NULL AND id < ("
        "SELECT MAX(f.id) FROM field_submission f WHERE f.session_id = field_submission.session_id "
        "AND f.person_id = field_submission.person_id AND f.outcome = 'conflict' AND f.resolution IS NULL)"
    )
    op.create_index(
        INDEX,
        "field_submission",
        ["session_id", "person_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index(INDEX, table_name="field_submission")
    op.execute("UPDATE field_submission SET resolution = 'server' WHERE resolution = 'superseded'")
    with op.batch_alter_table("field_submission", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(CHECK), sa.text("resolution IS NULL OR resolution IN ('device', 'server')")
        )
        batch_op.alter_column(
            "resolution",
            existing_type=sa.String(length=12),
            type_=sa.String(length=8),
            existing_nullable=True,
        )
        batch_op.drop_column("base_remark")
