"""The app under a real WSGI server (gunicorn, several worker processes) and concurrent clients.

Runs on the backend DATABASE_URL selects (SQLite by default, PostgreSQL in CI's
second run), on a fresh database of its own. Speed is not measured here:
bench/load.py prints the figures.
"""

import importlib.util
import os
import signal
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa

from workshops.people.importer import MAX_ROWS

from . import loadkit

pytestmark = pytest.mark.slow  # real servers under load for seconds each

CLIENTS = 8
SECONDS = 8
MAX_SECONDS = 30  # a slow machine goes on until the run has saved and collided enough (_exercised)
IMPORT_ROWS = MAX_ROWS  # the most one file may hold: the longest import there is
IMPORT_FAMILY = "Corte Importado"


def _gunicorn_required():
    if importlib.util.find_spec("gunicorn") is not None:
        return
    message = "gunicorn is not installed (pip install -e '.[test]')"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def program(database_factory, tmp_path_factory):
    """A fresh database with the load program: (url, instance folder, Program)."""
    _gunicorn_required()
    url = database_factory()
    instance = tmp_path_factory.mktemp("load-instance")
    return url, instance, loadkit.seed(url, instance, users=CLIENTS)


@pytest.fixture
def server_factory(program):
    """Start gunicorn on the program's database with the given workers and threads."""
    url, instance, _program = program
    servers = []

    def start(workers, threads):
        servers.append(
            loadkit.Server(url, instance, instance / f"gunicorn-{len(servers)}.log", workers, threads)
        )
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _no_server_errors(server, clients):
    summary = loadkit.summarise(clients)
    assert summary.errors == [], summary.errors
    assert not [code for code in summary.statuses if code >= 500], (summary.statuses, server.log()[-4000:])
    assert not [outcome for outcome in summary.outcomes if outcome.endswith("unexpected")], summary.outcomes
    return summary


def _exercised(outcomes):
    """Did the run do what the test claims to check: saves of both kinds, and collisions?"""
    return (
        outcomes["attendance saved"] >= 3
        and outcomes["translation saved"] >= 3
        and outcomes["attendance conflict"] + outcomes["translation conflict"] >= 2
    )


def test_concurrent_clients_lose_and_duplicate_no_acknowledged_write(program, server_factory):
    """8 clients save attendance and translations on the same few rows for 8 seconds.

    Afterwards (see loadkit.verify for the exact invariant): every save the server
    acknowledged is in the database exactly once, in order, with its history; every
    save answered with the conflict page left no trace (attendance) or is kept once
    as a suggestion (translation); no person is recorded twice in a session; and no
    request got a 5xx, on SQLite either: a busy database is waited for or retried.
    """
    url, _instance, program = program
    server = server_factory(workers=4, threads=2)  # 8 requests at once, in 4 processes
    clients = loadkit.run_load(
        server.url,
        program.users,
        program.sessions[:2],
        program.entries[:2],
        SECONDS,
        enough=lambda clients: _exercised(loadkit.summarise(clients).outcomes),
        max_seconds=MAX_SECONDS,
    )
    summary = _no_server_errors(server, clients)
    assert _exercised(summary.outcomes), summary.outcomes
    assert loadkit.verify(url, clients, program.sessions[:2], program.entries[:2]) == []


def _import_holds_write_lock(url, community_code):
    """Has a transaction written to the database and not finished? (SQLite: the write lock; PostgreSQL: the community row.)"""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as error:
            assert "locked" in str(error), error
            return True
        finally:
            connection.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(
                sa.text("SELECT id FROM community WHERE code = :code FOR UPDATE NOWAIT"),
                {"code": community_code},
            )
            connection.rollback()
        return False
    except sa.exc.OperationalError as error:
        assert getattr(error.orig, "sqlstate", None) == "55P03", error
        return True
    finally:
        engine.dispose()


def _wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _import_csv(community_code):
    rows = [
        "comunidad,familia,nombres,apellidos,sexo,anio_nacimiento,relacion,dni,consentimiento,fecha_consentimiento"
    ]
    rows += [
        f"{community_code},K{index // 3},Persona {index},{IMPORT_FAMILY},mujer,1980,otro,,si,2026-03-14"
        for index in range(IMPORT_ROWS)
    ]
    return "\n".join(rows) + "\n"


def _import_traces(url, community_code):
    from workshops.core.audit import AuditEntry
    from workshops.people.models import Community, Household, Person

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        community = connection.execute(sa.select(Community).where(Community.code == community_code)).one()
        traces = {
            "persons": connection.scalar(
                sa.select(sa.func.count()).where(Person.family_names == IMPORT_FAMILY)
            ),
            "households": connection.scalar(
                sa.select(sa.func.count()).where(Household.community_id == community.id)
            ),
            "household numbers given out": community.last_household_number,
            "audit rows": connection.scalar(
                sa.select(sa.func.count()).where(AuditEntry.details.contains(community_code))
            ),
        }
    engine.dispose()
    return traces


