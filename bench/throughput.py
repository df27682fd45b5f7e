"""Throughput budget: the module page serves at least 1/3 the requests per second of a bare route.

    python bench/throughput.py [--connections 8] [--seconds 5] [--rounds 3] [--server auto]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/throughput.py

One server process (gunicorn if installed, else waitress, else Werkzeug's
threaded server as `flask run` uses; --server picks one) serves
bench/bench_wsgi.py: the app on a fresh database filled by bench/serving.py
(curriculum, Awajún translations, demo program) plus /bench-bare, a route
registered only there that returns "ok" through the same access check and
security headers (public), and /bench-bare-signed-in (the same for a
logged-in user, so it also loads the user). A keep-alive client of
--connections threads on raw sockets asks for one URL for --seconds, then the
next, for --rounds rounds: the bare routes and the heaviest module page, in
Spanish and in Awajún, logged in as a facilitator. It prints requests per
second (median of the rounds), the server's CPU time per request (its
processes' user+system time, from /proc) and the ratios module/bare.

The budget (>= 1/3) is judged against the public bare route: the goal is the
module page against a bare Flask route on the same server. The signed-in bare
route's ratio is printed beside it for information: it says how much of the
page's cost is the page itself rather than reading the session and the user.
CPU per request counts the server's processes and, on PostgreSQL, the database
backends serving them (found by the application_name the bench gives its
connections), since there a page's queries cost CPU in another process.
With --profile, or when a ratio is under 1/3, it profiles the module page
in-process (cProfile) and prints where the time goes.
"""

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # noqa: E402

BUDGET = 1 / 3
TICK = os.sysconf("SC_CLK_TCK")


def server_command(kind, port):
    if kind == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "bench_wsgi:app",
        ]
    if kind == "waitress":
        return [
            sys.executable,
            "-m",
            "waitress",
            f"--listen=127.0.0.1:{port}",
            "--threads=8",
            "bench_wsgi:app",
        ]
    return [sys.executable, str(serving.BENCH / "bench_wsgi.py"), "--port", str(port)]


def pick_server(wanted):
    if wanted != "auto":
        return wanted
    for kind in ("gunicorn", "waitress"):
        if importlib.util.find_spec(kind) is not None:
            return kind
    return "werkzeug"


def cpu_seconds(root):
    """User+system CPU seconds of a process and its descendants (gunicorn's workers)."""
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


APPLICATION_NAME = "workshops-bench-throughput"


def database_backends(url):
    """Return the pids of the PostgreSQL backends serving the bench server (none on SQLite)."""
    if not url.startswith("postgresql"):
        return []
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
            return [row[0] for row in connection.execute(query, {"name": APPLICATION_NAME})]
    finally:
        engine.dispose()


def process_cpu(pid):
    """User+system CPU seconds of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def read_response(sock, buffer):
    """Read one HTTP/1.1 response; return (status, server closes the connection, rest of buffer)."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buffer += data
    head, _sep, buffer = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        name.strip().lower(): value.strip() for name, _c, value in (line.partition(":") for line in lines[1:])
    }
    length = int(headers.get("content-length", 0))
    while len(buffer) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buffer += data
    closes = headers.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0")
    return status, closes, buffer[length:]


