"""Flask extensions, created once and bound to the app in create_app()."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# A naming convention gives every constraint a stable name, so Alembic
# migrations can refer to them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow():
    """The current time with its zone: the default of every created_at-like column."""
    return datetime.now(UTC)


def one_of(column, values):
    """SQL for a CHECK constraint: the column holds one of a closed set of values."""
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


db = SQLAlchemy(model_class=Base)
# Models derive from `Model`: at run time Flask-SQLAlchemy's db.Model (made from Base,
# with its metadata), for a type checker the declared Base it is built from, since
# db.Model is an attribute mypy cannot use as a base class.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
babel = Babel()  # its gettext domain reads the translation store (i18n.init_app)
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()
