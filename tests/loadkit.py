"""Load against a real WSGI server: shared by tests/test_load.py and bench/load.py.

`seed()` fills a fresh database (users, communities, households, sessions, a few
interface strings to translate), `Server` runs gunicorn on 127.0.0.1 with
several worker processes, `Client` is one person in a browser (logs in through
the form with its CSRF token, opens a form, submits it, follows the redirect),
`run_load()` runs clients in threads for a bounded time, and `verify()` checks
the database against what the clients were told.
"""

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password"  # noqa: S105 (throwaway accounts of a test database)
SECRET_KEY = "load-test-secret"  # noqa: S105 (signs the cookies of a test server)
ATTENDANCE_STATES = ("present", "late", "excused", "absent", "not_enrolled")
# What the pages say when a save was based on an older revision (the clients read Spanish).
ATTENDANCE_CONFLICT = "Otra persona guardó la asistencia de esta sesión"
TRANSLATION_CONFLICT = "flash-warning conflict"


@dataclass
class Program:
    """What seed() made: who logs in and which rows the clients write to."""

    users: list
    sessions: list  # attendance sessions shared by all clients (contention on purpose)
    entries: list  # catalog entries (interface strings) translated into Awajún by all clients
    spare_session: int  # kept out of the main load, for the worker-kill test
    spare_entry: int
    empty_community: str  # code of a community without sessions or households (imports go there)


