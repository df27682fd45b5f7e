"""Accounts: creation, first administrator, lookup for login, server-side logins."""

import dataclasses
import functools
import hashlib
import itertools
import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import bindparam, delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..core.models import AppState
from ..core.render_cache import RenderCache
from ..extensions import db, login_manager, utcnow
from . import passwords
from .models import LoginSession, User, UserRole

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
        db.session.info["accounts_changed"] = True


def end_logins(user, keep_token=None):
    """End every login of the user but the one with keep_token (not committed)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.token_hash != _digest(keep_token))
    db.session.execute(query)
    db.session.info["accounts_changed"] = True


@functools.cache
def _current_login():
    """Return the query of a current login's user: one query, the login and the roles joined in.

    Every signed-in request runs it. Built once (on first use: the joined load needs
    every model mapped): making the statement anew cost about as much as running it.
    """
    return (
        select(User, LoginSession.expires_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token_hash == bindparam("token_hash"),
            LoginSession.expires_at > bindparam("now"),
            User.is_enabled.is_(True),
        )
        .options(joinedload(User.role_rows))
    )


@login_manager.user_loader
def load_user(token):
    """Return the enabled user of a current login, or None.

    What was read of a login is kept for SHARED_STATE_RECHECK_SECONDS (one second) and
    handed to the request's database session without a query (merge without load, as
    SQLAlchemy's caching recipes do): the signed-in pages' most common cost was this
    query. A change to accounts or logins committed through this process drops the kept
    ones at once (_note_account_changes); through another process or server it counts
    after at most that many seconds.
    """
    if not token or len(token) > 100:
        return None
    digest, now = _digest(token), utcnow()
    kept = _kept_logins().get(digest)
    fresh_for = current_app.config["SHARED_STATE_RECHECK_SECONDS"]
    if kept is not None and time.monotonic() - kept.read_at <= fresh_for and kept.expires_at > now:
        user = db.session.merge(kept.user, load=False)
    else:
        row = db.session.execute(_current_login(), {"token_hash": digest, "now": now}).unique().first()
        if row is None:
            return None
        user = row[0]
        if fresh_for > 0:
            expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
            _kept_logins().put(digest, KeptLogin(time.monotonic(), expires_at, _detached_copy(user)))
    user.login_token = token
    return user


@dataclasses.dataclass(frozen=True)
class KeptLogin:
    """A login as read from the database: when, until when it is valid, and its user (detached)."""

    read_at: float
    expires_at: datetime
    user: User


def _kept_logins():
    """Return this app's kept logins (a few hundred at most)."""
    kept = current_app.extensions.get("workshops.logins")
    if kept is None:
        kept = current_app.extensions["workshops.logins"] = RenderCache(size=512)
    return kept


def _detached_copy(user):
    """Return a copy of a loaded user and its roles that belongs to no session (for merge without load)."""
    copy = User(**{column.key: getattr(user, column.key) for column in User.__table__.columns})
    roles = [UserRole(user_id=row.user_id, role=row.role) for row in user.role_rows]
    for role in roles:
        make_transient_to_detached(role)
    set_committed_value(copy, "role_rows", roles)
    make_transient_to_detached(copy)
    return copy


def forget_kept_logins():
    """Drop the logins this process keeps: the next request of each reads its login again."""
    current_app.extensions.pop("workshops.logins", None)


@event.listens_for(Session, "after_flush")
def _note_account_changes(session, _context):
    """Mark a session that changed an account, its roles or a login (see load_user)."""
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, User | UserRole | LoginSession) for item in changed):
        session.info["accounts_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_account_changes(session):
    """Drop the kept logins once a change to accounts or logins is committed."""
    if session.info.pop("accounts_changed", False) and has_app_context():
        forget_kept_logins()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, _previous):
    session.info.pop("accounts_changed", None)
