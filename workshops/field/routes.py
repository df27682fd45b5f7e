"""Field mode pages, the field JSON API, the service worker and the web app manifest."""

import hashlib
import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..attendance import services as attendance
from ..attendance.models import WorkshopSession
from ..core import access, audit
from ..core.errors import render_error
from ..core.forms import ConfirmForm
from ..core.paths import STATIC_DIR
from ..core.text import record_id
from ..extensions import db
from ..i18n import languages
from . import services
from .models import FieldSubmission

bp = Blueprint("field", __name__)
# The static files the service worker keeps from its installation on: every field page needs them.
SHELL_STATIC = ("css/app.css", "js/field.js")
STAFF = ("admin", "coordinator", "facilitator")
MANAGERS = ("admin", "coordinator")


def strings():
    """The words the field script shows, in the user's language (the script has no catalog of its own)."""
    return {
        "saved_here": _("Guardado en este dispositivo, aún no enviado: %(count)s"),
        "nothing_queued": _("Nada pendiente de enviar."),
        "offline": _("Sin conexión: lo que guarde queda en este dispositivo."),
        "online": _("Con conexión."),
        "sending": _("Enviando…"),
        "sent": _(
            "Enviados: %(applied)s. Conflictos para el coordinador: %(conflicts)s. Rechazados: %(rejected)s."
        ),
        "send_failed": _("No se pudo enviar; se intentará de nuevo. Nada se perdió."),
        "size": _("Tamaño del paquete: %(size)s KB"),
        "measuring": _("Calculando el tamaño…"),
        "downloading": _("Descargando el paquete…"),
        "pack_saved": _("Paquete guardado en este dispositivo."),
        "pack_failed": _("No se pudo descargar el paquete: %(reason)s"),
        "choose_session": _("Elija al menos una sesión."),
        "taken": _("Tomado el %(when)s"),
        "open": _("Abrir"),
        "remove": _("Quitar del dispositivo"),
        "no_packs": _("No hay paquetes en este dispositivo."),
        "no_session": _("Esta sesión no está en ningún paquete de este dispositivo."),
        "saved": _("Guardado en este dispositivo."),
        "rejected": _("Rechazado: %(reason)s"),
        "no_storage": _("Este navegador no puede guardar datos sin conexión."),
        "walk_in_name": _("Escriba el nombre de la persona nueva."),
        "walk_in_sex": _("Elija el sexo de la persona nueva (o «no registrado»)."),
        "walk_in_year": _("Escriba el año de nacimiento con cuatro cifras (por ejemplo 1985)."),
        "module": _("Módulo %(number)s: %(title)s"),
        "walk_in": _("persona nueva"),
    }


@bp.route("/field/")
@access.roles(*STAFF)
def index():
    sessions = services.upcoming_sessions(current_user)
    return render_template(
        "field/index.html",
        sessions=sessions,
        languages=languages(),
        strings=strings(),
        manager=attendance.is_manager(current_user),
        conflicts=services.count_open_conflicts() if attendance.is_manager(current_user) else 0,
    )


@bp.route("/field/offline")
@access.roles(*STAFF)
def offline():
    """The page that shows a session from a pack; the script fills it from the device."""
    return render_template("field/offline.html", strings=strings(), states=attendance.ATTENDANCE_STATES)


@bp.route("/field/conflicts")
@access.roles(*MANAGERS)
def conflicts():
    return render_template("field/conflicts.html", conflicts=services.open_conflicts(), form=ConfirmForm())


@bp.route("/field/conflicts/<int:submission_id>", methods=["POST"])
@access.roles(*MANAGERS)
def resolve(submission_id):
    submission = db.session.get(FieldSubmission, submission_id)
    if submission is None or submission.outcome != "conflict":
        abort(404)
    keep = request.form.get("keep")
    if not ConfirmForm().validate_on_submit() or keep not in ("device", "server"):
        abort(400)
    if submission.resolution is not None:
        flash(_("Otra persona ya resolvió este conflicto."), "warning")
        return redirect(url_for(".conflicts"))
    refusal = services.resolve(submission, keep, current_user)
    if refusal is not None:
        flash(refusal, "warning")
        return redirect(url_for(".conflicts"))
    db.session.commit()
    flash(_("Conflicto resuelto."), "success")
    return redirect(url_for(".conflicts"))


