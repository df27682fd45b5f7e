"""Sessions: list, create, generate, print the sheet, enter attendance."""

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..auth.models import User, UserRole
from ..core import access, audit
from ..core.clock import program_time
from ..core.errors import render_error
from ..core.forms import ConfirmForm
from ..core.pdf import RenderError
from ..core.text import revision_number
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import format_date, module_title
from ..people.models import Community
from . import changes, services, sheet, uploads, walkins
from .forms import CancelForm, RevisionForm, SeriesForm, SessionForm, parse_entry, walk_in_rows
from .models import (
    ATTENDANCE_STATES,
    OFF_STATES,
    PROGRESS_STATES,
    SessionAttachment,
    SessionStaff,
    WorkshopSession,
)

bp = Blueprint("sessions", __name__, url_prefix="/sessions")
STAFF = ("admin", "coordinator", "facilitator")


# Lazy: a context processor runs for every page rendered, and these are needed on a few.
ATTENDANCE_LABELS = {
    "present": _l("presente"),
    "late": _l("tarde"),
    "excused": _l("justificado"),
    "absent": _l("ausente"),
    "not_enrolled": _l("aún no inscrito"),
}
SESSION_LABELS = {
    "planned": _l("planificada"),
    "held": _l("realizada"),
    "entered": _l("asistencia ingresada"),
    "checked": _l("revisada"),
    "cancelled": _l("cancelada"),
    "postponed": _l("postergada"),
}


@bp.app_context_processor
def labels():
    return {
        "ATTENDANCE_LABELS": ATTENDANCE_LABELS,
        "SESSION_LABELS": SESSION_LABELS,
        "PROGRESS_STATES": PROGRESS_STATES,
        "OFF_STATES": OFF_STATES,
    }


# The details a session's history names (changes.FIELDS and its status).
FIELD_LABELS = {
    "module": _l("Módulo"),
    "date": _l("Fecha"),
    "start_time": _l("Hora de inicio"),
    "duration": _l("Duración en minutos"),
    "venue": _l("Lugar"),
    "facilitators": _l("Facilitadores"),
    "interpreter": _l("Intérprete"),
    "status": _l("Estado"),
}


def shown_value(field, value):
    """A value of the session's history as the page shows it: dates and states in the user's language."""
    if not value:
        return "—"
    if field == "date":
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if field == "status":
        return SESSION_LABELS.get(value, value)
    return value


def _choices(form):
    modules = db.session.scalars(select(Module).order_by(Module.number)).all()
    communities = db.session.scalars(select(Community).order_by(Community.name)).all()
    facilitators = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == "facilitator").order_by(User.display_name)
    ).all()
    form.module_choices = [SelectChoice(m.id, f"{m.number}. {module_title(m)}") for m in modules]
    if hasattr(form, "module"):
        form.module.choices = form.module_choices
        form.community.choices = [SelectChoice(c.id, c.name) for c in communities]
    else:
        form.modules.choices = form.module_choices
        form.communities.choices = [SelectChoice(c.id, c.name) for c in communities]
    form.facilitators.choices = [SelectChoice(u.id, u.display_name) for u in facilitators]
    return {m.id: m for m in modules}, {c.id: c for c in communities}


def _session(session_id, options=()):
    found = db.session.get(WorkshopSession, session_id, options=options)
    if found is None or not services.can_see(current_user, found):
        abort(404)  # a facilitator does not learn that other sessions exist
    return found


