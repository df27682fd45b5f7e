"""Choose, view and download printable materials."""

import io

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..core import access
from ..core.errors import render_error
from ..core.pdf import RenderError
from ..curriculum.models import Module
from ..curriculum.services import play_strings
from ..extensions import db
from ..i18n import current_language, languages, module_title
from . import imposition, jobs, keys, pdfcache, services
from .forms import PrintForm
from .models import PrintJob

bp = Blueprint("materials", __name__, url_prefix="/materials")
PRINTERS = ("admin", "coordinator", "facilitator", "translator", "reviewer")


def _form():
    form = PrintForm(request.args)
    modules = db.session.scalars(select(Module).order_by(Module.number)).all()
    form.module.choices = [SelectChoice(m.slug, f"{m.number}. {module_title(m)}") for m in modules]
    form.first.choices = [SelectChoice(code, lang.native_name) for code, lang in languages().items()]
    return form


def _options():
    """Read the options from the query string; unknown values are a 404, never a 500."""
    args = request.args
    known = languages()
    document = args.get("document", "handout")
    layout = args.get("layout", "side")
    first = args.get("first", "agr")
    paper = args.get("paper", "A4")
    size = args.get("size", "normal")
    fuzzy = args.get("fuzzy", "mark")
    if (
        document not in services.DOCUMENTS
        or layout not in services.LAYOUTS
        or paper not in services.PAPERS
        or size not in services.SIZES
        or fuzzy not in services.FUZZY
        or first not in known
    ):
        abort(404)
    second = next((code for code in known if code != first and (first == "es" or code == "es")), "es")
    module = args.get("module") if document in ("handout", "guide") else None
    if document in ("handout", "guide") and not module:
        abort(404)
    return services.Options(document, module, layout, first, second, paper, size, fuzzy)


def _document():
    options = _options()
    try:
        document = services.build(options)
    except LookupError:
        abort(404)
    return document


def _context(document):
    context = services.print_context(document)
    context["pdf_url"] = url_for("materials.pdf", **request.args)
    context["files_url"] = url_for("materials.files", **request.args)
    # The web view's play mode (static/js/play.js), when the document has recordings.
    context["play_strings"] = play_strings() if document.heard else None
    return context


@bp.route("/")
@access.roles(*PRINTERS)
def choose():
    form = _form()
    if not request.args:
        form.first.data = "agr" if "agr" in languages() else current_language().code
    return render_template("materials/choose.html", form=form)


@bp.route("/print")
@access.roles(*PRINTERS)
def view():
    if not request.args:
        return redirect(url_for(".choose"))
    document = _document()
    return services.render_html(document, _context(document))


SHOP_WORDS = {"booklet": "folleto-a5", "two_up": "2-por-cara"}


def _shop():
    """Read the print-shop options (imposition, copies); unknown values are a 404."""
    shop = request.args.get("shop", "plain")
    copies = request.args.get("copies", "1")
    if shop not in imposition.SHOPS or not copies.isdigit() or not 1 <= int(copies) <= imposition.MAX_COPIES:
        abort(404)
    return shop, int(copies)


def _stamp(options):
    try:
        return keys.document_stamp(options, services.render_version(options))
    except LookupError:
        abort(404)


def _render_failed():
    return render_error(
        500,
        _("No se pudo generar el PDF"),
        _(
            "El documento no se pudo convertir en PDF. Se registró el error; avise a un administrador. "
            "Mientras tanto puede imprimir la vista del navegador."
        ),
    )


def _build_in_background(options, stamp):
    """Queue a long build that is not cached yet and send the user to its progress page; else None."""
    if options.document not in jobs.BACKGROUND_DOCUMENTS or pdfcache.cached(stamp.key):
        return None
    job = jobs.enqueue(options, stamp)
    db.session.commit()  # the worker must see the row
    jobs.start_worker(current_app._get_current_object())
    return redirect(url_for(".job", job_id=job.id), code=303)


@bp.route("/jobs/<int:job_id>")
@access.roles(*PRINTERS)
def job(job_id):
    """Show a background build: a progress bar while it runs, the files when it is ready."""
    print_job = db.get_or_404(PrintJob, job_id)
    if print_job.state in ("pending", "running"):
        jobs.start_worker(current_app._get_current_object())  # resumes the queue after a restart
    args = jobs.query_args(jobs.options_of(print_job))
    return render_template("materials/job.html", job=print_job, percent=jobs.progress(print_job), args=args)


@bp.route("/print.pdf")
@access.roles(*PRINTERS)
def pdf():
    if not request.args:
        return redirect(url_for(".choose"))
    options = _options()
    shop, copies = _shop()
    stamp = _stamp(options)  # a few small queries: a cached file is found without building
    if waiting := _build_in_background(options, stamp):
        return waiting
    try:
        path = pdfcache.document_pdf(options, stamp)
        suffix = "-".join(filter(None, [SHOP_WORDS.get(shop, ""), f"{copies}-copias" if copies > 1 else ""]))
        if suffix:
            key = f"{stamp.key}-{shop}-{copies}"
            path = pdfcache.cached(key) or pdfcache.store(
                key, imposition.impose(path.read_bytes(), shop, copies)
            )
    except RenderError:
        return _render_failed()
    # Read the cached file whole (a few MB at most): nothing stays open if the client goes away.
    return send_file(
        io.BytesIO(path.read_bytes()),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.file_name(options, stamp, suffix),
    )


@bp.route("/files")
@access.roles(*PRINTERS)
def files():
    """Offer the print-shop files of a document, with their page and sheet counts."""
    if not request.args:
        return redirect(url_for(".choose"))
    options = _options()
    _shop_unused, copies = _shop()
    stamp = _stamp(options)
    if waiting := _build_in_background(options, stamp):
        return waiting
    try:
        path = pdfcache.document_pdf(options, stamp)
    except RenderError:
        return _render_failed()
    pages = imposition.page_count(path)
    args = {k: v for k, v in request.args.items() if k not in ("shop", "copies")}
    choices = [
        (
            shop,
            imposition.sheet_counts(pages, shop, copies),
            url_for(".pdf", shop=shop, copies=copies, **args),
        )
        for shop in imposition.SHOPS
    ]
    return render_template(
        "materials/files.html",
        pages=pages,
        copies=copies,
        choices=choices,
        args=args,
        max_copies=imposition.MAX_COPIES,
    )
