"""Long PDF builds in the background, with the database as the queue (core/jobs.py).

The queue logic (claiming a row with one conditional UPDATE, taking back stale rows,
the worker thread) is core's, shared with the import jobs; what is the PDF's is here.
A job is a row keyed like the cache file it makes, so asking twice for the same book
queues one build. The book is laid out by child processes (render.py), which give
back their memory when they exit. Pending rows are resumed by the next worker started (by a new request
for a build, the job's progress page, or `flask materials work`).
"""

import dataclasses
import json
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core import jobs as queue
from ..core.pdf import RenderError
from ..extensions import db, utcnow
from . import pdfcache, services
from .keys import Stamp, document_stamp
from .models import PrintJob
from .render import pdf_bytes

BACKGROUND_DOCUMENTS = ("book",)  # the others render in about a second, within the request
STALE = timedelta(minutes=15)
DEFAULT_EXPECTED_SECONDS = 20.0


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
        job.state, job.error, job.finished_at, job.attempts = "pending", "", None, 0
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
    """Take the oldest pending (or stale running) build for this worker; None when there is none."""
    return queue.claim(PrintJob, STALE)


def run(job: PrintJob) -> None:
    """Build a job's PDF into the cache and record how it went."""
    options = options_of(job)
    try:
        with current_app.test_request_context("/"):
            stamp = document_stamp(options, services.render_version(options))
            pdf = pdf_bytes(options)
        pdfcache.store(stamp.key, pdf)
        job.state = "done"
    except (RenderError, LookupError) as error:
        job.state, job.error = "failed", str(error)[:500]
    job.finished_at = utcnow()
    db.session.commit()


def work(app: Flask) -> int:
    """Run queued builds until none is left; return how many ran."""
    return queue.drain(app, claim, run, "print")


def start_worker(app: Flask) -> threading.Thread:
    """Start this process's print worker thread unless it is running; return it."""
    return queue.start_worker(app, "print-jobs", work)
