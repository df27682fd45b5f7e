"""Bounds of the imports: time and peak memory of the largest file each one takes.

    python bench/import_bounds.py [--runs 3]

Builds a throwaway SQLite database (or uses the empty database DATABASE_URL
names) and measures in-process, with the limits beside the figures:

- the CSV registry import at its row limit (people.importer.MAX_ROWS): families
  of four, and the worst case of one person a family, every one new; the
  preview (checking the file) and the import (checking it again, then writing);
- a CSV of a million separator-only rows (2 MB, the upload limit);
- a .po at its entry limit (translate.catalog_import.MAX_ENTRIES), every entry
  in the catalog (the curriculum catalog padded with synthetic entries) and
  translated, through `flask translate import` and through the web upload;
- a .po of 100,000 unknown entries (refused at the limit);
- the background path of the largest CSV and .po through the web pages: the
  time of the request that queues the job (it answers at once), the time the
  job takes to finish (run as `flask imports work` runs it, in this process),
  and the job's peak memory.

Time is the median of --runs runs (each rolled back), without tracemalloc;
peak memory is tracemalloc's over one more run. The budget is "a few seconds"
each, well inside the 30 s a worker has; a background job's request has one
second, the job itself 30 s and 256 MB. Placeholder translations only
("PRUEBA n"), never Awajún text.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polib  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402
from werkzeug.test import encode_multipart  # noqa: E402

from workshops import create_app  # noqa: E402
from workshops.auth import services as auth_services  # noqa: E402
from workshops.catalog import store  # noqa: E402
from workshops.catalog.models import CatalogEntry, entry_key  # noqa: E402
from workshops.core import jobs  # noqa: E402
from workshops.core.access import SETUP_DONE_KEY  # noqa: E402
from workshops.core.job_models import ImportJob  # noqa: E402
from workshops.core.models import AppState  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.languages import get_language  # noqa: E402
from workshops.people import import_jobs, importer  # noqa: E402
from workshops.people.models import Community  # noqa: E402
from workshops.translate import catalog_import, merge, offline, upload_jobs  # noqa: E402
from workshops.translate.offline_routes import MAX_UPLOAD  # noqa: E402

HEADER = ",".join(importer.COLUMNS) + "\n"
BUDGET = 5.0  # seconds: "a few"
QUEUE_BUDGET = 1.0  # seconds: the request that queues a background import answers at once
JOB_BUDGET = 30.0  # seconds: a background import, its page refreshing every 2 s
JOB_MEMORY_BUDGET = 256  # MB of peak memory for one background import


def csv_text(rows, per_family, family="B"):
    """A valid registry file of `rows` people, `per_family` to a family, all new."""
    lines = []
    for n in range(rows):
        relation = "jefa" if n % per_family == 0 else "hija"
        lines.append(
            f"CPR,{family}{n // per_family},Persona{n},Apellido Prueba,mujer,1980,,{relation},,si,2026-03-14\n"
        )
    return HEADER + "".join(lines)


def po_text(entries, word="PRUEBA"):
    """A .po of the curriculum catalog's first `entries` entries, each with a placeholder translation."""
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "agr",
        "Plural-Forms": "nplurals=2; plural=n != 1;",
    }
    for number, entry in enumerate(store.entries("curriculum")[:entries]):
        po.append(polib.POEntry(msgid=entry.msgid, msgctxt=entry.context or None, msgstr=f"{word} {number}"))
    return str(po)


def unknown_po(entries):
    head = 'msgid ""\nmsgstr ""\n"Language: agr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    return head + "".join(f'msgid "desconocida {n}"\nmsgstr "x"\n\n' for n in range(entries))


