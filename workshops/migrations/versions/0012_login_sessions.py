"""Login sessions on the server; session_version goes

A login is now a row (auth/models.py, LoginSession) that signing out deletes,
on every app server at once; the per-user session_version it replaces is
dropped. Every browser signed in before the upgrade has to sign in again.

Revision ID: 0012_login_sessions
Revises: 0011_attachment_content
Create Date: 2026-12-06 00:39:07.272455

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_login_sessions"
down_revision = "0011_attachment_content"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_login_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)

    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch: a batch
    # rebuilds user_account, and dropping the old table with foreign keys on
    # would delete or null every row that refers to a user.
    op.drop_column("user_account", "session_version")


def downgrade():
    op.add_column(
        "user_account", sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
    )

    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_login_session_expires_at"))

    op.drop_table("login_session")
