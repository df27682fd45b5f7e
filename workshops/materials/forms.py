"""The print options form (GET, so a print view has a shareable address)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice


class PrintForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    document = RadioField(
        _l("Documento"),
        choices=[
            SelectChoice("handout", _l("Hoja para participantes (un módulo)")),
            SelectChoice("guide", _l("Guía del facilitador (un módulo)")),
            SelectChoice("book", _l("Currículo completo (los 12 módulos y el glosario)")),
            SelectChoice("terms", _l("Solo los términos clave")),
        ],
        default="handout",
    )
    module = SelectField(_l("Módulo"), choices=[])
    layout = RadioField(
        _l("Disposición"),
        choices=[
            SelectChoice("side", _l("Lado a lado (dos columnas)")),
            SelectChoice("interlinear", _l("Interlineal (el segundo idioma debajo, más claro)")),
            SelectChoice("single", _l("Un solo idioma")),
        ],
        default="side",
    )
    first = SelectField(_l("Primer idioma (o el único)"), choices=[], default="agr")
    paper = RadioField(
        _l("Papel"), choices=[SelectChoice("A4", "A4"), SelectChoice("Letter", _l("Carta"))], default="A4"
    )
    size = RadioField(
        _l("Tamaño de letra"),
        choices=[
            SelectChoice("normal", _l("Normal")),
            SelectChoice("large", _l("Grande (personas mayores)")),
        ],
        default="normal",
    )
    fuzzy = RadioField(
        _l("Traducciones por revisar"),
        choices=[
            SelectChoice("mark", _l("Imprimirlas marcadas “por revisar”")),
            SelectChoice("omit", _l("No imprimirlas (mostrar el castellano)")),
        ],
        default="mark",
    )
    submit = SubmitField(_l("Ver para imprimir"))
