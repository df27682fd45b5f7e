"""Generated hostile input on every form and API field of the URL map: never a 500, nothing changed when refused.

Each route is sent, as a role its rule lets through, a bounded number of examples that
Hypothesis makes from tests/hostile.py: very long strings, control characters, CR/LF, NUL
(PostgreSQL refuses it in text), numbers past 2**63, dates at the ends of the calendar,
lists where one value is expected, and for the JSON API wrong types and nesting. A request
that was refused (4xx, or a form shown again with its errors) must leave the database as
it was; one that succeeded may change it, but no request may crash.
"""

import io
import os
import uuid

import pytest
from flask import request
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from workshops.core.access import PUBLIC, SIGNED_IN
from workshops.core.models import AppState
from workshops.extensions import db

from .conftest import TEST_PASSWORD
from .hostile import field_value, json_values, page_forms, source_fields, text_values
from .urlmap import (
    EXTRA_ARGUMENTS,
    STATE_CHANGING,
    build_path,
    changed_tables,
    database_state,
    reflect_tables,
    sample_values,
)

# Examples per route: enough to meet each kind of value a few times in a CI run; raise it for a
# deeper search (HOSTILE_EXAMPLES=200 pytest tests/test_hostile_input.py).
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))
ALL_ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")
# The role a route is sent as: the first of these its rule names.
ROLE_ORDER = ("admin", "reviewer", "coordinator", "facilitator", "translator")
# Tables a refused request may still write, and why.
WRITTEN_WHEN_REFUSED = {
    "login_failure": "a refused login is counted for the throttle",
    "audit_entry": "refusals worth knowing are logged",
}
# Routes that may save and then show a page (200) instead of redirecting: the mark of a save on
# that page (None: any 200 may have saved; the import's preview and the .po upload say what they did).
SAVE_AND_SHOW = {
    "people.import_csv": None,
    "offline.upload": None,
    # A text sent against an older revision is kept as a suggestion, and the page says so.
    "workspace.edit": 'class="flash flash-warning conflict"',
}


def _role_for(access_rule):
    if access_rule == PUBLIC:
        return None
    if access_rule == SIGNED_IN:
        return "facilitator"
    return next(role for role in ROLE_ORDER if role in access_rule)


def _login(app, role):
    client = app.test_client()
    if role is not None:
        response = client.post("/login", data={"username": f"hostile-{role}", "password": TEST_PASSWORD})
        assert response.status_code == 302
    return client


def _crawl(app, sample):
    """Every form the GET pages show (to a user with every role), by (method, path)."""
    client = _login(app, "everything")
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith("pdf"):
            continue
        path = build_path(rule, sample)
        response = client.get(path)
        page = response.get_data(as_text=True)
        response.close()  # a streamed answer holds its request open until closed
        if response.mimetype != "text/html":
            continue
        for form in page_forms(path, page):
            known = found.setdefault((form.method, form.path), ({}, set()))
            for name, offered in form.fields.items():
                known[0].setdefault(name, set()).update(offered)
            known[1].update(form.files)
    return found


def _targets(app, sample):
    """(endpoint, method, path, fields, files) for every state-changing route and every GET form."""
    crawled = _crawl(app, sample)
    targets = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint == "static":
            continue
        path = build_path(rule, sample)
        read = source_fields(app.view_functions[rule.endpoint])
        for method in sorted(rule.methods & (STATE_CHANGING | {"GET"})):
            fields, files = crawled.get((method, path), ({}, set()))
            fields = dict(fields)
            names = read["args"] | (read["form"] if method != "GET" else set())
            for name in names - {"csrf_token"}:
                fields.setdefault(name, set())
            files = set(files) | (read["files"] if method != "GET" else set())
            fields.pop("csrf_token", None)
            if method == "GET" and not fields:
                continue  # a page without arguments: tests/test_access.py opens it
            targets.append((rule.endpoint, method, path, fields, files))
    return targets


def _form_data(data, fields, files):
    pairs = []
    for name, offered in sorted(fields.items()):
        value = data.draw(st.one_of(st.none(), field_value(offered)), label=name)
        for one in value if isinstance(value, list) else [] if value is None else [value]:
            pairs.append((name, one))
    for name, value in data.draw(
        st.lists(st.tuples(text_values(), text_values()), max_size=2), label="extra"
    ):
        pairs.append((name, value))
    uploads = {}
    for name in sorted(files):
        content = data.draw(st.one_of(st.binary(max_size=64), text_values().map(str.encode)), label=name)
        uploads[name] = (io.BytesIO(content), data.draw(text_values(), label=f"{name} filename"))
    return pairs, uploads


