"""Page weight: bytes on the wire of every main page, first visit and repeat visit.

    python bench/page_weight.py
    python bench/page_weight.py --save bench/page_weight_before.json   # record a baseline
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/page_weight.py

Starts `flask --app workshops run` (a real server, as a user would) on a fresh
database filled by bench/serving.py (with a synthetic registry of 10,000
households in five more communities of 2,000, and their attendance), then opens each main page in Debian's
Chromium through Playwright, each in a new browser context (empty cache),
logged in by cookie, and opens it a second time in the same context (repeat
visit: the browser's HTTP cache and the service worker are warm, as for a
facilitator who comes back to the page).

Bytes on the wire are what the server sent for the visit, headers and
compressed bodies, counted by a TCP relay in front of the server (this also
counts a service worker's own fetches, which the page's target does not
see). The per-request list gives Chrome's encodedDataLength from the DevTools
protocol (Network.loadingFinished: transfer size, compressed body plus
headers; 0 for an answer from the browser's cache).

The budget of the issue "light on the wire" is 3x less than the baseline,
page by page and in total, first visits: the baseline is the JSON written
by --save on the code before the change (bench/page_weight_before.json,
committed). Pages must also stay under 100 KB and ask nothing of another origin.
The registry list and the matrix of a 2,000-household community (10,000 households
in all) have no baseline: they are held to the 100 KB page budget only (README
sets no budget of its own for list pages), on the wire and as uncompressed HTML.
"""

import argparse
import contextlib
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BUDGET_KB = 100
# The goal: main pages at least this many times smaller on the wire than the baseline.
BUDGET_FACTOR = 3
BASELINE = Path(__file__).resolve().parent / "page_weight_before.json"
REGISTRY_HOUSEHOLDS = 10_000


def pages(base, cookie):
    """Return [(key, label, path)]: the heaviest module page, workspace, attendance, reports, field, registry.

    The key names the page in a saved baseline; labels carry this run's ids.
    """
    heaviest = serving.heaviest_module(base, cookie)
    entries = serving.get(base, "/translate/agr/curriculum/", cookie)
    entry = re.search(r'href="(/translate/agr/curriculum/\d+)[?"]', entries).group(1)
    session = serving.large_session(base, cookie)
    people = serving.get(base, "/people/", cookie)
    community = re.search(r'href="/people/communities/(\d+)"', people).group(1)
    registry = serving.registry_community(base, cookie)
    households = REGISTRY_HOUSEHOLDS // serving.REGISTRY_COMMUNITIES
    return [
        ("module-es", f"module {heaviest} (es)", f"/modules/{heaviest}"),
        ("module-agr", f"module {heaviest} (agr)", f"/modules/{heaviest}?lang=agr"),
        ("workspace-list", "workspace list (agr curriculum)", "/translate/agr/curriculum/"),
        ("workspace-editor", "workspace editor", entry),
        (
            "attendance-entry",
            f"attendance entry, 200 people (session {session})",
            f"/sessions/{session}/attendance",
        ),
        ("reports-summary", "reports summary", "/reports/summary"),
        ("reports-indicators", "reports indicators", "/reports/indicators"),
        ("reports-matrix", "reports matrix", f"/reports/matrix?community={community}"),
        ("field", "field page", "/field/"),
        ("registry-communities", "registry: communities", "/people/"),
        ("registry-community", f"registry: community {community}", f"/people/communities/{community}"),
        (
            "registry-community-2000",
            f"registry: {households:,}-household community",
            f"/people/communities/{registry}",
        ),
        (
            "reports-matrix-2000",
            f"reports matrix, {households:,}-household comm.",
            f"/reports/matrix?community={registry}",
        ),
        ("login", "login page (anonymous)", "/login"),
    ]


