"""New passwords: common ones and ones holding the username are refused wherever a password is set."""

import gzip

import pytest
import sqlalchemy as sa

from workshops.auth import passwords
from workshops.auth.models import User
from workshops.extensions import db

from .conftest import TEST_PASSWORD

COMMON = "Esta contraseña está entre las más usadas"
HOLDS_NAME = "La contraseña no puede contener el nombre de usuario"
SHORT = "La contraseña necesita al menos 8 caracteres."
GOOD = "tres loros en la chacra"


def _user(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


def _text(response):
    return response.get_data(as_text=True)


def test_the_shipped_list_is_large_lower_cased_and_its_source_is_cited():
    with gzip.open(passwords.COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        entries = [line.strip() for line in lines]
    assert len(set(entries)) >= 10_000
    assert all(entry == entry.lower() for entry in entries)
    readme = (passwords.COMMON_PASSWORDS_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "Django" in readme and "BSD 3-Clause" in readme and "Royce Williams" in readme


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("12345678", "ana", COMMON),
        ("PASSWORD", "ana", COMMON),  # capitals do not make it less common
        (" qwertyuiop ", "ana", COMMON),
        ("maria1234", "maria", HOLDS_NAME),
        ("Maria2026!", " MARIA ", HOLDS_NAME),  # as typed in the form: case and spaces ignored
        ("la clave de juan.perez", "juan.perez", HOLDS_NAME),
        ("corto", "ana", SHORT),
        (GOOD, "ana", None),
        ("jo en la chacra 2026", "jo", None),  # a two-letter name is too common inside words to refuse
    ],
)
def test_the_rule(app, password, username, expected):
    with app.test_request_context():
        reason = passwords.problem(password, username)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(expected)


def test_first_admin_setup_refuses_a_common_password_and_one_with_the_username(client, app):
    for password, expected in (("12345678", COMMON), ("Ana12345", HOLDS_NAME)):
        response = client.post(
            "/setup",
            data={"username": "ana", "display_name": "Ana", "password": password, "confirm": password},
        )
        assert response.status_code == 200 and expected in _text(response)
        assert _user(app, "ana") is None
    response = client.post(
        "/setup", data={"username": "ana", "display_name": "Ana", "password": GOOD, "confirm": GOOD}
    )
    assert response.status_code == 302 and _user(app, "ana").check_password(GOOD)


def test_admin_cannot_create_a_user_with_a_weak_password(login_as, app):
    admin = login_as("admin")
    for password, expected in (("password1", COMMON), ("rosa-2026-rosa", HOLDS_NAME)):
        data = {"username": "Rosa", "display_name": "Rosa", "password": password, "confirm": password}
        response = admin.post("/admin/users/new", data={**data, "roles": ["translator"], "is_enabled": "y"})
        assert response.status_code == 200 and expected in _text(response)
        assert _user(app, "rosa") is None


def test_admin_reset_refuses_a_weak_password_and_keeps_the_old_one(login_as, make_user, app):
    user_id = make_user("luis")
    admin = login_as("admin")
    for password, expected in (("iloveyou", COMMON), ("LUIS.2026.clave", HOLDS_NAME)):
        response = admin.post(
            f"/admin/users/{user_id}/password", data={"password": password, "confirm": password}
        )
        assert response.status_code == 200 and expected in _text(response)
        assert _user(app, "luis").check_password(TEST_PASSWORD)


def test_own_password_change_refuses_a_weak_password(login_as, app):
    client = login_as("translator", username="tania")
    for password, expected in (("abc123456", COMMON), ("tania1234", HOLDS_NAME)):
        response = client.post(
            "/account", data={"current": TEST_PASSWORD, "password": password, "confirm": password}
        )
        assert response.status_code == 200 and expected in _text(response)
        assert _user(app, "tania").check_password(TEST_PASSWORD)
    response = client.post("/account", data={"current": TEST_PASSWORD, "password": GOOD, "confirm": GOOD})
    assert response.status_code == 302 and _user(app, "tania").check_password(GOOD)


def test_cli_create_user_refuses_a_weak_password(runner, app):
    for password, expected in (("12345678", COMMON), ("pablo2026", HOLDS_NAME), ("short", SHORT)):
        result = runner.invoke(args=["create-user", "pablo", "--password", password])
        assert result.exit_code != 0 and expected in result.output
        assert _user(app, "pablo") is None
    result = runner.invoke(args=["create-user", "pablo", "--password", GOOD])
    assert result.exit_code == 0, result.output


def test_the_service_refuses_a_weak_password_whoever_calls_it(app):
    from workshops.auth import services

    with app.app_context():
        with pytest.raises(services.WeakPassword, match=HOLDS_NAME):
            services.create_user("marco", "Marco", "marco-en-la-chacra", ["facilitator"])
        db.session.rollback()
        assert db.session.scalar(sa.select(User).where(User.username == "marco")) is None
