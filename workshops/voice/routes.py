"""Recordings of the curriculum: record or upload a take, review it, play it."""

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ..catalog.recordings import AUDIO_TYPE, Recording
from ..core import access
from ..core.urls import safe_next
from ..curriculum.services import module_titles
from ..extensions import db
from ..i18n import languages
from ..languages import Language
from . import media, services
from .forms import RecordingForm, ReviewForm

bp = Blueprint("voice", __name__, url_prefix="/recordings")

# Approved takes never change their bytes (a new take gets a new URL): the browser may keep them.
APPROVED_CACHE = "private, max-age=31536000, immutable"
REFUSALS = {
    "empty": _l("El archivo está vacío: no hay nada que guardar."),
    "unreadable": _l(
        "No se pudo leer el archivo como audio. Suba una grabación (OGG, WebM, MP3, M4A, WAV, FLAC o AMR)."
    ),
    "no_audio": _l("El archivo no tiene sonido que se pueda guardar."),
    "video": _l("El archivo es un video. Suba solo el audio."),
    "damaged": _l("El archivo está dañado y no se puede escuchar entero. Grábelo o expórtelo de nuevo."),
    "too_slow": _l("El archivo tardó demasiado en procesarse. Pruebe con una grabación más corta."),
}
REVIEW_REFUSALS = {
    "not_current": _l("Solo se revisa la grabación actual; esta ya fue reemplazada."),
    "no_reason": _l("Escriba el motivo del rechazo: quien grabó lo necesita para grabar de nuevo."),
    "stale": _l("El texto cambió desde que se grabó: hay que grabarlo de nuevo."),
}


def _language(code: str) -> Language:
    language = languages().get(code)
    if language is None:
        abort(404)
    return language


def _source(context: str) -> services.SourceText:
    source = services.source_of(context)
    if source is None:
        abort(404)
    return source


def refusal_message(refused: media.MediaRefused) -> str:
    """Return the sentence, in the user's language, that says why a file was refused."""
    if refused.code == "too_large":
        return _(
            "El archivo pasa de %(size)d MB. Grabe un segmento a la vez.", size=(refused.limit or 0) // 2**20
        )
    if refused.code == "too_long":
        return _(
            "La grabación dura más de %(seconds)d segundos. Grabe un segmento a la vez.",
            seconds=refused.limit,
        )
    return str(REFUSALS[refused.code])


def _read(upload: FileStorage, limit: int) -> bytes:
    """Read at most limit + 1 bytes: enough to tell a file that is too large."""
    try:
        return upload.stream.read(limit + 1)
    finally:
        upload.close()


def _answer(ok: bool, message: str, location: str, status: int = 200) -> ResponseReturnValue:
    """Answer the browser's recorder (JSON; it shows a refusal itself) or a plain form (a message, the page again)."""
    if request.accept_mimetypes.best == "application/json":
        if ok:  # the recorder then opens the page, which shows it
            flash(message, "success")
        return jsonify(ok=ok, message=message, location=location), status
    flash(message, "success" if ok else "warning")
    return redirect(location)


def _save(source: services.SourceText, language: str, audio: media.Normalised) -> None:
    """Store the take; should another take of the same text be saved at that moment, number it after."""
    for attempt in range(3):
        try:
            services.save_take(source, language, audio, current_user.id)
            db.session.commit()
            return
        except IntegrityError:  # the take number (or "current") was taken meanwhile
            db.session.rollback()
            if attempt == 2:
                raise


@bp.route("/<lang>/<context>", methods=["GET", "POST"])
@access.roles(*services.RECORDERS)
def record(lang: str, context: str) -> ResponseReturnValue:
    language, source = _language(lang), _source(context)
    here = url_for(".record", lang=language.code, context=source.context)
    form = RecordingForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            audio = media.normalise(
                _read(form.audio.data, config["RECORDING_MAX_BYTES"]),
                config["RECORDING_MAX_SECONDS"],
                config["RECORDING_MAX_BYTES"],
            )
        except media.MediaRefused as refused:
            return _answer(False, refusal_message(refused), here, 422)
        _save(source, language.code, audio)
        if audio.silent:
            return _answer(
                True,
                _("Se guardó, pero la grabación parece en silencio: escúchela. ¿Funcionaba el micrófono?"),
                here,
            )
        return _answer(True, _("Se guardó la grabación. Un revisor la escuchará."), here)
    if request.method == "POST":
        errors = [str(error) for error in form.audio.errors] or [
            _("No se recibió la grabación. Inténtelo de nuevo.")
        ]
        return _answer(False, " ".join(errors), here, 400)
    return render_template(
        "voice/record.html",
        language=language,
        source=source,
        written=services.written_text(source, language.code),
        takes=services.takes(source.context, language.code),
        form=form,
        review_form=ReviewForm(),
        can_review=current_user.has_role(*services.REVIEWERS),
        max_seconds=current_app.config["RECORDING_MAX_SECONDS"],
    )


@bp.route("/<lang>/")
@access.signed_in  # whoever is signed in may hear unrecorded takes (services.can_hear); reviewers act
def queue(lang: str) -> ResponseReturnValue:
    language = _language(lang)
    state = request.args.get("state", "recorded")
    if state not in services.QUEUE_STATES:
        state = "recorded"
    titles = module_titles()
    module = request.args.get("module") or None
    if module not in titles:
        module = None
    found = services.queue(language.code, state, module, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "voice/queue.html",
        language=language,
        state=state,
        module=module,
        titles=titles,
        found=found,
        review_form=ReviewForm(),
        can_review=current_user.has_role(*services.REVIEWERS),
        can_record=current_user.has_role(*services.RECORDERS),
    )


@bp.route("/take/<int:recording_id>/<any(approve, reject):decision>", methods=["POST"])
@access.roles(*services.REVIEWERS)
def review(recording_id: int, decision: str) -> Response:
    take = db.session.get(Recording, recording_id)
    if take is None:
        abort(404)
    form = ReviewForm()
    # From the review queue, back to the queue; else to the text's recording page.
    here = (
        safe_next(request.form["next"])
        if request.form.get("next")
        else url_for(".record", lang=take.language, context=take.context)
    )
    if not form.validate_on_submit():
        flash(" ".join(str(error) for error in form.reason.errors) or _("Inténtelo de nuevo."), "warning")
        return redirect(here)
    try:
        services.review(take, current_user.id, decision == "approve", form.reason.data or "")
    except services.ReviewRefused as refused:
        db.session.commit()  # a take found stale stays marked as such
        flash(str(REVIEW_REFUSALS[str(refused)]), "warning")
        return redirect(here)
    db.session.commit()
    flash(_("Grabación aprobada.") if decision == "approve" else _("Grabación rechazada."), "success")
    return redirect(here)


@bp.route("/take/<int:recording_id>.ogg")
@access.signed_in
def audio(recording_id: int) -> Response:
    take = db.session.get(Recording, recording_id)
    if take is None or not services.can_hear(take, current_user.is_authenticated):
        abort(404)
    data = services.audio_of(take)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=AUDIO_TYPE,
        conditional=True,  # answers Range requests (seeking) with 206, and If-None-Match with 304
        etag=take.sha256,
        last_modified=take.created_at,
        download_name=f"{take.context}-{take.language}-{take.take}.ogg",
    )
    response.headers["Cache-Control"] = APPROVED_CACHE if take.state == "approved" else "no-store"
    return response
