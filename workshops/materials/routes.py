"""Choose, view and download printable materials."""

import io

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..core import access
from ..core.errors import render_error
from ..core.pdf import RenderError
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import current_language, languages, module_title
from . import services
from .forms import PrintForm

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


@bp.route("/print.pdf")
@access.roles(*PRINTERS)
def pdf():
    if not request.args:
        return redirect(url_for(".choose"))
    document = _document()
    context = _context(document)
    try:
        path, _cached = services.pdf_path(document, context)
    except RenderError:
        return render_error(
            500,
            _("No se pudo generar el PDF"),
            _(
                "El documento no se pudo convertir en PDF. Se registró el error; avise a un administrador. "
                "Mientras tanto puede imprimir la vista del navegador."
            ),
        )
    # Read the cached file whole (a few MB at most): nothing stays open if the client goes away.
    return send_file(
        io.BytesIO(path.read_bytes()),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.file_name(document),
    )
