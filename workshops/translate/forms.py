"""Forms: the language switcher and the admins' language settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
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
    submit = SubmitField(_l("Guardar"))
