"""Large .po uploads run in the background (core/jobs.py), by the same rules as any upload (merge.py)."""

import re
from dataclasses import fields
from typing import Any

from ..auth.models import User
from ..core import jobs as queue
from ..core.job_models import ImportJob
from ..extensions import db
from ..i18n import use_language
from . import merge
from .catalog_import import CatalogError, check_text

KIND = "po_upload"
# Files of more entries than this are merged in the background; smaller ones in the request.
BACKGROUND_ENTRIES = 500
ENTRY_LINE = re.compile(rb"^[ \t]*msgid[ \t]", re.MULTILINE)


def entries_in(data: bytes) -> int:
    """Return how many entries a .po file has (its msgid lines, the header's included), without reading it."""
    return len(ENTRY_LINE.findall(data))


def is_large(data: bytes) -> bool:
    """Tell whether an upload is merged in the background: many entries, none of the quick refusals.

    The refusals that need no parse (not UTF-8, too many entries or lines, a broken line) the
    request gives at once, saying where.
    """
    if entries_in(data) <= BACKGROUND_ENTRIES:
        return False
    try:
        check_text(data, "upload.po")
    except CatalogError:
        return False
    return True


def enqueue(
    data: bytes, language_code: str, domain: str, filename: str, dry_run: bool, user_id: int, ui: str
) -> ImportJob:
    """Queue the merge of an uploaded .po with what the form said (the caller commits)."""
    return queue.enqueue_import(
        KIND,
        user_id,
        ui,
        data.decode("utf-8"),
        max(0, entries_in(data) - 1),  # the header is not an entry
        lang=language_code,
        domain=domain,
        filename=filename,
        dry_run=dry_run,
    )


def summary(report: merge.MergeReport) -> dict[str, Any]:
    """Return a merge report as JSON-ready data, for the page that shows it (the glossary left out)."""
    return {item.name: getattr(report, item.name) for item in fields(report) if item.name != "glossary"}


def run_job(job: ImportJob, progress: queue.Progress) -> dict[str, Any]:
    """Merge a queued upload as its owner, in their language; refuse it whole as the request would."""
    use_language(job.language)
    params = queue.params_of(job)
    user = db.session.get(User, job.user_id)
    try:
        report = merge.import_file(
            job.content,
            params["domain"],
            params["lang"],
            filename=params["filename"],
            user=user,
            dry_run=params["dry_run"],
            origin="upload",
            progress=progress,
        )
    except CatalogError as error:
        raise queue.Refused(error.problems) from None
    return summary(report)


queue.register(KIND, run_job)
