"""Login, logout, first-run setup and the user's own password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from ..core import access
from ..core.forms import ConfirmForm
from ..core.urls import safe_next
from ..extensions import db, login_manager
from . import services, throttle
from .forms import ChangePasswordForm, LoginForm, SetupForm

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None


@bp.route("/login", methods=["GET", "POST"])
@access.public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("curriculum.index"))
    form = LoginForm()
    if form.validate_on_submit():
        known = throttle.is_known_device(request.cookies.get(throttle.DEVICE_COOKIE), form.username.data)
        wait = throttle.wait(form.username.data, request.remote_addr, known_device=known)
        if wait:
            # Refused before the password is checked: guessing gains nothing meanwhile.
            form.password.errors.append(_throttled_message(wait))
            headers = {"Retry-After": str(wait.minutes * 60)}
            return render_template("auth/login.html", form=form), 429, headers
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            throttle.record_failure(form.username.data, request.remote_addr)
            db.session.commit()
            # One message for unknown user, wrong password and disabled account.
            form.password.errors.append(_("Usuario o contraseña incorrectos."))
        else:
            throttle.forget_failures(form.username.data, request.remote_addr)
            services.start_login(user, form.remember.data)
            db.session.commit()
            session.clear()  # a fresh session at login: nothing from before carries over
            login_user(user, remember=form.remember.data)
            answer = redirect(safe_next(request.args.get("next")))
            answer.set_cookie(
                throttle.DEVICE_COOKIE,
                throttle.device_cookie(form.username.data),
                max_age=throttle.DEVICE_COOKIE_DAYS * 86400,
                httponly=True,
                samesite="Lax",
                secure=current_app.config["SESSION_COOKIE_SECURE"],
            )
            return answer
    return render_template("auth/login.html", form=form)


def _throttled_message(wait):
    """Say why a login waits: failures from here, or failures for the account from everywhere."""
    if wait.account_wide:
        return ngettext(
            "Esta cuenta recibió demasiados intentos fallidos desde varios lugares. Espere %(num)s "
            "minuto e intente de nuevo; si vuelve a pasar, avise al administrador.",
            "Esta cuenta recibió demasiados intentos fallidos desde varios lugares. Espere %(num)s "
            "minutos e intente de nuevo; si vuelve a pasar, avise al administrador.",
            wait.minutes,
        )
    return ngettext(
        "Demasiados intentos fallidos. Espere %(num)s minuto e intente de nuevo.",
        "Demasiados intentos fallidos. Espere %(num)s minutos e intente de nuevo.",
        wait.minutes,
    )


@bp.route("/logout", methods=["POST"])
@access.public
def logout():
    if ConfirmForm().validate_on_submit():
        language = session.get("language")
        if current_user.is_authenticated:
            services.end_login(current_user.login_token)
            db.session.commit()
        _sign_out()
        if language:
            session["language"] = language  # keep the page in the language the person reads
    return redirect(url_for("auth.login"))


def _sign_out():
    """Forget the login in this browser: the session, and the remember-me cookie."""
    logout_user()
    session.clear()
    # logout_user() asks for the remember-me cookie to be deleted through the
    # session, which clear() has just emptied: ask again, after it.
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"


@bp.route("/setup", methods=["GET", "POST"])
@access.public
def setup():
    if access.setup_done():
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = services.create_first_admin(form.username.data, form.display_name.data, form.password.data)
            services.start_login(user, remember=False)
            db.session.commit()
        except services.SetupAlreadyDone:
            db.session.rollback()
            flash(_("Ya se creó un administrador. Inicie sesión."), "warning")
            return redirect(url_for("auth.login"))
        current_app.extensions["workshops.setup_done"] = True
        session.clear()
        login_user(user)
        flash(_("Bienvenido. Usted es el administrador de esta instalación."), "success")
        return redirect(url_for("curriculum.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@access.signed_in
def account():
    form = ChangePasswordForm()
    form.owner = current_user.username
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("La contraseña actual no es correcta."))
        else:
            services.set_password(current_user, form.password.data)
            # Other devices are signed out; this one stays signed in.
            services.end_logins(current_user, keep_token=current_user.login_token)
            db.session.commit()
            flash(_("Su contraseña fue cambiada."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, logout_form=ConfirmForm())


@bp.route("/account/logout-everywhere", methods=["POST"])
@access.signed_in
def logout_everywhere():
    if ConfirmForm().validate_on_submit():
        services.end_logins(current_user)
        db.session.commit()
        _sign_out()
        flash(_("Se cerró su sesión en todos los dispositivos."), "success")
    return redirect(url_for("auth.login"))
