"""Locale selection and gettext helpers for the interface."""

from flask_babel import lazy_gettext as _l  # noqa: F401  (re-exported for modules)

from .extensions import babel


def select_locale():
    """Return the formatting locale for this request."""
    return "es"


def init_app(app):
    from . import PROJECT_ROOT

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(PROJECT_ROOT / "translations"),
        default_domain="messages",
    )
