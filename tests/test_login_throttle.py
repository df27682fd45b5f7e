"""Login throttling per account and per address, session cookie flags, a fresh session at login."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from workshops.auth.models import LoginFailure
from workshops.extensions import db, utcnow

from .conftest import TEST_PASSWORD, make_test_app

THROTTLED = "Demasiados intentos fallidos. Espere 15 minutos e intente de nuevo."
WRONG = "Usuario o contraseña incorrectos."
ACCOUNT_CEILING = (
    "Esta cuenta recibió demasiados intentos fallidos desde varios lugares. Espere {minutes} minutos "
    "e intente de nuevo; si vuelve a pasar, avise al administrador."
)


def _post(client, username, password, address="192.0.2.1", **extra):
    return client.post(
        "/login",
        data={"username": username, "password": password, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def _logged_in(client):
    return client.get("/modules").status_code == 200


@pytest.fixture
def no_password_check(monkeypatch):
    """Make checking a password fail the test: a refused attempt must not get that far."""

    def refuse(*args):
        raise AssertionError("the password was checked")

    def arm():
        monkeypatch.setattr("workshops.auth.services.authenticate", refuse)

    return arm


def test_too_many_failures_for_an_account_from_one_address_are_refused_without_checking_the_password(
    client, app, make_user, admin_exists, no_password_check
):
    make_user("maria", roles=("coordinator",))
    for attempt in range(5):
        response = _post(client, "maria", f"wrong {attempt}", address="192.0.2.10")
        assert response.status_code == 200
        assert WRONG in response.get_data(as_text=True)
    no_password_check()
    # Even the right password waits now, from that address.
    response = _post(client, "MARIA ", TEST_PASSWORD, address="192.0.2.10")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert THROTTLED in page and WRONG not in page
    assert response.headers["Retry-After"] == str(15 * 60)
    assert not _logged_in(client)
    with app.app_context():  # a refused attempt is not counted again
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 5


def test_failures_from_other_addresses_do_not_lock_the_owner_out(client, app, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    attacker = app.test_client()
    for attempt in range(5):  # one place uses up its tries for maria...
        _post(attacker, "maria", f"wrong {attempt}", address="198.51.100.66")
    assert _post(attacker, "maria", TEST_PASSWORD, address="198.51.100.66").status_code == 429
    for number in range(40):  # ...and many other places a few each, below the account's ceiling
        assert _post(attacker, "maria", "wrong", address=f"203.0.113.{number + 1}").status_code == 200
    response = _post(client, "maria", TEST_PASSWORD, address="192.0.2.1")  # the owner, at the office
    assert response.status_code == 302 and _logged_in(client)
    with app.app_context():  # the owner's login forgets none of the failures from elsewhere
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 45
    assert _post(attacker, "maria", TEST_PASSWORD, address="198.51.100.66").status_code == 429


def test_the_accounts_ceiling_holds_across_addresses(client, app, make_user, admin_exists, no_password_check):
    make_user("maria", roles=("coordinator",))
    now = utcnow()
    with app.app_context():
        for number in range(49):  # 49 failures, one from each of 49 places
            db.session.add(
                LoginFailure(
                    account="maria", address=f"10.0.{number}.1", failed_at=now - timedelta(minutes=5)
                )
            )
        db.session.commit()
    assert _post(client, "maria", "wrong", address="10.9.9.9").status_code == 200  # the 50th
    no_password_check()
    response = _post(client, "maria", TEST_PASSWORD, address="192.0.2.1")
    assert response.status_code == 429 and not _logged_in(client)
    page = response.get_data(as_text=True)
    assert ACCOUNT_CEILING.format(minutes=10) in page and WRONG not in page
    assert response.headers["Retry-After"] == str(10 * 60)


def test_a_browser_the_owner_signed_in_from_passes_the_accounts_ceiling(client, app, make_user, admin_exists):
    """Failures spread over many addresses cannot lock the owner out of a phone they used before."""
    make_user("maria", roles=("coordinator",))
    assert _post(client, "maria", TEST_PASSWORD).status_code == 302  # her phone gets the device cookie
    device = client.get_cookie("workshops_device")
    assert device is not None and device.http_only and "maria" not in device.value
    client.post("/logout")
    now = utcnow()
    with app.app_context():
        for number in range(50):
            db.session.add(
                LoginFailure(
                    account="maria", address=f"10.0.{number}.1", failed_at=now - timedelta(minutes=5)
                )
            )
        db.session.commit()
    stranger = app.test_client()  # a browser without her device cookie: held by the ceiling
    assert _post(stranger, "maria", TEST_PASSWORD, address="192.0.2.7").status_code == 429
    response = _post(client, "maria", TEST_PASSWORD, address="192.0.2.7")  # her phone, a new address
    assert response.status_code == 302 and _logged_in(client)
    # The cookie is hers only: another account, or a forged cookie, gets no pass.
    make_user("jose", roles=("coordinator",))
    with app.app_context():
        for number in range(50):
            db.session.add(
                LoginFailure(account="jose", address=f"10.1.{number}.1", failed_at=now - timedelta(minutes=5))
            )
        db.session.commit()
    client.post("/logout")
    assert _post(client, "jose", TEST_PASSWORD, address="192.0.2.7").status_code == 429
    stranger.set_cookie("workshops_device", device.value[:-3] + "xyz")
    assert _post(stranger, "maria", TEST_PASSWORD, address="192.0.2.8").status_code == 429


def test_other_accounts_are_not_affected_by_one_accounts_failures(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    make_user("pedro", roles=("facilitator",))
    for _ in range(5):
        _post(client, "maria", "wrong")
    assert _post(client, "maria", TEST_PASSWORD).status_code == 429
    response = _post(client, "pedro", TEST_PASSWORD)
    assert response.status_code == 302 and _logged_in(client)


def test_unknown_usernames_are_throttled_like_real_ones(client, admin_exists):
    for _ in range(5):
        assert _post(client, "nobody", "wrong").status_code == 200
    response = _post(client, "nobody", "wrong")
    assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)


@pytest.mark.slow
def test_too_many_failures_from_an_address_are_refused(client, make_user, admin_exists, no_password_check):
    make_user("maria", roles=("coordinator",))
    for number in range(20):  # one failure each for 20 names: no account reaches its limit
        assert _post(client, f"guess{number}", "wrong", address="203.0.113.5").status_code == 200
    no_password_check()
    response = _post(client, "maria", TEST_PASSWORD, address="203.0.113.5")
    assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)
    assert not _logged_in(client)


@pytest.mark.slow
def test_the_address_limit_leaves_other_addresses_alone(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    for number in range(20):
        _post(client, f"guess{number}", "wrong", address="203.0.113.5")
    assert _post(client, "maria", TEST_PASSWORD, address="203.0.113.5").status_code == 429
    response = _post(client, "maria", TEST_PASSWORD, address="203.0.113.6")
    assert response.status_code == 302 and _logged_in(client)


def test_a_successful_login_clears_the_accounts_failures(client, app, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    for _ in range(4):
        _post(client, "maria", "wrong")
    assert _post(client, "maria", TEST_PASSWORD).status_code == 302
    client.post("/logout")
    with app.app_context():
        remaining = db.session.scalars(sa.select(LoginFailure.account)).all()
    assert "maria" not in remaining
    # Four more failures: without the reset this would make eight, over the limit.
    for _ in range(4):
        assert _post(client, "maria", "wrong").status_code == 200
    assert _post(client, "maria", TEST_PASSWORD).status_code == 302


def _add_failures(app, account, ages_in_minutes, address="192.0.2.1"):  # _post's address
    now = utcnow()
    with app.app_context():
        for age in ages_in_minutes:
            db.session.add(
                LoginFailure(account=account, address=address, failed_at=now - timedelta(minutes=age))
            )
        db.session.commit()


def test_failures_age_out_of_the_window_and_the_wait_is_counted_from_them(
    client, app, make_user, admin_exists
):
    make_user("maria", roles=("coordinator",))
    _add_failures(app, "maria", [16, 17, 18, 19, 20, 30])  # all older than 15 minutes
    assert _post(client, "maria", TEST_PASSWORD).status_code == 302
    client.post("/logout")

    _add_failures(app, "maria", [2, 3, 9.5, 10, 12])  # the oldest leaves the window in 3 minutes
    response = _post(client, "maria", TEST_PASSWORD)
    assert response.status_code == 429
    assert "Espere 3 minutos e intente de nuevo." in response.get_data(as_text=True)


def test_the_wait_of_one_minute_is_singular(client, app, admin_exists):
    _add_failures(app, "maria", [14.5, 14.5, 14.5, 14.5, 14.5])
    response = _post(client, "maria", "anything")
    assert response.status_code == 429
    assert "Espere 1 minuto e intente de nuevo." in response.get_data(as_text=True)


def test_old_failures_are_removed_when_a_new_one_is_recorded(client, app, admin_exists):
    _add_failures(app, "maria", [20, 40])
    _post(client, "maria", "wrong")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 1


def test_limits_come_from_the_config_and_zero_turns_one_off(
    app, database_url, instance_dir, make_user, admin_exists
):
    make_user("maria", roles=("coordinator",))
    strict = make_test_app(
        database_url, instance_dir, LOGIN_MAX_FAILURES_PER_ACCOUNT=0, LOGIN_MAX_FAILURES_PER_ADDRESS=2
    )
    try:
        client = strict.test_client()
        _post(client, "someone", "wrong")
        _post(client, "someone-else", "wrong")
        assert _post(client, "maria", TEST_PASSWORD).status_code == 429  # the address limit, 2
        for number in range(6):  # no account limit: six failures, each from another address
            assert _post(client, "maria", "wrong", address=f"192.0.2.{200 + number}").status_code == 200
        assert _post(client, "maria", TEST_PASSWORD, address="192.0.2.210").status_code == 302
    finally:
        with strict.app_context():
            db.engine.dispose()


def test_the_pair_limit_and_the_accounts_ceiling_come_from_the_config(
    app, database_url, instance_dir, make_user, admin_exists
):
    make_user("maria", roles=("coordinator",))
    strict = make_test_app(
        database_url,
        instance_dir,
        LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS=2,
        LOGIN_MAX_FAILURES_PER_ACCOUNT=3,
    )
    try:
        client = strict.test_client()
        _post(client, "maria", "wrong", address="192.0.2.31")
        _post(client, "maria", "wrong", address="192.0.2.31")
        response = _post(client, "maria", TEST_PASSWORD, address="192.0.2.31")
        assert response.status_code == 429 and THROTTLED in response.get_data(as_text=True)
        assert _post(client, "maria", "wrong", address="192.0.2.32").status_code == 200  # the third
        response = _post(client, "maria", TEST_PASSWORD, address="192.0.2.33")
        assert response.status_code == 429
        assert ACCOUNT_CEILING.format(minutes=15) in response.get_data(as_text=True)
    finally:
        with strict.app_context():
            db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, database_url, instance_dir, admin_exists):
    proxied = make_test_app(database_url, instance_dir, TRUSTED_PROXIES=1)
    try:
        client = proxied.test_client()
        for number in range(3):
            client.post(
                "/login",
                data={"username": f"guess{number}", "password": "wrong"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
                headers={"X-Forwarded-For": "198.51.100.23"},
            )
        with proxied.app_context():
            addresses = set(db.session.scalars(sa.select(LoginFailure.address)))
        assert addresses == {"198.51.100.23"}
    finally:
        with proxied.app_context():
            db.engine.dispose()
    # Without TRUSTED_PROXIES the header is ignored: anyone could send it.
    client = app.test_client()
    client.post(
        "/login",
        data={"username": "guess", "password": "wrong"},
        environ_base={"REMOTE_ADDR": "192.0.2.50"},
        headers={"X-Forwarded-For": "198.51.100.99"},
    )
    with app.app_context():
        assert "198.51.100.99" not in set(db.session.scalars(sa.select(LoginFailure.address)))
        assert "192.0.2.50" in set(db.session.scalars(sa.select(LoginFailure.address)))


def _cookies(response):
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    response = _post(client, "maria", TEST_PASSWORD, remember="y")
    cookies = _cookies(response)
    assert set(cookies) >= {"session", "remember_token"}
    for header in cookies.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header
        assert "Secure" not in header  # plain HTTP by default (SESSION_COOKIE_SECURE = False)


def test_session_cookie_secure_makes_both_cookies_secure(
    app, database_url, instance_dir, make_user, admin_exists
):
    make_user("maria", roles=("coordinator",))
    secure = make_test_app(database_url, instance_dir, SESSION_COOKIE_SECURE=True)
    try:
        client = secure.test_client()
        response = client.post(
            "/login",
            data={"username": "maria", "password": TEST_PASSWORD, "remember": "y"},
            base_url="https://localhost",
        )
        cookies = _cookies(response)
        assert set(cookies) >= {"session", "remember_token"}
        for header in cookies.values():
            assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    finally:
        with secure.app_context():
            db.engine.dispose()


def test_login_starts_a_fresh_session(client, make_user, admin_exists):
    make_user("maria", roles=("coordinator",))
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["_user_id"] = "999:1"
    assert _post(client, "maria", TEST_PASSWORD).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] != "999:1" and len(session["_user_id"]) >= 40  # a new random token
