"""User accounts and their roles."""

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import Model, utcnow

ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (CheckConstraint("length(username) > 0", name="username_not_empty"),)

    # The token of the login this object was loaded through (auth/services.py): what
    # Flask-Login puts in the session and remember-me cookies. Not a column.
    login_token = None

    @property
    def roles(self):
        return {row.role for row in self.role_rows}

    def set_roles(self, roles):
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role))

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))

    def set_password(self, password):
        # Werkzeug's default (scrypt) unless PASSWORD_HASH_METHOD says otherwise; old hashes
        # keep working whatever the setting, since each names its own method.
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return self.is_enabled

    def get_id(self):
        """Return the login token the cookies carry (set by services.start_login or load_user)."""
        return self.login_token


class UserRole(Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (
        CheckConstraint("role IN ({})".format(", ".join(f"'{role}'" for role in ROLES)), name="role_known"),
    )


class LoginSession(Model):
    """One signed-in browser, on the server: its cookies carry a random token, this row its hash.

    Kept in the database so that every app server sees the same logins: deleting
    the row signs that browser out everywhere at once, session cookie and
    remember-me cookie alike (both carry the same token).
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token: a copy of the database does not let anyone sign in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    remember: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True, nullable=False)


class LoginFailure(Model):
    """One failed login, kept for the throttling window (see auth/throttle.py).

    A row per failure rather than a counter, so that several worker processes
    count together through the database and old failures simply age out.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The username as typed and normalised, whether or not such an account exists.
    account: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_login_failure_account_failed_at", "account", "failed_at"),
        Index("ix_login_failure_address_failed_at", "address", "failed_at"),
        Index("ix_login_failure_failed_at", "failed_at"),
    )
