"""Cooperative partners: services and pages (a person or a couple per membership)."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..core import access, audit
from ..core.clock import program_today
from ..core.forms import ConfirmForm
from ..extensions import db
from . import services
from .models import Household, Partnership, Person
from .routes import MANAGERS, bp, page_number

PARTNERS_PER_PAGE = 100


# A cooperative's books start after this; anything earlier (or after today) is a typing mistake.
EARLIEST_JOINING = date(1950, 1, 1)
# Record ids are 32-bit integers in both databases; a larger number is no record at all.
LARGEST_ID = 2**31 - 1


class PartnershipRefused(Exception):
    """The membership breaks a rule; the message says which, in the user's language."""


def active_membership_of(person_id):
    return db.session.scalar(
        select(Partnership).where(
            Partnership.left_on.is_(None),
            or_(Partnership.person_id == person_id, Partnership.spouse_id == person_id),
        )
    )


def add_partner(person, spouse, joined_on, user):
    """Record a membership of a person, or of a couple of the same community (Law 31335); not committed."""
    if spouse is not None and spouse.id == person.id:
        raise PartnershipRefused(_("Una persona no puede ser su propio cónyuge en la membresía."))
    if spouse is not None and (
        spouse.household is None
        or person.household is None
        or spouse.household.community_id != person.household.community_id
    ):
        raise PartnershipRefused(_("El cónyuge debe vivir en una familia de la misma comunidad."))
    if not EARLIEST_JOINING <= joined_on <= program_today():
        raise PartnershipRefused(_("La fecha de ingreso no puede ser futura ni anterior a 1950."))
    for someone in filter(None, (person, spouse)):
        if active_membership_of(someone.id) is not None:
            raise PartnershipRefused(
                _("%(name)s ya es socia o socio de la cooperativa.", name=someone.full_name)
            )
    membership = Partnership(
        person_id=person.id, spouse_id=spouse.id if spouse else None, joined_on=joined_on
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(user, "partner", membership, person=person.id, spouse=spouse.id if spouse else None)
    return membership


@bp.route("/partners")
@access.roles(*MANAGERS)
def partners():
    current = Partnership.left_on.is_(None)
    rows = db.paginate(
        select(Partnership)
        .where(current)
        .options(joinedload(Partnership.person), joinedload(Partnership.spouse))
        .order_by(Partnership.joined_on, Partnership.id),
        page=page_number(),
        per_page=PARTNERS_PER_PAGE,
        error_out=False,
    )
    # The totals are of every current membership, counted in SQL, not of this page.
    holder = aliased(Person)
    spouse = aliased(Person)
    people, women = db.session.execute(
        select(
            func.count() + func.count(Partnership.spouse_id),
            func.count().filter(holder.sex == "female")
            + func.count(spouse.id).filter(spouse.sex == "female"),
        )
        .select_from(Partnership)
        .join(holder, holder.id == Partnership.person_id)
        .outerjoin(spouse, spouse.id == Partnership.spouse_id)
        .where(current)
    ).one()
    return render_template("people/partners.html", partners=rows, people=people, women=women)


@bp.route("/persons/<int:person_id>/partner", methods=["POST"])
@access.roles(*MANAGERS)
def make_partner(person_id):
    person = db.session.get(Person, person_id)
    if person is None or not ConfirmForm().validate_on_submit():
        abort(404 if person is None else 400)
    spouse_id = request.form.get("spouse", type=int) or 0
    spouse = db.session.get(Person, spouse_id) if 0 < spouse_id <= LARGEST_ID else None
    if spouse_id and (spouse is None or spouse.merged_into_id is not None):
        flash(_("No hay una persona con ese número para ser cónyuge."), "warning")
        return redirect(url_for(".person", person_id=person.id))
    try:
        joined = date.fromisoformat(request.form.get("joined_on", ""))
    except ValueError:
        flash(_("Escriba la fecha de ingreso (AAAA-MM-DD)."), "warning")
        return redirect(url_for(".person", person_id=person.id))
    try:
        add_partner(person, spouse, joined, current_user)
    except PartnershipRefused as refused:
        flash(str(refused), "warning")
        return redirect(url_for(".person", person_id=person.id))
    db.session.commit()
    flash(_("Registrado como socio de la cooperativa."), "success")
    return redirect(url_for(".partners"))


@bp.route("/persons/<int:person_id>/move", methods=["POST"])
@access.roles(*MANAGERS)
def move(person_id):
    person = db.session.get(Person, person_id)
    target = db.session.scalar(
        select(Household).where(Household.code == request.form.get("household", "").strip().upper())
    )
    if person is None or not ConfirmForm().validate_on_submit():
        abort(404 if person is None else 400)
    if target is None or target.merged_into_id is not None:
        flash(_("No hay una familia con ese código."), "warning")
        return redirect(url_for(".person", person_id=person.id))
    typed = request.form.get("moved_on", "").strip()
    try:
        when = date.fromisoformat(typed) if typed else None
    except ValueError:
        flash(_("Escriba la fecha del cambio (AAAA-MM-DD)."), "warning")
        return redirect(url_for(".person", person_id=person.id))
    try:
        services.move_person(person, target, current_user, when)
    except services.MoveRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
        return redirect(url_for(".person", person_id=person.id))
    db.session.commit()
    flash(_("La persona pasó a la familia %(code)s; se guarda el historial.", code=target.code), "success")
    return redirect(url_for(".household", household_id=target.id))