def _sync_body(data, sample):
    """A sync request: records with hostile or plausible values, or any JSON at all."""
    plausible = {
        "id": st.uuids().map(str),
        "session_id": st.just(sample["session_id"]),
        "person_id": st.just(sample["person_id"]),
        "status": st.sampled_from(["present", "late", "excused", "absent", "not_enrolled"]),
        "base_status": st.just(""),
        "remark": st.just(""),
        "entered_at": st.just("2026-05-01T08:00:00Z"),
    }
    walk_in = st.fixed_dictionaries(
        {},
        optional={
            key: json_values() for key in ("given_names", "family_names", "sex", "birth_year", "consent")
        },
    )
    record = st.fixed_dictionaries(
        {},
        optional={
            **{key: st.one_of(strategy, json_values()) for key, strategy in plausible.items()},
            "walk_in": st.one_of(walk_in, json_values()),
        },
    )
    return data.draw(
        st.one_of(st.fixed_dictionaries({"records": st.lists(record, max_size=3)}), json_values()),
        label="body",
    )


def _refused(endpoint, method, response):
    """Whether the request was refused, so that it must have changed nothing."""
    if response.status_code >= 400:
        return True
    if endpoint == "field.sync":
        results = (response.get_json(silent=True) or {}).get("results", [])
        return all(result["outcome"] == "rejected" for result in results)
    if response.status_code != 200:
        return False
    if endpoint not in SAVE_AND_SHOW:
        return True
    mark = SAVE_AND_SHOW[endpoint]
    return mark is not None and mark not in response.get_data(as_text=True)


def _send(client, data, target, sample):
    endpoint, method, path, fields, files = target
    if endpoint == "field.sync":
        return client.post(path, json=_sync_body(data, sample))
    pairs, uploads = _form_data(data, fields, files)
    if method == "GET":
        return client.get(path, query_string=pairs)
    body = MultiDict(pairs)
    for name, upload in uploads.items():
        body.add(name, upload)
    return client.open(path, method=method, data=body)


def _check_target(app, metadata, target, sample):
    endpoint, method, path, _fields, _files = target

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # No shrinking: with the database changing between examples a replay is not the same request,
        # and the example that failed is reported as it was sent.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def one_route(data):
        client = _login(app, _role_for(app.view_functions[endpoint].access_rule))
        before = database_state(app, metadata)
        response = _send(client, data, target, sample)
        response.get_data()
        response.close()
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
        if method == "GET":  # a page changes nothing, beyond the log of who took a download or pack
            changed = set(changed_tables(before, database_state(app, metadata))) - {"audit_entry"}
            assert not changed, f"GET {path} answered {response.status_code} but changed {sorted(changed)}"
        elif _refused(endpoint, method, response):
            changed = set(changed_tables(before, database_state(app, metadata))) - set(WRITTEN_WHEN_REFUSED)
            assert not changed, (
                f"{method} {path} answered {response.status_code} but changed {sorted(changed)}"
            )

    one_route()


def _probe_routes(app):
    """Two routes the check must catch: one crashes on any value, one writes and then refuses."""

    @app.route("/hostile-crash", methods=["POST"])
    def hostile_crash():
        if request.form:
            raise RuntimeError("a value the view did not expect")
        return "nothing sent"

    @app.route("/hostile-write", methods=["POST"])
    def hostile_write():
        db.session.merge(AppState(key="hostile-probe", value=str(uuid.uuid4())))
        db.session.commit()
        return "refused", 400

    hostile_crash.access_rule = hostile_write.access_rule = SIGNED_IN


def test_the_check_catches_a_crash_and_a_change_on_refusal(app, make_user):
    make_user("hostile-admin", roles=("admin",))  # (the first administrator: setup is done)
    make_user("hostile-facilitator", roles=("facilitator",))
    _probe_routes(app)
    metadata = reflect_tables(app)
    fields = {"name": {"ok"}}
    with pytest.raises(RuntimeError, match="did not expect"):
        _check_target(app, metadata, ("hostile_crash", "POST", "/hostile-crash", fields, set()), {})
    with pytest.raises(AssertionError, match=r"answered 400 but changed \['app_state'\]"):
        _check_target(app, metadata, ("hostile_write", "POST", "/hostile-write", fields, set()), {})


@pytest.mark.slow
def test_hostile_values_on_every_field_never_crash_nor_change_on_refusal(app, make_user):
    for role in (*ALL_ROLES, "everything"):
        make_user(f"hostile-{role}", roles=ALL_ROLES if role == "everything" else (role,))
    # The user pages act on another account, so that the ones signed in keep their roles.
    target_user = make_user(f"hostile-target-{uuid.uuid4().hex[:6]}", roles=("facilitator",))
    sample = {**sample_values(app, target_user), **EXTRA_ARGUMENTS}
    targets = _targets(app, sample)
    sent = {target[0] for target in targets}
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING}
    assert posts <= sent, f"state-changing routes not sent: {sorted(posts - sent)}"
    metadata = reflect_tables(app)
    problems = []
    for target in targets:
        try:
            _check_target(app, metadata, target, sample)
        except Exception as error:  # noqa: BLE001 - every route is tried, then all failures are reported
            notes = "\n".join(getattr(error, "__notes__", []))
            problems.append(f"{target[1]} {target[2]}: {type(error).__name__}: {error}\n{notes}")
    assert problems == [], "\n\n".join(problems)
