"""Changing a session: edit its details, cancel or postpone it, reopen it, move its progress, delete it."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..auth.models import User, UserRole
from ..core import access
from ..core.text import revision_number
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import module_title
from . import changes
from .forms import CancelForm, RevisionForm, SessionEditForm
from .models import OFF_STATES, PROGRESS_STATES, SessionStaff, WorkshopSession
from .routes import FIELD_LABELS, _session, bp

MANAGERS = ("admin", "coordinator")
WITH_TEAM = [selectinload(WorkshopSession.staff).selectinload(SessionStaff.user)]


def _revision(form):
    """The details revision a form was filled from; -1 (never current) when it is missing or not a revision number."""
    try:
        return revision_number(form.revision.data)
    except (TypeError, ValueError):
        return -1


def _edit_choices(form, session):
    """Modules, and facilitators: those with the role, and those of the session (a role may have gone since)."""
    modules = {m.id: m for m in db.session.scalars(select(Module).order_by(Module.number))}
    form.module.choices = [SelectChoice(m.id, f"{m.number}. {module_title(m)}") for m in modules.values()]
    people = {
        user.id: user
        for user in db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == "facilitator").order_by(User.display_name)
        )
    }
    for member in session.staff:
        if member.role == "facilitator" and member.user is not None:
            people.setdefault(member.user_id, member.user)
    form.facilitators.choices = [
        SelectChoice(user.id, user.display_name)
        for user in sorted(people.values(), key=lambda u: u.display_name)
    ]
    return modules


def _fill(form, session):
    form.module.data = session.module_id
    form.date.data = session.date
    form.start_time.data = session.start_time
    form.duration.data = session.duration_minutes
    form.venue.data = session.venue
    form.facilitators.data = [m.user_id for m in session.staff if m.role == "facilitator" and m.user_id]
    form.interpreter.data = changes.current_values(session)["interpreter"]
    form.revision.data = str(session.details_revision)


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def edit(session_id):
    session = _session(session_id, WITH_TEAM)
    form = SessionEditForm()
    modules = _edit_choices(form, session)
    differences, error = [], ""
    if request.method == "GET":
        _fill(form, session)
    elif form.validate_on_submit():
        if form.module.data not in modules:
            abort(400)
        details = changes.Details(
            module=modules[form.module.data],
            date=form.date.data,
            start_time=form.start_time.data,
            duration=form.duration.data,
            venue=form.venue.data or "",
            facilitator_ids=list(form.facilitators.data or []),
            interpreter=form.interpreter.data or "",
        )
        result = changes.edit_session(session, details, _revision(form), current_user)
        if result.saved:
            db.session.commit()
            if not result.changed:
                flash(_("No cambió nada."), "info")
            elif "date" in result.changed and changes.attendance_count(session):
                flash(
                    _("Sesión actualizada. La asistencia registrada sigue con la sesión en su nueva fecha."),
                    "success",
                )
            else:
                flash(_("Sesión actualizada."), "success")
            return redirect(url_for(".show", session_id=session.id))
        differences, error = result.differences, result.error
        if differences:
            # Saving again applies this form over the other save, knowingly: it now carries the new revision.
            session = _session(session_id, WITH_TEAM)
            form.revision.data = str(session.details_revision)
    return render_template(
        "attendance/session_edit.html",
        form=form,
        session=session,
        differences=differences,
        error=error,
        field_labels=FIELD_LABELS,
        records=changes.attendance_count(session),
    ), (409 if differences else 200)


@bp.route("/<int:session_id>/cancel", methods=["POST"])
@access.roles(*MANAGERS)
def cancel(session_id):
    session = _session(session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "warning")
        return redirect(url_for(".show", session_id=session.id, _anchor="cancel"))
    result = changes.change_status(session, form.status.data, form.reason.data, _revision(form), current_user)
    return _finish(
        session_id,
        result,
        _("Sesión cancelada.") if form.status.data == "cancelled" else _("Sesión postergada."),
    )


@bp.route("/<int:session_id>/reopen", methods=["POST"])
@access.roles(*MANAGERS)
def reopen(session_id):
    session = _session(session_id)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    if session.status not in OFF_STATES:
        flash(_("La sesión no está cancelada ni postergada."), "info")
        return redirect(url_for(".show", session_id=session.id))
    result = changes.change_status(session, "planned", "", _revision(form), current_user)
    return _finish(session_id, result, _("Sesión reabierta: vuelve a estar planificada."))


@bp.route("/<int:session_id>/status", methods=["POST"])
@access.roles(*MANAGERS)
def set_status(session_id):
    session = _session(session_id)
    form = RevisionForm()
    status = request.form.get("status", "")
    if not form.validate_on_submit() or status not in PROGRESS_STATES:
        abort(400)
    result = changes.change_status(session, status, "", _revision(form), current_user)
    return _finish(session_id, result, _("Estado de la sesión actualizado."))


def _finish(session_id, result, done):
    if result.saved:
        db.session.commit()
        flash(done, "success")
    else:
        db.session.rollback()
        flash(result.error, "warning")
    return redirect(url_for(".show", session_id=session_id))


@bp.route("/<int:session_id>/delete", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def delete(session_id):
    session = _session(session_id)
    refusal = changes.deletion_refusal(session)
    form = RevisionForm()
    if request.method == "POST" and refusal is None:
        if not form.validate_on_submit():
            abort(400)
        changes.delete_session(session, current_user)
        db.session.commit()
        flash(_("Sesión borrada."), "success")
        return redirect(url_for(".index"))
    return render_template(
        "attendance/session_delete.html",
        session=session,
        refusal=refusal,
        form=form,
        cancel_form=CancelForm(revision=session.details_revision),
    ), (409 if refusal and request.method == "POST" else 200)
