"""Session forms: one session, a generated series."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class SessionForm(FlaskForm):
    module = SelectField(_l("Módulo"), choices=[], coerce=int)
    community = SelectField(_l("Comunidad"), choices=[], coerce=int)
    date = DateField(_l("Fecha"), validators=[DataRequired(message=_l("Escriba la fecha."))])
    start_time = TimeField(_l("Hora de inicio"), validators=[Optional()])
    duration = IntegerField(
        _l("Duración en minutos"), default=240, validators=[DataRequired(), NumberRange(min=15, max=960)]
    )
    venue = StringField(_l("Lugar"), validators=[Length(max=160)])
    facilitators = SelectMultipleField(_l("Facilitadores"), choices=[], coerce=int)
    interpreter = StringField(_l("Intérprete (nombre)"), validators=[Length(max=120)])
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