def measure(task, runs):
    """Return (median seconds, tracemalloc peak bytes, what the task returned), every run rolled back."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = task()
        times.append(time.perf_counter() - started)
        db.session.rollback()
    tracemalloc.start()
    try:
        task()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        db.session.rollback()
    return statistics.median(times), peak, result


def report(name, seconds, peak, note):
    verdict = "within" if seconds <= BUDGET else "OVER"
    print(
        f"{name:<46} {seconds:6.2f} s  peak {peak / 2**20:6.1f} MB  "
        f"({verdict} the {BUDGET:.0f} s budget)  {note}"
    )


def import_csv(text):
    def task():
        plan = importer.plan(text)
        return importer.run(plan, None)

    return task


def refused(task):
    def run():
        try:
            return task()
        except (importer.TooManyRows, catalog_import.CatalogError) as error:
            return type(error).__name__

    return run


def bench_csv(runs):
    print(
        f"CSV limits: {importer.MAX_ROWS} rows, {importer.MAX_BYTES // 2**20} MB, {importer.SHOWN_ERRORS} errors shown"
    )
    db.session.add(Community(name="Comunidad de prueba", code="CPR"))
    db.session.commit()
    for per_family in (4, 1):
        text = csv_text(importer.MAX_ROWS, per_family)
        seconds, peak, plan = measure(lambda text=text: importer.plan(text), runs)
        report(
            f"preview, {importer.MAX_ROWS} rows, {per_family} a family",
            seconds,
            peak,
            f"{len(text) // 1024} KB",
        )
        seconds, peak, made = measure(import_csv(text), runs)
        report(f"import, {importer.MAX_ROWS} rows, {per_family} a family", seconds, peak, f"made {made}")
    text = csv_text(importer.MAX_ROWS + 1, 4)
    seconds, peak, outcome = measure(refused(lambda: importer.plan(text)), runs)
    report(f"{importer.MAX_ROWS + 1} rows (refused)", seconds, peak, outcome)
    text = HEADER + ",\n" * 1_000_000
    seconds, peak, plan = measure(lambda: importer.plan(text), runs)
    report("1,000,000 separator rows", seconds, peak, f"{len(text) // 1024} KB, {len(plan.rows)} rows")


def pad_catalog(entries):
    """Add synthetic curriculum entries until the catalog has `entries`."""
    count = db.session.query(CatalogEntry).filter_by(domain="curriculum").count()
    for index in range(count, entries):
        text = f"Frase sintética número {index} para medir la importación de un catálogo grande."
        entry = CatalogEntry(
            domain="curriculum",
            key=entry_key(f"bench.s.{index}", text),
            context=f"bench.s.{index}",
            msgid=text,
            position=100000 + index,
        )
        entry.refresh_search()
        db.session.add(entry)
    db.session.commit()


def bench_po(runs):
    limit = catalog_import.MAX_ENTRIES
    print(
        f".po limits: {limit} entries, {20 * limit} lines, {MAX_UPLOAD // 2**20} MB upload, "
        f"{catalog_import.SHOWN_ENTRIES} entries listed"
    )
    pad_catalog(limit)
    text = po_text(limit)
    changed = po_text(limit, "REVISADO")  # the upload changes every text the command imported
    user = auth_services.create_user("bench", "Bench", "x" * 12, ["translator", "reviewer"])
    db.session.commit()
    language = get_language("agr")

    def cli():  # what `flask translate import` runs (no author)
        applied = len(merge.import_file(text.encode(), "curriculum", "agr", "bench.po").applied)
        db.session.commit()
        return applied

    def upload():  # what the upload page runs, for a reviewer
        applied = len(offline.upload(changed.encode(), language, "curriculum", user, "bench.po").applied)
        db.session.commit()
        return applied

    seconds, peak, applied = measure(cli, runs)
    report(
        f"flask translate import, {limit} entries",
        seconds,
        peak,
        f"{len(text) // 1024} KB, {applied} applied",
    )
    seconds, peak, applied = measure(upload, runs)
    report(f"web upload, {limit} entries", seconds, peak, f"{applied} applied")
    unknown = unknown_po(100_000)
    seconds, peak, outcome = measure(
        refused(lambda: merge.import_file(unknown.encode(), "curriculum", "agr", "u.po")), runs
    )
    report("100,000 unknown entries (refused)", seconds, peak, f"{len(unknown) // 1024} KB, {outcome}")


def signed_in_client(app):
    """A test client of the app signed in as a coordinator and reviewer (the first start done)."""
    if db.session.get(AppState, SETUP_DONE_KEY) is None:
        db.session.add(AppState(key=SETUP_DONE_KEY, value="1"))
    auth_services.create_user("fondo", "Fondo", "y" * 12, ["coordinator", "translator", "reviewer"])
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": "fondo", "password": "y" * 12}).status_code == 302
    return client


def background(app, runs, name, make, queue):
    """Print the time to queue, the time to finish and the job's peak memory of `queue(make(run))` imports."""
    queue_times, job_times = [], []
    for run in range(runs + 1):
        data = make(run)  # the file, made before the clock starts
        started = time.perf_counter()
        response = queue(data)
        queued = time.perf_counter() - started
        assert response.status_code == 303, response.status_code
        traced = run == runs  # the last run, traced, is not timed
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        assert jobs.work_imports(app) == 1
        finished = time.perf_counter() - started
        if traced:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        else:
            queue_times.append(queued)
            job_times.append(finished)
    job = db.session.scalars(select_last_job()).one()
    assert job.state == "done", (job.state, job.error, job.result[:500])
    seconds, finish = statistics.median(queue_times), statistics.median(job_times)
    print(
        f"{name:<46} queue {seconds:5.2f} s ({'within' if seconds <= QUEUE_BUDGET else 'OVER'} "
        f"{QUEUE_BUDGET:.0f} s)  job {finish:6.2f} s ({'within' if finish <= JOB_BUDGET else 'OVER'} "
        f"{JOB_BUDGET:.0f} s)  peak {peak / 2**20:6.1f} MB "
        f"({'within' if peak / 2**20 <= JOB_MEMORY_BUDGET else 'OVER'} {JOB_MEMORY_BUDGET} MB)  "
        f"{job.processed}/{job.total} done, {outcome(jobs.result_of(job))}"
    )


