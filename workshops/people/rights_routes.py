"""Pages for a person's rights over their data: export, withdrawal of consent, anonymisation."""

import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core import access
from ..core.text import revision_number
from ..extensions import db
from . import rights
from . import sentences as _sentences  # noqa: F401 (the register's audit sentences)
from .forms import AnonymiseForm, WithdrawConsentForm
from .models import Person
from .routes import MANAGERS, bp

MIMETYPES = {"json": "application/json", "csv": "text/csv"}


def _person(person_id: int) -> Person:
    found = db.session.get(Person, person_id)
    if found is None:
        abort(404)
    return found


@bp.route("/persons/<int:person_id>/export")
@access.roles(*MANAGERS)
def export_person(person_id: int):
    """All the person's data as a download (?format=json or csv); the download is audited."""
    person = _person(person_id)
    chosen = request.args.get("format", "json")
    if chosen not in rights.EXPORT_FORMATS:
        abort(404)
    body = rights.export_person(person, chosen, current_user)
    db.session.commit()
    response = send_file(
        io.BytesIO(body),
        mimetype=MIMETYPES[chosen],
        as_attachment=True,
        download_name=f"persona-{person.id}-{date.today().isoformat()}.{chosen}",
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: kept in no cache
    return response


@bp.route("/persons/<int:person_id>/withdraw-consent", methods=["POST"])
@access.roles(*MANAGERS)
def withdraw_consent(person_id: int):
    person = _person(person_id)
    form = WithdrawConsentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "warning")
        return redirect(url_for(".person", person_id=person.id))
    base = request.form.get("revision", type=revision_number)
    try:
        saved = rights.withdraw_consent(
            person, form.withdrawn_on.data, base if base is not None else -1, current_user
        )
    except rights.RightsRefused:
        flash(_("Esta persona no tiene un consentimiento que retirar."), "warning")
        return redirect(url_for(".person", person_id=person.id))
    if not saved:
        flash(
            _("Otra persona cambió estos datos mientras usted los veía. Revíselos y vuelva a intentar."),
            "warning",
        )
        return redirect(url_for(".person", person_id=person_id))
    db.session.commit()
    flash(_("Se registró el retiro del consentimiento; queda en el historial."), "success")
    return redirect(url_for(".person", person_id=person.id))


@bp.route("/persons/<int:person_id>/anonymise", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def anonymise(person_id: int):
    """Confirmation page, then the anonymisation itself (irreversible)."""
    person = _person(person_id)
    if person.anonymised_at is not None:
        flash(_("Los datos de esta persona ya se borraron."), "info")
        return redirect(url_for(".person", person_id=person.id))
    if person.merged_into_id is not None:
        flash(_("Este registro se fusionó con otro: anonimice el registro que se conservó."), "warning")
        return redirect(url_for(".person", person_id=person.merged_into_id))
    form = AnonymiseForm()
    if form.validate_on_submit():
        rights.anonymise(person, current_user)
        db.session.commit()
        flash(
            _("Se borraron los datos personales. La persona queda como un número en las cifras."), "success"
        )
        return redirect(url_for(".person", person_id=person.id))
    return render_template("people/anonymise.html", person=person, form=form)
