"""Signed-sheet uploads: the type is read from the content, never trusted from the name.

The bytes are stored in the database (AttachmentContent), in the same
transaction as the sheet's row: a failure anywhere before the commit leaves
neither, and every app server on the database can serve every sheet.
"""

import logging
import re
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..core import audit
from ..extensions import db
from .models import AttachmentContent, SessionAttachment

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
# Where sheets were kept before version 0011 stored them in the database.
LEGACY_FOLDER = "uploads"


class UploadRefused(Exception):
    """The file is not a JPEG, PNG or PDF, or it is too large or empty."""


def sniff(head):
    """Return (content type, extension) of a file from its first bytes, or None."""
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def save(session, stream, original_name, user):
    """Check and store an uploaded file; raise UploadRefused and store nothing on a bad file."""
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise UploadRefused("empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused("too_large")
    kind = sniff(data[:16])
    if kind is None:
        raise UploadRefused("type")
    content_type, extension = kind
    attachment = SessionAttachment(
        session_id=session.id,
        stored_name=f"{secrets.token_hex(16)}.{extension}",
        original_name=(original_name or "")[:200],
        content_type=content_type,
        size=len(data),
        uploaded_by_id=user.id,
    )
    db.session.add(attachment)
    db.session.flush()
    db.session.add(AttachmentContent(attachment_id=attachment.id, data=data))
    db.session.flush()
    audit.record(user, "upload", attachment, session=session.id, size=len(data))
    return attachment


def content_of(attachment):
    """Return the bytes of a sheet, or None when they never reached the database."""
    return db.session.scalar(
        select(AttachmentContent.data).where(AttachmentContent.attachment_id == attachment.id)
    )


def download_name(attachment):
    """Return the name to save a sheet under: the uploaded name with the extension of its real type."""
    extension = attachment.stored_name.rsplit(".", 1)[1]
    # A browser may send a full path ("C:\\fakepath\\hoja.png"): keep the last part only.
    name = re.split(r"[\\/]", attachment.original_name or "")[-1].strip()
    stem = name.rsplit(".", 1)[0].strip() if "." in name else name
    stem = "".join(character for character in stem if character.isprintable())
    return f"{stem or f'hoja-sesion-{attachment.session_id}-{attachment.id}'}.{extension}"


def move_files_into_database():
    """Move sheets still kept in instance/uploads into the database; return how many moved.

    Run at start under the setup lock, after the migrations: idempotent, so it
    also takes in the files of an old backup restored since. A file is deleted
    only after its bytes are committed; one that cannot be read, or does not
    match its row, stays where it is and is logged.
    """
    folder = Path(current_app.instance_path) / LEGACY_FOLDER
    if not folder.is_dir():
        return 0
    waiting = db.session.execute(
        select(SessionAttachment.id, SessionAttachment.stored_name, SessionAttachment.size)
        .outerjoin(AttachmentContent, AttachmentContent.attachment_id == SessionAttachment.id)
        .where(AttachmentContent.attachment_id.is_(None))
        .order_by(SessionAttachment.id)
    ).all()
    moved = 0
    for attachment_id, stored_name, size in waiting:
        path = folder / stored_name
        if not path.exists():
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            log.warning("Signed sheet %s could not be read; it stays where it is: %s", path, error)
            continue
        if len(data) != size or sniff(data[:16]) is None:
            log.warning(
                "Signed sheet %s is %d bytes, its record says %d (or it is not a JPEG, PNG or PDF); "
                "it stays where it is",
                path,
                len(data),
                size,
            )
            continue
        # One commit per file: at most one sheet (10 MB) in memory at a time.
        db.session.add(AttachmentContent(attachment_id=attachment_id, data=data))
        db.session.commit()
        path.unlink()
        moved += 1
    if moved:
        log.info("Moved %d signed sheets from %s into the database", moved, folder)
    left = [path.name for path in folder.iterdir()]
    if left:
        log.warning("%s still holds %d files that are not in the database: %s", folder, len(left), left[:10])
    else:
        folder.rmdir()
    return moved
