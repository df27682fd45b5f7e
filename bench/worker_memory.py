"""Worker memory: resident size of one gunicorn worker after each of the heaviest requests.

    python bench/worker_memory.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/worker_memory.py

Seeds a fresh database with bench/serving.py (curriculum, Awajún catalog, demo
program) plus a synthetic registry of 10,000 households (40,000 persons, about
250,000 attendance records), starts gunicorn with one worker on
bench/bench_wsgi.py, signs in as the coordinator (every role), then sends the
heaviest requests one after the other (with --fresh-worker, each in a new
worker, so that each figure is that request's alone): the whole book PDF (queued, built by
child processes, downloaded), the full attendance CSV and a community's matrix
CSV (the registry has no CSV export of its own: these are the per-person and
per-household downloads), a CSV import at the importer's row limit (preview,
then confirm, and the background job where the import runs in one), and each
report page and its XLSX download.

Before each request the worker's peak (VmHWM) is reset to its current size
(writing 5 to /proc/<pid>/clear_refs), so "peak" is that request's; after it,
VmRSS and VmHWM are read from /proc/<pid>/status. The budget: a worker stays
under 250 MB resident after any request. When it does not (or with --profile
PATH), the two heaviest XLSX downloads are run again in-process under
tracemalloc, which prints their peak and what is alive when the workbook is
saved. The book's child processes are sampled every 20 ms while they run;
the figure is the largest last VmHWM seen (it may miss the last moments). Times are wall-clock on a shared machine: noisy, for
information only. gunicorn runs with --timeout 300 so that a slow request is
measured rather than killed; a request over 30 s (gunicorn's default) is marked.
"""

import argparse
import html
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # noqa: E402

CEILING_MB = 250
GUNICORN_DEFAULT_TIMEOUT = 30
REGISTRY_HOUSEHOLDS = 10_000
NEWLINE = b"\n"
BOOK = "/materials/print.pdf?document=book&layout=side&first=agr"


def server_command(port):
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--timeout",
        "300",
        "--bind",
        f"127.0.0.1:{port}",
        "bench_wsgi:app",
    ]


def parent_of(pid):
    """Return the parent pid of a process (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def children_of(pid):
    """Return the pids whose parent is pid."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and parent_of(entry) == pid]


def memory_mb(pid):
    """Return (VmRSS, VmHWM) of a process in MB, from /proc/<pid>/status (None, None if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
    except OSError:
        return None, None
    if "VmRSS" not in fields:  # a zombie: exited, not yet collected by its parent
        return None, None
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def reset_peak(pid):
    """Reset a process's VmHWM to its current size; return False where the kernel does not allow it."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


class ChildSampler:
    """Sample the peak (VmHWM) of every child process of the worker while a request runs."""

    def __init__(self, worker):
        self.worker = worker
        self.peaks = {}
        self.running = False
        self.thread = None

    def __enter__(self):
        self.peaks.clear()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.running = False
        self.thread.join()

    def _sample(self):
        while self.running:
            for child in children_of(self.worker):
                _rss, peak = memory_mb(child)
                if peak is not None:
                    self.peaks[child] = max(self.peaks.get(child, 0), peak)
            time.sleep(0.02)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


