"""Signed-sheet uploads: the type is read from the content, never trusted from the name."""

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app

from ..extensions import db
from ..people import services as people
from .models import SessionAttachment

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


class UploadRefused(Exception):
    """The file is not a JPEG, PNG or PDF, or it is too large or empty."""


def sniff(head):
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def upload_dir():
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    directory = upload_dir()
    fd, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, directory / stored_name)
    attachment = SessionAttachment(
        session_id=session.id,
        stored_name=stored_name,
        original_name=(original_name or "")[:200],
        content_type=content_type,
        size=len(data),
        uploaded_by_id=user.id,
    )
    db.session.add(attachment)
    db.session.flush()
    people.audit(user, "upload", attachment, session=session.id, size=len(data))
    return attachment


def path_of(attachment):
    return upload_dir() / attachment.stored_name
