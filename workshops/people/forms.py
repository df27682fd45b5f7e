"""Registry forms: communities, households, persons."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

SEX_LABELS = {"female": _l("mujer"), "male": _l("hombre"), "unrecorded": _l("no registrado")}
RELATIONSHIP_LABELS = {
    "head": _l("jefe o jefa del hogar"),
    "spouse": _l("esposa, esposo o conviviente"),
    "child": _l("hija o hijo"),
    "parent": _l("madre o padre"),
    "sibling": _l("hermana o hermano"),
    "grandchild": _l("nieta o nieto"),
    "other": _l("otro"),
}


def not_in_future(form, field):
    if field.data and field.data > date.today().year:
        raise ValidationError(_l("El año de nacimiento no puede estar en el futuro."))


def date_not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("La fecha no puede estar en el futuro."))


class CommunityForm(FlaskForm):
    name = StringField(_l("Nombre de la comunidad"), validators=[DataRequired(), Length(max=120)])
    code = StringField(
        _l("Código corto (para los códigos de familia)"),
        validators=[DataRequired(), Regexp(r"^[A-Za-z]{2,6}$", message=_l("De 2 a 6 letras sin tildes."))],
    )
    district = StringField(_l("Distrito"), validators=[Length(max=80)])
    province = StringField(_l("Provincia"), default="San Ignacio", validators=[Length(max=80)])
    region = StringField(_l("Región"), default="Cajamarca", validators=[Length(max=80)])
    submit = SubmitField(_l("Guardar"))


class PersonForm(FlaskForm):
    given_names = StringField(_l("Nombres"), validators=[DataRequired(), Length(max=120)])
    family_names = StringField(_l("Apellidos"), validators=[Length(max=120)])
    # No default: a person's sex is chosen, never assumed ("no registrado" is a choice too).
    sex = SelectField(
        _l("Sexo"),
        choices=[SelectChoice("", _l("— elija —")), *(SelectChoice(k, v) for k, v in SEX_LABELS.items())],
        validators=[DataRequired(message=_l("Elija el sexo."))],
    )
    birth_year = IntegerField(
        _l("Año de nacimiento"),
        validators=[
            Optional(),
            NumberRange(min=1900, message=_l("Escriba un año de cuatro cifras.")),
            not_in_future,
        ],
    )
    birth_year_approximate = BooleanField(_l("El año es aproximado (calculado por la edad)"))
    age = IntegerField(
        _l("O la edad aproximada, si no se sabe el año"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("Escriba una edad entre 0 y 120."))],
    )
    relationship_to_head = SelectField(
        _l("Relación con la jefa o el jefe del hogar"),
        choices=[SelectChoice(k, v) for k, v in RELATIONSHIP_LABELS.items()],
        default="other",
    )
    is_contact = BooleanField(_l("Persona de contacto de la familia"))
    dni = StringField(
        _l("DNI (opcional)"),
        validators=[Optional(), Regexp(r"^\d{8}$", message=_l("El DNI tiene exactamente 8 números."))],
    )
    consent = BooleanField(_l("Dio su consentimiento para el uso de sus datos"))
    confirmed = HiddenField()
    submit = SubmitField(_l("Guardar"))


class HouseholdForm(PersonForm):
    community = SelectField(_l("Comunidad"), choices=[], validate_choice=False)
    notes = TextAreaField(_l("Notas"), validators=[Length(max=2000)])


class EditPersonForm(PersonForm):
    """Correct a person: every field of the person form, with no default sex and the revision it read."""

    sex = SelectField(
        _l("Sexo"),
        choices=[SelectChoice("", _l("— elija —")), *(SelectChoice(k, v) for k, v in SEX_LABELS.items())],
        validators=[DataRequired(message=_l("Elija el sexo."))],
    )
    consent_date = DateField(
        _l("Fecha en que dio o retiró su consentimiento (si cambia y no la escribe: hoy)"),
        validators=[Optional(), date_not_in_future],
    )
    revision = HiddenField()
    submit = SubmitField(_l("Guardar la corrección"))


class WithdrawConsentForm(FlaskForm):
    """The person withdrew their consent: on which date (today unless changed)."""

    withdrawn_on = DateField(_l("Fecha en que retiró el consentimiento"), validators=[DataRequired()])
    revision = HiddenField()

    def validate_withdrawn_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("La fecha no puede estar en el futuro."))


class AnonymiseForm(FlaskForm):
    """The confirmation of an anonymisation: the box says it cannot be undone."""

    understood = BooleanField(
        _l("Entiendo que no se puede deshacer: los datos borrados no se pueden recuperar."),
        validators=[DataRequired(_l("Marque la casilla para confirmar."))],
    )