class Client:
    """A signed-in HTTP client that reads every answer to the end and follows no redirect."""

    def __init__(self, base, cookie):
        self.base = base
        self.cookie = cookie
        self.opener = urllib.request.build_opener(NoRedirect)

    def send(self, path, data=None, content_type=None):
        """Return (status, headers, body bytes)."""
        headers = {"Cookie": self.cookie}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310 (local)
        try:
            with self.opener.open(request) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 3xx (not followed) and errors
            with error:
                return error.code, error.headers, error.read()

    def get(self, path):
        return self.send(path)

    def post_form(self, path, fields):
        return self.send(path, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def post_file(self, path, fields, name, filename, content):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.send(path, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def expect(status, wanted, what, body=b""):
    if status not in wanted:
        flashed = re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', body.decode(errors="replace"), re.S)
        raise SystemExit(f"{what}: HTTP {status}, expected {wanted}; {' '.join(flashed)[:300]}")


def csrf_token(page):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def build_book(client):
    """Ask for the whole book, follow its job until it is built, download it; return a note."""
    status, headers, body = client.get(BOOK)
    if status == 200:
        return f"{len(body) / 2**20:.1f} MB PDF (was cached already)"
    expect(status, (303,), "book", body)
    job = urllib.parse.urlsplit(headers["Location"]).path
    deadline = time.monotonic() + 900
    while True:
        status, _headers, body = client.get(job)
        page = body.decode()
        if "El PDF está listo" in page:
            break
        if "No se pudo generar" in page or time.monotonic() > deadline:
            raise SystemExit(f"the book's job {job} failed or took over 15 minutes")
        time.sleep(1)
    status, _headers, body = client.get(BOOK)
    expect(status, (200,), "book download", body)
    return f"{len(body) / 2**20:.1f} MB PDF, built by job {job.rsplit('/', 1)[1]}"


def download(client, path):
    """Return a function that downloads path and says how big it was."""

    def run():
        status, headers, body = client.get(path)
        expect(status, (200,), path, body)
        kind = headers.get("Content-Type", "").split(";")[0].split("/")[-1]
        kind = "xlsx" if "spreadsheet" in kind else kind
        lines = f", {body.count(NEWLINE)} lines" if kind == "csv" else ""
        return f"{len(body) / 1024:.0f} KB {kind}{lines}"

    return run


def import_rows(community_code, rows, per_family=4):
    """A registry CSV of `rows` new persons, families of `per_family`, in one community."""
    from workshops.people import importer

    lines = [",".join(importer.COLUMNS)]
    for n in range(rows):
        relation = "jefa" if n % per_family == 0 else "hija"
        lines.append(
            f"{community_code},IMP{n // per_family},Importada {n},Familia Importada {n // per_family},"
            f"mujer,1980,,{relation},,si,2026-03-14"
        )
    return ("\n".join(lines) + "\n").encode()


class Importer:
    """The registry import through its page: preview (upload), then confirm, each one measured."""

    def __init__(self, client, content):
        self.client = client
        self.content = content
        self.confirm_fields = None

    def preview(self):
        page = self.client.get("/people/import")[2].decode()
        fields = {"csrf_token": csrf_token(page), "reference": date.today().isoformat()}
        status, _headers, body = self.client.post_file(
            "/people/import", fields, "file", "f.csv", self.content
        )
        expect(status, (200,), "import preview", body)
        page = body.decode()
        text = re.search(r'<textarea name="text" hidden>(.*?)</textarea>', page, re.S)
        if text is None:
            expect(0, (200,), "import preview (no confirm form)", body)
        self.confirm_fields = {
            "csrf_token": csrf_token(page),
            "confirm": "1",
            "reference": fields["reference"],
            "text": html.unescape(text.group(1)),
        }
        return f"{len(self.content) / 1024:.0f} KB file, {len(page) / 1024:.0f} KB preview page"

    def confirm(self):
        """Confirm the import; where a large file is imported in the background, wait for its job."""
        status, headers, body = self.client.post_form("/people/import", self.confirm_fields)
        expect(status, (302, 303), "import confirm", body)
        target = urllib.parse.urlsplit(headers["Location"]).path
        if "/jobs/" not in target:
            return f"imported in the request, redirected to {target}"
        deadline = time.monotonic() + 600
        while 'http-equiv="refresh"' in (page := self.client.get(target)[2].decode()):
            if time.monotonic() > deadline:
                raise SystemExit(f"the import job {target} took over 10 minutes")
            time.sleep(0.5)
        done = "Importación terminada" in page
        return f"imported by the background job {target}{'' if done else ' (FAILED)'}"


def fresh_worker(master, old, client):
    """Have gunicorn replace its worker (SIGHUP), warm the new one with a small page; return its pid."""
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while (workers := children_of(master)) == [old] or len(workers) != 1:
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not replace its worker: {workers}")
        time.sleep(0.2)
    download(client, "/people/")()
    return workers[0]


def measure(worker, label, action, rows):
    """Run one request (or a request and its follow-ups); append (label, seconds, rss, peak, child, note)."""
    reset_peak(worker)
    with ChildSampler(worker) as sampler:
        begin = time.perf_counter()
        note = action()
        seconds = time.perf_counter() - begin
    rss, peak = memory_mb(worker)
    child = max(sampler.peaks.values()) if sampler.peaks else None
    rows.append((label, seconds, rss, peak, child, note))
    print(f"  {label}: {seconds:.1f} s, RSS {rss:.0f} MB, peak {peak:.0f} MB", flush=True)


def report(rows, peak_resets, fresh):
    print(
        f"\n{'request':52} {'time':>7} {'RSS after':>10} {'peak':>7} {'child peak':>10}"
        f"  {'ceiling ' + str(CEILING_MB) + ' MB':>16}  note"
    )
    over = []
    for label, seconds, rss, peak, child, note in rows:
        verdict = "within" if rss < CEILING_MB else "OVER"
        if rss >= CEILING_MB:
            over.append(label)
        slow = f" (over {GUNICORN_DEFAULT_TIMEOUT} s)" if seconds > GUNICORN_DEFAULT_TIMEOUT else ""
        shown_child = f"{child:.0f} MB" if child is not None else "-"
        print(
            f"{label:52} {seconds:6.1f}s {rss:7.0f} MB {peak:4.0f} MB {shown_child:>10}"
            f"  {verdict:>16}  {note}{slow}"
        )
    print(
        "\nRSS after: the worker's VmRSS once the answer is read"
        + (
            ", each request in a new worker warmed with the registry list"
            if fresh
            else ", one worker for all the requests in this order"
        )
        + ";\npeak: its VmHWM during the request"
        + ("" if peak_resets else " (cumulative: this kernel refused to reset it)")
        + ";\nchild peak: the PDF renderer's VmHWM, sampled every 20 ms (not part of the worker's figures)."
        + "\nTimes: wall clock, 2 cores shared with other work: noisy, for information only."
    )
    print(
        f"worker under {CEILING_MB} MB resident after every request: "
        + (f"OVER after {', '.join(over)}" if over else "within")
    )


def profile(env, path, top=8):
    """Run one request in-process under tracemalloc: its peak, and what is alive when a workbook is saved."""
    import tracemalloc

    import openpyxl

    from workshops import create_app

    app = create_app(
        {
            "INSTANCE_PATH": env["WORKSHOPS_INSTANCE_PATH"],
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post("/login", data={"username": "coordinadora", "password": serving.PASSWORD})
    snapshots = []
    save = openpyxl.Workbook.save

    def save_and_look(book, target):
        snapshots.append(tracemalloc.take_snapshot())
        return save(book, target)

    openpyxl.Workbook.save = save_and_look
    tracemalloc.start()
    try:
        response = client.get(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        openpyxl.Workbook.save = save
    print(
        f"\nprofile of {path} in-process (tracemalloc): HTTP {response.status_code}, "
        f"{len(response.data) / 1024:.0f} KB, peak {peak / 2**20:.0f} MB of Python objects"
    )
    if snapshots:
        where = snapshots[0].statistics("filename")
        total = sum(stat.size for stat in where)
        print(f"  alive when the workbook is saved: {total / 2**20:.0f} MB, by file:")
        for stat in where[:top]:
            name = Path(stat.traceback[0].filename)
            print(f"  {stat.size / 2**20:7.1f} MB {stat.count:9,d} blocks  {name.parent.name}/{name.name}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profile",
        action="append",
        metavar="PATH",
        help="profile this request in-process (default: the two heaviest XLSX when a worker is over)",
    )
    parser.add_argument(
        "--fresh-worker",
        action="store_true",
        help="a new worker for each request (warmed with the registry list): each figure is that request's own",
    )
    args = parser.parse_args()
    from workshops.people import importer

    env, _url = serving.new_environment()
    serving.seed(env, registry_households=REGISTRY_HOUSEHOLDS)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(serving.BENCH), env.get("PYTHONPATH")]))
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(env["WORKSHOPS_INSTANCE_PATH"]) / "server.log"
    server = serving.start(server_command(port), env, port, log)
    try:
        workers = children_of(server.pid)
        if len(workers) != 1:
            raise SystemExit(f"expected one gunicorn worker, found {workers}")
        worker = workers[0]
        client = Client(base, serving.login(base, "coordinadora"))
        community = serving.registry_community(base, client.cookie)
        rss, _peak = memory_mb(worker)
        peak_resets = reset_peak(worker)
        print(
            f"gunicorn, 1 worker (pid {worker}), {base}; signed in as coordinadora; worker RSS {rss:.0f} MB"
            f" after start-up and sign-in; {os.cpu_count()} CPUs shared, load {os.getloadavg()[0]:.1f}"
        )
        matrix = f"/reports/matrix?community={community}"
        importing = Importer(client, import_rows("RS5", importer.MAX_ROWS))
        steps = [
            ("registry list (first page, warm-up)", "/people/"),
            ("whole book PDF: queue, build, download", lambda: build_book(client)),
            ("whole book PDF again (cached)", BOOK),
            ("full attendance CSV (every record)", "/reports/attendance.csv"),
            ("matrix CSV, 2,000-household community", matrix + "&format=csv"),
            (f"CSV import preview, {importer.MAX_ROWS} rows", importing.preview),
            (f"CSV import confirm, {importer.MAX_ROWS} rows", importing.confirm),
            ("report: summary", "/reports/summary"),
            ("report: summary XLSX", "/reports/summary?format=xlsx"),
            ("report: indicators (latest fiscal year)", "/reports/indicators"),
            ("report: indicators XLSX", "/reports/indicators?format=xlsx"),
            ("report: people behind the figures (all)", "/reports/people"),
            ("report: people XLSX (all)", "/reports/people?format=xlsx"),
            ("report: matrix, 2,000-household community", matrix),
            ("report: matrix XLSX, 2,000-household community", matrix + "&format=xlsx"),
        ]
        rows = []
        for label, request in steps:
            if args.fresh_worker:
                worker = fresh_worker(server.pid, worker, client)
            action = download(client, request) if isinstance(request, str) else request
            measure(worker, label, action, rows)
        if children_of(server.pid) != [worker]:
            print(f"the worker was replaced during the run: {children_of(server.pid)} (see {log})")
        report(rows, peak_resets, args.fresh_worker)
    finally:
        serving.stop(server)
    paths = {label: request for label, request in steps if isinstance(request, str)}
    chosen = (
        args.profile
        or [
            paths[label]
            for label, *_figures in sorted(rows, key=lambda row: row[3], reverse=True)
            if label in paths and "XLSX" in label
        ][:2]
    )
    if args.profile or any(row[2] >= CEILING_MB for row in rows):
        for path in chosen:
            profile(env, path)


if __name__ == "__main__":
    main()
