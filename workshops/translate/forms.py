"""Forms: the language switcher and the admins' language settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..languages import parse_plural_forms


class LanguageSwitchForm(FlaskForm):
    language = SelectField(_l("Idioma"), choices=[], validate_choice=False)
    show_untranslated = BooleanField(_l("Marcar los textos sin traducir"))
    next = HiddenField()
    submit = SubmitField(_l("Cambiar"))


def valid_plural_forms(form, field):
    try:
        parse_plural_forms(field.data or "")
    except ValueError:
        raise ValidationError(
            _l("Escriba una regla de gettext, por ejemplo: nplurals=2; plural=n != 1;")
        ) from None


class LanguageSettingForm(FlaskForm):
    native_name = StringField(_l("Nombre propio del idioma"), validators=[DataRequired(), Length(max=80)])
    spanish_name = StringField(_l("Nombre en castellano"), validators=[DataRequired(), Length(max=80)])
    plural_forms = StringField(
        _l("Formas de plural (Plural-Forms)"), validators=[DataRequired(), valid_plural_forms]
    )
    review_mode = SelectField(
        _l("Cómo se guardan las traducciones"),
        choices=[
            SelectChoice("direct", _l("Directamente (cada traductor guarda)")),
            SelectChoice("suggest", _l("Como sugerencias que un revisor aprueba")),
        ],
    )
    require_recordings = BooleanField(
        _l("Un módulo está listo para enseñar solo si todos sus textos tienen una grabación aprobada")
    )
    submit = SubmitField(_l("Guardar"))


class EntryForm(FlaskForm):
    """The editor form; the translation fields are read as a list (one per plural form)."""

    base_revision = HiddenField()


class UploadForm(FlaskForm):
    catalog = FileField(
        _l("Archivo .po"), validators=[FileRequired(), FileAllowed(["po"], _l("Suba un archivo .po."))]
    )
    dry_run = BooleanField(_l("Solo mostrar lo que cambiaría (no guardar nada)"))
    submit = SubmitField(_l("Subir y comparar"))


class ProposalForm(FlaskForm):
    """A translator's proposal: a term and its translation, for a reviewer to decide."""

    source_term = StringField(_l("Término en castellano"), validators=[DataRequired(), Length(max=200)])
    target_term = StringField(_l("Traducción propuesta"), validators=[Length(max=200)])
    definition = TextAreaField(_l("Definición o nota"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Proponer"))


class GlossaryForm(FlaskForm):
    source_term = StringField(_l("Término en castellano"), validators=[DataRequired(), Length(max=200)])
    target_term = StringField(_l("Traducción"), validators=[Length(max=200)])
    definition = TextAreaField(_l("Definición"), validators=[Length(max=2000)])
    status = SelectField(
        _l("Estado"),
        choices=[
            SelectChoice("proposed", _l("propuesto")),
            SelectChoice("approved", _l("aprobado")),
            SelectChoice("forbidden", _l("no usar")),
        ],
    )
    module = SelectField(_l("Módulo"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Guardar"))

    def validate_module(self, field):
        """Accept only a module of the list (the view fills it), or none: another number names no module."""
        if (field.data or "") not in {str(choice.value) for choice in field.choices}:
            raise ValidationError(_l("Elija un módulo de la lista."))
