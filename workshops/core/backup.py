"""Backups of a SQLite installation: the database file, which holds everything, in one archive.

The database is copied with SQLite's online backup API, which reads one
consistent snapshot while the app goes on writing (WAL mode lets writers
continue meanwhile). The signed sheets are inside it (attachment_content,
since version 0011), so no uploads folder is needed.

An archive is `workshops-YYYYMMDD-HHMMSS.tar.gz` (UTC) holding
`manifest.json` (format, date, schema revision, size and SHA-256 of every
file) and `workshops.sqlite`. An installation upgraded from before 0011 may
still have files under instance/uploads that are not in the database yet
(the next start moves them in; one that cannot be read stays there): those
go into the archive as `uploads/...`, as every file did in older archives.
Restoring (restore.py) checks all of it before changing anything, then
writes the backup into the live database through SQLite (again the backup
API, in one transaction) and puts its uploads/ files, if any, where the next
start moves them into the database.

The manifest is signed: `manifest.sig`, right after `manifest.json`, holds
the HMAC-SHA256 of the manifest's bytes under a key kept outside every
archive, `instance/backup_key` (made private on the first backup). The
manifest holds the checksum of every file, so the signature covers them all:
an archive changed by someone who recomputed the checksums does not verify.
A key of its own rather than the SECRET_KEY: rotating the secret key (to end
every login) must not make the backups unreadable, and the key file can be
copied off the machine, apart from the archives.

PostgreSQL installations use pg_dump / pg_restore instead (see README).
"""

import hashlib
import hmac
import json
import os
import sqlite3
import tarfile
import tempfile
from contextlib import closing, suppress
from io import BytesIO
from pathlib import Path

import sqlalchemy as sa

from ..config import create_key_file
from ..extensions import utcnow

FORMAT = "workshops-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_FILE = "backup_key"
DATABASE = "workshops.sqlite"
UPLOADS = "uploads"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, for the operator."""


class NotSQLite(BackupError):
    """The configured database is not a SQLite file."""

    def __init__(self, url):
        self.url = url
        super().__init__(f"the database is {url.get_backend_name()}, not SQLite")


def database_path(app):
    """The SQLite file of the app; raise NotSQLite for another database."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise NotSQLite(url)
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError("an in-memory database cannot be backed up")
    path = Path(url.database)
    return path if path.is_absolute() else Path(app.instance_path) / path


def create_private_sqlite_file(app):
    """Create a new SQLite database file readable by its owner only, before SQLite opens it.

    SQLite gives the -wal and -shm files the mode of the database file, so they
    are private too. An existing file is left as it is; another database, or an
    in-memory one, is none of this function's business.
    """
    try:
        path = database_path(app)
    except BackupError:
        return
    if not path.parent.is_dir():
        return  # SQLite will say so, plainly, when the app opens it
    with suppress(FileExistsError):  # an empty file is an empty database to SQLite
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def uploads_path(app):
    """The folder of signed sheets from before 0011 not yet moved into the database."""
    return Path(app.instance_path) / UPLOADS


def key_path(app):
    return Path(app.instance_path) / KEY_FILE


def backup_key(app, create=False):
    """Return the key that signs backups, made privately on first use if `create`; None if there is none."""
    path = key_path(app)
    if create:
        create_key_file(path)
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key.encode() if key else None


def sign(key, manifest_bytes):
    """The signature of a manifest: HMAC-SHA256 under the backup key, in hex."""
    return hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()


def default_directory(app):
    return Path(app.instance_path) / "backups"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_only_uri(path):
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def schema_revision(connection):
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.Error, TypeError):
        return None


def copy_database(source, target):
    """Copy a live SQLite database into a new self-contained file; return its schema revision."""
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        try:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            healthy = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.Error as error:
            raise BackupError(f"{source} cannot be read: {error}") from None
        if not healthy:
            raise BackupError(f"{source} fails SQLite's integrity check; it was not backed up")
        revision = schema_revision(copy)
        if revision is None:
            raise BackupError(f"{source} is not a workshops database (no schema revision)")
        referenced = _sheets_not_in_database(copy)
    return revision, referenced


def _sheets_not_in_database(connection):
    """The stored names of signed sheets whose bytes are still expected in instance/uploads."""
    try:
        return {
            row[0]
            for row in connection.execute(
                "SELECT stored_name FROM session_attachment WHERE id NOT IN "
                "(SELECT attachment_id FROM attachment_content)"
            )
        }
    except sqlite3.OperationalError:
        pass  # a schema from before 0011: every sheet is a file
    try:
        return {row[0] for row in connection.execute("SELECT stored_name FROM session_attachment")}
    except sqlite3.OperationalError:  # a schema from before uploads existed
        return set()


def _upload_files(app):
    """(name in the archive, path) of every file left in the old uploads folder, in a stable order."""
    root = uploads_path(app)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".part"):
            found.append((f"{UPLOADS}/{path.relative_to(root).as_posix()}", path))
    return found


def create_backup(app, directory=None, label=""):
    """Write a backup archive into `directory` (default instance/backups); return (path, manifest)."""
    source = database_path(app)
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    directory = Path(directory) if directory else default_directory(app)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = utcnow()
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        copy = Path(work) / DATABASE
        revision, referenced = copy_database(source, copy)
        members = [(DATABASE, copy), *_upload_files(app)]
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": created.isoformat(timespec="seconds"),
            "schema_revision": revision,
            # Read by people: since 0011 the database holds the signed sheets.
            "uploads": "signed sheets are stored in workshops.sqlite; uploads/ holds only files "
            "from before version 0011 that were not moved into the database yet",
            "files": {name: {"size": path.stat().st_size, "sha256": _sha256(path)} for name, path in members},
        }
        present = {name.removeprefix(f"{UPLOADS}/") for name, _ in members}
        manifest["missing_uploads"] = sorted(referenced - present)
        archive = Path(work) / "archive.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            key = backup_key(app, create=True)
            if key is None:
                raise BackupError(f"{key_path(app)} is empty: move it away and a new key is made")
            signature = sign(key, data).encode()
            # The manifest first, its signature second: a restore checks both before it unpacks a byte.
            for name, content in ((MANIFEST, data), (SIGNATURE, signature)):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(content), int(created.timestamp()), 0o600
                tar.addfile(info, BytesIO(content))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        archive.chmod(0o600)  # personal data
        target = _link_new(archive, directory, f"workshops-{created:%Y%m%d-%H%M%S}{label}")
    return target, manifest


def _link_new(source, directory, stem):
    """Give `source` a name in `directory` that no other backup has (link() never overwrites)."""
    for attempt in range(1, 100):
        target = directory / (f"{stem}.tar.gz" if attempt == 1 else f"{stem}-{attempt}.tar.gz")
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        return target
    raise BackupError(f"too many backups named {stem} in {directory}")
