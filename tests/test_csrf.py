"""CSRF: every state-changing route, read from the URL map, refuses a request without a valid token.

A route added later with POST, PUT, PATCH or DELETE is checked automatically. A route
that does not refuse a missing token fails the test unless it is in CSRF_EXEMPT below
with the reason (there is none: even the JSON API uses the login session, so it needs
the token in the X-CSRFToken header).
"""

import re

import pytest

from workshops.extensions import csrf

from .conftest import TEST_PASSWORD
from .urlmap import (
    EXTRA_ARGUMENTS,
    STATE_CHANGING,
    build_path,
    changed_tables,
    database_state,
    reflect_tables,
    sample_values,
    send_without_form,
    state_changing_rules,
)

# endpoint -> why a forged request cannot harm (must stay empty unless truly justified).
CSRF_EXEMPT = {}
ALL_ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")
TOKEN_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_TITLE = "Formulario vencido"
CSRF_MESSAGE = "código de seguridad"


def _login(app, username):
    """Log in through the login form, with the token the login page gives; return client and a fresh token."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN_FIELD.search(page).group(1)
    response = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # A login starts a new session, so the token of the login page is no longer the session's.
    return client, TOKEN_FIELD.search(client.get("/account").get_data(as_text=True)).group(1)


def _is_csrf_refusal(response, path):
    if response.status_code != 400:
        return False
    if path.startswith("/api/"):
        body = response.get_json(silent=True) or {}
        return response.mimetype == "application/json" and CSRF_MESSAGE in body.get("error", "")
    page = response.get_data(as_text=True)
    return response.mimetype == "text/html" and CSRF_TITLE in page and CSRF_MESSAGE in page


def _exempt_endpoints(app):
    """Endpoints whose view or blueprint was passed to csrf.exempt (Flask-WTF's own registry)."""
    exempt = set()
    for endpoint, view in app.view_functions.items():
        blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in csrf._exempt_blueprints:
            exempt.add(endpoint)
    return exempt


def test_no_view_or_blueprint_is_exempt_without_a_reason(csrf_app):
    assert _exempt_endpoints(csrf_app) - set(CSRF_EXEMPT) == set()


def test_the_exemption_check_sees_an_exempt_view(csrf_app):
    """The check above can fail: an exempt view is found."""

    @csrf_app.route("/csrf-exempt-probe", methods=["POST"])
    def csrf_exempt_probe():
        return "changed"

    csrf.exempt(csrf_exempt_probe)
    try:
        assert "csrf_exempt_probe" in _exempt_endpoints(csrf_app)
    finally:
        csrf._exempt_views.discard(f"{csrf_exempt_probe.__module__}.{csrf_exempt_probe.__name__}")


def test_every_state_changing_route_refuses_a_missing_or_wrong_token(csrf_app, make_user):
    admin_id = make_user("csrf-admin", roles=ALL_ROLES)
    sample = {**sample_values(csrf_app, admin_id), **EXTRA_ARGUMENTS}
    client, valid_token = _login(csrf_app, "csrf-admin")
    # A well-formed token that belongs to another session.
    make_user("csrf-other", roles=("facilitator",))
    _, foreign_token = _login(csrf_app, "csrf-other")
    assert foreign_token != valid_token
    wrong_tokens = {"none": None, "garbage": "not-a-token", "another session's": foreign_token}

    metadata = reflect_tables(csrf_app)
    at_start = database_state(csrf_app, metadata, full=True)
    problems = []
    for rule in state_changing_rules(csrf_app):
        path = build_path(rule, sample)
        for method in sorted(rule.methods & STATE_CHANGING):
            before = database_state(csrf_app, metadata)
            for label, token in wrong_tokens.items():
                response = send_without_form(client, method, path, token)
                if not _is_csrf_refusal(response, path):
                    if rule.endpoint in CSRF_EXEMPT:
                        continue
                    problems.append(f"{method} {path} with {label} token: {response.status_code}")
            changed = changed_tables(before, database_state(csrf_app, metadata))
            if changed:
                problems.append(f"{method} {path} changed {changed} without a valid token")
    assert problems == []
    assert changed_tables(at_start, database_state(csrf_app, metadata, full=True)) == []
    # The session survived: the refusals did not log the user out or break the token.
    assert client.get("/account").status_code == 200
    assert TOKEN_FIELD.search(client.get("/account").get_data(as_text=True)).group(1)


def test_exempt_allowlist_names_real_state_changing_endpoints(csrf_app):
    endpoints = {rule.endpoint for rule in state_changing_rules(csrf_app)}
    assert set(CSRF_EXEMPT) <= endpoints


def _view_answered(response):
    """The view itself answered (saved and redirected, showed the form with its errors, returned
    its JSON), rather than an error page from a refusal before or inside it."""
    if response.mimetype == "application/json":
        return response.status_code == 200
    return response.status_code in (200, 302, 400) and "Código de error" not in response.get_data(
        as_text=True
    )


@pytest.mark.slow
def test_a_valid_token_is_accepted_on_every_state_changing_route(csrf_app, make_user):
    """The positive control: the refusals above come from the token check, not from broken forms."""
    make_user("csrf-admin", roles=ALL_ROLES)
    # The user pages act on another account, so that this one keeps its roles.
    target_id = make_user("csrf-target", roles=("facilitator",))
    sample = {**sample_values(csrf_app, target_id), **EXTRA_ARGUMENTS}
    refused = []
    ran_per_blueprint = {}
    blueprints = set()
    for rule in state_changing_rules(csrf_app):
        blueprint = rule.endpoint.rsplit(".", 1)[0]
        blueprints.add(blueprint)
        path = build_path(rule, sample)
        for method in sorted(rule.methods & STATE_CHANGING):
            # A fresh session each time: some routes log out or change the language.
            client, token = _login(csrf_app, "csrf-admin")
            response = send_without_form(client, method, path, token)
            body = response.get_data(as_text=True)
            if _is_csrf_refusal(response, path) or CSRF_MESSAGE in body:
                refused.append(f"{method} {path}: {response.status_code}")
            elif response.status_code >= 500:
                refused.append(f"{method} {path} crashed on a request without data: {response.status_code}")
            elif _view_answered(response):
                ran_per_blueprint.setdefault(blueprint, []).append(path)
    assert refused == []
    # Every blueprint with a state-changing route has at least one that really reached its view.
    assert sorted(blueprints - set(ran_per_blueprint)) == []
