"""Training workshops for Awajún coffee-growing families: curriculum, materials, attendance."""

import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from . import chrome
from .config import Defaults, apply_environment, ensure_secret_key
from .core.backup import create_private_sqlite_file
from .core.busy import Flask
from .core.clock import zone_named
from .core.paths import MIGRATIONS_DIR
from .extensions import csrf, db, login_manager, migrate


def create_app(config=None):
    """Create and configure the application."""
    app = _configured_app(dict(config or {}))
    from .core import compression, errors

    # First of all: a request for a host not in TRUSTED_HOSTS is refused before
    # anything else (the CSRF check, the login) looks at it.
    app.before_request(errors.refuse_untrusted_host)
    # Registered first so that it runs last, on the finished response.
    compression.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    _install_hooks(app)
    chrome.init_app(app)

    from .cli import register_commands

    register_commands(app)
    _set_up_database(app)
    return app


def _configured_app(config):
    """Make the Flask app with its settings: defaults, instance/config.py, environment, then `config`."""
    # None lets Flask choose: <checkout>/instance when run from a checkout (or an
    # editable install), <venv>/var/workshops-instance for an installed wheel.
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get("WORKSHOPS_INSTANCE_PATH") or None
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    apply_environment(app.config)
    if config:
        app.config.from_mapping(config)
    zone_named(app.config.get("PROGRAM_TIMEZONE"))  # a misspelt zone stops the start, not a request
    # Personal data lives here (the SQLite database, backups): only the app's own user may enter.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", "sqlite:///" + str(Path(app.instance_path) / "workshops.sqlite")
    )
    create_private_sqlite_file(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config[
        "SQLALCHEMY_ENGINE_OPTIONS"
    ] is (Defaults.SQLALCHEMY_ENGINE_OPTIONS):
        # A SQLite "connection" is a file this process opened: it cannot drop, and the ping
        # before each request's first query would cost a round trip on every signed-in page.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    # PostgreSQL may serve several app servers, each with its own instance folder:
    # their key is kept in the database instead (_set_up_database, once the schema exists).
    if not _shared_database(app):
        ensure_secret_key(app.config, app.instance_path)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _shared_database(app):
    """Tell whether the database may be shared by several app servers (PostgreSQL)."""
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"


def _init_extensions(app):
    """Bind the extensions, the store-backed gettext and every model's table to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    i18n.init_app(app)

    # Import every model so Alembic and the metadata see all tables.
    from . import languages as _languages  # noqa: F401
    from .attendance import merges as _attendance_merges  # noqa: F401 (follows person merges)
    from .attendance import models as _attendance_models  # noqa: F401
    from .attendance import person_data as _attendance_person_data  # noqa: F401 (exports, anonymisation)
    from .catalog import models as _catalog_models  # noqa: F401
    from .catalog import recordings as _catalog_recordings  # noqa: F401
    from .core import audit as _audit  # noqa: F401
    from .core import models as _core_models  # noqa: F401
    from .field import models as _field_models  # noqa: F401
    from .field import person_data as _field_person_data  # noqa: F401 (exports, anonymisation)
    from .materials import models as _materials_models  # noqa: F401
    from .people import models as _people_models  # noqa: F401


def _register_blueprints(app):
    """Register every feature's pages."""
    from .attendance import edit_routes as _session_edits  # noqa: F401 (adds routes to session_routes.bp)
    from .attendance import review_routes
    from .attendance import routes as session_routes
    from .attendance import sentences as _session_sentences  # noqa: F401 (audit sentences)
    from .auth import admin_routes
    from .auth import routes as auth_routes
    from .curriculum import routes as curriculum_routes
    from .field import routes as field_routes
    from .field import sentences as _field_sentences  # noqa: F401 (audit sentences)
    from .materials import routes as materials_routes
    from .people import partners as _people_partners  # noqa: F401 (adds routes to people_routes.bp)
    from .people import rights_routes as _people_rights  # noqa: F401 (adds routes to people_routes.bp)
    from .people import routes as people_routes
    from .people import tools_routes as _people_tools  # noqa: F401 (adds routes to people_routes.bp)
    from .reports import routes as report_routes
    from .translate import glossary_routes, memory_routes, offline_routes, workspace_routes
    from .translate import routes as language_routes
    from .voice import listen as _voice_listen  # noqa: F401 (adds routes to voice_routes.bp)
    from .voice import routes as voice_routes

    for blueprint in (
        auth_routes.bp,
        admin_routes.bp,
        curriculum_routes.bp,
        language_routes.bp,
        workspace_routes.bp,
        offline_routes.bp,
        memory_routes.bp,
        glossary_routes.bp,
        materials_routes.bp,
        people_routes.bp,
        session_routes.bp,
        review_routes.bp,
        report_routes.bp,
        field_routes.bp,
        voice_routes.bp,
    ):
        app.register_blueprint(blueprint)


def _install_hooks(app):
    """Error pages, the access check on every request, security and cache headers on every response."""
    from .core import access, caching, errors, headers

    errors.init_app(app)
    app.before_request(access.enforce_access)
    app.before_request(errors.refuse_nul_characters)
    app.after_request(headers.security_headers)
    caching.init_app(app)


def _set_up_database(app):
    """Migrate and load the curriculum and catalogs (unless the command must not), then find the key."""
    if app.config["AUTO_SETUP"] and _cli_command() not in COMMANDS_WITHOUT_SETUP:
        from .setup import initialize_database

        with app.app_context():
            try:
                initialize_database()
            except Exception:
                db.engine.dispose()  # close connections before giving up
                raise
    if not app.config.get("SECRET_KEY"):
        from .core.services import shared_secret_key

        with app.app_context():
            app.config["SECRET_KEY"] = shared_secret_key()
        if app.config["SECRET_KEY"] is None and _cli_command() not in COMMANDS_WITHOUT_SETUP:
            app.logger.warning(
                "SECRET_KEY is not set and the database has no schema yet: nobody can sign in "
                "until the app is started again after `flask db upgrade` (or `flask init`)."
            )


# `flask curriculum check` must work on a broken curriculum and `flask db`
# must be able to repair a broken schema, so neither sets the database up;
# `backup` copies the database as it is and `restore` replaces it, so neither migrates it.
# Asking any command for its --help must not touch the database either.
COMMANDS_WITHOUT_SETUP = {"curriculum", "db", "routes", "shell", "backup", "restore", "--help"}
# (`translate extract` reads only files, but the other translate commands need the store.)
_FLASK_OPTIONS_WITH_VALUE = {"--app", "-A", "--env-file", "-e"}


def _cli_command():
    """Return the `flask` sub-command being run ("--help" when help is asked), or None outside the CLI."""
    if click.get_current_context(silent=True) is None:
        return None
    if "--help" in sys.argv[1:]:
        return "--help"
    args = iter(sys.argv[1:])
    for arg in args:
        if arg in _FLASK_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None
