"""User management for administrators."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core import access, audit
from ..core.text import page_number
from ..extensions import db
from . import sentences as _sentences  # noqa: F401 (the accounts' audit sentences)
from . import services
from .forms import NewUserForm, ResetPasswordForm, UserForm
from .models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@access.roles("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@access.roles("admin")
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data, form.display_name.data, form.password.data, form.roles.data
            )
        except services.DuplicateUsername:
            form.username.errors.append(_("Este nombre de usuario ya existe. Elija otro."))
        else:
            user.is_enabled = form.is_enabled.data
            db.session.flush()
            audit.record(current_user, "create", user, username=user.username, roles=sorted(user.roles))
            db.session.commit()
            flash(_("Se creó el usuario %(name)s.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@access.roles("admin")
def edit_user(user_id):
    user = _get_user(user_id)
    form = UserForm(obj=user)
    if not form.is_submitted():
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        keeps_admin = "admin" in form.roles.data and form.is_enabled.data
        if user.id == current_user.id and not keeps_admin:
            form.roles.errors.append(
                _("No puede quitarse a sí mismo el rol de administrador ni desactivar su propia cuenta.")
            )
        elif services.username_taken(form.username.data, except_id=user.id):
            form.username.errors.append(_("Este nombre de usuario ya existe. Elija otro."))
        else:
            if not form.is_enabled.data:
                services.end_logins(user)  # a disabled account is signed out everywhere
            user.username = services.normalise_username(form.username.data)
            user.display_name = form.display_name.data.strip()
            user.is_enabled = form.is_enabled.data
            before = sorted(user.roles)
            user.set_roles(form.roles.data)
            audit.record(
                current_user,
                "update",
                user,
                username=user.username,
                roles_before=before,
                roles=sorted(form.roles.data),
                enabled=user.is_enabled,
            )
            db.session.commit()
            flash(_("Se guardó el usuario %(name)s.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, reset_form=ResetPasswordForm())


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@access.roles("admin")
def reset_password(user_id):
    user = _get_user(user_id)
    form = ResetPasswordForm()
    form.owner = user.username
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        services.end_logins(user)
        audit.record(current_user, "reset-password", user, username=user.username)
        db.session.commit()
        flash(_("Se restableció la contraseña de %(name)s.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=UserForm(obj=user), user=user, reset_form=form)


AUDIT_PER_PAGE = 100


@bp.route("/audit")
@access.roles("admin")
def audit_log():
    """Who changed what, newest first: people, attendance, sessions, roles, exports."""
    query = select(audit.AuditEntry, User.display_name).outerjoin(User, User.id == audit.AuditEntry.user_id)
    kind = request.args.get("type", "")
    if kind:
        query = query.where(audit.AuditEntry.object_type == kind)
    page = request.args.get("page", 1, type=page_number)
    rows = db.session.execute(
        query.order_by(audit.AuditEntry.id.desc())
        .limit(AUDIT_PER_PAGE + 1)
        .offset((page - 1) * AUDIT_PER_PAGE)
    ).all()
    kinds = db.session.scalars(
        select(audit.AuditEntry.object_type).distinct().order_by(audit.AuditEntry.object_type)
    ).all()
    return render_template(
        "admin/audit.html",
        # Every entry reads as a sentence: the feature's own, or a generic one.
        rows=[(entry, who, audit.describe(entry, who)) for entry, who in rows[:AUDIT_PER_PAGE]],
        more=len(rows) > AUDIT_PER_PAGE,
        page=page,
        kind=kind,
        kinds=sorted(((k, audit.kind_label(k)) for k in kinds), key=lambda pair: pair[1].casefold()),
    )


@bp.app_context_processor
def role_labels():
    from .forms import ROLE_LABELS

    return {"ROLE_LABELS": ROLE_LABELS}
