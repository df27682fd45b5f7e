"""Glossary pages: everyone translating reads it, reviewers edit it."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..catalog.models import GlossaryTerm
from ..core import access
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import module_title
from . import glossary
from .forms import GlossaryForm, ProposalForm
from .workspace_routes import TRANSLATORS, target_language

bp = Blueprint("glossary", __name__, url_prefix="/translate")


def _form(obj=None):
    form = GlossaryForm(obj=obj)
    modules = db.session.scalars(select(Module).order_by(Module.number)).all()
    form.module.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(m.id), f"{m.number}. {module_title(m)}") for m in modules
    ]
    if obj is not None and not form.is_submitted():
        form.module.data = str(obj.module_id or "")
    return form


@bp.route("/<lang>/glossary")
@access.roles(*TRANSLATORS)
def terms(lang):
    language = target_language(lang)
    return render_template("translate/glossary.html", language=language, terms=glossary.terms(lang))


@bp.route("/<lang>/glossary/propose", methods=["GET", "POST"])
@access.roles(*TRANSLATORS)
def propose(lang):
    """Let a translator propose a term, or another translation of one, for review."""
    language = target_language(lang)
    form = ProposalForm()
    if not form.is_submitted():
        form.source_term.data = request.args.get("source", "")[:200]
    if form.validate_on_submit():
        glossary.propose(
            lang, form.source_term.data, form.target_term.data, form.definition.data, current_user
        )
        db.session.commit()
        flash(_("Propuesta guardada; un revisor la decidirá."), "success")
        return redirect(url_for(".terms", lang=lang))
    return render_template("translate/glossary_propose.html", language=language, form=form)


@bp.route("/<lang>/glossary/new", methods=["GET", "POST"])
@bp.route("/<lang>/glossary/<int:term_id>", methods=["GET", "POST"])
@access.roles("reviewer")
def edit(lang, term_id=None):
    language = target_language(lang)
    term = None
    if term_id is not None:
        term = db.session.get(GlossaryTerm, term_id)
        if term is None or term.language != lang:
            abort(404)
    form = _form(term)
    if form.validate_on_submit():
        glossary.save(term or GlossaryTerm(language=lang), form, current_user)
        db.session.commit()
        flash(_("Término guardado."), "success")
        return redirect(url_for(".terms", lang=lang))
    return render_template("translate/glossary_form.html", language=language, form=form, term=term)


@bp.route("/<lang>/glossary.csv")
@access.roles(*TRANSLATORS)
def export_csv(lang):
    target_language(lang)
    return send_file(
        io.BytesIO(glossary.as_csv(lang).encode("utf-8")),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"glosario-{lang}.csv",
    )


@bp.route("/<lang>/glossary.tbx")
@access.roles(*TRANSLATORS)
def export_tbx(lang):
    target_language(lang)
    return send_file(
        io.BytesIO(glossary.as_tbx(lang).encode("utf-8")),
        mimetype="application/x-tbx+xml",
        as_attachment=True,
        download_name=f"glosario-{lang}.tbx",
    )
