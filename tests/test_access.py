"""Every route declares who may use it; error pages never leak internals."""

import pytest

from workshops.core.access import PUBLIC, SIGNED_IN

from .urlmap import ROLES, sample_values


def test_every_endpoint_has_an_access_rule(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and getattr(app.view_functions[rule.endpoint], "access_rule", None) is None
    ]
    assert missing == []


def test_a_view_without_rule_is_refused(app, login_as):
    @app.route("/forgotten-rule")
    def forgotten():
        return "secret"

    client = login_as("admin")
    assert client.get("/forgotten-rule").status_code == 403


def _get_routes(app, admin_id):
    sample = sample_values(app, admin_id)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            values = sample
            missing = set(rule.arguments) - set(values)
            assert not missing, f"add sample values for {missing} of {rule.rule} to SAMPLE_ARGUMENTS"
            path = rule.build({name: values[name] for name in rule.arguments})[1]
            # Sessions are also checked per object: a facilitator not assigned to one gets a 404.
            per_object = "session_id" in rule.arguments or "attachment_id" in rule.arguments
            # An import job is seen by who queued it (the first administrator here) and administrators.
            owned = "import_job_id" in rule.arguments or "upload_job_id" in rule.arguments
            yield path, app.view_functions[rule.endpoint].access_rule, per_object, owned


@pytest.mark.parametrize("language", ["es", "agr"])
@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_get_route_answers_each_role_as_declared(app, login_as, client, admin_exists, role, language):
    if role:
        login_as(role)  # (the login_as fixture has made the first admin either way)
    client.post("/language", data={"language": language, "next": "/"})
    for path, rule, per_object, owned in _get_routes(app, admin_exists):
        response = client.get(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            assert f'<html lang="{language}"'.encode() in response.data, path
        api = path.startswith("/api/")  # JSON: 401 instead of the login page, 400 without its arguments
        if rule == PUBLIC:
            expected = {200, 302}
        elif role is None:
            expected = {401} if api else {302}
        elif rule == SIGNED_IN or role in rule:
            hidden = (per_object and role == "facilitator") or (owned and role != "admin")
            expected = {200, 302, 404} if hidden else {200, 302}
            expected |= {400} if api else set()
        else:
            expected = {403}
        assert response.status_code in expected, (path, role, response.status_code)
        assert b"Traceback" not in response.data


def test_unexpected_error_shows_a_plain_500(app, login_as):
    @app.route("/boom")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    boom.access_rule = SIGNED_IN
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = login_as("facilitator")
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Algo salió mal" in page
    assert "internal detail" not in page and "Traceback" not in page


def test_security_headers_on_every_response(login_as):
    client = login_as("admin")
    for path in ("/login", "/modules", "/no-such-page", "/static/css/app.css"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "http" not in policy  # no external origin
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        response.close()  # a static file response holds the file open until closed


def test_session_cookie_flags(client, admin_exists):
    response = client.post("/login", data={"username": "first-admin", "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
