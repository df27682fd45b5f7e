"""Field mode with a weak signal: how long a packed page takes to show when the server hangs.

    python bench/field_cache.py [--runs 3]

Starts the app (`flask run`) on a throwaway SQLite database with the demo program,
signs a facilitator in with Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH),
takes a pack for one session, then replaces the server with one that accepts every
connection and never answers, and times opening /field/ until its heading shows.
Budget (issue "Field mode a facilitator can trust"): the device's copy within 5 s
(the service worker waits 3 s for the network). Also prints the pack's size as the
browser stored it (Cache Storage and IndexedDB, navigator.storage.estimate()).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.field_server import RestartableServer, server_env  # noqa: E402
from workshops import create_app  # noqa: E402
from workshops.attendance.models import SessionStaff, WorkshopSession  # noqa: E402
from workshops.core.clock import program_today  # noqa: E402
from workshops.extensions import db  # noqa: E402

PASSWORD = "clave segura de prueba"  # noqa: S105 (a throwaway account)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def prepare(folder):
    server = RestartableServer(
        server_env(f"sqlite:///{folder}/bench.sqlite", Path(folder) / "instance"), Path(folder) / "server.log"
    )
    server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)  # first run done
    server.cli("create-user", "fac", "--role", "facilitator", "--password", PASSWORD)
    server.cli("demo")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": server.env["DATABASE_URL"],
            "INSTANCE_PATH": server.env["WORKSHOPS_INSTANCE_PATH"],
            "AUTO_SETUP": False,
        }
    )
    with app.app_context():
        first = db.session.scalar(sa.select(WorkshopSession).order_by(WorkshopSession.id))
        session = WorkshopSession(
            module_id=first.module_id, community_id=first.community_id, date=program_today()
        )
        db.session.add(session)
        db.session.flush()
        user = db.session.scalar(sa.text("SELECT id FROM user_account WHERE username = 'fac'"))
        db.session.add(SessionStaff(session_id=session.id, user_id=user, role="facilitator"))
        db.session.commit()
        session_id = session.id
        db.session.remove()
        db.engine.dispose()
    server.start()
    return server, session_id


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-field-")
    server, session_id = prepare(folder)
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                f"{folder}/profile",
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
                locale="es-PE",
                service_workers="allow",
            )
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(server.base + "/login")
            page.get_by_label("Usuario").fill("fac")
            page.get_by_label("Contraseña").fill(PASSWORD)
            page.get_by_role("button", name="Iniciar sesión").click()
            page.goto(server.base + "/field/")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.locator(f'input[name="session"][value="{session_id}"]').check()
            page.get_by_role("button", name="Descargar el paquete").click()
            page.locator("#pack-size").get_by_text("Paquete guardado").wait_for(timeout=180000)
            usage = page.evaluate("navigator.storage.estimate().then(e => e.usage)")
            print(f"pack of one demo session in two languages, as stored by Chromium: {usage / 1024:.0f} KB")
            server.hang()
            times = []
            for _run in range(args.runs):
                begin = time.perf_counter()
                page.goto(server.base + "/field/", wait_until="commit", timeout=60000)
                page.get_by_role("heading", name="Modo de campo").wait_for(timeout=60000)
                page.locator("#device-packs a").first.wait_for(timeout=60000)
                times.append(time.perf_counter() - begin)
            context.close()
    finally:
        server.stop()
        server.release()
    print(
        f"packed /field/ with a server that never answers: median {statistics.median(times):.1f} s, "
        f"max {max(times):.1f} s over {len(times)} runs (budget 5 s"
        f"{'' if max(times) <= 5 else '; ABOVE'})"
    )


if __name__ == "__main__":
    main()
