"""Login throttle: failed logins per account and address

Revision ID: 0009_login_throttle
Revises: 0008_report_indexes
Create Date: 2026-11-28 00:12:43.844019

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_login_throttle"
down_revision = "0008_report_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_account_failed_at", ["account", "failed_at"], unique=False)
        batch_op.create_index("ix_login_failure_address_failed_at", ["address", "failed_at"], unique=False)
        batch_op.create_index("ix_login_failure_failed_at", ["failed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_failed_at")
        batch_op.drop_index("ix_login_failure_address_failed_at")
        batch_op.drop_index("ix_login_failure_account_failed_at")

    op.drop_table("login_failure")
