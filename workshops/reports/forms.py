"""Report filters (GET forms: a filtered report has an address that can be shared or bookmarked)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from ..curriculum.source import PRACTICES
from .services import AGE_GROUPS, FAMILY_RULES, SEXES, fiscal_year_bounds, fiscal_years
from .tables import AGE_LABELS, PRACTICE_LABELS, SEX_LABELS


class ReportDate(DateField):
    """A date field whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Escriba la fecha como año-mes-día, por ejemplo 2026-03-31.")) from None


class WholeNumber(IntegerField):
    """A number field whose parse error is in the user's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Escriba un número entero, por ejemplo 2026.")) from None


class ChoiceField(SelectField):
    """A select whose unknown values get a clear message instead of WTForms' English one."""

    def __init__(self, *args, message=None, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(self.message)) from None

    def pre_validate(self, form):
        if self.data not in {choice[0] for choice in self.iter_choices_values()}:
            raise ValidationError(str(self.message))

    def iter_choices_values(self):
        for choice in self.choices:
            yield (choice.value,) if isinstance(choice, SelectChoice) else choice


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET forms that change nothing

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        if hasattr(self, "community"):
            self.community.choices = [SelectChoice(0, _l("Todas"))] + [
                SelectChoice(c.id, c.name) for c in communities
            ]


COMMUNITY_UNKNOWN = _l("Esa comunidad no existe; elija una de la lista.")


class PeriodForm(FilterForm):
    start = ReportDate(_l("Desde"), validators=[Optional()])
    end = ReportDate(_l("Hasta"), validators=[Optional()])
    community = ChoiceField(_l("Comunidad"), coerce=int, default=0, message=COMMUNITY_UNKNOWN)
    submit = SubmitField(_l("Filtrar"))

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_("La fecha de inicio es posterior a la fecha final."))


class IndicatorForm(FilterForm):
    # Chosen from the fiscal years that have attendance, latest first; it opens on the latest.
    year = ChoiceField(
        _l("Año fiscal de EE. UU. (octubre a septiembre)"),
        coerce=int,
        message=_l("No hay datos para ese año fiscal; elija uno de la lista."),
    )
    community = ChoiceField(_l("Comunidad"), coerce=int, default=0, message=COMMUNITY_UNKNOWN)
    submit = SubmitField(_l("Ver"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = fiscal_years()
        # A year is a label, not a quantity: never "2,026".
        self.year.choices = [SelectChoice(year, str(year)) for year in years]
        if self.year.data is None:
            self.year.data = years[0]

    def chosen_year(self):
        return self.year.data


class PeopleForm(FilterForm):
    """The filter behind one figure: the period, and who was counted in it."""

    start = ReportDate(_l("Desde"), validators=[Optional()])
    end = ReportDate(_l("Hasta"), validators=[Optional()])
    year = WholeNumber(
        _l("Año fiscal"),
        validators=[
            Optional(),
            NumberRange(min=2000, max=2100, message=_l("Elija un año fiscal entre 2000 y 2100.")),
        ],
    )
    community = ChoiceField(_l("Comunidad"), coerce=int, default=0, message=COMMUNITY_UNKNOWN)
    sex = ChoiceField(
        _l("Sexo"),
        choices=[SelectChoice("", _l("Todos")), *(SelectChoice(s, SEX_LABELS[s]) for s in SEXES)],
        default="",
        message=_l("Elija un valor de la lista."),
    )
    age = ChoiceField(
        _l("Edad"),
        choices=[SelectChoice("", _l("Todas")), *(SelectChoice(a, AGE_LABELS[a]) for a in AGE_GROUPS)],
        default="",
        message=_l("Elija un valor de la lista."),
    )
    practice = ChoiceField(
        _l("Tipo de práctica"),
        choices=[
            SelectChoice("", _l("Todas")),
            SelectChoice("any", _l("Cualquier tipo")),
            *(SelectChoice(p, PRACTICE_LABELS[p]) for p in PRACTICES),
        ],
        default="",
        message=_l("Elija un valor de la lista."),
    )
    trained = BooleanField(_l("Solo personas capacitadas"))
    submit = SubmitField(_l("Filtrar"))

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_("La fecha de inicio es posterior a la fecha final."))

    def period_bounds(self):
        if self.year.data:
            return fiscal_year_bounds(self.year.data)
        return self.start.data, self.end.data


class MatrixForm(FilterForm):
    community = ChoiceField(_l("Comunidad"), coerce=int, message=COMMUNITY_UNKNOWN)
    start = ReportDate(_l("Desde"), validators=[Optional()])
    end = ReportDate(_l("Hasta"), validators=[Optional()])
    submit = SubmitField(_l("Ver"))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, communities=communities, **kwargs)
        self.community.choices = [SelectChoice(c.id, c.name) for c in communities]

    def validate_end(self, field):
        if self.start.data and field.data and self.start.data > field.data:
            raise ValidationError(_("La fecha de inicio es posterior a la fecha final."))


class RuleForm(FlaskForm):
    person_modules = WholeNumber(
        _l("Una persona está capacitada cuando asistió al menos a este número de módulos"),
        validators=[NumberRange(min=1, max=12, message=_l("Escriba un número de 1 a 12."))],
    )
    family_rule = RadioField(
        _l("Una familia está capacitada cuando"),
        choices=[
            SelectChoice("member", _l("al menos un miembro asistió a ese número de módulos")),
            SelectChoice("together", _l("sus miembros, entre todos, asistieron a ese número de módulos")),
        ],
    )
    family_modules = WholeNumber(
        _l("Número de módulos para una familia"),
        validators=[NumberRange(min=1, max=12, message=_l("Escriba un número de 1 a 12."))],
    )
    submit = SubmitField(_l("Guardar"))

    def validate_family_rule(self, field):
        if field.data not in FAMILY_RULES:
            raise ValidationError(_("Elija una de las dos reglas."))
