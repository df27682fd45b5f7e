"""Long PDF builds in the background, with the database as the queue.

Why the database and not a job runner: it is already shared by every process and
server, survives a restart, and needs nothing more to install or watch. A job is a
row keyed like the cache file it makes, so asking twice for the same book queues
one build. A worker is a thread of the app process that claims rows with one
conditional UPDATE (two workers never take the same row) and renders in a child
process, which gives back its memory when it exits. A row left "running" by a
process that died is taken again once it is stale; pending rows are resumed by the
next worker started (by a new request for a build, the job's progress page, or
`flask materials work`).
"""

import dataclasses
import json
import logging
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core.pdf import RenderError, html_to_pdf_apart
from ..extensions import db, utcnow
from . import pdfcache, services
from .keys import Stamp, document_stamp
from .models import PrintJob

log = logging.getLogger(__name__)
BACKGROUND_DOCUMENTS = ("book",)  # the others render in about a second, within the request
STALE = timedelta(minutes=15)
DEFAULT_EXPECTED_SECONDS = 20.0
_workers: dict[int, threading.Thread] = {}
_workers_lock = threading.Lock()


def options_of(job: PrintJob) -> services.Options:
    """Return the print options a job was queued with."""
    return services.Options(**json.loads(job.options))


def query_args(options: services.Options) -> dict[str, str]:
    """Return the query string of a document's print view and PDF."""
    args = dataclasses.asdict(options)
    args.pop("second")
    return {name: value for name, value in args.items() if value is not None}


def _expected_seconds() -> float:
    """Return how long the last finished build took, the estimate behind the progress bar."""
    last = db.session.execute(
        select(PrintJob.started_at, PrintJob.finished_at)
        .where(PrintJob.state == "done", PrintJob.started_at.is_not(None))
        .order_by(PrintJob.finished_at.desc())
        .limit(1)
    ).first()
    if last is None or last.finished_at is None:
        return DEFAULT_EXPECTED_SECONDS
    return max(1.0, (last.finished_at - last.started_at).total_seconds())


def enqueue(options: services.Options, stamp: Stamp) -> PrintJob:
    """Return the job building a document, queueing it unless it is queued already (the caller commits)."""
    job = db.session.scalar(select(PrintJob).where(PrintJob.key == stamp.key))
    if job is None:
        job = PrintJob(key=stamp.key, options=json.dumps(dataclasses.asdict(options)))
        job.expected_seconds = _expected_seconds()
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:  # queued by another request at the same moment
            job = db.session.scalars(select(PrintJob).where(PrintJob.key == stamp.key)).one()
    elif job.state in ("done", "failed"):  # the file was pruned since, or the last try failed
        job.state, job.error, job.finished_at = "pending", "", None
    return job


def progress(job: PrintJob) -> int:
    """Return a percentage for the bar: time spent against the last build's time, 99 at most."""
    if job.state == "done":
        return 100
    if job.state != "running" or job.started_at is None:
        return 0
    started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=utcnow().tzinfo)
    elapsed = (utcnow() - started).total_seconds()
    return max(1, min(99, int(100 * elapsed / job.expected_seconds)))


def claim() -> PrintJob | None:
    """Take the oldest pending (or stale running) job for this worker; None when there is none."""
    now = utcnow()
    takeable = or_(
        PrintJob.state == "pending", and_(PrintJob.state == "running", PrintJob.started_at < now - STALE)
    )
    for job_id in db.session.scalars(select(PrintJob.id).where(takeable).order_by(PrintJob.id).limit(5)):
        taken = db.session.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id, takeable)
            .values(state="running", started_at=now, attempts=PrintJob.attempts + 1)
        )
        db.session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult
            return db.session.get(PrintJob, job_id)
    return None


def run(job: PrintJob) -> None:
    """Build a job's PDF into the cache and record how it went."""
    options = options_of(job)
    tagged = services.pdf_tagged()
    try:
        with current_app.test_request_context("/"):
            stamp = document_stamp(options, services.render_version())
            document = services.build(options)
            html = services.render_html(document, services.print_context(document), for_pdf=True)
        pdfcache.store(stamp.key, html_to_pdf_apart(html, repr(options), tagged))
        job.state = "done"
    except (RenderError, LookupError) as error:
        job.state, job.error = "failed", str(error)[:500]
    job.finished_at = utcnow()
    db.session.commit()


def work(app: Flask) -> int:
    """Run queued jobs until none is left; return how many ran."""
    done = 0
    with app.app_context():
        try:
            while (job := claim()) is not None:
                run(job)
                done += 1
        except Exception:
            log.exception("print worker stopped")
            db.session.rollback()
        finally:
            db.session.remove()
    return done


def start_worker(app: Flask) -> threading.Thread:
    """Start this process's worker thread unless it is running; return it."""
    with _workers_lock:
        thread = _workers.get(id(app))
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=work, args=(app,), name="print-jobs", daemon=True)
            _workers[id(app)] = thread
            thread.start()
        return thread
