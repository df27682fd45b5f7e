"""Forms several features share."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An empty form: carries only the CSRF token of a button."""
