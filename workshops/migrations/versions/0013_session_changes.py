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
CHECK = "ck_workshop_session_status_known"


def _replace_states_check(old, new):
    """Give workshop_session's status CHECK constraint another list of states.

    On SQLite without rebuilding the table: a batch rebuild drops workshop_session,
    and with foreign keys on (as the app's start-up runs migrations) dropping it
    deletes every attendance record, team member and signed sheet of every session
    (ON DELETE CASCADE). SQLite's own procedure for changing a CHECK constraint
    (https://www.sqlite.org/lang_altertable.html, "otheralter") edits the stored
    CREATE TABLE text instead; the new list only adds states, so every row still
    satisfies it.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK), "workshop_session", type_="check")
        op.create_check_constraint(op.f(CHECK), "workshop_session", sa.text(new))
        return
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'workshop_session'"
    ).scalar_one()
    if f"CHECK ({old})" not in table_sql:
        raise RuntimeError(f"workshop_session has no CHECK ({old}) to replace: {table_sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'workshop_session'",
        (table_sql.replace(f"CHECK ({old})", f"CHECK ({new})"),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


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

    # Plain ALTER TABLE, not a batch: see _replace_states_check.
    op.add_column(
        "workshop_session", sa.Column("status_reason", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "workshop_session", sa.Column("details_revision", sa.Integer(), nullable=False, server_default="0")
    )
    _replace_states_check(OLD_STATES, NEW_STATES)


def downgrade():
    # A cancelled or postponed session goes back to planned: the older schema has no such state.
    op.execute("UPDATE workshop_session SET status = 'planned' WHERE status IN ('cancelled', 'postponed')")
    _replace_states_check(NEW_STATES, OLD_STATES)
    op.drop_column("workshop_session", "details_revision")
    op.drop_column("workshop_session", "status_reason")

    with op.batch_alter_table("session_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_change_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_change_changed_by_id"))

    op.drop_table("session_change")
