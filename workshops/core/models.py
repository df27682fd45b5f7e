"""Application-wide state kept in the database."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class AppState(Model):
    """A small key/value row: curriculum hash, one-time setup marker."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
