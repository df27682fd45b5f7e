"""Accounts: creation, first administrator, lookup for login."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..core.models import AppState
from ..extensions import db, login_manager
from .models import User

SETUP_DONE_KEY = "setup_done"


class DuplicateUsername(Exception):
    """The username is taken."""


class SetupAlreadyDone(Exception):
    """The first administrator exists already."""


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
    """Add a user (not committed); raise DuplicateUsername if the name is taken."""
    if username_taken(username):
        raise DuplicateUsername(username)
    user = User(username=normalise_username(username), display_name=display_name.strip())
    user.set_password(password)
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


@login_manager.user_loader
def load_user(session_id):
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # Every signed-in request runs this: one query, the roles joined in.
    user = db.session.get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or user.session_version != int(version) or not user.is_enabled:
        return None
    return user