class CountingProxy:
    """A TCP relay in front of the server that counts the bytes it sends to the browser."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source, sink, counted):
        try:
            while data := source.recv(65536):
                if counted:
                    with self.lock:
                        self.down += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def take(self):
        with self.lock:
            down, self.down = self.down, 0
        return down


def visit(page, cdp_events, base, path, proxy):
    """Open one page; return (bytes the relay sent to the browser, rows).

    rows: [(url, bytes, status, content-encoding)], bytes from Chrome's
    encodedDataLength (0 when answered from the browser's cache), or for a
    service worker's fetch, which the page's target does not see, its
    response headers plus body as Playwright reports them.
    """
    urls, wire, finished = cdp_events
    urls.clear()
    wire.clear()
    finished.clear()
    proxy.take()
    page.goto(base + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # a service worker installs after the page loads
    measured = {}
    for request_id, size in wire.items():
        if request_id in urls and not urls[request_id].startswith("data:"):
            measured.setdefault(urls[request_id], []).append(size)
    rows = []
    for request in finished:
        if request.url.startswith("data:"):
            continue
        response = request.response()
        if measured.get(request.url):
            on_wire = measured[request.url].pop(0)
        else:
            sizes = request.sizes()
            on_wire = sizes["responseHeadersSize"] + sizes["responseBodySize"]
        status = response.status if response is not None else "failed"
        encoding = (response.headers.get("content-encoding") if response is not None else None) or "-"
        worker = " (service worker)" if request.service_worker else ""
        rows.append((request.url + worker, on_wire, status, encoding))
    time.sleep(0.3)  # let the relay pass on what is still in flight
    return proxy.take(), rows


def measure(browser, base, path, storage_state, proxy):
    """Open a page twice in a new context: return ((first KB wire, rows), (repeat KB wire, rows))."""
    context = browser.new_context(locale="es-PE", storage_state=storage_state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls, wire, finished = {}, {}, []
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    context.on("requestfinished", lambda request: finished.append(request))
    context.on("requestfailed", lambda request: finished.append(request))
    events = (urls, wire, finished)
    first = visit(page, events, base, path, proxy)
    repeat = visit(page, events, base, path, proxy)
    context.close()
    time.sleep(0.2)  # let the relay finish the closed connections
    proxy.take()
    return first, repeat


def budget_note(kb, before_kb):
    """'before X KB, Y.Yx smaller, budget Z KB' and whether it is within the budget."""
    if not before_kb:
        return "", True
    budget = before_kb / BUDGET_FACTOR
    within = kb <= budget
    return (
        f"{before_kb:7.1f} {before_kb / kb if kb else float('inf'):5.1f}x {budget:7.1f}"
        f"{'' if within else '  BELOW BUDGET'}"
    ), within


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--save", type=Path, help="write this run's KB per page as JSON (a baseline)")
    parser.add_argument(
        "--baseline", type=Path, default=BASELINE, help=f"baseline to compare with (default {BASELINE.name})"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    baseline = {}
    if args.baseline and args.baseline.exists() and args.baseline != args.save:
        baseline = json.loads(args.baseline.read_text())
    env, _url = serving.new_environment()
    serving.seed(env, registry_households=REGISTRY_HOUSEHOLDS)
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(env["WORKSHOPS_INSTANCE_PATH"]) / "server.log"
    command = [sys.executable, "-m", "flask", "--app", "workshops", "run", "--port", str(port)]
    server = serving.start(command, env, port, log)
    try:
        cookie = serving.login(base, "coordinadora")
        print(
            f"server: flask run (Werkzeug {werkzeug_version()}), {base}; logged in as coordinadora (every role)"
        )
        for accepted in ("gzip", "br"):
            asking = urllib.request.Request(base + "/login", headers={"Accept-Encoding": accepted})  # noqa: S310
            headers = urllib.request.urlopen(asking).headers  # noqa: S310 (our local server)
            print(
                f"/login asked for {accepted}: Content-Encoding={headers.get('Content-Encoding') or 'none'}"
            )
        if baseline:
            print(f"baseline: {args.baseline.name} ({baseline.get('_about', 'no description')})")
        targets = pages(base, cookie)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
            )
            state = {
                "cookies": [
                    {"name": name, "value": value, "domain": "127.0.0.1", "path": "/"}
                    for name, value in (pair.split("=", 1) for pair in cookie.split("; "))
                ],
                "origins": [],
            }
            anonymous = {"cookies": [], "origins": []}
            proxy = CountingProxy(port)
            browse = f"http://127.0.0.1:{proxy.port}"
            compare = "  before   ratio  budget" if baseline else ""
            print(
                f"\n{'page':44} {'req':>3} {'first KB':>8}{compare}  {'req':>3} {'repeat KB':>9}{compare}"
                f"  other origins"
            )
            over, below, foreign_total, details, saved = [], [], 0, [], {}
            totals = {"first": 0.0, "repeat": 0.0}
            for key, label, path in targets:
                (first, first_rows), (repeat, repeat_rows) = measure(
                    browser, browse, path, anonymous if path == "/login" else state, proxy
                )
                first_kb, repeat_kb = first / 1024, repeat / 1024
                totals["first"] += first_kb
                totals["repeat"] += repeat_kb
                saved[key] = {"first": round(first_kb, 1), "repeat": round(repeat_kb, 1)}
                before = baseline.get(key, {})
                first_note, first_ok = budget_note(first_kb, before.get("first"))
                repeat_note, _ok = budget_note(repeat_kb, before.get("repeat"))
                if baseline and not before:  # a page the baseline lacks: keep the columns aligned
                    first_note = repeat_note = f"{'-':>7} {'-':>6} {'-':>7}"
                if not first_ok:
                    below.append(label)
                foreign = [
                    row[0]
                    for row in first_rows + repeat_rows
                    if urllib.parse.urlsplit(row[0]).netloc != f"127.0.0.1:{proxy.port}"
                ]
                foreign_total += len(foreign)
                if first_kb >= BUDGET_KB:
                    over.append(label)
                print(
                    f"{label:44} {len(first_rows):3d} {first_kb:8.1f}{' ' + first_note if first_note else ''}"
                    f"  {len(repeat_rows):3d} {repeat_kb:9.1f}{' ' + repeat_note if repeat_note else ''}"
                    f"  {', '.join(foreign) or 'none'}{'  OVER 100 KB' if first_kb >= BUDGET_KB else ''}"
                )
                bad = [row for row in first_rows + repeat_rows if row[2] not in (200, 304)]
                if bad:
                    print("    not 200: " + ", ".join(f"{row[0]} {row[2]}" for row in bad))
                details.append((label, first_rows, repeat_rows))
            browser.close()
        first_note, total_ok = budget_note(totals["first"], baseline.get("_total", {}).get("first"))
        repeat_note, _ok = budget_note(totals["repeat"], baseline.get("_total", {}).get("repeat"))
        print(
            f"{'TOTAL':44} {'':3} {totals['first']:8.1f}{' ' + first_note if first_note else ''}"
            f"  {'':3} {totals['repeat']:9.1f}{' ' + repeat_note if repeat_note else ''}"
        )
        saved["_total"] = {key: round(value, 1) for key, value in totals.items()}
        print(
            "\nKB: every byte the server sent during the visit, headers included (counted by a relay in"
            "\nfront of it). first: new browser context, empty cache; repeat: the same page again, cache warm."
            + (
                f"\nbefore: the baseline; ratio: before / now; budget: before / {BUDGET_FACTOR}."
                if baseline
                else ""
            )
        )
        print(
            "\nrequests per visit (KB on the wire per Chrome, content encoding; (sw): the service worker's):"
        )
        for label, first_rows, repeat_rows in details:
            for visit_name, rows in (("first", first_rows), ("repeat", repeat_rows)):
                listed = ", ".join(
                    f"{urllib.parse.urlsplit(url).path}{' (sw)' if '(service worker)' in url else ''}"
                    f" {size / 1024:.1f} {encoding}"
                    for url, size, _status, encoding in rows
                )
                print(f"  {label}, {visit_name}: {listed}")
        print(
            "\n100 KB per page: "
            + (f"OVER for {', '.join(over)}" if over else "all pages within")
            + f"; requests to other origins: {foreign_total}"
        )
        if baseline:
            if below or not total_ok:
                print(
                    f"{BUDGET_FACTOR}x smaller than the baseline (first visits): NOT MET for "
                    + ", ".join(below + ([] if total_ok else ["the total"]))
                )
            else:
                print(
                    f"{BUDGET_FACTOR}x smaller than the baseline (first visits): met for every page and the total"
                )
        else:
            print(f"no baseline ({args.baseline}): the {BUDGET_FACTOR}x budget is not checked")
        uncompressed = {
            "attendance-entry": "attendance entry for a 200-person session",
            "registry-community-2000": f"registry list, {REGISTRY_HOUSEHOLDS:,} households, page 1",
            "reports-matrix-2000": f"reports matrix, {REGISTRY_HOUSEHOLDS:,} households, page 1",
        }
        for key, _label, path in targets:
            if key in uncompressed:
                html_kb = len(serving.get(base, path, cookie).encode()) / 1024
                print(
                    f"{uncompressed[key]}, uncompressed HTML: {html_kb:.1f} KB"
                    f" (budget {BUDGET_KB} KB: {'within' if html_kb < BUDGET_KB else 'OVER'})"
                )
        if args.save:
            saved["_about"] = f"saved {time.strftime('%Y-%m-%d')}, commit {git_commit()}"
            args.save.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n")
            print(f"saved to {args.save}")
    finally:
        serving.stop(server)


def werkzeug_version():
    from importlib.metadata import version

    return version("werkzeug")


def git_commit():
    import subprocess

    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=serving.PROJECT,
        check=False,
    )
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
