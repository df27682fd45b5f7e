"""Forms: a recording (a file, or the browser's recording sent as one) and a review."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length


class RecordingForm(FlaskForm):
    # i18n: the file field of the recording page; phones offer their recorder for it.
    audio = FileField(
        _l("Grabación (un archivo de audio)"),
        validators=[FileRequired(_l("Elija o grabe un archivo de audio."))],
        render_kw={"accept": "audio/*", "capture": "user"},
    )
    submit = SubmitField(_l("Guardar la grabación"))


class ReviewForm(FlaskForm):
    reason = TextAreaField(
        _l("Motivo del rechazo (lo lee quien grabó)"), validators=[Length(max=500)], render_kw={"rows": 2}
    )
    approve = SubmitField(_l("Aprobar"))
    reject = SubmitField(_l("Rechazar"))
