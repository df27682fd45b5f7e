"""Error pages in the app's style; never a stack trace."""

from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..extensions import db
from .busy import is_busy

MESSAGES = {
    400: (
        _l("Solicitud incorrecta"),
        _l("No se pudo entender la solicitud. Vuelva atrás e inténtelo de nuevo."),
    ),
    401: (_l("Sesión cerrada"), _l("Inicie sesión de nuevo.")),
    403: (_l("No permitido"), _l("Su cuenta no tiene permiso para abrir esta página.")),
    404: (_l("Página no encontrada"), _l("La página que busca no existe o fue movida.")),
    405: (_l("No permitido"), _l("Esta página no se puede usar de esta manera.")),
    413: (_l("Archivo demasiado grande"), _l("El archivo que envió es más grande de lo permitido.")),
    503: (
        _l("Servidor ocupado"),
        _l(
            "Muchas personas están guardando a la vez y no se guardó nada. Espere unos segundos y vuelva a enviar el formulario."
        ),
    ),
    500: (
        _l("Algo salió mal"),
        _l(
            "El servidor tuvo un problema y no se guardó nada. Inténtelo de nuevo; si vuelve a ocurrir, avise a un administrador."
        ),
    ),
}


def render_error(code, title=None, message=None):
    default_title, default_message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/"):
        # The field app reads errors as JSON and shows the message to the facilitator.
        return jsonify(error=str(message or default_message), status=code), code
    return (
        render_template(
            "errors/error.html", code=code, title=title or default_title, message=message or default_message
        ),
        code,
    )


def handle_csrf_error(error):
    return render_error(
        400,
        _l("Formulario vencido"),
        _l(
            "Al formulario le faltaba su código de seguridad o este venció. Vuelva a cargar la página y envíelo otra vez."
        ),
    )


def handle_http_error(error):
    if error.code in (301, 302, 303, 307, 308) or error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def refuse_untrusted_host():
    """before_request, registered first: stop a request whose host Flask refused.

    With TRUSTED_HOSTS set, Flask records a request for another host (or a
    malformed Host header) as a routing error, raised only when the view would
    run; other before_request functions (the CSRF check) would meet it first.
    """
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_characters():
    """before_request: refuse a query, form value or file name holding a NUL character.

    No one types one, and PostgreSQL cannot store or even compare text with one: let
    through, it is a 500 wherever the value meets the database.
    """
    sent = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        sent += request.form.items(multi=True)
        sent += [(name, upload.filename or "") for name, upload in request.files.items(multi=True)]
    # (A part whose header is broken, say a name with a line break, comes without a name.)
    if any("\x00" in (name or "") or "\x00" in (value or "") for name, value in sent):
        return render_error(
            400, message=_l("El texto enviado tiene un carácter no válido (NUL); no se guardó nada.")
        )
    return None


def handle_untrusted_host(error):
    """A 400 page that stands alone: no URL of this site can be built for an untrusted host."""
    current_app.logger.warning("Request refused: %s", error.description)
    return (
        render_template(
            "errors/untrusted_host.html",
            code=400,
            title=_l("Dirección no reconocida"),
            message=_l(
                "Este servidor no atiende esta dirección. Revise la dirección escrita en el navegador "
                "o use el enlace que le dio el administrador."
            ),
        ),
        400,
    )


def handle_unexpected_error(error):
    db.session.rollback()
    original = getattr(error, "original_exception", None) or error
    current_app.logger.exception("Unhandled error", exc_info=original)
    return render_error(500)


def handle_database_error(error):
    """A database still busy after the retries (core/busy.py) is a 503 with nothing saved, not a 500."""
    if not is_busy(error):
        raise error  # Flask's usual handling: a logged 500 page (or the exception, in tests)
    db.session.rollback()
    current_app.logger.warning("Database busy, request refused: %s", error.orig)
    body, code = render_error(503)
    return body, code, {"Retry-After": "5"}


def init_app(app):
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(DBAPIError, handle_database_error)