# --- JSON API (same login session; CSRF token in the X-CSRFToken header) -------------------------


@bp.route("/api/field/token")
@access.roles(*STAFF)
def token():
    """A fresh CSRF token: a pack may have been taken days before the device syncs."""
    return jsonify(csrf_token=generate_csrf())


@bp.route("/api/field/pack")
@access.roles(*STAFF)
def pack():
    known = languages()
    chosen = [code for code in request.args.getlist("lang") if code in known] or ["es"]
    try:
        ids = [record_id(value) for value in request.args.getlist("session")]
    except ValueError:
        return render_error(400, message=_("Los números de sesión no son válidos."))
    if not ids or len(ids) > 20:
        return render_error(400, message=_("Elija de 1 a 20 sesiones."))
    sessions = []
    for session_id in dict.fromkeys(ids):
        session = db.session.get(WorkshopSession, session_id)
        if session is None or not attendance.can_see(current_user, session):
            return render_error(403, message=_("Usted no está asignado a la sesión %(id)s.", id=session_id))
        sessions.append(session)
    pack_data = services.build_pack(sessions, chosen, current_user)
    # A pack carries the names of the sessions' people: who took it is logged.
    audit.record(current_user, "pack", "field-pack", sessions=[session.id for session in sessions])
    db.session.commit()
    return jsonify(pack_data)


@bp.route("/api/field/sync", methods=["POST"])
@access.roles(*STAFF)
def sync():
    if request.content_length is None or request.content_length > services.MAX_BYTES:
        return render_error(
            413,
            message=_(
                "El envío es demasiado grande; envíe como máximo %(n)s registros.", n=services.MAX_RECORDS
            ),
        )
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested 100,000 deep
        return render_error(400, message=_("El envío no es JSON válido; no se guardó nada."))
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return render_error(400, message=_("El envío debe tener una lista «records»; no se guardó nada."))
    if len(records) > services.MAX_RECORDS:
        return render_error(
            413,
            message=_(
                "El envío es demasiado grande; envíe como máximo %(n)s registros.", n=services.MAX_RECORDS
            ),
        )
    outcomes = services.sync_and_commit(records, current_user)
    return jsonify(results=[outcome.as_dict() for outcome in outcomes])


@bp.route("/api/openapi.yaml")
@access.public
def openapi():
    return Response(
        (Path(__file__).parent / "openapi.yaml").read_text(encoding="utf-8"), mimetype="application/yaml"
    )


# --- Installable web app --------------------------------------------------------------------------


@bp.route("/sw.js")
@access.public
def service_worker():
    """Served from the root so that the worker may answer for every page of the app."""
    shell = [url_for("static", filename=name) for name in SHELL_STATIC] + [url_for(".manifest")]
    # The cache name follows the fingerprints: a deployment that changes a file replaces the cache.
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    source = (STATIC_DIR / "js" / "sw.js").read_text(encoding="utf-8")
    for placeholder, value in (('/*VERSION*/"dev"', version), ("/*SHELL_FILES*/[]", shell)):
        if placeholder not in source:
            raise RuntimeError(f"sw.js lacks its placeholder {placeholder}")
        source = source.replace(placeholder, json.dumps(value))
    response = Response(source, mimetype="text/javascript")
    # Checked on every load (the browser caps a worker's cache at a day anyway): it names the files.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
@access.public
def manifest():
    body = {
        "name": _("Talleres"),
        "short_name": _("Talleres"),
        "start_url": url_for("field.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#fbfbf8",
        "theme_color": "#2f6b3b",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
