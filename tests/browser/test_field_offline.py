"""The offline journey in a real browser: take a pack, lose the network, mark attendance, sync once."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from workshops.attendance.models import AttendanceRecord, SessionStaff, WorkshopSession
from workshops.core.clock import program_today
from workshops.extensions import db
from workshops.field.models import FieldSubmission

from ..conftest import make_test_app
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def server_state(live_server, session_id):
    app = make_test_app(live_server.env["DATABASE_URL"], live_server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        records = sorted(
            (r.person_id, r.status, r.remark)
            for r in db.session.scalars(
                sa.select(AttendanceRecord).where(AttendanceRecord.session_id == session_id)
            )
        )
        submissions = db.session.scalar(sa.select(sa.func.count()).select_from(FieldSubmission))
        db.session.remove()
        db.engine.dispose()
    return records, submissions


def test_offline_attendance_syncs_exactly_once(live_server, browser):
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "fac", "--role", "facilitator", "--password", PASSWORD)
    live_server.cli("demo")
    app = make_test_app(live_server.env["DATABASE_URL"], live_server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        recorded = db.session.scalar(sa.select(WorkshopSession).order_by(WorkshopSession.id))
        # Today's session of a module the community saw already: some people have a status on record.
        # (Today in the program's time zone: attendance is refused before a session's day.)
        session = WorkshopSession(
            module_id=recorded.module_id,
            community_id=recorded.community_id,
            date=program_today(),
        )
        db.session.add(session)
        db.session.flush()
        user_id = db.session.scalar(sa.text("SELECT id FROM user_account WHERE username = 'fac'"))
        db.session.add(SessionStaff(session_id=session.id, user_id=user_id, role="facilitator"))
        db.session.commit()
        session_id = session.id
        db.session.remove()
        db.engine.dispose()
    before, _ = server_state(live_server, session_id)

    context = browser.new_context(locale="es-PE", service_workers="allow")
    page = context.new_page()
    try:
        login(page, live_server, "fac")
        page.get_by_role("link", name="Campo").click()
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        # The worker keeps this deployment's fingerprinted files, in one cache named after them.
        shell = page.evaluate(
            """async () => { const names = (await caches.keys()).filter(n => n.startsWith('workshops-shell-'));
            const cache = await caches.open(names[0]);
            return {names, urls: (await cache.keys()).map(r => new URL(r.url).pathname + new URL(r.url).search)}; }"""
        )
        assert len(shell["names"]) == 1
        page_css = page.locator('link[rel="stylesheet"]').get_attribute("href")
        assert "?v=" in page_css and page_css in shell["urls"]
        page.locator(f'input[name="session"][value="{session_id}"]').check()
        # The size is shown before anything is downloaded (page script waits go through expect: the CSP forbids eval).
        expect(page.locator("#pack-size")).to_contain_text("Tamaño del paquete", timeout=20000)
        page.get_by_role("button", name="Descargar el paquete").click()
        expect(page.locator("#pack-size")).to_contain_text("Paquete guardado", timeout=30000)
        assert page.locator("#device-packs a").count() == 1

        # No network: the app opens from the device, and so does the session.
        context.set_offline(True)
        page.reload()
        assert "Sin conexión" in page.locator("#connection").inner_text()
        # A page kept from an older deployment asks for an older version: the device's copy answers.
        assert page.evaluate("fetch('/static/css/app.css?v=000000000000').then(r => r.ok)")
        page.locator("#device-packs a").first.click()
        page.wait_for_selector("#roster-body tr")
        rows = page.locator("#roster-body tr")
        count = rows.count()
        assert count > 3
        rows.nth(0).locator("select").select_option("present")
        rows.nth(1).locator("select").select_option("late")
        rows.nth(2).locator("select").select_option("excused")
        rows.nth(2).locator("input").fill("cosecha")
        page.get_by_label("Nombres").fill("Visitante")
        page.get_by_label("Apellidos").fill("Sin Lista")
        page.locator("#walkin-sex").select_option("female")  # no default sex
        page.get_by_role("button", name="Añadir a la lista").click()
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("aún no enviado: 4")
        queued = page.evaluate(
            """() => new Promise(resolve => { const open = indexedDB.open('workshops-field');
            open.onsuccess = () => { const q = open.result.transaction('queue').objectStore('queue').getAll();
            q.onsuccess = () => resolve(q.result); }; })"""
        )
        assert len(queued) == 4
        assert server_state(live_server, session_id) == (before, 0)  # nothing left the device

        # The network returns: the queue is sent, and each record lands once.
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 4", timeout=20000)
        records, submissions = server_state(live_server, session_id)
        assert submissions == 4
        assert before == [] and len(records) == 4  # three on the roster and the walk-in
        assert sorted(status for _person, status, _remark in records) == [
            "excused",
            "late",
            "present",
            "present",
        ]
        assert "cosecha" in {remark for *_rest, remark in records}

        # The same batch again changes nothing.
        answer = page.evaluate(
            """async (records) => {
            const token = (await (await fetch('/api/field/token')).json()).csrf_token;
            const response = await fetch('/api/field/sync', {method: 'POST',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify({records})});
            return (await response.json()).results.map(r => r.outcome); }""",
            queued,
        )
        assert answer == ["already_applied"] * 4
        assert server_state(live_server, session_id) == (records, 4)
    finally:
        context.close()
