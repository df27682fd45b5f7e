"""Login throttling: too many failed logins for an account or from an address wait a while.

Failures are rows in the database (LoginFailure), so every worker process
and server counts the same failures. A refused attempt is not recorded and
its password is never checked; a successful login clears the account's
failures (not the address's: one good password must not reset a guessing
run against other accounts from the same place).
"""

import math
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db, utcnow
from .models import LoginFailure
from .services import normalise_username


def _account(username):
    return normalise_username(username or "")[:64]


def _address(address):
    return (address or "unknown")[:64]


def _window():
    return timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def _aware(moment):
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _wait_for(column, key, limit, now):
    """Seconds until `key` has fewer than `limit` failures in the window (0: not blocked)."""
    if limit <= 0:  # 0 turns this check off
        return 0
    times = db.session.scalars(
        select(LoginFailure.failed_at)
        .where(column == key, LoginFailure.failed_at > now - _window())
        .order_by(LoginFailure.failed_at.desc())
    ).all()
    if len(times) < limit:
        return 0
    # Blocked until the limit-th most recent failure leaves the window.
    freed_at = _aware(times[limit - 1]) + _window()
    return max((freed_at - now).total_seconds(), 1)


def minutes_to_wait(username, address):
    """Whole minutes this login must wait, or 0 when it may go ahead."""
    config = current_app.config
    now = utcnow()
    seconds = max(
        _wait_for(LoginFailure.account, _account(username), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], now),
        _wait_for(LoginFailure.address, _address(address), config["LOGIN_MAX_FAILURES_PER_ADDRESS"], now),
    )
    return math.ceil(seconds / 60)


def record_failure(username, address):
    """Count a failed login (not committed); forget failures older than the window."""
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - _window()))
    db.session.add(LoginFailure(account=_account(username), address=_address(address), failed_at=now))


def clear_account(username):
    """Forget the failures of an account after it logged in (not committed)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.account == _account(username)))
