"""Accounts: first administrator, login, user management, own password."""

import re
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from workshops.auth.models import LoginSession, User
from workshops.extensions import db, utcnow

from .conftest import TEST_PASSWORD

NEW_PASSWORD = "another long secret"


def _user(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


def test_fresh_install_leads_every_page_to_setup(client):
    for path in ("/", "/modules", "/login", "/admin/users", "/terms"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/setup")
    page = client.get("/setup").get_data(as_text=True)
    assert "Crear el primer administrador" in page or "Create the first administrator" in page


def test_setup_creates_admin_once_then_disappears(client, app):
    response = client.post(
        "/setup",
        data={
            "username": "Ana",
            "display_name": "Ana Tsamajain",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = _user(app, "ana")
    assert user is not None and user.roles == {"admin"}
    assert user.password_hash != TEST_PASSWORD and user.check_password(TEST_PASSWORD)
    assert client.get("/modules").status_code == 200  # logged in straight away
    # The form is gone for everybody now.
    assert client.get("/setup").headers["Location"].endswith("/login")
    other = app.test_client()
    response = other.post(
        "/setup",
        data={"username": "eve", "display_name": "Eve", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert _user(app, "eve") is None


def test_setup_validates_passwords(client, app):
    response = client.post(
        "/setup", data={"username": "ana", "display_name": "Ana", "password": "short", "confirm": "short"}
    )
    assert response.status_code == 200
    assert "8" in response.get_data(as_text=True)
    response = client.post(
        "/setup",
        data={
            "username": "ana",
            "display_name": "Ana",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD + "x",
        },
    )
    assert response.status_code == 200
    assert _user(app, "ana") is None


def test_anonymous_sees_only_login(client, admin_exists):
    assert client.get("/login").status_code == 200
    for path in ("/", "/modules", "/modules/vivero-de-cafe", "/terms", "/account", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]


def test_same_message_for_unknown_user_and_wrong_password(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    unknown = client.post("/login", data={"username": "nobody", "password": TEST_PASSWORD})
    wrong = client.post("/login", data={"username": "maria", "password": "wrong password"})
    assert unknown.status_code == wrong.status_code == 200

    def error_of(response):
        return re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', response.get_data(as_text=True), re.S)

    assert error_of(unknown) == error_of(wrong) != []


def test_login_and_safe_redirect(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    response = client.post(
        "/login?next=https://evil.example/x", data={"username": "MARIA", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert client.get("/modules").status_code == 200


def test_deactivated_user_cannot_log_in(client, make_user, admin_exists):
    make_user("pedro", roles=("facilitator",), enabled=False)
    response = client.post("/login", data={"username": "pedro", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert client.get("/modules").status_code == 302


def test_admin_creates_edits_and_deactivates_a_user(login_as, app):
    client = login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "rosa",
            "display_name": "Rosa",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
            "roles": ["translator", "reviewer"],
            "is_enabled": "y",
        },
    )
    assert response.status_code == 302
    rosa = _user(app, "rosa")
    assert rosa.roles == {"translator", "reviewer"} and rosa.is_enabled
    assert "rosa" in client.get("/admin/users").get_data(as_text=True)

    response = client.post(
        f"/admin/users/{rosa.id}",
        data={"username": "rosa", "display_name": "Rosa P.", "roles": ["translator"]},
    )
    assert response.status_code == 302
    rosa = _user(app, "rosa")
    assert rosa.display_name == "Rosa P." and rosa.roles == {"translator"} and not rosa.is_enabled

    other = app.test_client()
    assert other.post("/login", data={"username": "rosa", "password": TEST_PASSWORD}).status_code == 200


def test_duplicate_username_is_a_form_error(login_as, make_user, app):
    make_user("rosa")
    client = login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "Rosa",
            "display_name": "Otra",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert 'class="errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "rosa"))
            == 1
        )


def test_admin_cannot_remove_own_admin_role(login_as, app):
    client = login_as("admin", username="boss")
    boss = _user(app, "boss")
    response = client.post(
        f"/admin/users/{boss.id}", data={"username": "boss", "display_name": "Boss", "roles": []}
    )
    assert response.status_code == 200
    assert _user(app, "boss").roles == {"admin"}


def test_admin_resets_a_password_and_old_sessions_end(login_as, make_user, app):
    user_id = make_user("luis", roles=("facilitator",))
    luis = app.test_client()
    luis.post("/login", data={"username": "luis", "password": TEST_PASSWORD})
    assert luis.get("/modules").status_code == 200
    admin = login_as("admin")
    response = admin.post(
        f"/admin/users/{user_id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert luis.get("/modules").status_code == 302  # logged out by the reset
    assert _user(app, "luis").check_password(NEW_PASSWORD)


def test_user_changes_own_password(login_as, app):
    client = login_as("translator", username="tania")
    wrong = client.post(
        "/account", data={"current": "nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 200
    assert _user(app, "tania").check_password(TEST_PASSWORD)
    response = client.post(
        "/account", data={"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert _user(app, "tania").check_password(NEW_PASSWORD)
    assert client.get("/modules").status_code == 200  # this device stays logged in


def test_logout_everywhere(login_as, app):
    client = login_as("translator", username="tania")
    second = app.test_client()
    second.post("/login", data={"username": "tania", "password": TEST_PASSWORD})
    assert second.get("/modules").status_code == 200
    assert client.post("/account/logout-everywhere").status_code == 302
    assert second.get("/modules").status_code == 302
    assert client.get("/modules").status_code == 302


def test_non_admins_cannot_manage_users(login_as):
    client = login_as("coordinator", "facilitator", "translator", "reviewer")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={"username": "x"}).status_code == 403


def test_post_without_csrf_token_gets_a_clear_400(csrf_app, make_user):
    make_user("maria", roles=("admin",))
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "maria", "password": TEST_PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<h1>" in page and "Traceback" not in page
    assert client.get("/modules").status_code == 302


def test_login_with_csrf_token_works(csrf_app, make_user):
    make_user("maria", roles=("admin",))
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"username": "maria", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/modules").status_code == 200


def test_passwords_are_hashed_with_scrypt_unless_configured(tmp_path, app):
    """Production hashes with Werkzeug's default (scrypt); the tests' cheap method still verifies."""
    from workshops import create_app

    production = create_app({"INSTANCE_PATH": tmp_path, "AUTO_SETUP": False, "SECRET_KEY": "x"})
    with production.app_context():
        user = User(username="hash", display_name="Hash")
        user.set_password("una clave larga")
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password("una clave larga") and not user.check_password("otra")
    with app.app_context():
        cheap = User(username="hash2", display_name="Hash")
        cheap.set_password("una clave larga")
        assert cheap.password_hash.startswith("pbkdf2:sha256:1000$")
        assert cheap.check_password("una clave larga")


def _login(client, username, remember):
    data = {"username": username, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def _replay(app, **cookies):
    """A fresh browser holding copies of the given cookies; return its status for a signed-in page."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser.get("/modules").status_code


def _logins(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginSession)
            .join(User, User.id == LoginSession.user_id)
            .where(User.username == username)
        )


@pytest.mark.parametrize("remember", [True, False], ids=["remembered", "not-remembered"])
def test_after_logout_copied_session_and_remember_cookies_are_refused(
    app, client, make_user, admin_exists, remember
):
    make_user("maria", roles=("coordinator",))
    _login(client, "maria", remember)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token")
    assert (remember_cookie is not None) == remember
    copied = {"session": session_cookie}
    if remember:
        copied["remember_token"] = remember_cookie.value
        assert _replay(app, remember_token=remember_cookie.value) == 200  # the remember cookie alone works
    assert _replay(app, **copied) == 200 and _replay(app, session=session_cookie) == 200
    assert _logins(app, "maria") == 1

    response = client.post("/logout")
    assert response.status_code == 302
    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    if remember:  # deleted in the browser too, not only refused by the server
        assert len(deleted) == 1 and "Expires=Thu, 01 Jan 1970" in deleted[0]
        assert client.get_cookie("remember_token") is None
    assert client.get("/modules").status_code == 302
    assert _logins(app, "maria") == 0
    assert _replay(app, **copied) == 302
    assert _replay(app, session=session_cookie) == 302
    if remember:
        assert _replay(app, remember_token=remember_cookie.value) == 302


def test_password_change_ends_the_other_logins_and_keeps_this_one(login_as, app):
    client = login_as("translator", username="tania")
    other = app.test_client()
    _login(other, "tania", remember=True)
    copied = other.get_cookie("remember_token").value
    response = client.post(
        "/account", data={"current": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/modules").status_code == 200
    assert other.get("/modules").status_code == 302
    assert _replay(app, remember_token=copied) == 302
    assert _logins(app, "tania") == 1


def test_disabling_a_user_ends_their_logins_for_good(login_as, make_user, app):
    user_id = make_user("rosa", roles=("translator",))
    rosa = app.test_client()
    _login(rosa, "rosa", remember=True)
    copied = {
        "session": rosa.get_cookie("session").value,
        "remember_token": rosa.get_cookie("remember_token").value,
    }
    admin = login_as("admin")
    form = {"username": "rosa", "display_name": "Rosa", "roles": ["translator"]}
    assert admin.post(f"/admin/users/{user_id}", data=form).status_code == 302  # is_enabled unticked
    assert rosa.get("/modules").status_code == 302 and _logins(app, "rosa") == 0
    assert admin.post(f"/admin/users/{user_id}", data={**form, "is_enabled": "y"}).status_code == 302
    assert _replay(app, **copied) == 302  # enabled again, the old cookies stay dead


def test_an_expired_login_is_refused_and_cleaned_up_at_the_next_login(client, make_user, admin_exists, app):
    make_user("maria", roles=("coordinator",))
    _login(client, "maria", remember=True)
    copied = client.get_cookie("remember_token").value
    with app.app_context():
        db.session.execute(sa.update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/modules").status_code == 302
    assert _replay(app, remember_token=copied) == 302
    _login(app.test_client(), "maria", remember=False)
    with app.app_context():
        (login,) = db.session.scalars(sa.select(LoginSession)).all()  # the expired one is gone
        assert not login.remember
        assert len(login.token_hash) == 64 and copied not in login.token_hash
        assert timedelta(days=30) < _aware(login.expires_at) - _aware(login.created_at) <= timedelta(days=31)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_login_cookie_in_the_old_format_is_refused(client, make_user, admin_exists, app):
    user_id = make_user("maria", roles=("coordinator",))
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"  # user id and session version, before 0012
        session["_fresh"] = True
    assert client.get("/modules").status_code == 302
