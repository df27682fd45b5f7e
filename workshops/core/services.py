"""Bring the database up to date at start: migrations, then the curriculum."""

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from ..extensions import db

# Any fixed number: the key of the PostgreSQL advisory lock held during setup.
SETUP_LOCK_KEY = 4_151_270_031


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Turn on foreign keys and WAL for every SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reports aggregate hundreds of thousands of rows: read the file through memory
        # mapping, keep a larger page cache, and sort GROUP BY / DISTINCT in memory.
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA cache_size=-32000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _begin_before_sqlite_savepoint(connection: Connection, _name: str) -> None:
    """Open the SQLite transaction before a first SAVEPOINT, so that releasing it does not commit.

    Python's sqlite3 (before 3.12's autocommit attribute) sends BEGIN only before
    INSERT, UPDATE or DELETE. A SAVEPOINT outside a transaction starts one of its
    own, and SQLite's RELEASE of that outermost savepoint is a COMMIT: a request
    would be committed piecemeal, and an error later in it could no longer undo the
    earlier parts. IMMEDIATE because a savepoint is there to write: take the write
    lock now (waiting busy_timeout) rather than fail to upgrade a read snapshot later.
    """
    raw = connection.connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


@contextmanager
def setup_lock() -> Iterator[None]:
    """Let only one process at a time migrate and load the curriculum."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK_KEY})
                connection.commit()
    else:
        lock_path = Path(current_app.instance_path) / "setup.lock"
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