def hammer(port, path, cookie, connections, seconds):
    """Ask for one URL from several keep-alive connections for a while; return (ok, errors, elapsed)."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        "Accept: text/html\r\nUser-Agent: bench\r\n\r\n"
    ).encode()
    counts = [[0, 0] for _ in range(connections)]
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def work(count):
        start.wait()
        sock, buffer = None, b""
        while time.perf_counter() < deadline[0]:
            try:
                if sock is None:
                    sock, buffer = socket.create_connection(("127.0.0.1", port)), b""
                sock.sendall(request)
                status, closes, buffer = read_response(sock, buffer)
            except OSError:
                count[1] += 1
                sock = None
                continue
            count[0 if status == 200 else 1] += 1
            if closes:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()

    threads = [threading.Thread(target=work, args=(count,)) for count in counts]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed


def profile(env, path, runs=200):
    """Profile the module page in-process (test client, no network); print the top functions."""
    from workshops import create_app

    app = create_app(
        {
            "INSTANCE_PATH": env["WORKSHOPS_INSTANCE_PATH"],
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post("/login", data={"username": "facilitador", "password": serving.PASSWORD})
    for _ in range(5):
        assert client.get(path).status_code == 200
    profiler = cProfile.Profile()
    begin = time.perf_counter()
    profiler.enable()
    for _ in range(runs):
        client.get(path)
    profiler.disable()
    print(f"\nprofile of {path}: {(time.perf_counter() - begin) / runs * 1000:.1f} ms per request in-process")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        r"workshops|templates|jinja2/environment|sqlalchemy/orm/session", 25
    )
    print(out.getvalue())


def measure(port, server_pid, cookie, targets, args, url):
    """Return {path: [req/s per round]} and {path: [CPU ms per request per round]}."""
    rates = {path: [] for _label, path in targets}
    cpu = {path: [] for _label, path in targets}
    for _label, path in targets:  # warm up every worker (and open every database connection)
        hammer(port, path, cookie, args.connections, 1)
    backends = database_backends(url)
    for _round in range(args.rounds):
        for _label, path in targets:
            before = cpu_seconds(server_pid) + sum(map(process_cpu, backends))
            ok, errors, elapsed = hammer(port, path, cookie, args.connections, args.seconds)
            used = cpu_seconds(server_pid) + sum(map(process_cpu, backends)) - before
            if errors:
                print(f"  {path}: {errors} errors or non-200 answers")
            rates[path].append(ok / elapsed)
            cpu[path].append(used / max(ok, 1) * 1000)
    return rates, cpu


def spread(values):
    """Return "median (min-max)" of a few rounds."""
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def report(targets, rates, cpu, sizes, url):
    """Print the table and the ratios; return True when a module page is below the budget."""
    where = "server + database backends" if url.startswith("postgresql") else "server"
    print(f"\n{'URL':44} {'req/s (rounds)':>26} {'median (min-max)':>18} {'CPU/req':>9} {'KB':>6}")
    for label, path in targets:
        rounds = " ".join(f"{rate:7.0f}" for rate in rates[path])
        print(
            f"{label:44} {rounds:>26} {spread(rates[path]):>18} "
            f"{statistics.median(cpu[path]):6.2f} ms {sizes[path] / 1024:6.1f}"
        )
    print(f"(CPU per request: {where}, median of the rounds)")
    bare, bare_user = rates["/bench-bare"], rates["/bench-bare-signed-in"]
    bare_cpu = statistics.median(cpu["/bench-bare"])
    below = False
    for label, path in targets[2:]:
        ratios = [page / public for page, public in zip(rates[path], bare, strict=True)]
        ratio = statistics.median(ratios)
        below |= ratio < BUDGET
        print(
            f"{label} / bare route (public): {ratio:.2f} req/s, rounds {min(ratios):.2f}-{max(ratios):.2f}, "
            f"{bare_cpu / statistics.median(cpu[path]):.2f} by CPU "
            f"(budget >= {BUDGET:.2f}: {'BELOW' if ratio < BUDGET else 'met'})"
        )
    for label, path in targets[2:]:
        ratio = statistics.median([page / user for page, user in zip(rates[path], bare_user, strict=True)])
        print(
            f"  for information, {label} / bare route signed in: {ratio:.2f} "
            "(the page's own cost, beyond reading the session and the user)"
        )
    return below


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", choices=("auto", "gunicorn", "waitress", "werkzeug"), default="auto")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    env, url = serving.new_environment()
    serving.seed(env)
    if url.startswith("postgresql"):  # names the server's connections, to count their backends' CPU
        env["DATABASE_URL"] = f"{url}{'&' if '?' in url else '?'}application_name={APPLICATION_NAME}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(serving.BENCH), env.get("PYTHONPATH")]))
    kind = pick_server(args.server)
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(env["WORKSHOPS_INSTANCE_PATH"]) / "server.log"
    server = serving.start(server_command(kind, port), env, port, log)
    try:
        cookie = serving.login(base, "facilitador")
        slug = serving.heaviest_module(base, cookie)
        targets = [
            ("bare route (public)", "/bench-bare"),
            ("bare route (signed in)", "/bench-bare-signed-in"),
            (f"module {slug} es", f"/modules/{slug}?lang=es"),
            (f"module {slug} agr", f"/modules/{slug}?lang=agr"),
        ]
        sizes = {path: len(serving.get(base, path, cookie)) for _label, path in targets}
        print(
            f"server: {kind} (one process{', 3 workers' if kind == 'gunicorn' else ''}), "
            f"{os.cpu_count()} CPUs shared with the client; {args.connections} keep-alive connections, "
            f"{args.seconds:g} s per URL, {args.rounds} rounds; logged in as facilitador; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        rates, cpu = measure(port, server.pid, cookie, targets, args, url)
        below = report(targets, rates, cpu, sizes, url)
    finally:
        serving.stop(server)
    if below or args.profile:
        profile(env, targets[3][1])


if __name__ == "__main__":
    main()
