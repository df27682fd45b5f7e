"""Access on state-changing routes, read from the URL map: each role the rule does not name is refused.

tests/test_access.py opens every GET route as every role; this sends every POST,
PUT, PATCH and DELETE route, with CSRF off so that the access check is what
answers, as anonymous and as each role its rule leaves out, and checks the
refusal and that the database did not change. (What the allowed roles can do
is what the feature tests check.)
"""

import pytest

from workshops.core.access import PUBLIC, SIGNED_IN

from .conftest import TEST_PASSWORD
from .urlmap import (
    EXTRA_ARGUMENTS,
    ROLES,
    STATE_CHANGING,
    build_path,
    changed_tables,
    database_state,
    reflect_tables,
    sample_values,
    send_without_form,
    state_changing_rules,
)


def _client_for(app, make_user, role):
    client = app.test_client()
    if role is not None:
        username = f"writes-{role}"
        make_user(username, roles=(role,))
        response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302
    return client


def _expected(rule, role, path):
    """The refusal this role should get, or None when the rule lets it through."""
    if rule == PUBLIC:
        return None
    if role is None:
        return {401} if path.startswith("/api/") else {302}
    if rule == SIGNED_IN or role in rule:
        return None
    return {403}


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_state_changing_route_refuses_roles_its_rule_does_not_name(app, make_user, admin_exists, role):
    sample = {**sample_values(app, admin_exists), **EXTRA_ARGUMENTS}
    client = _client_for(app, make_user, role)
    metadata = reflect_tables(app)
    before = database_state(app, metadata, full=True)
    checked, problems = 0, []
    for rule in state_changing_rules(app):
        access_rule = app.view_functions[rule.endpoint].access_rule
        path = build_path(rule, sample)
        expected = _expected(access_rule, role, path)
        if expected is None:
            continue
        for method in sorted(rule.methods & STATE_CHANGING):
            response = send_without_form(client, method, path)
            checked += 1
            if response.status_code not in expected:
                problems.append(f"{method} {path} as {role}: {response.status_code}, expected {expected}")
            elif response.status_code == 302 and "/login" not in response.headers["Location"]:
                problems.append(f"{method} {path} as {role}: redirected to {response.headers['Location']}")
    assert problems == []
    assert checked, "no route refused this role: the test would check nothing"
    assert changed_tables(before, database_state(app, metadata, full=True)) == []
    if role is not None:  # the refusals did not end the session
        assert client.get("/account").status_code == 200
