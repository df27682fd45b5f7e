"""Attachment content: the bytes of signed sheets in the database

The files under instance/uploads are moved in at start, under the setup lock
(attendance/uploads.py, move_files_into_database), not here: a file that
cannot be read then stays where it is and is tried again at the next start,
and the files of an old backup restored later are taken in the same way.

Revision ID: 0011_attachment_content
Revises: 0010_field_submissions
Create Date: 2026-12-06 00:33:13.532611

"""

import os
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = "0011_attachment_content"
down_revision = "0010_field_submissions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachment_content",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["session_attachment.id"],
            name=op.f("fk_attachment_content_attachment_id_session_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_attachment_content")),
    )


def downgrade():
    # The older version reads sheets from instance/uploads: write them back there first.
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    rows = op.get_bind().execute(
        sa.text(
            "SELECT a.stored_name, c.data FROM attachment_content c "
            "JOIN session_attachment a ON a.id = c.attachment_id"
        )
    )
    for stored_name, data in rows:
        fd = os.open(folder / stored_name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    op.drop_table("attachment_content")
