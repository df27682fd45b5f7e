"""Download a catalog for offline work and upload it back."""

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core import access
from ..core import jobs as queue
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import current_language
from . import offline, upload_jobs
from .catalog_import import SHOWN_ENTRIES, CatalogError
from .forms import UploadForm
from .workspace_routes import TRANSLATORS, check_domain, target_language

bp = Blueprint("offline", __name__, url_prefix="/translate")
MAX_UPLOAD = 8 * 1024 * 1024


@bp.route("/<lang>/<domain>/download")
@access.roles(*TRANSLATORS)
def download(lang, domain):
    target_language(lang)
    check_domain(domain)
    module = request.args.get("module") or None
    if module is not None and db.session.scalar(select(Module.id).where(Module.slug == module)) is None:
        # Not a module: it would also go into the file name of the answer's header (a CR/LF was a 500).
        abort(404)
    name, text = offline.download(lang, domain, module)
    return send_file(
        io.BytesIO(text.encode("utf-8")),
        mimetype="text/x-gettext-translation",
        as_attachment=True,
        download_name=name,
    )


@bp.route("/<lang>/<domain>/upload", methods=["GET", "POST"])
@access.roles(*TRANSLATORS)
def upload(lang, domain):
    language = target_language(lang)
    check_domain(domain)
    form = UploadForm()
    report = problems = None
    if form.validate_on_submit():
        data = form.catalog.data.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            flash(_("El archivo es demasiado grande (máximo 8 MB)."), "warning")
        elif upload_jobs.is_large(data):
            job = upload_jobs.enqueue(
                data,
                language.code,
                domain,
                form.catalog.data.filename or "upload.po",
                bool(form.dry_run.data),
                current_user.id,
                current_language().code,
            )
            db.session.commit()
            queue.start_import_worker(current_app._get_current_object())
            return redirect(
                url_for(".upload_job", lang=language.code, domain=domain, upload_job_id=job.id), code=303
            )
        else:
            try:
                report = offline.upload(
                    data,
                    language,
                    domain,
                    current_user,
                    form.catalog.data.filename,
                    dry_run=bool(form.dry_run.data),
                )
                db.session.commit()
            except CatalogError as error:
                db.session.rollback()
                problems = error.problems
    return render_template(
        "translate/upload.html",
        form=form,
        language=language,
        domain=domain,
        report=report,
        problems=problems,
        shown_entries=SHOWN_ENTRIES,
    )


@bp.route("/<lang>/<domain>/upload/jobs/<int:upload_job_id>")
@access.roles(*TRANSLATORS, "admin")
def upload_job(lang, domain, upload_job_id):
    """Show a queued upload's progress, then its report (to whoever queued it, and administrators)."""
    language = target_language(lang)
    check_domain(domain)
    job = queue.job_for(upload_job_id, upload_jobs.KIND, current_user)
    params = queue.params_of(job) if job is not None else {}
    if job is None or (params.get("lang"), params.get("domain")) != (language.code, domain):
        abort(404)
    if job.state in ("pending", "running"):
        queue.start_import_worker(current_app._get_current_object())  # resumes the queue after a restart
    processed, total = queue.progress_of(job)
    return render_template(
        "translate/upload_job.html",
        job=job,
        processed=processed,
        total=total,
        result=queue.result_of(job),
        language=language,
        domain=domain,
        shown_entries=SHOWN_ENTRIES,
    )
