"""Forms for logging in, the first administrator and user management."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import passwords
from .models import ROLES

ROLE_LABELS = {
    "admin": _l("Administrador"),
    "coordinator": _l("Coordinador"),
    "facilitator": _l("Facilitador"),
    "translator": _l("Traductor"),
    "reviewer": _l("Revisor"),
}

USERNAME_RULES = [
    DataRequired(),
    Length(min=2, max=64),
    Regexp(
        r"^\s*[A-Za-z0-9._-]+\s*$",
        message=_l("Use letras sin tildes, números, puntos, guiones o guiones bajos."),
    ),
]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Usuario"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Mantener la sesión abierta en este dispositivo"))
    submit = SubmitField(_l("Iniciar sesión"))


class NewPasswordMixin:
    password = PasswordField(_l("Nueva contraseña"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repita la contraseña"),
        validators=[DataRequired(), EqualTo("password", message=_l("Las dos contraseñas no son iguales."))],
    )
    # Whose password it is, for forms without a username field (the view sets it).
    owner = ""

    def validate_password(self, field):
        """Refuse a short or common password, or one holding the username (auth/passwords.py)."""
        username = self.username.data if hasattr(self, "username") else self.owner
        reason = passwords.problem(field.data or "", username or "")
        if reason:
            raise ValidationError(reason)


class SetupForm(NewPasswordMixin, FlaskForm):
    username = StringField(_l("Usuario"), validators=USERNAME_RULES)
    display_name = StringField(_l("Nombre completo"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Crear el administrador"))


class UserForm(FlaskForm):
    username = StringField(_l("Usuario"), validators=USERNAME_RULES)
    display_name = StringField(_l("Nombre completo"), validators=[DataRequired(), Length(max=120)])
    roles = MultiCheckboxField(_l("Roles"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES])
    is_enabled = BooleanField(_l("Cuenta activa"), default=True)
    submit = SubmitField(_l("Guardar"))


class NewUserForm(NewPasswordMixin, UserForm):
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(), Length(max=200)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    submit = SubmitField(_l("Poner la nueva contraseña"))


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField(_l("Contraseña actual"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Cambiar mi contraseña"))