def _threads(pid):
    """How many threads a process runs (0 once it is gone)."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return 0


def test_a_worker_killed_mid_import_loses_only_that_import(program, server_factory):
    """A CSV import (2,000 persons, the most a file may hold, one transaction) runs in the background; its worker gets SIGKILL.

    The request queues the import and answers at once; a thread of the worker
    process that served it runs the job. That process is frozen (SIGSTOP) once the
    import holds the write lock (it has written, not committed), and killed while
    still holding it with other clients' requests waiting or running. Then: the import
    left nothing (no person, household, code number or audit row); every other
    request succeeded and its saves are all in the database; gunicorn replaced
    the worker and keeps serving; and the job, left "running", is taken again
    once stale (its page starts a worker in a live process) and imports the whole
    file, once.
    """
    from workshops.core import jobs
    from workshops.core.job_models import ImportJob
    from workshops.extensions import utcnow

    url, _instance, program = program
    # One request per worker process at a time (gunicorn's sync workers, no keep-alive): a worker
    # process has one thread, and the one running the import two.
    server = server_factory(workers=4, threads=1)
    before = _import_traces(url, program.empty_community)
    assert before == dict.fromkeys(before, 0)

    importer = loadkit.Client(server.url, program.users[0], 0)
    importer.login()
    page = importer.request("GET", "/people/import")
    threads_before = {pid: _threads(pid) for pid in server.worker_pids()}
    data = {
        "csrf_token": loadkit._hidden(page.text, "csrf_token"),
        "confirm": "1",
        "text": _import_csv(program.empty_community),
    }
    queued = importer.request("POST", "/people/import", data=data)
    assert queued.status_code == 303, queued.status_code
    job_page = queued.headers["Location"].removeprefix(server.url)
    _wait_for(
        lambda: _import_holds_write_lock(url, program.empty_community), 60, "the import to start writing"
    )
    running = [pid for pid in server.worker_pids() if _threads(pid) > threads_before.get(pid, 1)]
    assert len(running) == 1, (running, threads_before)
    worker = running[0]
    # Frozen where it stands, holding the write lock, until it is killed: on a fast machine the whole
    # import took less than the second the other clients are given to start.
    os.kill(worker, signal.SIGSTOP)
    assert _import_holds_write_lock(url, program.empty_community), "the import finished before it was frozen"

    others = [
        loadkit.Client(server.url, user, number) for number, user in enumerate(program.users[1:4], start=1)
    ]
    until, hard = time.monotonic() + 6, time.monotonic() + 30

    def stop():  # after 6 s, once the others have saved something after the kill (or at 30 s)
        saved = sum(write.outcome == "saved" for client in others for write in client.writes)
        return time.monotonic() > hard or (time.monotonic() > until and saved >= 2)

    threads = [
        threading.Thread(target=client.work, args=([program.spare_session], [program.spare_entry], stop))
        for client in others
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    assert _import_holds_write_lock(url, program.empty_community)
    os.kill(worker, signal.SIGKILL)

    for thread in threads:
        thread.join()
    # The killed process serves requests too (its job runs in a thread of its own): a request it was
    # answering is cut off, and its client knows it got no answer. One at the most (one thread).
    summary = loadkit.summarise(others)
    cut_off = [error for error in summary.errors if "Connection aborted" in error]
    assert len(cut_off) <= 1 and len(summary.errors) == len(cut_off), summary.errors
    assert not [code for code in summary.statuses if code >= 500], (summary.statuses, server.log()[-4000:])
    assert not [outcome for outcome in summary.outcomes if outcome.endswith("unexpected")], summary.outcomes
    assert summary.outcomes["attendance saved"] + summary.outcomes["translation saved"] >= 2, summary.outcomes
    assert loadkit.verify(url, others, [program.spare_session], [program.spare_entry]) == []
    assert _import_traces(url, program.empty_community) == before

    _wait_for(
        lambda: worker not in server.worker_pids() and len(server.worker_pids()) == 4,
        60,
        "a replacement worker",
    )
    assert "SIGKILL" in server.log() or "signal 9" in server.log(), server.log()[-2000:]
    after = loadkit.Client(server.url, program.users[4], 5)
    after.login()
    after.save_attendance(program.spare_session)
    assert [write.outcome for write in after.writes] == ["saved"]

    # The job the dead process held: once stale, the next worker takes it again and imports the file.
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        state = connection.execute(sa.select(ImportJob.state, ImportJob.attempts)).one()
        assert tuple(state) == ("running", 1)
        connection.execute(sa.update(ImportJob).values(started_at=utcnow() - 2 * jobs.IMPORT_STALE))
    engine.dispose()
    assert importer.request("GET", job_page).status_code == 200
    _wait_for(
        lambda: "Importación terminada" in importer.request("GET", job_page).text, 120, "the import to resume"
    )
    traces = _import_traces(url, program.empty_community)
    assert (traces["persons"], traces["households"]) == (IMPORT_ROWS, -(-IMPORT_ROWS // 3))
