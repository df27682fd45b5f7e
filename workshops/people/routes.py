"""Registry pages: communities, households and their members (coordinators and admins)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..core import access
from ..core.text import page_number as read_page_number
from ..core.text import revision_number
from ..extensions import db
from . import corrections, services
from .forms import RELATIONSHIP_LABELS, SEX_LABELS, CommunityForm, EditPersonForm, HouseholdForm, PersonForm
from .models import Community, Household, Person

bp = Blueprint("people", __name__, url_prefix="/people")
MANAGERS = ("admin", "coordinator")
# Registry lists are paged so that no page grows with the program (10,000 households made 193 KB).
COMMUNITIES_PER_PAGE = 100
HOUSEHOLDS_PER_PAGE = 50


def page_number():
    """The ?page= of a list, 1 when missing, not a whole number or out of range."""
    return request.args.get("page", 1, type=read_page_number)


@bp.app_context_processor
def labels():
    return {"SEX_LABELS": SEX_LABELS, "RELATIONSHIP_LABELS": RELATIONSHIP_LABELS}


def _get(model, object_id):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


@bp.route("/", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def communities():
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            services.create_community(
                form.name.data,
                form.code.data,
                current_user,
                district=form.district.data,
                province=form.province.data,
                region=form.region.data,
            )
        except services.DuplicateCommunity:
            form.code.errors.append(_("Ya existe una comunidad con ese nombre o código."))
        else:
            db.session.commit()
            flash(_("Comunidad registrada."), "success")
            return redirect(url_for(".communities"))
    rows = db.paginate(
        select(Community).order_by(Community.name),
        page=page_number(),
        per_page=COMMUNITIES_PER_PAGE,
        error_out=False,
    )
    counts = dict(
        db.session.execute(
            select(Household.community_id, func.count())
            .where(Household.community_id.in_([community.id for community in rows.items]))
            .group_by(Household.community_id)
        ).all()
    )
    return render_template("people/communities.html", communities=rows, counts=counts, form=form)


@bp.route("/communities/<int:community_id>")
@access.roles(*MANAGERS)
def community(community_id):
    found = _get(Community, community_id)
    search = request.args.get("q", "").strip()[:120]
    households = db.paginate(
        services.households_query(found, search).options(selectinload(Household.members)),
        page=page_number(),
        per_page=HOUSEHOLDS_PER_PAGE,
        error_out=False,
    )
    return render_template("people/community.html", community=found, households=households, search=search)


def _person_data(form):
    return {name: field.data for name, field in form._fields.items()}


def _duplicates_or_none(form, community_id, exclude_id=None):
    """Similar people to show before saving, unless the user confirmed they are new."""
    if form.confirmed.data == "1":
        return []
    candidates = services.similar_people(
        form.given_names.data, form.family_names.data, form.birth_year.data, community_id, exclude_id
    )
    if candidates:
        form.confirmed.data = "1"  # the next submit of the same form means "it is someone else"
    return candidates


def _dni_taken(form):
    return services.dni_taken(form.dni.data)


@bp.route("/communities/<int:community_id>/households/new", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def new_household(community_id):
    found = _get(Community, community_id)
    form = HouseholdForm()
    form.community.choices = [SelectChoice(str(found.id), found.name)]
    candidates = []
    if form.validate_on_submit():
        candidates = _duplicates_or_none(form, found.id)
        if _dni_taken(form):
            form.dni.errors.append(_("Ya hay una persona registrada con ese DNI."))
        elif not candidates:
            household = services.create_household(found, form.notes.data or "", current_user)
            data = _person_data(form)
            data["is_contact"] = True
            services.add_person(household, data, current_user)
            db.session.commit()
            flash(_("Familia %(code)s registrada.", code=household.code), "success")
            return redirect(url_for(".household", household_id=household.id))
    return render_template("people/household_form.html", community=found, form=form, candidates=candidates)


@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def household(household_id):
    found = _get(Household, household_id)
    form = PersonForm()
    candidates = []
    if form.validate_on_submit():
        candidates = _duplicates_or_none(form, found.community_id)
        if _dni_taken(form):
            form.dni.errors.append(_("Ya hay una persona registrada con ese DNI."))
        elif not candidates:
            services.add_person(found, _person_data(form), current_user)
            db.session.commit()
            flash(_("Persona registrada."), "success")
            return redirect(url_for(".household", household_id=found.id))
    return render_template(
        "people/household.html",
        household=found,
        form=form,
        candidates=candidates,
        stays=corrections.stays_in_household(found),
    )


def _name_changed(form, person):
    return (form.given_names.data or "").strip() != person.given_names or (
        form.family_names.data or ""
    ).strip() != person.family_names


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@access.roles(*MANAGERS)
def edit_person(person_id):
    person = _get(Person, person_id)
    if person.merged_into_id is not None:
        flash(_("Este registro se fusionó con otro: corrija el registro que se conservó."), "warning")
        return redirect(url_for(".person", person_id=person.merged_into_id))
    form = EditPersonForm(obj=None if request.method == "POST" else person)
    candidates, differences = [], []
    if form.validate_on_submit():
        community_id = person.household.community_id if person.household else None
        if services.dni_taken(form.dni.data, exclude_id=person.id):
            form.dni.errors.append(_("Ya hay una persona registrada con ese DNI."))
        elif _name_changed(form, person):
            candidates = _duplicates_or_none(form, community_id, exclude_id=person.id)
        if not form.dni.errors and not candidates:
            base = request.form.get("revision", type=revision_number)
            result = corrections.correct_person(
                person, _person_data(form), base if base is not None else -1, current_user
            )
            if result.saved:
                db.session.commit()
                if result.changed:
                    flash(_("Datos corregidos; el cambio queda en el historial."), "success")
                else:
                    flash(_("No había nada que cambiar."), "info")
                return redirect(url_for(".person", person_id=person.id))
            if result.dni_taken:
                form.dni.errors.append(_("Ya hay una persona registrada con ese DNI."))
            differences = result.differences
            person = _get(Person, person_id)
            # Saving again is a decision made seeing the differences.
            form.revision.data = str(person.revision)
    return render_template(
        "people/person_form.html", person=person, form=form, candidates=candidates, differences=differences
    )