def seed(url, instance, users=8):
    """Set up a fresh database as the first start does, then add the program; return a Program."""
    from workshops import create_app
    from workshops.attendance import services as attendance
    from workshops.auth import services as auth_services
    from workshops.catalog.models import CatalogEntry, Translation
    from workshops.core.access import SETUP_DONE_KEY
    from workshops.core.models import AppState
    from workshops.curriculum.models import Module
    from workshops.extensions import db
    from workshops.people import services as people
    from workshops.people.models import Community

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        names = [f"carga{number}" for number in range(1, users + 1)]
        for name in names:
            auth_services.create_user(name, name.title(), PASSWORD, ("coordinator", "translator"))
        db.session.add(AppState(key=SETUP_DONE_KEY, value="1"))
        communities = [
            Community(name="Comunidad de carga A", code="CGA"),
            Community(name="Comunidad de carga B", code="CGB"),
            Community(name="Comunidad de carga vacía", code="CGV"),
        ]
        db.session.add_all(communities)
        db.session.flush()
        for community in communities[:2]:
            for household_number in range(4):
                household = people.create_household(community, "", None)
                for person_number in range(3):
                    people.add_person(
                        household,
                        {
                            "given_names": f"Persona {household_number}{person_number}",
                            "family_names": f"Carga {community.code}",
                            "sex": ("female", "male")[person_number % 2],
                            "birth_year": 1970 + 7 * person_number,
                        },
                        None,
                    )
        modules = db.session.scalars(sa.select(Module).order_by(Module.number)).all()
        first = date(2026, 3, 2)
        sessions = [
            attendance.create_session(
                module, community, first + timedelta(days=7 * index), None, 240, "", [], "", None
            )
            for index, (module, community) in enumerate(
                [(modules[0], communities[0]), (modules[1], communities[0]), (modules[0], communities[1])]
                + [(modules[2], communities[1])]
            )
        ]
        translated = sa.select(Translation.entry_id).where(Translation.language == "agr")
        entries = db.session.scalars(
            sa.select(CatalogEntry.id)
            .where(
                CatalogEntry.domain == "messages",
                CatalogEntry.obsolete.is_(False),
                CatalogEntry.msgid_plural.is_(None),
                CatalogEntry.id.not_in(translated),
                sa.func.length(CatalogEntry.msgid).between(12, 60),
                *(~CatalogEntry.msgid.contains(mark, autoescape=True) for mark in ("%", "{", "<", "&")),
            )
            .order_by(CatalogEntry.id)
            .limit(5)
        ).all()
        db.session.commit()
        program = Program(
            users=names,
            sessions=[session.id for session in sessions[:3]],
            entries=entries[:4],
            spare_session=sessions[3].id,
            spare_entry=entries[4],
            empty_community="CGV",
        )
        db.session.remove()
        db.engine.dispose()
    return program


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1: `workers` processes with `threads` threads each."""

    def __init__(self, url, instance, log_path, workers=4, threads=2, secret_key=SECRET_KEY):
        """secret_key=None configures none: the app then makes or reads its own (see create_app)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = Path(log_path)
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "WORKSHOPS_INSTANCE_PATH": str(instance),
            # seed() set the database up as `flask init` does; workers need not repeat it.
            "WORKSHOPS_AUTO_SETUP": "false",
        }
        self.env.pop("WORKSHOPS_SECRET_KEY", None)
        if secret_key is not None:
            self.env["WORKSHOPS_SECRET_KEY"] = secret_key
        self.env.pop("FLASK_DEBUG", None)
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "--preload"]
        # gunicorn's control socket defaults to one path in $HOME: keep each server's apart.
        command += [
            "--control-socket",
            str(Path(instance) / f"gunicorn-{self.port}.ctl"),
            "workshops:create_app()",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command, cwd=PROJECT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_serving()

    def _wait_until_serving(self, seconds=90):
        deadline = time.monotonic() + seconds
        while True:
            try:
                if (
                    requests.get(self.url + "/login", timeout=5).status_code == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start:\n" + self.log())
            time.sleep(0.3)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def worker_pids(self):
        """The worker processes gunicorn's master runs now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def worker_serving(self, client_port):
        """The worker process holding the server side of the connection from `client_port`."""
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == self.port and int(remote.split(":")[1], 16) == client_port:
                inode = fields[9]
        if inode is None:
            return None
        for pid in self.worker_pids():
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
            except FileNotFoundError:
                continue
        return None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Write:
    """One form submitted: what was sent and what the server answered."""

    kind: str  # attendance or translation
    target: int  # session id or catalog entry id
    base: int  # the revision the form was opened at
    sent: object  # attendance: {person_id: (status, remark)}; translation: the text
    outcome: str  # saved, conflict (told so; nothing overwritten), unexpected
    status: int


def _hidden(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if match is None:
        raise AssertionError(f"no {name} field in the page")
    return re.search(r'value="([^"]*)"', match.group(0)).group(1)


class Client:
    """One person with a browser: keeps cookies, follows redirects after a save."""

    def __init__(self, base, username, number, seed=0):
        self.base, self.username, self.number = base, username, number
        self.http = requests.Session()
        self.rng = random.Random(seed * 1000 + number)  # noqa: S311 (test data)
        self.writes = []
        self.statuses = Counter()
        self.latencies = []  # (method and path with ids as <id>, seconds)
        self.errors = []  # exceptions: refused connections, timeouts
        self.counter = 0

    def request(self, method, path, **options):
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, allow_redirects=False, timeout=60, **options)
        self.latencies.append(
            (f"{method} {re.sub(r'/[0-9]+', '/<id>', path)}", time.perf_counter() - started)
        )
        self.statuses[response.status_code] += 1
        return response

    def follow(self, response):
        """GET the page a save redirected to, as a browser does (this also shows its flashed message)."""
        for _hop in range(5):
            location = response.headers["Location"]
            response = self.request("GET", location.removeprefix(self.base))
            if response.status_code != 302:
                break
        assert response.status_code == 200, (location, response.status_code)

    def login(self):
        page = self.request("GET", "/login")
        data = {
            "csrf_token": _hidden(page.text, "csrf_token"),
            "username": self.username,
            "password": PASSWORD,
        }
        response = self.request("POST", "/login", data=data)
        assert response.status_code == 302, (self.username, response.status_code)
        self.follow(response)

    def tag(self):
        self.counter += 1
        return f"c{self.number}-{self.counter}"

    def save_attendance(self, session_id):
        page = self.request("GET", f"/sessions/{session_id}/attendance")
        if page.status_code != 200:
            return
        people = re.findall(r'name="status-(\d+)"', page.text)
        tag = self.tag()
        sent = {int(person): (self.rng.choice(ATTENDANCE_STATES), tag) for person in people}
        base = int(_hidden(page.text, "revision"))
        data = {"csrf_token": _hidden(page.text, "csrf_token"), "revision": base, "action": "save"}
        for person, (status, remark) in sent.items():
            data[f"status-{person}"], data[f"remark-{person}"] = status, remark
        response = self.request("POST", f"/sessions/{session_id}/attendance", data=data)
        if response.status_code == 302 and response.headers["Location"].endswith(f"/sessions/{session_id}"):
            outcome = "saved"
            self.follow(response)
        elif response.status_code == 200 and ATTENDANCE_CONFLICT in response.text:
            outcome = "conflict"
        else:
            outcome = "unexpected"
        self.writes.append(Write("attendance", session_id, base, sent, outcome, response.status_code))

    def save_translation(self, entry_id):
        path = f"/translate/agr/messages/{entry_id}"
        page = self.request("GET", path)
        if page.status_code != 200:
            return
        text = f"Ajutai {self.tag()} nuwa"
        base = int(_hidden(page.text, "base_revision") or 0)
        data = {
            "csrf_token": _hidden(page.text, "csrf_token"),
            "base_revision": base,
            "translation": text,
            "action": "save",
        }
        response = self.request("POST", path, data=data)
        if response.status_code == 302:
            outcome = "saved"
            self.follow(response)
        elif response.status_code == 200 and TRANSLATION_CONFLICT in response.text:
            outcome = "conflict"
        else:
            outcome = "unexpected"
        self.writes.append(Write("translation", entry_id, base, text, outcome, response.status_code))

    def work(self, sessions, entries, stop, ready=None):
        """Log in, wait for the others (`ready`), then save attendance or a translation at random until stop()."""
        try:
            self.login()
        except Exception as error:  # recorded, checked by the caller
            self.errors.append(repr(error))
        self.logged_in_at = len(self.latencies)  # the requests before this index were the login
        if ready is not None:
            ready.wait()
        if self.errors:
            return
        try:
            while not stop():
                if self.rng.random() < 0.5:
                    self.save_attendance(self.rng.choice(sessions))
                else:
                    self.save_translation(self.rng.choice(entries))
        except Exception as error:  # a refused connection or a broken page: recorded, checked by the caller
            self.errors.append(repr(error))


def run_load(base, users, sessions, entries, seconds, seed=0, enough=None, max_seconds=None, clock=None):
    """Run one client per user in its own thread; return the clients.

    The clients log in first; then they work for `seconds`, and on past that, up to
    `max_seconds`, until enough(clients) is true (on a slow machine, until the run has
    done what the caller needs to see). `clock`, a dict, receives the "start" and
    "end" (time.monotonic()) of the work after the logins.
    """
    clients = [Client(base, user, number, seed) for number, user in enumerate(users, start=1)]
    clock = {} if clock is None else clock

    def start_clock():
        clock["start"] = time.monotonic()
        clock["until"] = time.monotonic() + seconds
        clock["hard"] = time.monotonic() + max(seconds, max_seconds or 0)

    def stop():
        now = time.monotonic()
        if now < clock["until"]:
            return False
        return enough is None or now >= clock["hard"] or enough(clients)

    ready = threading.Barrier(len(clients), action=start_clock, timeout=300)
    threads = [
        threading.Thread(target=client.work, args=(sessions, entries, stop, ready)) for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock["end"] = time.monotonic()
    return clients


def verify(url, clients, sessions, entries):
    """Compare the database with what the clients were told; return a list of problems (empty: all good).

    Attendance: every save bumps the session's revision once, and a save is applied
    only if the revision is still the one its form was opened at. So the saves
    acknowledged for a session (302) must have the base revisions 0, 1, ..., r - 1
    exactly once each, where r is the session's revision now; and since every save
    sets every person with a remark unique to that save, each person's record (one
    per session and person) and its history of changes must hold exactly the values
    of the acknowledged saves, in revision order, each once. A save answered with the
    conflict page left no trace.

    Translations: the saves acknowledged as saved for an entry must have the base
    revisions 0, 1, ..., r - 1 and its history the revisions 1, ..., r with exactly
    those texts in that order (the current text is the last one); every text answered
    with the conflict page is kept exactly once as a conflict suggestion.
    """
    from workshops.attendance.models import AttendanceChange, AttendanceRecord, WorkshopSession
    from workshops.catalog.models import Suggestion, Translation, TranslationHistory
    from workshops.core.audit import AuditEntry

    problems = []
    writes = [write for client in clients for write in client.writes]
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        for session_id in sessions:
            acked = sorted(
                (
                    w
                    for w in writes
                    if w.kind == "attendance" and w.target == session_id and w.outcome == "saved"
                ),
                key=lambda w: w.base,
            )
            session = connection.execute(
                sa.select(WorkshopSession).where(WorkshopSession.id == session_id)
            ).one()
            if [w.base for w in acked] != list(range(session.revision)):
                problems.append(
                    f"session {session_id}: revision {session.revision}, acknowledged bases {[w.base for w in acked]}"
                )
            records = connection.execute(
                sa.select(
                    AttendanceRecord.id,
                    AttendanceRecord.person_id,
                    AttendanceRecord.status,
                    AttendanceRecord.remark,
                ).where(AttendanceRecord.session_id == session_id)
            ).all()
            per_person = Counter(record.person_id for record in records)
            problems += [
                f"session {session_id}: person {p} recorded {n} times" for p, n in per_person.items() if n > 1
            ]
            changes = connection.execute(
                sa.select(AttendanceChange.record_id, AttendanceChange.status, AttendanceChange.remark)
                .join(AttendanceRecord, AttendanceRecord.id == AttendanceChange.record_id)
                .where(AttendanceRecord.session_id == session_id)
                .order_by(AttendanceChange.id)
            ).all()
            stored = {
                record.person_id: [(c.status, c.remark) for c in changes if c.record_id == record.id]
                + [(record.status, record.remark)]
                for record in records
            }
            expected = {}
            for write in acked:
                for person, value in write.sent.items():
                    expected.setdefault(person, []).append(value)
            if stored != expected:
                wrong = sorted(p for p in set(stored) | set(expected) if stored.get(p) != expected.get(p))
                problems.append(
                    f"session {session_id}: values of persons {wrong} differ from the acknowledged saves"
                )
            audits = connection.scalar(
                sa.select(sa.func.count()).where(
                    AuditEntry.action == "attendance",
                    AuditEntry.object_type == "WorkshopSession",
                    AuditEntry.object_id == session_id,
                )
            )
            if audits != len(acked):
                problems.append(f"session {session_id}: {audits} audit rows for {len(acked)} saves")
        for entry_id in entries:
            mine = [w for w in writes if w.kind == "translation" and w.target == entry_id]
            saved = sorted((w for w in mine if w.outcome == "saved"), key=lambda w: w.base)
            translation = connection.execute(
                sa.select(Translation).where(Translation.entry_id == entry_id, Translation.language == "agr")
            ).one_or_none()
            revision = translation.revision if translation else 0
            if [w.base for w in saved] != list(range(revision)):
                problems.append(
                    f"entry {entry_id}: revision {revision}, saved bases {[w.base for w in saved]}"
                )
            history = (
                connection.execute(
                    sa.select(TranslationHistory.revision, TranslationHistory.forms)
                    .where(TranslationHistory.translation_id == translation.id)
                    .order_by(TranslationHistory.revision, TranslationHistory.id)
                ).all()
                if translation
                else []
            )
            if [h.revision for h in history] != list(range(1, revision + 1)):
                problems.append(f"entry {entry_id}: history revisions {[h.revision for h in history]}")
            if [h.forms for h in history] != [[w.sent] for w in saved]:
                problems.append(f"entry {entry_id}: history texts differ from the acknowledged saves")
            if saved and translation.forms != [saved[-1].sent]:
                problems.append(f"entry {entry_id}: current text {translation.forms} is not the last save")
            suggestions = connection.execute(
                sa.select(Suggestion.forms, Suggestion.is_conflict).where(
                    Suggestion.entry_id == entry_id, Suggestion.language == "agr"
                )
            ).all()
            conflicts = sorted([w.sent] for w in mine if w.outcome == "conflict")
            if sorted(s.forms for s in suggestions) != conflicts or not all(
                s.is_conflict for s in suggestions
            ):
                problems.append(
                    f"entry {entry_id}: suggestions differ from the saves answered with a conflict"
                )
    engine.dispose()
    return problems


@dataclass
class Summary:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def summarise(clients):
    summary = Summary()
    for client in clients:
        summary.statuses.update(client.statuses)
        summary.latencies += client.latencies
        summary.errors += client.errors
        summary.outcomes.update(f"{write.kind} {write.outcome}" for write in client.writes)
    summary.requests = sum(summary.statuses.values())
    return summary
