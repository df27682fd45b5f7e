"""Recordings: curriculum texts read aloud, take by take, with their audio in the database

Revision ID: 0022_recordings
Revises: 0021_import_jobs
Create Date: 2026-12-06 07:24:23.146042

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_recordings"
down_revision = "0021_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=200), nullable=False),
        sa.Column("module_slug", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("take", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state <> 'rejected' OR reason <> ''", name=op.f("ck_recording_rejection_has_reason")
        ),
        sa.CheckConstraint(
            "state IN ('recorded', 'approved', 'rejected', 'needs_rerecording')",
            name=op.f("ck_recording_state_known"),
        ),
        sa.CheckConstraint("duration_ms > 0", name=op.f("ck_recording_duration_positive")),
        sa.CheckConstraint(
            "length(source_hash) = 64 AND length(sha256) = 64", name=op.f("ck_recording_hashes_complete")
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_recording_size_positive")),
        sa.CheckConstraint("take >= 1", name=op.f("ck_recording_take_positive")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_recording_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_recording_reviewed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
        sa.UniqueConstraint("context", "language", "take", name=op.f("uq_recording_context_language_take")),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recording_reviewed_by_id"), ["reviewed_by_id"], unique=False)
        batch_op.create_index("ix_recording_language_state", ["language", "state"], unique=False)
        batch_op.create_index("ix_recording_module_slug_state", ["module_slug", "state"], unique=False)
        # At most one current take per text and language.
        batch_op.create_index(
            "uq_recording_current",
            ["context", "language"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "recording_audio",
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_recording_audio_recording_id_recording"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_recording_audio")),
    )


def downgrade():
    op.drop_table("recording_audio")
    op.drop_table("recording")
