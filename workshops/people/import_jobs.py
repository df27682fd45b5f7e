"""Large CSV imports run in the background (core/jobs.py): queued with the file, checked again, imported whole."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core import jobs as queue
from ..core.job_models import ImportJob
from ..i18n import use_language
from . import importer

KIND = "people_csv"
# Rows past this many are imported in the background; fewer stay in the request (under a second).
BACKGROUND_ROWS = 500
TOO_MANY_ROWS = _l(
    "El archivo tiene más de %(limit)s filas: divídalo en archivos de %(limit)s filas "
    "como máximo e impórtelos uno por uno.",
    limit=importer.MAX_ROWS,
)


@dataclass(frozen=True)
class Owner:
    """Who queued the job, as the audit log records it."""

    id: int


def is_large(text: str) -> bool:
    """Tell whether a file has more rows than the request imports itself."""
    return importer.count_rows(text, BACKGROUND_ROWS + 1) > BACKGROUND_ROWS


def enqueue(text: str, reference: date, user_id: int, language: str) -> ImportJob:
    """Queue the import of a file with the reference date its ages count from (the caller commits).

    Raise importer.TooManyRows, queueing nothing, for a file of more than MAX_ROWS rows.
    """
    total = importer.count_rows(text, importer.MAX_ROWS + 1)
    if total > importer.MAX_ROWS:
        raise importer.TooManyRows(importer.MAX_ROWS)
    return queue.enqueue_import(KIND, user_id, language, text, total, reference=reference.isoformat())


def run_job(job: ImportJob, progress: queue.Progress) -> dict[str, Any]:
    """Check the queued file again (the register may have changed) and import it whole, or refuse it."""
    use_language(job.language)
    reference = date.fromisoformat(queue.params_of(job)["reference"])
    try:
        result = importer.plan(job.content, reference)
    except importer.TooManyRows:
        raise queue.Refused([(1, TOO_MANY_ROWS)]) from None
    if result.error_count:
        problems: list[tuple[int, object]] = [
            (line, f"{column}: {message}" if column else message) for line, column, message in result.errors
        ]
        raise queue.Refused(problems, result.more_errors)
    progress(0, len(result.rows))
    households, persons = importer.run(result, Owner(job.user_id), progress)
    return {"households": households, "persons": persons, "rows": len(result.rows)}


queue.register(KIND, run_job)