@bp.route("/")
@access.roles(*STAFF)
def index():
    """The sessions a user may see: upcoming first, filtered, a page at a time, with what is left to do."""
    filters = _filters(request.args)
    query = services.filtered_sessions(current_user, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // services.SESSIONS_PAGE_SIZE))
    page = max(1, min(request.args.get("page", 1, type=int), pages))
    sessions = db.session.scalars(
        query.offset((page - 1) * services.SESSIONS_PAGE_SIZE).limit(services.SESSIONS_PAGE_SIZE)
    ).all()
    manager = services.is_manager(current_user)
    to_enter = services.filtered_sessions(current_user, services.SessionFilters(when="to_enter"))
    return render_template(
        "attendance/sessions.html",
        sessions=sessions,
        manager=manager,
        filters=filters,
        total=total,
        page=page,
        pages=pages,
        choices=_filter_choices(manager),
        to_enter=db.session.scalar(select(func.count()).select_from(to_enter.order_by(None).subquery())),
        to_review=walkins.count_to_review() if manager else 0,
    )


def _filters(args):
    """Read the list's filters; a value that is not one of the choices is left out, never an error."""

    def number(name):
        value = args.get(name, type=int)
        return value if value is not None and 0 < value < 2**31 else None

    def day(name):
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    when = args.get("when", "upcoming")
    status = args.get("status", "")
    return services.SessionFilters(
        when=when if when in services.WHEN_CHOICES else "upcoming",
        community=number("community"),
        module=number("module"),
        facilitator=number("facilitator"),
        status=status if status in SESSION_LABELS else "",
        start=day("start"),
        end=day("end"),
        mine=args.get("mine") == "1",
    )


def _filter_choices(manager):
    """The lists of the filter form: communities (a facilitator's own), modules, and facilitators."""
    communities = select(Community.id, Community.name).order_by(Community.name)
    if not manager:
        mine = services.visible_sessions_query(current_user).with_only_columns(WorkshopSession.community_id)
        communities = communities.where(Community.id.in_(mine.order_by(None)))
    choices = {
        "communities": db.session.execute(communities).all(),
        "modules": db.session.execute(select(Module.id, Module.number).order_by(Module.number)).all(),
        "facilitators": [],
    }
    if manager:
        choices["facilitators"] = db.session.execute(
            select(User.id, User.display_name)
            .join(UserRole)
            .where(UserRole.role == "facilitator")
            .order_by(User.display_name)
        ).all()
    return choices


@bp.route("/new", methods=["GET", "POST"])
@access.roles("admin", "coordinator")
def new():
    form = SessionForm()
    modules, communities = _choices(form)
    if form.validate_on_submit():
        if form.module.data not in modules or form.community.data not in communities:
            abort(400)
        session = services.create_session(
            modules[form.module.data],
            communities[form.community.data],
            form.date.data,
            form.start_time.data,
            form.duration.data,
            form.venue.data or "",
            form.facilitators.data,
            form.interpreter.data,
            current_user,
        )
        db.session.commit()
        flash(_("Sesión creada."), "success")
        return redirect(url_for(".show", session_id=session.id))
    return render_template("attendance/session_form.html", form=form)


@bp.route("/generate", methods=["GET", "POST"])
@access.roles("admin", "coordinator")
def generate():
    form = SeriesForm()
    modules, communities = _choices(form)
    if form.validate_on_submit():
        chosen_modules = [modules[i] for i in form.modules.data if i in modules]
        chosen_communities = [communities[i] for i in form.communities.data if i in communities]
        created = services.generate_series(
            chosen_modules,
            chosen_communities,
            form.first_date.data,
            form.interval.data,
            form.start_time.data,
            form.duration.data,
            form.facilitators.data,
            current_user,
        )
        db.session.commit()
        flash(_("Se crearon %(count)s sesiones.", count=created), "success")
        return redirect(url_for(".index"))
    return render_template("attendance/series_form.html", form=form)


@bp.route("/<int:session_id>")
@access.roles(*STAFF)
def show(session_id):
    # The page names every member of the team: load them with their accounts, not one by one.
    session = _session(session_id, [selectinload(WorkshopSession.staff).selectinload(SessionStaff.user)])
    counts, by_sex = services.figures(session)
    attachments = db.session.scalars(
        select(SessionAttachment)
        .where(SessionAttachment.session_id == session.id)
        .order_by(SessionAttachment.id)
    ).all()
    manager = services.is_manager(current_user)
    return render_template(
        "attendance/session.html",
        session=session,
        counts=counts,
        by_sex=by_sex,
        attachments=attachments,
        manager=manager,
        history=changes.history(session),
        cancel_form=CancelForm(revision=session.details_revision) if manager else None,
        revision_form=RevisionForm(revision=session.details_revision) if manager else None,
        shown_value=shown_value,
        program_time=program_time,
        field_labels=FIELD_LABELS,
    )


@bp.route("/<int:session_id>/sheet")
@access.roles(*STAFF)
def sheet_view(session_id):
    session = _session(session_id)
    return sheet.render(session)


@bp.route("/<int:session_id>/sheet.pdf")
@access.roles(*STAFF)
def sheet_pdf(session_id):
    session = _session(session_id)
    try:
        data = sheet.render_pdf(session)
    except RenderError:
        return render_error(500, _("No se pudo generar el PDF"), _("Imprima la hoja desde el navegador."))
    # The sheet lists the names of a community's people: who downloaded it is logged.
    audit.record(current_user, "sheet-pdf", session)
    db.session.commit()
    name = f"asistencia-{session.community.code.lower()}-modulo-{session.module.number:02d}-{session.date.isoformat()}.pdf"
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@access.roles(*STAFF)
def enter(session_id):
    """Enter a session's attendance, a page of about 200 people at a time, in the printed sheet's order."""
    session = _session(session_id)
    search = request.args.get("q", "").strip()[:100]
    roster = services.roster_page(session, request.args.get("page", 1, type=int), search)
    people_ids = [person.id for _household, members in roster.groups for person in members]
    stored = services.records_by_person(session, people_ids)
    marks = {person_id: (record.status, record.remark) for person_id, record in stored.items()}
    shown = {"conflicts": [], "errors": [], "matches": [], "confirmed": "", "walk_in_rows": walk_in_rows({})}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        submitted, walk_ins, shown["errors"] = parse_entry(request.form, people_ids)
        shown["walk_in_rows"] = walk_in_rows(request.form)
        marks = submitted
        if request.form.get("action") == "mark_all":
            marks = {pid: (status or "present", remark) for pid, (status, remark) in submitted.items()}
        elif not shown["errors"]:
            done = _save_entry(session, roster, submitted, walk_ins, shown)
            if done is not None:
                return done
            session = _session(session_id)
    return render_template(
        "attendance/entry.html",
        session=session,
        roster=roster,
        search=search,
        marks=marks,
        refusal=services.attendance_refusal(session),
        status_options=[(state, str(ATTENDANCE_LABELS[state])) for state in ATTENDANCE_STATES],
        on_roster=set(people_ids),
        **shown,
    )


def _save_entry(session, roster, submitted, walk_ins, shown):
    """Save a page of the entry form; return the redirect, or None with what to show in `shown`."""
    matches, shown["confirmed"] = _walk_ins_to_confirm(session, walk_ins)
    if matches:
        shown["matches"] = matches
        return None
    known, walk_ins = walkins.resolve_walk_ins(session, walk_ins, request.form)
    submitted = {**submitted, **{person_id: ("present", "") for person_id in known}}
    base = request.form.get("revision", type=revision_number)
    result = services.save_attendance(
        session,
        submitted,
        base if base is not None else -1,
        current_user,
        [fields for _row, fields in walk_ins],
    )
    if not result.saved:
        shown["conflicts"] = result.conflicts
        return None
    db.session.commit()
    if roster.page < roster.pages:
        flash(
            _(
                "Asistencia de la página %(page)s de %(pages)s guardada. Siga con la página %(next)s.",
                page=roster.page,
                pages=roster.pages,
                next=roster.page + 1,
            ),
            "success",
        )
        return redirect(
            url_for(".enter", session_id=session.id, page=roster.page + 1, q=request.args.get("q") or None)
        )
    flash(_("Asistencia guardada."), "success")
    return redirect(url_for(".show", session_id=session.id))


def _walk_ins_to_confirm(session, walk_ins):
    """Return (candidates, digest of the rows) while typed walk-ins need the coordinator's word.

    A walk-in who may be someone known, or typed twice, is shown first and nothing is saved,
    until the coordinator marks them on the roster or confirms exactly these walk-ins are new
    (the digest comes back in the form's `confirmed` field); else ([], "").
    """
    digest = walkins.walk_ins_digest(walk_ins)
    if not walk_ins or request.form.get("confirmed") == digest or services.attendance_refusal(session):
        return [], ""
    matches = walkins.walk_in_candidates(session, walk_ins)
    return matches, (digest if matches else "")


@bp.route("/<int:session_id>/attachments", methods=["POST"])
@access.roles(*STAFF)
def attach(session_id):
    session = _session(session_id)

    if not ConfirmForm().validate_on_submit():
        abort(400)
    upload = request.files.get("sheet")
    messages = {
        "empty": _("Elija un archivo."),
        "too_large": _("El archivo pasa de 10 MB. Tome la foto con menos resolución."),
        "type": _("Solo se aceptan fotos JPEG o PNG y archivos PDF."),
    }
    if upload is None or not upload.filename:
        flash(messages["empty"], "warning")
    else:
        try:
            uploads.save(session, upload.stream, upload.filename, current_user)
            db.session.commit()
            flash(_("Se adjuntó la hoja firmada."), "success")
        except uploads.UploadRefused as refused:
            db.session.rollback()
            flash(messages[str(refused)], "warning")
        finally:
            upload.close()  # a large upload sits in a temporary file: release it now
    return redirect(url_for(".show", session_id=session.id))


@bp.route("/<int:session_id>/attachments/<int:attachment_id>")
@access.roles("admin", "coordinator")
def attachment(session_id, attachment_id):
    _session(session_id)
    found = db.session.get(SessionAttachment, attachment_id)
    if found is None or found.session_id != session_id:
        abort(404)
    data = uploads.content_of(found)
    if data is None:  # a sheet from before 0011 whose file could not be moved in (see the log)
        flash(_("El archivo de esta hoja firmada no está disponible. Avise al administrador."), "warning")
        return redirect(url_for(".show", session_id=session_id))
    audit.record(current_user, "download", found, session=session_id)
    db.session.commit()
    response = send_file(
        io.BytesIO(data),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=uploads.download_name(found),
        conditional=True,
        etag=found.stored_name,  # random and never reused: the bytes behind it never change
        last_modified=found.uploaded_at,
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: kept in no cache
    return response
