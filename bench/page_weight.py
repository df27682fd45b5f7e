"""Page weight budget: every main page under 100 KB on the wire, nothing from another origin.

    python bench/page_weight.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench python bench/page_weight.py

Starts `flask --app workshops run` (a real server, as a user would; Werkzeug
serves without compression) on a fresh database filled by bench/serving.py,
then opens each main page in Debian's Chromium through Playwright, each in a
new browser context (empty cache, cache disabled), logged in by cookie.
Every request of the page is recorded: its URL and the bytes that crossed the
wire (Chrome's encodedDataLength: headers plus body, from the DevTools
protocol; requests the page's own target does not see, such as a service
worker's, fall back to Playwright's request.sizes()). The table gives
requests, total KB, the largest resource and requests to other origins (there
must be none). The "gzip" column is what the same responses would weigh if a
reverse proxy compressed text (gzip level 6 of each text body, same headers),
for reference only: the app itself does not compress.
"""

import argparse
import contextlib
import gzip
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
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg", "application/manifest")


def pages(base, cookie):
    """Return [(label, path)]: the heaviest module page, workspace, attendance, reports, field, registry."""
    heaviest = serving.heaviest_module(base, cookie)
    entries = serving.get(base, "/translate/agr/curriculum/", cookie)
    entry = re.search(r'href="(/translate/agr/curriculum/\d+)[?"]', entries).group(1)
    sessions = serving.get(base, "/sessions/", cookie)
    session = re.findall(r'href="/sessions/(\d+)"', sessions)[-1]
    people = serving.get(base, "/people/", cookie)
    community = re.search(r'href="/people/communities/(\d+)"', people).group(1)
    return [
        (f"module {heaviest} (es)", f"/modules/{heaviest}"),
        (f"module {heaviest} (agr)", f"/modules/{heaviest}?lang=agr"),
        ("workspace list (agr curriculum)", "/translate/agr/curriculum/"),
        ("workspace editor", entry),
        (f"attendance entry, session {session}", f"/sessions/{session}/attendance"),
        ("reports summary", "/reports/summary"),
        ("reports indicators", "/reports/indicators"),
        ("reports matrix", f"/reports/matrix?community={community}"),
        ("field page", "/field/"),
        ("registry: communities", "/people/"),
        (f"registry: community {community}", f"/people/communities/{community}"),
        ("login page (anonymous)", "/login"),
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


def measure(browser, base, path, storage_state, proxy):
    """Open one page in a new context; return (bytes the proxy relayed, gzip saving, rows).

    rows: [(url, bytes, status)], bytes from Chrome's encodedDataLength, or for
    a service worker's fetch Content-Length plus headers (an upper bound: the
    worker may have revalidated from the HTTP cache instead).
    """
    proxy.take()
    context = browser.new_context(locale="es-PE", storage_state=storage_state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls, wire = {}, {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    finished = []
    context.on("requestfinished", lambda request: finished.append(request))
    context.on("requestfailed", lambda request: finished.append(request))
    page.goto(base + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # a service worker installs after the page loads
    measured = {}
    for request_id, size in wire.items():
        if request_id in urls and not urls[request_id].startswith("data:"):
            measured.setdefault(urls[request_id], []).append(size)
    rows, saving = [], 0
    for request in finished:
        if request.url.startswith("data:"):
            continue
        response = request.response()
        if measured.get(request.url):
            on_wire = measured[request.url].pop(0)
            body = response.body() if response is not None else b""
            kind = response.headers.get("content-type", "") if response is not None else ""
            if body and kind.startswith(TEXT_TYPES):
                saving += len(body) - len(gzip.compress(body, 6)) - len("Content-Encoding: gzip\r\n")
        else:  # not seen by the page's target (a service worker's fetch)
            sizes = request.sizes()
            length = response.headers.get("content-length") if response is not None else None
            on_wire = sizes["responseHeadersSize"] + max(int(length or 0), sizes["responseBodySize"])
        status = response.status if response is not None else "failed"
        worker = " (service worker)" if request.service_worker else ""
        rows.append((request.url + worker, on_wire, status))
    context.close()
    time.sleep(0.2)  # let the relay finish the closed connections
    return proxy.take(), saving, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    from playwright.sync_api import sync_playwright

    env, _url = serving.new_environment()
    serving.seed(env)
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
        asking = urllib.request.Request(base + "/login", headers={"Accept-Encoding": "gzip, br"})  # noqa: S310
        headers = urllib.request.urlopen(asking).headers  # noqa: S310 (our local server)
        print(f"compression asked for gzip/br: Content-Encoding={headers.get('Content-Encoding') or 'none'}")
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
            print(
                f"\n{'page':44} {'req':>3} {'KB wire':>8} {'(sum)':>6} {'KB gzip':>8}  "
                f"{'largest resource':44} other origins"
            )
            over, foreign_total, details = [], 0, []
            for label, path in targets:
                relayed, saving, rows = measure(
                    browser, browse, path, anonymous if path == "/login" else state, proxy
                )
                listed = sum(row[1] for row in rows)
                largest = max(rows, key=lambda row: row[1])
                foreign = [
                    row[0]
                    for row in rows
                    if urllib.parse.urlsplit(row[0]).netloc != f"127.0.0.1:{proxy.port}"
                ]
                foreign_total += len(foreign)
                short = urllib.parse.urlsplit(largest[0]).path
                flag = "  OVER BUDGET" if relayed / 1024 >= BUDGET_KB else ""
                if flag:
                    over.append(label)
                print(
                    f"{label:44} {len(rows):3d} {relayed / 1024:8.1f} {listed / 1024:6.1f} "
                    f"{(relayed - saving) / 1024:8.1f}  "
                    f"{short[:34]:34} {largest[1] / 1024:6.1f} KB  {', '.join(foreign) or 'none'}{flag}"
                )
                bad = [row for row in rows if row[2] not in (200, 304)]
                if bad:
                    print("    not 200: " + ", ".join(f"{row[0]} {row[2]}" for row in bad))
                details.append((label, rows))
            browser.close()
        print(
            "\nKB wire: every byte the server sent during the visit (counted by a relay in front of it);"
            "\n(sum): the requests' own sizes (Chrome encodedDataLength; a service worker's fetch counted"
            "\nat full size); KB gzip: KB wire if a reverse proxy gzipped text (the app does not)."
        )
        print("\nrequests per page (KB):")
        for label, rows in details:
            listed = ", ".join(
                f"{urllib.parse.urlsplit(url).path}{' (sw)' if '(service worker)' in url else ''} {size / 1024:.1f}"
                for url, size, _status in rows
            )
            print(f"  {label}: {listed}")
        print(
            f"\nbudget {BUDGET_KB} KB per page, uncompressed (the app does not compress): "
            + (f"OVER for {', '.join(over)}" if over else "all pages within")
            + f"; requests to other origins: {foreign_total}"
        )
    finally:
        serving.stop(server)


def werkzeug_version():
    from importlib.metadata import version

    return version("werkzeug")


if __name__ == "__main__":
    main()
