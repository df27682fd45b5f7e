"""The language switcher (every page) and the admins' language settings."""

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..catalog.models import CatalogEntry, Translation
from ..catalog.store import bump_revision
from ..core import access
from ..core.urls import safe_next
from ..extensions import db
from ..i18n import SESSION_KEY, SHOW_UNTRANSLATED_KEY, languages
from ..languages import LanguageSetting, get_language, parse_plural_forms
from .forms import LanguageSettingForm, LanguageSwitchForm

bp = Blueprint("language", __name__)


@bp.route("/language", methods=["POST"])
@access.public
def switch():
    form = LanguageSwitchForm()
    if form.validate_on_submit():
        code = form.language.data if form.language.data in languages() else "es"
        session[SESSION_KEY] = code
        session[SHOW_UNTRANSLATED_KEY] = bool(form.show_untranslated.data)
        if current_user.is_authenticated:
            current_user.language = code
            db.session.commit()
    return redirect(safe_next(form.next.data))


@bp.route("/admin/languages", methods=["GET"])
@access.roles("admin")
def settings():
    return render_template("language/settings.html", languages=list(languages().values()))


@bp.route("/admin/languages/<code>", methods=["GET", "POST"])
@access.roles("admin")
def edit(code):
    language = get_language(code)
    if language is None:
        abort(404)
    form = LanguageSettingForm(obj=language)
    if form.validate_on_submit():
        nplurals, _rule = parse_plural_forms(form.plural_forms.data)
        stored_forms = db.session.scalars(
            select(Translation.forms)
            .join(Translation.entry)
            .where(
                Translation.language == code,
                CatalogEntry.msgid_plural.is_not(None),
                Translation.state != "untranslated",
            )
        ).all()
        if any(len(forms) != nplurals for forms in stored_forms):
            form.plural_forms.errors.append(
                _(
                    "Hay traducciones guardadas con otro número de formas de plural. Corríjalas antes de cambiar la regla."
                )
            )
        else:
            row = db.session.get(LanguageSetting, code) or LanguageSetting(code=code)
            row.native_name = form.native_name.data.strip()
            row.spanish_name = form.spanish_name.data.strip()
            row.plural_forms = form.plural_forms.data.strip()
            row.review_mode = form.review_mode.data
            row.require_recordings = bool(form.require_recordings.data)
            db.session.add(row)
            bump_revision(code)
            db.session.commit()
            flash(_("Se guardó el idioma %(name)s.", name=row.native_name), "success")
            return redirect(url_for("language.settings"))
    return render_template("language/edit.html", form=form, language=language)
