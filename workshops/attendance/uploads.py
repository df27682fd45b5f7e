"""Signed-sheet uploads: the type is read from the content, never trusted from the name."""

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import event

from ..core import audit
from ..extensions import db
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
    _write(upload_dir() / stored_name, data)
    audit.record(user, "upload", attachment, session=session.id, size=len(data))
    return attachment


def _write(path, data):
    """Write a file that belongs to the current transaction: it is removed if that is rolled back."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, path))


# Files written in a transaction that is not committed yet: [(transaction, path)].
_PENDING = "uploads_pending"


def _within(transaction, ended):
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _remove(session, ended):
    pending = session.info.get(_PENDING)
    if not pending:
        return
    for transaction, path in [item for item in pending if _within(item[0], ended)]:
        path.unlink(missing_ok=True)
        pending.remove((transaction, path))


@event.listens_for(db.session, "after_commit")
def _keep_committed_files(session):
    if session.get_nested_transaction() is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


@event.listens_for(db.session, "after_soft_rollback")
def _remove_rolled_back_files(session, previous_transaction):
    _remove(session, previous_transaction)


@event.listens_for(db.session, "after_transaction_end")
def _remove_uncommitted_files(session, transaction):
    if transaction.parent is None:  # closed without a commit (a commit has emptied the list)
        _remove(session, transaction)


def path_of(attachment):
    return upload_dir() / attachment.stored_name
