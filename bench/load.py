"""Load: concurrent clients saving attendance and translations through gunicorn.

    python bench/load.py [--seconds 60] [--clients 8] [--workers 4] [--threads 2]

The same load as tests/test_load.py, for longer: a fresh database on the
backend DATABASE_URL selects (SQLite in a throwaway folder by default; with a
PostgreSQL URL, a throwaway database on that server, dropped afterwards),
gunicorn on 127.0.0.1, and clients that each log in, then open the attendance
entry form or the translation editor of a few shared rows and save it, at
random, as fast as they can. Prints requests per second, latency (p50, p95,
max) overall and per kind of request, responses by status, saves by outcome,
and whether the database holds exactly the acknowledged saves (tests/loadkit.py
`verify`).
"""

import argparse
import os
import statistics
import sys
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from tests import loadkit  # noqa: E402
from workshops.config import normalise_database_url  # noqa: E402


def throwaway_database():
    """Return (url, drop()) for a new empty database on DATABASE_URL's backend."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        folder = tempfile.mkdtemp(prefix="bench-load-")
        return f"sqlite:///{folder}/load.sqlite", lambda: None
    url = sa.make_url(normalise_database_url(base))
    name = f"workshops_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def milliseconds(values):
    return (
        f"p50 {statistics.median(values) * 1000:7.1f} ms  p95 {percentile(values, 0.95) * 1000:7.1f} ms  "
        f"max {max(values) * 1000:7.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--sessions", type=int, default=2, help="attendance sessions shared by the clients (1-3)"
    )
    parser.add_argument("--entries", type=int, default=2, help="catalog entries shared by the clients (1-4)")
    options = parser.parse_args()

    url, drop = throwaway_database()
    instance = Path(tempfile.mkdtemp(prefix="bench-load-instance-"))
    server = None
    try:
        program = loadkit.seed(url, instance, users=options.clients)
        server = loadkit.Server(url, instance, instance / "gunicorn.log", options.workers, options.threads)
        sessions, entries = program.sessions[: options.sessions], program.entries[: options.entries]
        clock = {}
        clients = loadkit.run_load(server.url, program.users, sessions, entries, options.seconds, clock=clock)
        problems = loadkit.verify(url, clients, sessions, entries)
    finally:
        if server is not None:
            server.stop()
        drop()

    timed = [timing for client in clients for timing in client.latencies[client.logged_in_at :]]
    elapsed = clock["end"] - clock["start"]
    summary = loadkit.summarise(clients)
    print(
        f"{sa.make_url(url).get_backend_name()}, gunicorn {options.workers} workers x {options.threads} threads, "
        f"{options.clients} clients, {len(sessions)} sessions and {len(entries)} entries shared, {elapsed:.1f} s"
    )
    print(f"requests: {len(timed)}, {len(timed) / elapsed:.1f} per second")
    print(f"latency, all requests: {milliseconds([seconds for _label, seconds in timed])}")
    by_kind = defaultdict(list)
    for label, seconds in timed:
        by_kind[label].append(seconds)
    for label, values in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        print(f"  {label:<38} {len(values):6d}  {milliseconds(values)}")
    print(
        "responses by status (logins included): "
        + ", ".join(f"{code}: {n}" for code, n in sorted(summary.statuses.items()))
    )
    print("saves: " + ", ".join(f"{outcome}: {n}" for outcome, n in sorted(summary.outcomes.items())))
    log = server.log()
    print(
        f"database busy: {log.count('Database busy (attempt')} attempts retried, "
        f"{log.count('Database busy, request refused')} requests answered 503"
    )
    print(
        f"client errors: {len(summary.errors)}" + (f" (first: {summary.errors[0]})" if summary.errors else "")
    )
    print("database holds exactly the acknowledged saves: " + ("yes" if not problems else f"NO: {problems}"))
    return (
        0 if not problems and not summary.errors and not any(code >= 500 for code in summary.statuses) else 1
    )


if __name__ == "__main__":
    sys.exit(main())
