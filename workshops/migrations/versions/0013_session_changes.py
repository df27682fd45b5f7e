"""Sessions can be changed: cancelled and postponed states, a reason, a details revision, history

A session's date, time, module, venue and team may be corrected (each change a
session_change row), and a session may be cancelled or postponed with a reason
(kept, never counted as held). details_revision lets two coordinators editing
one session at once see each other's change instead of overwriting it.

Revision ID: 0013_session_changes
Revises: 0012_login_sessions
Create Date: 2026-12-06 01:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_session_changes"
down_revision = "0012_login_sessions"
branch_labels = None
depends_on = None

OLD_STATES = "status IN ('planned', 'held', 'entered', 'checked')"
NEW_STATES = "status IN ('planned', 'held', 'entered', 'checked', 'cancelled', 'postponed')"


def upgrade():
    op.create_table(
        "session_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_session_change_changed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["workshop_session.id"],
            name=op.f("fk_session_change_session_id_workshop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_change")),
    )
    with op.batch_alter_table("session_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_change_changed_by_id"), ["changed_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_change_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("workshop_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("details_revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint(batch_op.f("ck_workshop_session_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_workshop_session_status_known"), sa.text(NEW_STATES))


def downgrade():
    # A cancelled or postponed session goes back to planned: the older schema has no such state.
    op.execute("UPDATE workshop_session SET status = 'planned' WHERE status IN ('cancelled', 'postponed')")
    with op.batch_alter_table("workshop_session", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_workshop_session_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_workshop_session_status_known"), sa.text(OLD_STATES))
        batch_op.drop_column("details_revision")
        batch_op.drop_column("status_reason")

    with op.batch_alter_table("session_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_change_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_change_changed_by_id"))

    op.drop_table("session_change")
