"""Background jobs with the database as the queue: one home for claiming, workers and progress.

Why here, and why the database: long PDF builds (materials) and large imports (people's CSV,
translate's .po upload) need the same things, a queue every process and server shares, that
survives a restart and needs nothing more to install or watch. So the queue logic lives once,
below the features: a job table takes `JobColumns` (core/job_models.py) and this module claims
its rows with one conditional UPDATE (two workers never take the same row), takes back a row
left "running" by a process that died once it is stale, and runs a worker thread per queue and
app. Print jobs keep their own table (a row is keyed like the PDF it makes); imports share
`import_job`, each kind run by a function its feature registers here (core never imports a
feature). Pending rows are resumed by the next worker started: a new job, the job's page, or
`flask materials work` / `flask jobs work`.

An import runs in one transaction with its job row: the rows it writes and the job's "done"
commit together, or not at all. So a failed job has written nothing, and a job whose process
died is simply run again. Its progress (processed / total) cannot be committed from inside
that transaction: the worker keeps it in memory for the pages this process serves, and on a
database that takes concurrent writers (PostgreSQL) also writes it to the row through a
connection of its own, for the other processes. SQLite takes one writer at a time, so there a
page served by another process shows the job running without the count.
"""

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db, utcnow
from .job_models import MAX_CONTENT, ImportJob, JobColumns

log = logging.getLogger(__name__)
Job = TypeVar("Job", bound=JobColumns)
# An import takes seconds; one "running" this long belongs to a process that died.
IMPORT_STALE = timedelta(minutes=5)
# A job taken this many times without finishing (say it kills its process) is not taken again.
MAX_ATTEMPTS = 3
Progress = Callable[[int, int], None]
# kind -> the function that runs it: it returns the summary to show (JSON-ready) and raises
# Refused for input it refuses. It must not commit: the caller commits the job with it.
Runner = Callable[[ImportJob, Progress], dict[str, Any]]
_runners: dict[str, Runner] = {}
_live: dict[int, tuple[int, int]] = {}  # import job id -> (processed, total), while it runs here
_workers: dict[tuple[int, str], threading.Thread] = {}
_workers_lock = threading.Lock()


class Refused(Exception):
    """The job's input was refused whole; `problems` lists the first (line, message), `more` counts the rest."""

    def __init__(self, problems: list[tuple[int, object]], more: int = 0) -> None:
        # Made text now, while the runner speaks the owner's language (lazy strings wait otherwise).
        self.problems = [(line, str(message)) for line, message in problems]
        self.more = more
        super().__init__(self.problems)


def claim(model: type[Job], stale: timedelta) -> Job | None:
    """Take the oldest pending (or stale running) job of a queue for this worker; None when none."""
    now = utcnow()
    takeable = and_(
        or_(model.state == "pending", and_(model.state == "running", model.started_at < now - stale)),
        model.attempts < MAX_ATTEMPTS,
    )
    identity = model.id  # type: ignore[attr-defined]  # every job table has an integer id
    _give_up(model, stale)
    for job_id in db.session.scalars(select(identity).where(takeable).order_by(identity).limit(5)):
        taken = db.session.execute(
            update(model)
            .where(identity == job_id, takeable)
            .values(state="running", started_at=now, attempts=model.attempts + 1)
        )
        db.session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult
            return db.session.get(model, job_id)
    return None


def _give_up(model: type[Job], stale: timedelta) -> None:
    """Mark failed the stale jobs taken MAX_ATTEMPTS times: their page stops waiting and says so."""
    lost = and_(model.state == "running", model.started_at < utcnow() - stale, model.attempts >= MAX_ATTEMPTS)
    identity = model.id  # type: ignore[attr-defined]
    if db.session.scalar(select(identity).where(lost).limit(1)) is not None:
        db.session.execute(
            update(model).where(lost).values(state="failed", error="failed", finished_at=utcnow())
        )
        db.session.commit()


