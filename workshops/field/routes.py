"""Field mode pages, the field JSON API, the service worker and the web app manifest."""

import hashlib
import json
import math
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
from flask_babel import format_decimal
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
from . import conflicts, pack, services
from .models import FieldSubmission

bp = Blueprint("field", __name__)
# The static files the service worker keeps from its installation on: every field page needs them.
SHELL_STATIC = ("css/app.css", "js/field.js", "js/entry.js")
STAFF = ("admin", "coordinator", "facilitator")
MANAGERS = ("admin", "coordinator")


def strings():
    """The words the field script shows, in the user's language (the script has no catalog of its own)."""
    return {
        "offline": _("Sin conexión: lo que guarde queda en este dispositivo."),
        "online": _("Con conexión."),
        "size": _("Tamaño del paquete: %(size)s KB"),
        "size_recordings": _("Tamaño del paquete: %(size)s KB, con %(count)s grabaciones (%(audio)s KB)."),
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
        "walk_in_name": _("Escriba el nombre de la persona nueva."),
        "walk_in_sex": _("Elija el sexo de la persona nueva (o «no registrado»)."),
        "walk_in_year": _("Escriba el año de nacimiento con cuatro cifras (por ejemplo 1985)."),
        "module": _("Módulo %(number)s: %(title)s"),
        "walk_in": _("persona nueva"),
        "remark": _("Observación"),
        "present": _("presente"),
        "edit": _("Corregir"),
        "remove_walk_in": _("Quitar"),
        "resend": _("Enviar de nuevo"),
        "take_over": _("Hacerme cargo y enviar"),
        "discard": _("Descartar"),
        "discard_confirm": _("¿Descartar este registro? No se enviará nunca."),
        "by": _("de %(user)s"),
        "kept": _("Este navegador aceptó conservar los datos guardados."),
        "not_kept": _(
            "Este navegador no se comprometió a conservar los datos: podría borrarlos si le falta espacio."
        ),
        "file_module": _("Módulo (%(lang)s)"),
        "file_terms": _("Términos clave (%(lang)s)"),
        "file_handout": _("Hoja para participantes (%(lang)s)"),
        "file_guide": _("Guía del facilitador (%(lang)s)"),
        "file_sheet": _("Hoja de asistencia"),
        **guard_strings(),
    }


def guard_strings():
    """The words the field script needs on every page: sending, retrying, and the sign-out check."""
    return {
        "saved_here": _("Guardado en este dispositivo, aún no enviado: %(count)s"),
        "nothing_queued": _("Nada pendiente de enviar."),
        "sending": _("Enviando…"),
        "sent": _(
            "Enviados: %(applied)s. Conflictos para el coordinador: %(conflicts)s. Rechazados: %(rejected)s."
        ),
        "send_failed": _("No se pudo enviar; se intentará de nuevo. Nada se perdió."),
        "expired": _("Su sesión expiró: inicie sesión de nuevo; no se perdió nada."),
        "refused": _(
            "El servidor no aceptó el envío (error %(status)s); se intentará de nuevo. Nada se perdió."
        ),
        "other_account": _(
            "Otra cuenta inició sesión en este navegador: lo guardado espera a la cuenta que lo anotó."
        ),
        "signed_out": _("Nadie ha iniciado sesión: inicie sesión para ver sus paquetes y anotar asistencia."),
        "logout_unsent": _(
            "Hay %(count)s registros sin enviar en este dispositivo. ¿Enviarlos antes de cerrar la sesión?"
        ),
        "logout_failed": _(
            "No se pudieron enviar %(count)s registros; quedan en este dispositivo, solo para usted. "
            "¿Cerrar la sesión de todos modos?"
        ),
        "logout_keep": _(
            "¿Cerrar la sesión sin enviarlos? Quedan en este dispositivo, solo para usted, hasta que vuelva."
        ),
        "no_storage": _("Este navegador no puede guardar datos sin conexión."),
    }


@bp.app_context_processor
def field_guard():
    """Give base.html the sign-out check's words (the logout form carries them for field.js)."""
    return {"field_guard_strings": guard_strings}


