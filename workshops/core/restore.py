"""Restoring a backup archive (see backup.py): check everything first, then replace."""

import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from ..extensions import utcnow
from .backup import (
    CHUNK,
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    UPLOADS,
    BackupError,
    backup_key,
    create_private_sqlite_file,
    database_path,
    key_path,
    read_only_uri,
    schema_revision,
    sign,
    uploads_path,
)
from .paths import MIGRATIONS_DIR

_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


@dataclass
class OpenedBackup:
    """A checked backup unpacked into a folder next to the live data."""

    path: Path
    manifest: dict
    folder: Path
    # "valid", or why it is not: "missing" (made before signing), "invalid", "no key" (none here).
    signature: str = "valid"

    @property
    def database(self):
        return self.folder / DATABASE

    @property
    def uploads(self):
        return self.folder / UPLOADS

    @property
    def upload_count(self):
        return sum(1 for name in self.manifest["files"] if name.startswith(f"{UPLOADS}/"))


def _check_name(name):
    parts = PurePosixPath(name).parts
    if name in (MANIFEST, SIGNATURE, DATABASE):
        return
    if len(parts) < 2 or parts[0] != UPLOADS or not all(_SAFE_PART.match(part) for part in parts[1:]):
        raise BackupError(f"unexpected file in the archive: {name!r}")


def _read_member(tar, member, limit):
    """Return a small member's bytes, refusing one over `limit` bytes before reading it."""
    if not member.isfile() or member.size > limit:
        raise BackupError(f"its {member.name} is not a file of at most {limit} bytes")
    return tar.extractfile(member).read(limit)