def outcome(summary):
    """What a finished job made: persons and families, or entries applied."""
    if "applied" in summary:
        return (
            f"{len(summary['applied'])} applied, {len(summary['conflicts'])} conflicts, "
            f"{len(summary['rejected'])} refused"
        )
    return f"made ({summary['households']}, {summary['persons']})"


def select_last_job():
    db.session.expire_all()
    return select(ImportJob).order_by(ImportJob.id.desc()).limit(1)


def stamped(text):
    """The .po text stamped with the store's revision, as a download is: its changes apply, not conflict."""
    revision = store.current_revision("agr")
    return text.replace(
        'msgid ""\nmsgstr ""\n', f'msgid ""\nmsgstr ""\n"X-Catalog-Revision: {revision}\\n"\n', 1
    )


def bench_background(app, runs):
    """The largest CSV and .po through the pages that queue them, then the job run to its end."""
    print(
        f"background: CSV past {import_jobs.BACKGROUND_ROWS} rows, .po past "
        f"{upload_jobs.BACKGROUND_ENTRIES} entries (every run all new or all changed)"
    )
    jobs.start_import_worker = lambda app: None  # the bench runs the job itself, timed apart
    client = signed_in_client(app)

    def queue_csv(text):
        return client.post("/people/import", data={"confirm": "1", "text": text})

    background(
        app,
        runs,
        f"CSV import, {importer.MAX_ROWS} rows, 4 a family",
        lambda run: csv_text(importer.MAX_ROWS, 4, family=f"R{run}-"),
        queue_csv,
    )

    def queue_po(body):
        boundary, data = encode_multipart({"catalog": FileStorage(io.BytesIO(body), "bench.po")})
        content_type = f"multipart/form-data; boundary={boundary}"
        return client.post("/translate/agr/curriculum/upload", data=data, content_type=content_type)

    background(
        app,
        runs,
        f"web upload, {catalog_import.MAX_ENTRIES} entries changed",
        lambda run: stamped(po_text(catalog_import.MAX_ENTRIES, f"VUELTA{run}")).encode(),
        queue_po,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        bench_csv(args.runs)
        bench_po(args.runs)
        bench_background(app, args.runs)


if __name__ == "__main__":
    main()
