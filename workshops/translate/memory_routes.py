"""Translation memory pages: concordance search and the reviewers' propagation switch."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..catalog.store import bump_revision
from ..core import access
from ..extensions import db
from ..languages import LanguageSetting
from . import memory
from .forms import EntryForm
from .workspace_routes import TRANSLATORS, target_language

bp = Blueprint("memory", __name__, url_prefix="/translate")


@bp.route("/<lang>/concordance")
@access.roles(*TRANSLATORS)
def concordance(lang):
    """Show every source and translation of both catalogs containing a word or phrase."""
    language = target_language(lang)
    q = request.args.get("q", "")[:200]
    rows, total = memory.concordance(lang, q) if q.strip() else ([], 0)
    return render_template(
        "translate/concordance.html",
        language=language,
        q=q,
        rows=rows,
        total=total,
        limit=memory.CONCORDANCE_LIMIT,
        form=EntryForm(),
    )


@bp.route("/<lang>/propagation", methods=["POST"])
@access.roles("reviewer")
def propagation(lang):
    """Switch propagation (a saved text suggested to every entry with the same source) on or off."""
    language = target_language(lang)
    form = EntryForm()
    if form.validate_on_submit():
        row = db.session.get(LanguageSetting, lang) or LanguageSetting(code=lang)
        row.propagate = request.form.get("propagate") == "1"
        db.session.add(row)
        bump_revision(lang)  # the language's settings changed: kept registries are read again
        db.session.commit()
        if row.propagate:
            flash(_("Propagación activada para %(name)s.", name=language.native_name), "success")
        else:
            flash(_("Propagación desactivada para %(name)s.", name=language.native_name), "success")
    return redirect(url_for("memory.concordance", lang=lang))