def _read_manifest(tar):
    """Read the first member, which must be the manifest; return (manifest, its bytes)."""
    member = tar.next()
    if member is None or member.name != MANIFEST:
        raise BackupError("it has no manifest.json (the first file of every backup)")
    data = _read_member(tar, member, 1024 * 1024 * 16)
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError("its manifest.json cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("its manifest.json is not a workshops backup manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"it is in backup format {manifest.get('version')}, this version reads {FORMAT_VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or DATABASE not in files:
        raise BackupError("its manifest.json lists no database")
    return manifest, data


def _signature_state(app, tar, manifest_bytes):
    """Read the member after the manifest if it is the signature; say whether it verifies."""
    member = tar.next()
    if member is None or member.name != SIGNATURE:
        return "missing"  # a backup from before signing: that member is read again by _extract
    given = _read_member(tar, member, 1024)
    key = backup_key(app)
    if key is None:
        return "no key"
    return "valid" if hmac.compare_digest(given, sign(key, manifest_bytes).encode()) else "invalid"


SIGNATURE_PROBLEMS = {
    "missing": "it is not signed (made before backups were signed, or its signature was removed)",
    "invalid": "its signature does not match its contents: it was changed after the backup was made, "
    "or made by another installation with another backup key",
    "no key": "this installation has no backup key to check its signature with",
}


def check_signature(app, state, allow_unsigned):
    """Refuse an archive whose signature does not verify, unless the operator allows it."""
    if state == "valid" or allow_unsigned:
        return
    raise BackupError(
        f"{SIGNATURE_PROBLEMS[state]}. If you trust this archive, copy the {key_path(app).name} "
        f"file of the installation that made it to {key_path(app)}, or restore with --allow-unsigned"
    )


def _expected_sizes(manifest, limit):
    """Return each listed file's size; refuse a size that is not a count of bytes, or a total over `limit`."""
    sizes = {}
    for name, entry in manifest["files"].items():
        size = entry.get("size") if isinstance(entry, dict) else None
        if type(size) is not int or size < 0:
            raise BackupError(f"its manifest gives {name} no size")
        sizes[name] = size
    total = sum(sizes.values())
    if total > limit:
        raise BackupError(
            f"its files add up to {total} bytes, over the {limit} bytes a restore takes (RESTORE_MAX_BYTES)"
        )
    return sizes


def _extract(tar, manifest, folder, limit):
    """Unpack every listed file, checked against the manifest as it is written; refuse at the first excess."""
    sizes = _expected_sizes(manifest, limit)
    seen = set()
    for member in tar:
        if member.name in (MANIFEST, SIGNATURE):
            if member.name in seen:
                raise BackupError(f"{member.name} is in the archive twice")
            seen.add(member.name)
            continue
        _check_name(member.name)
        if not member.isfile():
            raise BackupError(f"{member.name} is not a regular file")
        if member.name in seen:
            raise BackupError(f"{member.name} is in the archive twice")
        seen.add(member.name)
        if member.name not in sizes:
            raise BackupError(f"{member.name} is not listed in the manifest")
        if member.size != sizes[member.name]:
            raise BackupError(
                f"{member.name} is {member.size} bytes in the archive, the manifest says {sizes[member.name]}"
            )
        _write_member(tar, member, folder / member.name, manifest["files"][member.name])
    missing = set(manifest["files"]) - seen
    if missing:
        raise BackupError(f"files listed in the manifest are missing: {', '.join(sorted(missing))}")


def _write_member(tar, member, target, expected):
    """Write a member in chunks, stopping at the first byte beyond the manifest's size; check its checksum."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    out_fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data
    with tar.extractfile(member) as source, os.fdopen(out_fd, "wb") as out:
        while chunk := source.read(min(CHUNK, expected["size"] - size + 1)):
            size += len(chunk)
            if size > expected["size"]:
                raise BackupError(f"{member.name} is larger than the manifest says")
            digest.update(chunk)
            out.write(chunk)
    if size != expected["size"] or digest.hexdigest() != expected.get("sha256"):
        raise BackupError(f"{member.name} is damaged (its size or checksum differs from the manifest)")


def _check_database(path, manifest):
    with closing(sqlite3.connect(read_only_uri(path), uri=True)) as connection:
        try:
            healthy = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            healthy = False
        if not healthy:
            raise BackupError("its database is not a sound SQLite database")
        revision = schema_revision(connection)
    if revision is None or revision != manifest.get("schema_revision"):
        raise BackupError("its database has no schema revision, or not the one in the manifest")
    try:
        known = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"its database is at schema revision {revision}, unknown to this version of the app "
            "(made by a newer version?)"
        )


@contextmanager
def open_backup(app, path, allow_unsigned=False):
    """Check a backup archive fully and unpack it; raise BackupError and change nothing if it is not valid.

    An archive whose signature does not verify (or that has none) is refused unless
    `allow_unsigned`; the OpenedBackup's `signature` says which it was.
    """
    database_path(app)  # NotSQLite before anything else
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a backup: there is no such file")
    with tempfile.TemporaryDirectory(dir=app.instance_path, prefix=".restore-") as work:
        folder = Path(work)
        try:
            with tarfile.open(path, "r:gz") as tar:
                manifest, manifest_bytes = _read_manifest(tar)
                signature = _signature_state(app, tar, manifest_bytes)
                check_signature(app, signature, allow_unsigned)
                _extract(tar, manifest, folder, app.config["RESTORE_MAX_BYTES"])
        except BackupError as error:
            raise BackupError(f"{path} is not a valid backup: {error}") from None
        except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
            raise BackupError(
                f"{path} is not a valid backup: not a readable .tar.gz archive ({error})"
            ) from None
        (folder / UPLOADS).mkdir(mode=0o700, exist_ok=True)
        try:
            _check_database(folder / DATABASE, manifest)
        except BackupError as error:
            raise BackupError(f"{path} is not a valid backup: {error}") from None
        yield OpenedBackup(path, manifest, folder, signature)


def is_current_schema(revision):
    return revision in ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()


def restore(app, opened):
    """Replace the live database and uploads folder with an opened backup: both, or neither.

    The uploads folder is swapped first and swapped back if the database
    cannot be written. Its files (only in an archive from before 0011, or of
    sheets not moved in yet) are moved into the database at the next start.
    Return the path a damaged live database was moved to, or None.
    """
    uploads = uploads_path(app)
    replaced = opened.folder / "uploads.replaced"
    had_uploads = uploads.exists()
    try:
        if had_uploads:
            os.replace(uploads, replaced)
        os.replace(opened.uploads, uploads)
    except OSError as error:
        if replaced.exists():
            os.replace(replaced, uploads)
        raise BackupError(f"the uploads folder could not be replaced, nothing was changed: {error}") from None
    try:
        damaged = _restore_database(app, opened)
    except BaseException:
        os.replace(uploads, opened.uploads)
        if had_uploads:
            os.replace(replaced, uploads)
        raise
    shutil.rmtree(replaced, ignore_errors=True)
    if not any(uploads.iterdir()):
        uploads.rmdir()  # the usual case since 0011: the sheets are in the database
    return damaged


def _restore_database(app, opened):
    target = database_path(app)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_private_sqlite_file(app)  # restoring into an instance that has no database yet
    damaged = None
    # Through SQLite, not by replacing the file: one transaction, and the live
    # database's -wal and -shm files stay consistent with it.
    try:
        with (
            closing(sqlite3.connect(read_only_uri(opened.database), uri=True)) as source,
            closing(sqlite3.connect(target, timeout=60)) as live,
        ):
            source.backup(live)
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorcode", None) not in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            raise BackupError(f"the database could not be written, nothing was changed: {error}") from None
        # The live file is not a database any more: keep it aside and put the copy in its place.
        damaged = _set_aside(target)
        partial = target.with_name(f"{target.name}.restoring")
        shutil.copyfile(opened.database, partial)
        partial.chmod(0o600)  # personal data, as the file it replaces
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"the database could not be written, nothing was changed: {error}") from None
    return damaged


def _set_aside(target):
    """Keep a live database SQLite cannot read (and its -wal, -shm) under another name."""
    stamp = f"{utcnow():%Y%m%d-%H%M%S}"
    for suffix in ("-wal", "-shm", ""):
        path = target.with_name(target.name + suffix)
        if path.exists():
            os.replace(path, target.with_name(f"{target.name}.damaged-{stamp}{suffix}"))
    return target.with_name(f"{target.name}.damaged-{stamp}")
