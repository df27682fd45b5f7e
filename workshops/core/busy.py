"""A busy database is retried, never shown as a server error.

SQLite lets one writer at a time. `PRAGMA busy_timeout` (core/services.py)
makes a writer wait for the lock, but some collisions cannot be waited out:
a transaction that read before writing fails at once with "database is
locked" when another process committed meanwhile, and a wait can run past
the timeout. PostgreSQL has the same kind of transient failure (deadlock,
serialization failure, lock timeout). For all of these the whole unit of
work, the view with its single commit, is rolled back and run again; only
when every attempt finds the database busy does the person get a 503 with
Retry-After and a plain message (errors.py), with nothing saved.
"""

import random
import sqlite3
import time

import flask
from flask import request, session
from sqlalchemy.exc import DBAPIError

from ..extensions import db

ATTEMPTS = 3
# SQLite result codes SQLITE_BUSY and SQLITE_LOCKED.
SQLITE_BUSY_CODES = {5, 6}
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
POSTGRES_BUSY_STATES = {"40001", "40P01", "55P03"}


def is_busy(error):
    """Is this error a transient "database busy" that a fresh attempt can get past?"""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        code = getattr(original, "sqlite_errorcode", None)
        return (code & 0xFF) in SQLITE_BUSY_CODES if code is not None else "locked" in str(original)
    return getattr(original, "sqlstate", None) in POSTGRES_BUSY_STATES


class Flask(flask.Flask):
    """Flask that runs a view again when the database was busy."""

    def dispatch_request(self):
        flashes = list(session.get("_flashes", [])) if "_flashes" in session else None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return super().dispatch_request()
            except DBAPIError as error:
                # An uploaded file may have been read and closed: such a request is not run again.
                if attempt == ATTEMPTS or not is_busy(error) or request.files:
                    raise
                self.logger.warning("Database busy (attempt %s of %s): %s", attempt, ATTEMPTS, error.orig)
                db.session.rollback()
                _reset_request(flashes)
                time.sleep(0.05 * 2**attempt * (1 + random.random()))  # noqa: S311 (jitter, not security)
        raise AssertionError("unreachable")


def _reset_request(flashes):
    """Drop the messages a failed attempt flashed."""
    if flashes is None:
        session.pop("_flashes", None)
    else:
        session["_flashes"] = flashes
