"""Browse the curriculum: modules by area, one module, the key terms."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from .. import access
from . import services

bp = Blueprint("curriculum", __name__)

AREA_LABELS = {
    "agronomy": _l("Agronomía del café"),
    "organization": _l("Organización y gobierno cooperativo"),
    "finance": _l("Educación financiera y empoderamiento económico de las mujeres"),
}
KIND_LABELS = {
    "key_messages": _l("Mensajes clave"),
    "explanation": _l("Explicación"),
    "activity": _l("Actividad"),
    "discussion": _l("Diálogo"),
    "facilitator_note": _l("Nota para el facilitador"),
    "evaluation": _l("Evaluación"),
}


@bp.app_context_processor
def curriculum_labels():
    return {"AREA_LABELS": AREA_LABELS, "KIND_LABELS": KIND_LABELS}


@bp.route("/")
@access.signed_in
def index():
    return redirect(url_for("curriculum.modules"))


@bp.route("/modules")
@access.signed_in
def modules():
    return render_template("curriculum/modules.html", areas=services.modules_by_area())


@bp.route("/modules/<slug>")
@access.signed_in
def module(slug):
    found = services.get_module(slug)
    if found is None:
        abort(404)
    return render_template("curriculum/module.html", module=found)


@bp.route("/terms")
@access.signed_in
def terms():
    return render_template("curriculum/terms.html", terms=services.all_key_terms())