def size_text(size: int) -> str:
    """Return a size for people: KB under a tenth of a megabyte, MB with one decimal above, in the user's locale."""
    if size < 100_000:
        return _("%(size)s KB", size=format_decimal(math.ceil(size / 1000)))
    return _("%(size)s MB", size=format_decimal(size / 1_000_000, format="#,##0.0"))


@bp.route("/field/")
@access.roles(*STAFF)
def index():
    sessions = pack.upcoming_sessions(current_user)
    recordings = [
        dict(module, size=size_text(module["bytes"]))
        for module in pack.recordings_by_module(session.module for session in sessions)
        if module["count"]
    ]
    total = sum(module["bytes"] for module in recordings)
    return render_template(
        "field/index.html",
        recordings=recordings,
        recordings_total=(sum(module["count"] for module in recordings), size_text(total)),
        sessions=sessions,
        languages=languages(),
        strings=strings(),
        manager=attendance.is_manager(current_user),
        conflicts=conflicts.count_open_conflicts() if attendance.is_manager(current_user) else 0,
    )


@bp.route("/field/offline")
@access.roles(*STAFF)
def offline():
    """The page that shows a session from a pack; the script fills it from the device."""
    return render_template("field/offline.html", strings=strings(), states=attendance.ATTENDANCE_STATES)


@bp.route("/field/unavailable")
@access.public
def unavailable():
    """What the service worker shows, with no network, for a page that is not in a pack (no personal data)."""
    return render_template("field/unavailable.html")


@bp.route("/field/conflicts", endpoint="conflicts")
@access.roles(*MANAGERS)
def conflicts_page():
    found = conflicts.open_conflicts()
    return render_template(
        "field/conflicts.html", conflicts=found, current=conflicts.current_records(found), form=ConfirmForm()
    )


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
    refusal = conflicts.resolve(submission, keep, current_user)
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
    """A fresh CSRF token, and who is signed in: the device keeps each account's records apart."""
    return jsonify(
        csrf_token=generate_csrf(),
        user={
            "id": current_user.id,
            "name": current_user.display_name,
            "manager": attendance.is_manager(current_user),
        },
    )


def _chosen():
    """The sessions and languages a pack request names, or an error response."""
    known = languages()
    chosen = [code for code in request.args.getlist("lang") if code in known] or ["es"]
    try:
        ids = [record_id(value) for value in request.args.getlist("session")]
    except ValueError:
        return None, render_error(400, message=_("Los números de sesión no son válidos."))
    if not ids or len(ids) > 20:
        return None, render_error(400, message=_("Elija de 1 a 20 sesiones."))
    sessions = []
    for session_id in dict.fromkeys(ids):
        # A number too large for the database names no session (the same answer as a missing one).
        session = db.session.get(WorkshopSession, session_id) if services.is_record_id(session_id) else None
        if session is None or not attendance.can_see(current_user, session):
            return None, render_error(
                403, message=_("Usted no está asignado a la sesión %(id)s.", id=session_id)
            )
        sessions.append(session)
    return (sessions, chosen), None


@bp.route("/api/field/estimate")
@access.roles(*STAFF)
def estimate():
    """What a pack would hold, without names: the device measures the files once each."""
    chosen, error = _chosen()
    if error is not None:
        return error
    sessions, codes = chosen
    return jsonify(pack.estimate(sessions, codes))


@bp.route("/api/field/pack", endpoint="pack")
@access.roles(*STAFF)
def pack_data():
    chosen, error = _chosen()
    if error is not None:
        return error
    sessions, codes = chosen
    body = pack.build_pack(sessions, codes, current_user)
    # A pack carries the names of the sessions' people: who took it is logged.
    audit.record(current_user, "pack", "field-pack", sessions=[session.id for session in sessions])
    db.session.commit()
    return jsonify(body)


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
    shell.append(url_for(".unavailable"))
    paths = (
        ('/*VERSION*/"dev"', version),
        ("/*SHELL_FILES*/[]", shell),
        ('/*UNAVAILABLE*/"/field/unavailable"', url_for(".unavailable")),
        ('/*SWITCH*/"/language"', url_for("language.switch")),
    )
    for placeholder, value in paths:
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