def drain(app: Flask, take: Callable[[], Job | None], run: Callable[[Job], None], name: str) -> int:
    """Run a queue's jobs until none is left; return how many ran."""
    done = 0
    with app.app_context():
        try:
            while (job := take()) is not None:
                run(job)
                done += 1
        except Exception:
            log.exception("%s worker stopped", name)
            db.session.rollback()
        finally:
            db.session.remove()
    return done


def start_worker(app: Flask, name: str, work: Callable[[Flask], int]) -> threading.Thread:
    """Start this process's worker thread of a queue unless it is running; return it."""
    with _workers_lock:
        thread = _workers.get((id(app), name))
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=work, args=(app,), name=name, daemon=True)
            _workers[(id(app), name)] = thread
            thread.start()
        return thread


def register(kind: str, runner: Runner) -> None:
    """Let the import jobs of a kind be run by a feature's function."""
    _runners[kind] = runner


def enqueue_import(
    kind: str, user_id: int, language: str, content: str, total: int, **params: object
) -> ImportJob:
    """Queue an import with its whole input (the caller commits); refuse input past the row's limit."""
    if len(content) > MAX_CONTENT:
        raise ValueError("import content too large")
    job = ImportJob(
        kind=kind, user_id=user_id, language=language, content=content, total=total, params=json.dumps(params)
    )
    db.session.add(job)
    db.session.flush()
    return job


def params_of(job: ImportJob) -> dict[str, Any]:
    """Return what an import job was queued with besides its content."""
    value: dict[str, Any] = json.loads(job.params or "{}")
    return value


def result_of(job: ImportJob) -> Any:
    """Return a finished job's summary, or the problems of a refused one."""
    return json.loads(job.result) if job.result else None


def progress_of(job: ImportJob) -> tuple[int, int]:
    """Return (processed, total): this process's live count while it runs the job, else the row's."""
    return _live.get(job.id) or (job.processed, job.total)


def job_for(job_id: int, kind: str, user: Any) -> ImportJob | None:
    """Return an import job of a kind if this user may see it (who queued it, or an administrator)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != kind or not (job.user_id == user.id or user.has_role("admin")):
        return None
    return job


def _reporter(job_id: int) -> Progress:
    """Return the function a runner calls with (processed, total) as it goes."""
    shared = db.engine.dialect.name != "sqlite"

    def report(processed: int, total: int) -> None:
        total = max(total, processed)
        _live[job_id] = (processed, total)
        if shared:  # committed apart from the import's transaction, for the other processes
            with db.engine.begin() as connection:
                connection.execute(
                    update(ImportJob).where(ImportJob.id == job_id).values(processed=processed, total=total)
                )

    return report


def run_import(job: ImportJob) -> None:
    """Run one import job: the import and the job's "done" are committed together, or nothing is."""
    job_id, runner = job.id, _runners.get(job.kind)
    try:
        if runner is None:
            raise LookupError(job.kind)
        with current_app.test_request_context("/"):
            summary = runner(job, _reporter(job_id))
            job.state, job.result, job.finished_at = "done", json.dumps(summary), utcnow()
            # Done is all of it, whatever the row holds now (another connection may have written it).
            job.processed = job.total = _live.get(job_id, (0, job.total))[1]
            flag_modified(job, "processed")
            flag_modified(job, "total")
            db.session.commit()
    except Refused as refused:
        db.session.rollback()
        _fail(job_id, "refused", {"problems": refused.problems, "more": refused.more})
    except Exception:
        log.exception("import job %s failed", job_id)
        db.session.rollback()
        _fail(job_id, "failed", None)
    finally:
        _live.pop(job_id, None)


def _fail(job_id: int, error: str, problems: dict[str, Any] | None) -> None:
    """Record that a job failed (its work already rolled back) and why."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return
    job.state, job.error, job.finished_at = "failed", error, utcnow()
    job.result = json.dumps(problems) if problems is not None else ""
    db.session.commit()


def work_imports(app: Flask) -> int:
    """Run queued import jobs until none is left; return how many ran."""
    return drain(app, lambda: claim(ImportJob, IMPORT_STALE), run_import, "import")


def start_import_worker(app: Flask) -> threading.Thread:
    """Start this process's import worker unless it is running; return it."""
    return start_worker(app, "import-jobs", work_imports)
