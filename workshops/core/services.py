"""Bring the database up to date at start: migrations, the curriculum, sheets left in files."""

import fcntl
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import ConnectionPoolEntry

from ..extensions import db
from .models import AppState

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
        with os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


SIGNING_KEY_ROW = "secret_key"


def shared_secret_key() -> str | None:
    """Return the PostgreSQL database's secret key, made once; None while the schema does not exist yet.

    Every app server on the database signs sessions and CSRF tokens with it.
    Servers starting at once each offer a key; ON CONFLICT DO NOTHING keeps the
    first one committed and every server reads that one back.
    """
    offer = (
        postgresql_insert(AppState)
        .values(key=SIGNING_KEY_ROW, value=secrets.token_hex(32))
        .on_conflict_do_nothing(index_elements=[AppState.key])
    )
    try:
        with db.engine.begin() as connection:
            connection.execute(offer)
            return connection.scalar(select(AppState.value).where(AppState.key == SIGNING_KEY_ROW))
    except ProgrammingError:  # app_state is not there: `flask db upgrade` has not run yet
        return None
