"""Login throttling: too many failed logins for an account from one address wait a while.

Three limits, each over the same window (config.py):

- per account *and* address (5): the guessing limit. Counting an account's
  failures per address means that someone elsewhere typing wrong passwords
  for "admin" does not lock the real admin out of the office;
- per address (20): one place guessing many accounts;
- per account, whatever the address (50): a ceiling against guessing spread
  over many addresses; high enough that a few wrong tries from elsewhere
  never reach it.

Failures are rows in the database (LoginFailure), so every worker process
and server counts the same failures. A refused attempt is not recorded and
its password is never checked. A successful login clears the failures of
its account from its address only: the owner signing in must not reset a
guessing run against the account from elsewhere, nor against other
accounts from the same place.
"""

import hashlib
import math
from datetime import UTC, timedelta
from typing import NamedTuple

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
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


class Wait(NamedTuple):
    """How long a refused login waits, and whether the account-wide ceiling refused it."""

    minutes: int
    account_wide: bool


def _wait_for(conditions, limit, now):
    """Seconds until the failures matching `conditions` fall under `limit` in the window (0: not blocked)."""
    if limit <= 0:  # 0 turns this check off
        return 0
    times = db.session.scalars(
        select(LoginFailure.failed_at)
        .where(*conditions, LoginFailure.failed_at > now - _window())
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return 0
    # Blocked until the limit-th most recent failure leaves the window.
    freed_at = _aware(times[limit - 1]) + _window()
    return max((freed_at - now).total_seconds(), 1)


def wait(username, address, known_device=False):
    """Return how long this login must wait, or None when it may go ahead.

    A browser the account signed in from before (known_device: it shows the device
    cookie of that account) is not held by the account-wide ceiling: failures spread
    over many addresses by someone else do not lock the owner out of their own phone.
    The limits for this address still hold.
    """
    config = current_app.config
    now = utcnow()
    account = LoginFailure.account == _account(username)
    here = LoginFailure.address == _address(address)
    local = max(
        _wait_for([account, here], config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"], now),
        _wait_for([here], config["LOGIN_MAX_FAILURES_PER_ADDRESS"], now),
    )
    everywhere = 0 if known_device else _wait_for([account], config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], now)
    seconds = max(local, everywhere)
    if not seconds:
        return None
    return Wait(math.ceil(seconds / 60), account_wide=everywhere > local)


def record_failure(username, address):
    """Count a failed login (not committed); forget failures older than the window."""
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - _window()))
    db.session.add(LoginFailure(account=_account(username), address=_address(address), failed_at=now))


def forget_failures(username, address):
    """Forget the failures of an account from this address after it logged in there (not committed)."""
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.account == _account(username), LoginFailure.address == _address(address)
        )
    )


# --- Device cookies (OWASP's "slow down online guessing attacks with device cookies") -------------

DEVICE_COOKIE = "workshops_device"
DEVICE_COOKIE_DAYS = 365


def _device_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="login-device")


def _fingerprint(username):
    # A hash, not the name: the cookie does not tell the next user of a shared phone who was here.
    return hashlib.sha256(_account(username).encode()).hexdigest()[:32]


def device_cookie(username):
    """The value of the cookie that marks this browser as one the account signed in from."""
    return _device_serializer().dumps({"account": _fingerprint(username)})


def is_known_device(cookie, username):
    """Whether the device cookie was given to this account by a successful login here."""
    if not cookie:
        return False
    try:
        data = _device_serializer().loads(cookie, max_age=DEVICE_COOKIE_DAYS * 86400)
    except BadData:
        return False
    return isinstance(data, dict) and data.get("account") == _fingerprint(username)
