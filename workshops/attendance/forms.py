"""Session forms: one session, a generated series."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..people import services as people
from .models import ATTENDANCE_STATES

WALK_IN_ROWS = 3  # blank "new person" rows on the entry page
REMARK_MAX = 500
WALK_IN_FIELDS = ("given", "family", "sex", "year", "consent")


def walk_in_rows(form):
    """The walk-in rows as typed, to show them again when the page comes back (an error, candidates)."""
    return [
        {name: form.get(f"walkin-{name}-{index}", "") for name in WALK_IN_FIELDS}
        for index in range(WALK_IN_ROWS)
    ]


def parse_entry(form, person_ids):
    """Read the attendance entry page: return (marks {person id: (status, remark)}, walk-ins, errors).

    The page has one `status-<id>` select and `remark-<id>` box per person of the
    roster, and blank walk-in rows; a walk-in row counts once its given names are
    typed, and comes back as (row number, its fields for people.add_person).
    """
    errors, marks = [], {}
    for person_id in person_ids:
        status = form.get(f"status-{person_id}", "")
        if status and status not in ATTENDANCE_STATES:
            errors.append(_("Un estado no es válido; elija uno de la lista."))
            status = ""
        marks[person_id] = (status, form.get(f"remark-{person_id}", "").strip()[:REMARK_MAX])
    walk_ins = []
    for index in range(WALK_IN_ROWS):
        given = form.get(f"walkin-given-{index}", "")
        if not given.strip():
            continue
        try:
            fields = people.clean_walk_in(
                given,
                form.get(f"walkin-family-{index}", ""),
                form.get(f"walkin-sex-{index}") or None,
                form.get(f"walkin-year-{index}", ""),
                consent=form.get(f"walkin-consent-{index}") == "1",
            )
        except people.InvalidWalkIn as error:
            errors.append(_("Persona nueva %(number)s: %(error)s", number=index + 1, error=str(error)))
        else:
            walk_ins.append((index, fields))
    return marks, walk_ins, list(dict.fromkeys(errors))


class SessionDetailsForm(FlaskForm):
    """What a session is, besides its community: shared by the new-session and the edit forms."""

    module = SelectField(_l("Módulo"), choices=[], coerce=int)
    date = DateField(_l("Fecha"), validators=[DataRequired(message=_l("Escriba la fecha."))])
    start_time = TimeField(_l("Hora de inicio"), validators=[Optional()])
    duration = IntegerField(
        _l("Duración en minutos"), default=240, validators=[DataRequired(), NumberRange(min=15, max=960)]
    )
    venue = StringField(_l("Lugar"), validators=[Length(max=160)])
    facilitators = SelectMultipleField(_l("Facilitadores"), choices=[], coerce=int)
    interpreter = StringField(_l("Intérprete (nombre)"), validators=[Length(max=120)])


class SessionForm(SessionDetailsForm):
    community = SelectField(_l("Comunidad"), choices=[], coerce=int)
    submit = SubmitField(_l("Guardar"))


class SeriesForm(FlaskForm):
    modules = SelectMultipleField(_l("Módulos"), choices=[], coerce=int, validators=[DataRequired()])
    communities = SelectMultipleField(_l("Comunidades"), choices=[], coerce=int, validators=[DataRequired()])
    first_date = DateField(
        _l("Fecha del primer módulo"), validators=[DataRequired(message=_l("Escriba la fecha."))]
    )
    interval = IntegerField(
        _l("Días entre un módulo y el siguiente"),
        default=14,
        validators=[DataRequired(), NumberRange(min=1, max=120)],
    )
    start_time = TimeField(_l("Hora de inicio"), validators=[Optional()])
    duration = IntegerField(
        _l("Duración en minutos"), default=240, validators=[DataRequired(), NumberRange(min=15, max=960)]
    )
    facilitators = SelectMultipleField(_l("Facilitadores"), choices=[], coerce=int)
    submit = SubmitField(_l("Crear las sesiones"))


class SessionEditForm(SessionDetailsForm):
    """The details of an existing session (its community stays: its roster and marks go with it)."""

    # The details revision the form was filled from: a later save by someone else is shown, not overwritten.
    revision = HiddenField()
    submit = SubmitField(_l("Guardar los cambios"))


class CancelForm(FlaskForm):
    """Cancel or postpone a session, with the reason."""

    status = RadioField(
        _l("La sesión"),
        choices=[SelectChoice("cancelled", _l("se cancela")), SelectChoice("postponed", _l("se posterga"))],
        default="cancelled",
        validators=[DataRequired(message=_l("Elija cancelar o postergar."))],
    )
    reason = TextAreaField(
        _l("Motivo"),
        validators=[
            DataRequired(message=_l("Escriba el motivo.")),
            Length(max=500, message=_l("El motivo puede tener hasta 500 caracteres.")),
        ],
    )
    revision = HiddenField()
    submit = SubmitField(_l("Guardar"))


class RevisionForm(FlaskForm):
    """A button that changes a session (reopen, delete): the CSRF token and the revision it saw."""

    revision = HiddenField()
