"""The review queue of walk-ins (/people/review): merge, assign to a household, or confirm as new.

It lives with attendance, not people/, because it shows the sessions each person came from.
"""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core import access
from ..core.forms import ConfirmForm
from ..core.text import page_number, record_id
from ..extensions import db
from ..people import services as people
from ..people.models import Household, Person
from . import walkins

bp = Blueprint("review", __name__, url_prefix="/people/review")
MANAGERS = ("admin", "coordinator")


def _person_to_review(person_id: int) -> Person | None:
    """The person, or None (with a message) when someone else already settled them."""
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    if not person.needs_review or person.merged_into_id is not None:
        flash(_("Otra persona ya revisó este registro."), "info")
        return None
    return person


def _back():
    return redirect(url_for(".index", page=request.form.get("page", type=page_number) or None))


@bp.route("/")
@access.roles(*MANAGERS)
def index():
    result = walkins.review_page(request.args.get("page", type=page_number) or 1)
    return render_template("attendance/review.html", result=result, today=date.today())


@bp.route("/<int:person_id>/confirm", methods=["POST"])
@access.roles(*MANAGERS)
def confirm(person_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = _person_to_review(person_id)
    if person is not None:
        walkins.confirm_new(person, current_user)
        db.session.commit()
        flash(_("%(name)s queda registrada como persona nueva.", name=person.full_name), "success")
    return _back()


def _household_chosen(form):
    """The household picked from the list, or typed by its code where the list would be too long."""
    code = form.get("household_code", "").strip().upper()
    if code:
        return db.session.scalar(select(Household).where(Household.code == code[:16]))
    chosen = form.get("household", type=record_id)
    return db.session.get(Household, chosen) if chosen else None


@bp.route("/<int:person_id>/household", methods=["POST"])
@access.roles(*MANAGERS)
def household(person_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = _person_to_review(person_id)
    if person is None:
        return _back()
    target = _household_chosen(request.form)
    try:
        when = date.fromisoformat(request.form.get("date", ""))
    except ValueError:
        when = None
    typed = request.form.get("household_code", "").strip()
    if target is None and typed:
        flash(_("No hay ninguna familia con el código %(code)s.", code=typed[:16]), "warning")
    elif target is None:
        flash(_("Elija la familia."), "warning")
    elif when is None:
        flash(_("Escriba la fecha desde la que está en la familia (como 2026-03-14)."), "warning")
    else:
        try:
            walkins.assign_household(person, target, when, current_user)
        except (walkins.ReviewRefused, people.MoveRefused) as refused:
            db.session.rollback()
            flash(str(refused), "warning")
        else:
            db.session.commit()
            flash(
                _("%(name)s queda en la familia %(code)s.", name=person.full_name, code=target.code),
                "success",
            )
    return _back()
