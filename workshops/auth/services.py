"""Accounts: creation, first administrator, lookup for login, server-side logins."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..core.models import AppState
from ..extensions import db, login_manager, utcnow
from . import passwords
from .models import LoginSession, User

SETUP_DONE_KEY = "setup_done"


class DuplicateUsername(Exception):
    """The username is taken."""


class SetupAlreadyDone(Exception):
    """The first administrator exists already."""


class WeakPassword(ValueError):
    """The new password is refused; str(error) says why, in the user's language."""


def set_password(user, password, username=None):
    """Give the user a new password (not committed); raise WeakPassword if the rules refuse it."""
    reason = passwords.problem(password, username if username is not None else user.username)
    if reason:
        raise WeakPassword(reason)
    user.set_password(password)


def normalise_username(username):
    return username.strip().lower()


def find_user(username):
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def username_taken(username, except_id=None):
    query = select(func.count()).select_from(User).where(User.username == normalise_username(username))
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) > 0


def create_user(username, display_name, password, roles):
    """Add a user (not committed); raise DuplicateUsername if the name is taken, WeakPassword."""
    if username_taken(username):
        raise DuplicateUsername(username)
    user = User(username=normalise_username(username), display_name=display_name.strip())
    set_password(user, password)
    user.set_roles(roles)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DuplicateUsername(username) from None
    return user


def create_first_admin(username, display_name, password):
    """Create the first administrator once; raise SetupAlreadyDone on a second try.

    The setup marker is a primary-key row, so when two people submit the
    form at the same moment the database lets only one of them through.
    """
    try:
        with db.session.begin_nested():
            db.session.add(AppState(key=SETUP_DONE_KEY, value="1"))
            db.session.flush()
    except IntegrityError:
        raise SetupAlreadyDone() from None
    return create_user(username, display_name, password, ["admin"])


def authenticate(username, password):
    """Return the enabled user with these credentials, or None."""
    user = find_user(username)
    if user is None:
        # Hash anyway so that an unknown name takes as long as a wrong password.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password) or not user.is_enabled:
        return None
    return user


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def remember_duration():
    """How long a "keep me signed in" login lasts: Flask-Login's REMEMBER_COOKIE_DURATION (a year)."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def start_login(user, remember):
    """Record a new login of the user and give the user object its token (not committed).

    A login without "keep me signed in" ends with the browser session, and on
    the server after PERMANENT_SESSION_LIFETIME (31 days) at the latest.
    """
    now = utcnow()
    # Expired logins are removed here, through the index on expires_at: no other clean-up job.
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    lifetime = remember_duration() if remember else current_app.permanent_session_lifetime
    db.session.add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user.id,
            remember=bool(remember),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    user.login_token = token
    return token


def end_login(token):
    """End one login (not committed): its session and remember-me cookies stop working on every server."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def end_logins(user, keep_token=None):
    """End every login of the user but the one with keep_token (not committed)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.token_hash != _digest(keep_token))
    db.session.execute(query)


@login_manager.user_loader
def load_user(token):
    """Return the enabled user of a current login, or None."""
    if not token or len(token) > 100:
        return None
    # Every signed-in request runs this: one query, the login and the roles joined in.
    user = (
        db.session.scalars(
            select(User)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(
                LoginSession.token_hash == _digest(token),
                LoginSession.expires_at > utcnow(),
                User.is_enabled.is_(True),
            )
            .options(joinedload(User.role_rows))
        )
        .unique()
        .first()
    )
    if user is not None:
        user.login_token = token
    return user
