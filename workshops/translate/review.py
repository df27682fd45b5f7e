"""Review: approving (the stored or an edited text), suggestions, restoring versions, warnings.

The author of a text is always the person who wrote it; the reviewer who
approves it or accepts it from a suggestion is recorded as its reviewer.
"""

from ..catalog import store
from ..catalog.models import Translation
from ..extensions import db
from .workspace import SaveResult, _suggest, check, follow_key_term, save, suggestions


def approve(entry, language, user, forms=None, base_revision=None):
    """Approve a translation (reviewers): the stored text, or the edited one given, saved and approved.

    Returns a SaveResult: "saved", "refused" (a blocking check, or nothing to
    approve) or "conflict" (the text changed since base_revision; the edit is kept
    as a suggestion). The stored text keeps its author; an edit is the reviewer's.
    """
    translation = store.translation_for(entry, language.code)
    if forms is not None and any(forms) and (translation is None or list(forms) != translation.forms):
        return _approve_edit(entry, language, user, list(forms), base_revision, translation)
    if translation is None or translation.state == "untranslated":
        return SaveResult("refused")
    result = check(entry, language, translation.forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, details=result.details)
    store.set_translation(
        entry,
        language.code,
        translation.forms,
        "approved",
        author_id=translation.updated_by_id,
        origin="approve",
        reviewed_by_id=user.id,
    )
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=translation)


def _approve_edit(entry, language, user, forms, base_revision, translation):
    """Save a reviewer's edited text as approved, on the revision it was based on."""
    result = check(entry, language, forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, warnings=result.warnings, details=result.details)
    current_revision = translation.revision if translation else 0
    base = current_revision if base_revision is None else base_revision
    try:
        if base != current_revision:
            raise store.StaleRevision
        saved = store.set_translation_at(
            entry,
            language.code,
            base,
            forms,
            "approved",
            author_id=user.id,
            origin="approve",
            warnings=result.warnings,
            reviewed_by_id=user.id,
        )
    except store.StaleRevision:
        suggestion = _suggest(entry, language.code, forms, base, user, conflict=True)
        current = store.translation_for(entry, language.code)
        return SaveResult("conflict", warnings=result.warnings, translation=current, suggestion=suggestion)
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=saved)


def accept_suggestion(suggestion, language, user):
    """Apply a suggestion: its author stays the text's author, the reviewer is recorded as such."""
    entry = suggestion.entry
    result = check(entry, language, suggestion.forms)
    if result.errors:
        return SaveResult("refused", errors=result.errors, details=result.details)
    translation = store.set_translation(
        entry,
        language.code,
        suggestion.forms,
        "translated",
        author_id=suggestion.author_id,
        origin="suggestion",
        warnings=result.warnings,
        reviewed_by_id=user.id,
    )
    suggestion.state, suggestion.decided_by_id = "accepted", user.id
    for other in suggestions(entry, language.code):
        if other.id != suggestion.id and other.forms == suggestion.forms:
            other.state, other.decided_by_id = "accepted", user.id
    follow_key_term(entry, language)
    return SaveResult("saved", warnings=result.warnings, translation=translation)


def reject_suggestion(suggestion, user):
    suggestion.state, suggestion.decided_by_id = "rejected", user.id


def restore(history_row, language, user):
    """Bring back an earlier version as a new revision, by the same rules as a save.

    History is never rewritten. The restored text keeps the author who wrote it;
    in a language that takes translators' saves as suggestions, a translator's
    restore is a suggestion too, and a blocking check refuses it like any save.
    """
    translation = db.session.get(Translation, history_row.translation_id)
    entry = translation.entry
    return save(
        entry,
        language,
        list(history_row.forms),
        translation.revision,
        user,
        needs_review=history_row.state == "fuzzy",
        origin="restore",
        author_id=history_row.author_id,
    )


def dismiss_warning(translation, code):
    if code in (translation.warnings or []):
        translation.warnings = [w for w in translation.warnings if w != code]
        translation.dismissed = sorted({*(translation.dismissed or []), code})
        translation.check_count = len(translation.warnings)
