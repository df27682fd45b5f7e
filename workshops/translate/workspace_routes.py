"""The translator workspace: lists, the one-entry editor, review actions."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..catalog import store
from ..catalog.models import DOMAINS, Suggestion, TranslationHistory
from ..core import access
from ..core.text import page_number, record_id, revision_number
from ..core.urls import safe_next
from ..curriculum.models import Module
from ..extensions import db
from ..i18n import languages
from . import editor_context, progress, recordings, review, workspace
from .checks import MESSAGES, CheckResult
from .forms import EntryForm

bp = Blueprint("workspace", __name__, url_prefix="/translate")
TRANSLATORS = ("translator", "reviewer")


def target_language(code):
    language = languages().get(code)
    if language is None or language.is_source:
        abort(404)
    return language


def check_domain(domain):
    if domain not in DOMAINS:
        abort(404)


def read_filters():
    args = request.args
    since = None
    if args.get("since"):
        try:
            since = datetime.fromisoformat(args["since"])
        except ValueError:
            flash(_("La fecha no es válida; use AAAA-MM-DD."), "warning")
    state = args.get("state", "")
    return workspace.Filters(
        state=state if state in workspace.STATE_FILTERS else "",
        module=args.get("module", "")[:64],
        section=args.get("section", "")[:48],
        page=args.get("page_ref", "")[:200],
        q=args.get("q", "")[:200],
        since=since,
    )


def filter_args(filters):
    return {
        key: value
        for key, value in {
            "state": filters.state,
            "module": filters.module,
            "section": filters.section,
            "page_ref": filters.page,
            "q": filters.q,
            "since": filters.since.date().isoformat() if filters.since else "",
        }.items()
        if value
    }


def plural_examples(language):
    """Label each plural form with example numbers instead of the formula."""
    examples = {index: [] for index in range(language.nplurals)}
    for n in range(0, 120):
        index = language.plural_index(n)
        if len(examples[index]) < 4:
            examples[index].append(str(n))
    return [", ".join(numbers) + (" …" if len(numbers) == 4 else "") for numbers in examples.values()]


@bp.route("/")
@access.signed_in
def overview():
    targets = [language for language in languages().values() if not language.is_source]
    summary = [
        (language, {domain: progress.progress(language.code, domain) for domain in DOMAINS})
        for language in targets
    ]
    chosen = targets[0] if targets else None
    spoken = list(languages().values())  # the source is recorded too
    recorded = recordings.coverage([language.code for language in spoken])
    modules = progress.module_progress(chosen.code, chosen.require_recordings, recorded) if chosen else []
    credit = progress.volunteer_credit(chosen.code) if chosen else []
    return render_template(
        "translate/overview.html",
        summary=summary,
        modules=modules,
        credit=credit,
        chosen=chosen,
        spoken=spoken,
        recorded=recorded,
    )


@bp.route("/<lang>/<domain>/")
@access.roles(*TRANSLATORS)
def entries(lang, domain):
    language = target_language(lang)
    check_domain(domain)
    filters = read_filters()
    page = request.args.get("p", 1, type=page_number)
    rows, total = workspace.list_entries(lang, domain, filters, page)
    modules = (
        db.session.scalars(select(Module).order_by(Module.number)).all() if domain == "curriculum" else []
    )
    return render_template(
        "translate/list.html",
        language=language,
        domain=domain,
        rows=rows,
        total=total,
        page=page,
        per_page=workspace.PER_PAGE,
        filters=filters,
        args=filter_args(filters),
        modules=modules,
        form=EntryForm(),
        states=workspace.STATE_FILTERS,
        takes=editor_context.listening([entry for entry, _translation in rows], lang),
        languages=languages(),
    )


@bp.route("/<lang>/<domain>/next")
@access.roles(*TRANSLATORS)
def next_untranslated(lang, domain):
    target_language(lang)
    check_domain(domain)
    filters = read_filters()
    after = workspace.load_entry(request.args.get("after", 0, type=record_id), domain)
    entry = workspace.next_entry(lang, domain, filters, after)
    if entry is None:
        flash(_("No quedan entradas sin traducir con estos filtros."), "success")
        return redirect(url_for(".entries", lang=lang, domain=domain, **filter_args(filters)))
    return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry.id, **filter_args(filters)))


@bp.route("/<lang>/<domain>/previous")
@access.roles(*TRANSLATORS)
def previous(lang, domain):
    target_language(lang)
    check_domain(domain)
    filters = read_filters()
    before = workspace.load_entry(request.args.get("before", 0, type=int), domain)
    entry = workspace.previous_entry(lang, domain, filters, before) if before is not None else None
    if entry is None:
        flash(_("No hay una entrada anterior con estos filtros."), "success")
        return redirect(url_for(".entries", lang=lang, domain=domain, **filter_args(filters)))
    return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry.id, **filter_args(filters)))


@bp.route("/<lang>/<domain>/<int:entry_id>", methods=["GET", "POST"])
@access.roles(*TRANSLATORS)
def edit(lang, domain, entry_id):
    """Show the editor of one entry; a POST saves the text or, for reviewers, approves it."""
    language = target_language(lang)
    check_domain(domain)
    entry = workspace.load_entry(entry_id, domain)
    if entry is None:
        abort(404)
    filters = read_filters()
    form = EntryForm()
    result = None
    submitted = None
    if form.validate_on_submit():
        action = request.form.get("action", "save")
        submitted = request.form.getlist("translation")
        if action in ("approve", "approve_next"):
            if not current_user.has_role("reviewer"):
                abort(403)
            response, result = _approve(lang, domain, entry, language, action, filters, form, submitted)
        else:
            response, result = _save(lang, domain, entry, language, form, submitted, action, filters)
        if response is not None:
            return response
    translation = store.translation_for(entry, lang)
    if result is None or result.status == "conflict":
        # Start (again) from what is stored now; a refused text keeps its old base.
        form.base_revision.data = translation.revision if translation else 0
    return render_template(
        "translate/edit.html",
        language=language,
        domain=domain,
        entry=entry,
        translation=translation,
        form=form,
        result=result,
        submitted=submitted,
        messages=MESSAGES,
        **editor_context.editor_context(entry, lang, translation),
        languages=languages(),
        plural_labels=plural_examples(language),
        args=filter_args(filters),
        place=workspace.place_in_list(lang, domain, filters, entry),
    )


def _approve(lang, domain, entry, language, action, filters, form, submitted):
    """Approve the text in the box (saving it if edited) and redirect; return None to show why not."""
    try:
        base = int(form.base_revision.data or 0)
    except ValueError:
        base = -1
    result = review.approve(entry, language, current_user, forms=submitted or None, base_revision=base)
    if result.status != "saved":
        if result.status == "conflict":
            db.session.commit()  # the reviewer's edit is kept as a suggestion
        else:
            db.session.rollback()
            if not result.errors:
                flash(_("No hay una traducción válida que aprobar."), "warning")
        return None, result
    db.session.commit()
    flash(_("Traducción aprobada."), "success")
    if action == "approve_next":
        args = {**filter_args(filters), "state": "translated"}
        return redirect(
            url_for(".next_untranslated", lang=lang, domain=domain, after=entry.id, **args)
        ), result
    return redirect(request.full_path), result


def _save(lang, domain, entry, language, form, submitted, action, filters):
    """Save the submitted text; return (a redirect if it was kept, else None; the save result)."""
    try:
        base = revision_number(form.base_revision.data or "0")
    except ValueError:  # not a number, or past the database integer (2**31): never current
        base = -1
    result = workspace.save(
        entry, language, submitted, base, current_user, needs_review=(action == "needs_review")
    )
    if result.status not in ("saved", "suggested"):
        if result.status == "conflict":
            db.session.commit()  # the second text is kept as a suggestion
        else:
            db.session.rollback()
        return None, result
    db.session.commit()
    flash(_("Guardado.") if result.status == "saved" else _("Guardado como sugerencia."), "success")
    if action == "save_next" or request.form.get("next"):
        # Shown above another entry: say which entry the warnings are about.
        if result.warnings:
            flash(_("«%(text)s» se guardó con avisos.", text=entry.msgid[:60]), "warning")
    else:
        for message in CheckResult.messages(result.warnings):
            flash(message, "warning")
    if action == "save_next":
        return redirect(
            url_for(".next_untranslated", lang=lang, domain=domain, after=entry.id, **filter_args(filters))
        ), result
    if request.form.get("next"):  # the compact list's quick form
        return redirect(safe_next(request.form["next"])), result
    return redirect(request.full_path), result


def _suggestion(lang, entry_id, suggestion_id):
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.entry_id != entry_id or suggestion.language != lang:
        abort(404)
    return suggestion


@bp.route("/<lang>/<domain>/<int:entry_id>/suggestions/<int:suggestion_id>/<decision>", methods=["POST"])
@access.roles("reviewer")
def decide(lang, domain, entry_id, suggestion_id, decision):
    language = target_language(lang)
    check_domain(domain)
    suggestion = _suggestion(lang, entry_id, suggestion_id)
    if not EntryForm().validate_on_submit() or decision not in ("accept", "reject"):
        abort(400)
    if decision == "accept":
        result = review.accept_suggestion(suggestion, language, current_user)
        if result.status == "refused":
            db.session.rollback()
            for message in CheckResult.messages(result.errors, result.details):
                flash(message, "warning")
            return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry_id))
        flash(_("Sugerencia aceptada."), "success")
    else:
        review.reject_suggestion(suggestion, current_user)
        flash(_("Sugerencia rechazada."), "success")
    db.session.commit()
    return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry_id))


@bp.route("/<lang>/<domain>/<int:entry_id>/restore/<int:history_id>", methods=["POST"])
@access.roles(*TRANSLATORS)
def restore(lang, domain, entry_id, history_id):
    language = target_language(lang)
    check_domain(domain)
    row = db.session.get(TranslationHistory, history_id)
    entry = workspace.load_entry(entry_id, domain)
    translation = store.translation_for(entry, lang) if entry else None
    if row is None or translation is None or row.translation_id != translation.id:
        abort(404)
    if not EntryForm().validate_on_submit():
        abort(400)
    result = review.restore(row, language, current_user)
    if result.status == "refused":
        db.session.rollback()
        for message in CheckResult.messages(result.errors, result.details):
            flash(message, "warning")
        return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry_id))
    db.session.commit()
    if result.status == "suggested":
        flash(_("La versión %(revision)s se propuso como sugerencia.", revision=row.revision), "success")
    else:
        flash(_("Se restauró la versión %(revision)s.", revision=row.revision), "success")
    return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry_id))


@bp.route("/<lang>/<domain>/<int:entry_id>/dismiss/<code>", methods=["POST"])
@access.roles("reviewer")
def dismiss(lang, domain, entry_id, code):
    target_language(lang)
    check_domain(domain)
    entry = workspace.load_entry(entry_id, domain)
    translation = store.translation_for(entry, lang) if entry else None
    if translation is None or code not in MESSAGES:
        abort(404)
    if not EntryForm().validate_on_submit():
        abort(400)
    review.dismiss_warning(translation, code)
    db.session.commit()
    return redirect(url_for(".edit", lang=lang, domain=domain, entry_id=entry_id))
