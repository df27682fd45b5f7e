"""Who may open which view: every view declares a rule, the rest is denied.

`before_request` looks up the rule of the matched endpoint; a view without
one is refused with 403 (and tests/test_access.py fails), so a new route can
never be open by accident.
"""

from flask import abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db, login_manager

PUBLIC = "public"  # anyone, also anonymous (login, setup, error pages)
SIGNED_IN = "signed-in"  # any logged-in user, whatever the role
SETUP_DONE_KEY = "setup_done"


def public(view):
    """Let anyone open this view."""
    view.access_rule = PUBLIC
    return view


def signed_in(view):
    """Let any logged-in user open this view."""
    view.access_rule = SIGNED_IN
    return view


def roles(*allowed):
    """Let users holding at least one of these roles open this view."""

    def decorate(view):
        view.access_rule = frozenset(allowed)
        return view

    return decorate


def setup_done():
    """Tell whether the first administrator exists (cached once true)."""
    if current_app.extensions.get("workshops.setup_done"):
        return True
    from .models import AppState

    done = db.session.get(AppState, SETUP_DONE_KEY) is not None
    if done:
        current_app.extensions["workshops.setup_done"] = True
    return done


def enforce_access():
    """Refuse the request unless the endpoint's rule lets the current user in."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None
    if not setup_done() and endpoint != "auth.setup":
        return redirect(url_for("auth.setup"))
    view = current_app.view_functions[endpoint]
    rule = getattr(view, "access_rule", None)
    if rule is None:
        current_app.logger.error("View %s has no access rule; refused", endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            from .errors import render_error

            return render_error(
                401, message=_("Inicie sesión de nuevo; lo guardado en el dispositivo se conserva.")
            )
        return login_manager.unauthorized()
    if rule == SIGNED_IN or current_user.has_role(*rule):
        return None
    abort(403)
