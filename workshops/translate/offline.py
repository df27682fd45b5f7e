"""The offline round trip: download a stamped .po, upload it back with a report."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..catalog import store
from . import catalog_import, catalogs, workspace
from .checks import CheckResult


@dataclass
class UploadReport:
    applied: list = field(default_factory=list)  # msgids
    suggested: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (line, msgid, reason)
    unchanged: int = 0
    stamp: int = 0


def download(language_code, domain, module=None):
    """Return (file name, .po text) of a catalog or one module, stamped with the store revision."""
    po = catalogs.build_po(domain, language_code)
    if module:
        kept = [entry for entry in po if entry.msgctxt and entry.msgctxt.startswith(module + ".")]
        po[:] = kept
    revision = po.metadata["X-Catalog-Revision"]
    name = f"{domain}-{language_code}{'-' + module if module else ''}-r{revision}.po"
    return name, str(po)


def _forms(po_entry):
    if po_entry.msgid_plural:
        return [po_entry.msgstr_plural.get(index, "") for index in sorted(po_entry.msgstr_plural)]
    return [po_entry.msgstr]


def upload(data, language, domain, user, filename="upload.po"):
    """Apply an edited .po; entries changed on the server since its stamp become conflicts.

    Raises catalog_import.CatalogError (nothing changes) when the file is not a
    catalog of this language. The caller commits.
    """
    po = catalog_import.parse_po(data, filename, language.code)
    report = UploadReport()
    try:
        report.stamp = int(po.metadata.get("X-Catalog-Revision", ""))
    except ValueError:
        report.stamp = 0  # no stamp: every entry the server translated counts as changed
    existing = {entry.key: entry for entry in store.entries(domain)}
    for po_entry in po:
        if not po_entry.obsolete:
            _upload_entry(report, po_entry, existing, language, user)
    return report


def _upload_entry(report, po_entry, existing, language, user):
    """Apply one entry of the file, or count it as rejected, unchanged, suggested or a conflict."""
    entry = existing.get(store.SourceEntry(msgid=po_entry.msgid, context=po_entry.msgctxt or "").key)
    if entry is None:
        report.rejected.append((po_entry.linenum, po_entry.msgid, _l("no está en el catálogo")))
        return
    forms = _forms(po_entry)
    if not any(forms):
        report.unchanged += 1  # an empty text never erases a translation
        return
    current = store.translation_for(entry, language.code)
    state = "fuzzy" if "fuzzy" in po_entry.flags else "translated"
    if _already_stored(current, forms, state):
        report.unchanged += 1
        return
    result = workspace.check(entry, language, forms)
    if result.errors:
        reason = "; ".join(CheckResult.messages(result.errors))
        report.rejected.append((po_entry.linenum, po_entry.msgid, reason))
        return
    if current is not None and current.changed_at_revision > report.stamp and current.forms != forms:
        _keep_as_conflict(report, po_entry.msgid, entry, language, forms, user)
        return
    _store_entry(report, po_entry.msgid, entry, current, forms, state, result.warnings, language, user)


def _already_stored(current, forms, state):
    """Tell whether the server already has these forms in this state (or approved)."""
    return (
        current is not None
        and current.forms == forms
        and (current.state == state or current.state == "approved")
    )


def _store_entry(report, msgid, entry, current, forms, state, warnings, language, user):
    """Save the forms, or suggest them in suggest mode; a save landing in between makes a conflict."""
    if language.review_mode == "suggest" and not user.has_role("reviewer"):
        workspace._suggest(
            entry, language.code, forms, current.revision if current else 0, user, conflict=False
        )
        report.suggested.append(msgid)
        return
    try:
        # Conditional on the revision read above: a web save landing in between is a conflict too.
        store.set_translation_at(
            entry,
            language.code,
            current.revision if current else 0,
            forms,
            state,
            author_id=user.id,
            origin="upload",
            warnings=warnings,
        )
    except store.StaleRevision:
        _keep_as_conflict(report, msgid, entry, language, forms, user)
        return
    report.applied.append(msgid)


def _keep_as_conflict(report, msgid, entry, language, forms, user):
    """Keep the file's text as a conflict suggestion against the translation the server has now."""
    current = store.translation_for(entry, language.code)
    suggestion = workspace._suggest(
        entry, language.code, forms, current.revision if current else 0, user, conflict=True
    )
    report.conflicts.append((msgid, current.forms if current else [], suggestion.forms))
