"""Registry tools: CSV import with preview, merging duplicates and undoing merges."""

import io
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core import access
from ..core import jobs as queue
from ..core.forms import ConfirmForm
from ..core.text import record_id
from ..extensions import db
from ..i18n import current_language
from . import corrections, import_jobs, importer, merge, services
from .forms import WithdrawConsentForm
from .models import Household, Merge, Person
from .routes import MANAGERS, bp


@bp.route("/import/template.csv")
@access.roles(*MANAGERS)
def import_template():
    return send_file(
        io.BytesIO(importer.template_csv().encode("utf-8")),
        mimetype="text/csv",
        as_attachment=True,
        download_name="plantilla-familias.csv",
    )


@bp.route("/import", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def import_csv():
    result = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        reference = importer.parse_reference(request.form.get("reference"))
        if reference is None:
            flash(
                _("La fecha de referencia no es válida o está en el futuro; escríbala como 2026-03-14."),
                "warning",
            )
        elif request.form.get("confirm") and len(request.form.get("text", "").encode()) > importer.MAX_BYTES:
            # The confirm step sends the file's text back: it gets the same limit as the upload.
            flash(_("El archivo pasa de 2 MB; divídalo en partes."), "warning")
        elif request.form.get("confirm") and import_jobs.is_large(request.form.get("text", "")):
            # Checked again, and imported whole, by the job: the answer does not wait for it.
            try:
                job = import_jobs.enqueue(
                    request.form["text"], reference, current_user.id, current_language().code
                )
            except importer.TooManyRows:
                flash(str(import_jobs.TOO_MANY_ROWS), "warning")
            else:
                db.session.commit()
                queue.start_import_worker(current_app._get_current_object())
                return redirect(url_for(".import_job", import_job_id=job.id), code=303)
        elif request.form.get("confirm") and request.form.get("text"):
            result = _plan(request.form["text"], reference)
            if result is not None and not result.error_count and result.rows:
                households, persons = importer.run(result, current_user)
                db.session.commit()
                flash(
                    _(
                        "Importación terminada: %(h)s familias y %(p)s personas nuevas.",
                        h=households,
                        p=persons,
                    ),
                    "success",
                )
                return redirect(url_for(".communities"))
        else:
            upload = request.files.get("file")
            data = upload.read(importer.MAX_BYTES + 1) if upload else b""
            if upload:
                upload.close()
            if not data:
                flash(_("Elija un archivo CSV."), "warning")
            elif len(data) > importer.MAX_BYTES:
                flash(_("El archivo pasa de 2 MB; divídalo en partes."), "warning")
            else:
                result = _plan(importer.decode(data), reference)
    return render_template(
        "people/import.html",
        result=result,
        reference=request.form.get("reference") or date.today().isoformat(),
        columns=importer.COLUMNS,
        sex_words=importer.SEX_WORDS,
        max_rows=importer.MAX_ROWS,
    )


def _plan(text: str, reference: date) -> importer.Plan | None:
    """Return the import's plan, or None after saying the file has too many rows to import at once."""
    try:
        return importer.plan(text, reference)
    except importer.TooManyRows:
        flash(str(import_jobs.TOO_MANY_ROWS), "warning")
        return None


@bp.route("/import/jobs/<int:import_job_id>")
@access.roles(*MANAGERS)
def import_job(import_job_id):
    """Show a queued import's progress, then its result (to whoever queued it, and administrators)."""
    job = queue.job_for(import_job_id, import_jobs.KIND, current_user)
    if job is None:
        abort(404)
    if job.state in ("pending", "running"):
        queue.start_import_worker(current_app._get_current_object())  # resumes the queue after a restart
    processed, total = queue.progress_of(job)
    return render_template(
        "people/import_job.html", job=job, processed=processed, total=total, result=queue.result_of(job)
    )


@bp.route("/persons/<int:person_id>")
@access.roles(*MANAGERS)
def person(person_id):
    found = db.session.get(Person, person_id)
    if found is None:
        abort(404)
    similar = services.similar_people(
        found.given_names, found.family_names, found.birth_year, exclude_id=found.id
    )
    return render_template(
        "people/person.html",
        person=found,
        similar=similar,
        history=corrections.history_of(found),
        stays=corrections.stays_of_person(found),
        today=date.today(),
        withdraw_form=WithdrawConsentForm(
            formdata=None, withdrawn_on=date.today(), revision=str(found.revision)
        ),
    )


@bp.route("/persons/<int:person_id>/merge", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def merge_person(person_id):
    """Merge this person into the one kept (?keep=): a preview first, the merge on its confirmation."""
    remove = db.session.get(Person, person_id)
    if remove is None:
        abort(404)
    keep_id = request.values.get("keep", type=record_id)
    if keep_id is None:
        return redirect(url_for(".person", person_id=remove.id))
    keep = db.session.get(Person, keep_id)
    if keep is None:
        abort(404)
    if request.method == "POST" and not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if request.method == "POST":
            done = merge.merge_persons(keep, remove, current_user, seen=request.form.get("seen", ""))
            db.session.commit()
            flash(_("Fusionadas. Se puede deshacer en la lista de fusiones."), "success")
            return redirect(url_for(".merges", highlight=done.id))
        plan = merge.preview(keep, remove)
    except merge.MergeRefused:
        flash(_("Estas dos personas no se pueden fusionar."), "warning")
        return redirect(url_for(".person", person_id=remove.id))
    except merge.MergeChanged as changed:
        flash(
            _("La asistencia de estas personas cambió desde la vista previa: revísela otra vez."), "warning"
        )
        plan = changed.plan
    return render_template("people/merge_preview.html", keep=keep, remove=remove, plan=plan)


@bp.route("/households/<int:household_id>/merge", methods=["POST"])
@access.roles(*MANAGERS)
def merge_household(household_id):
    remove = db.session.get(Household, household_id)
    keep = db.session.get(Household, request.form.get("keep", type=record_id) or 0)
    if remove is None or keep is None or keep.community_id != remove.community_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        merge.merge_households(keep, remove, current_user)
    except merge.MergeRefused:
        flash(_("Estas dos familias no se pueden fusionar."), "warning")
        return redirect(url_for(".household", household_id=remove.id))
    db.session.commit()
    flash(_("Familias fusionadas. Se puede deshacer en la lista de fusiones."), "success")
    return redirect(url_for(".household", household_id=keep.id))


@bp.route("/merges", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def merges():
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        found = db.session.get(Merge, request.form.get("merge", type=record_id) or 0)
        if found is None:
            abort(404)
        try:
            merge.undo(found, current_user)
        except merge.MergeRefused:
            flash(_("Esta fusión ya se deshizo."), "warning")
        else:
            db.session.commit()
            flash(_("Fusión deshecha."), "success")
        return redirect(url_for(".merges"))
    return render_template(
        "people/merges.html",
        rows=merge.recent_merges(),
        highlight=request.args.get("highlight", type=record_id),
    )
