"""The offline journey in a real browser: take a pack, lose the network, mark attendance, sync once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from workshops.attendance.models import AttendanceRecord, SessionStaff, WorkshopSession
from workshops.core.clock import program_today
from workshops.curriculum.models import Module, Segment
from workshops.extensions import db
from workshops.field.models import FieldSubmission
from workshops.voice import media, services

from ..conftest import make_test_app
from ..test_voice import LIMIT_BYTES, tone
from .conftest import CHROMIUM, CHROMIUM_ARGS
from .field_server import RestartableServer, server_env
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# The offline roster has the online page's big status buttons (the select behind them is hidden).
STATUS_BUTTONS = {"present": "presente", "late": "tarde", "excused": "justificado", "absent": "ausente"}


def choose(row, status):
    row.get_by_role("button", name=STATUS_BUTTONS[status], exact=True).click()


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
        page.wait_for_selector("#roster-body .mark")
        rows = page.locator("#roster-body .mark")
        count = rows.count()
        assert count > 3
        choose(rows.nth(0), "present")
        choose(rows.nth(1), "late")
        choose(rows.nth(2), "excused")
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


# --- A phone that keeps its data: a persistent profile, a server that stops, hangs, comes back -----


@pytest.fixture
def field_server(database_factory, tmp_path):
    """A restartable server with a facilitator pair, a coordinator and today's session; yield (server, ids)."""
    server = RestartableServer(server_env(database_factory(), tmp_path / "instance"), tmp_path / "server.log")
    for name, role in (
        ("admin", "admin"),
        ("fac", "facilitator"),
        ("fac2", "facilitator"),
        ("coord", "coordinator"),
    ):
        server.cli("create-user", name, "--role", role, "--password", PASSWORD)
    server.cli("demo")
    app = make_test_app(server.env["DATABASE_URL"], server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        recorded = db.session.scalar(sa.select(WorkshopSession).order_by(WorkshopSession.id))
        session = WorkshopSession(
            module_id=recorded.module_id, community_id=recorded.community_id, date=program_today()
        )
        db.session.add(session)
        db.session.flush()
        ids = {"session": session.id}
        for name in ("fac", "fac2", "coord"):
            ids[name] = db.session.scalar(
                sa.text("SELECT id FROM user_account WHERE username = :n"), {"n": name}
            )
        for name in ("fac", "fac2"):
            db.session.add(SessionStaff(session_id=session.id, user_id=ids[name], role="facilitator"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    server.start()
    yield server, ids
    server.stop()
    server.release()


def phone(browser, profile):
    """Open the phone's browser on its own profile: closing and opening it again keeps what it stored."""
    context = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
        ],
        locale="es-PE",
        service_workers="allow",
    )
    context.on("dialog", lambda dialog: dialog.accept())  # the sign-out check: send first, then leave
    return context, context.pages[0] if context.pages else context.new_page()


def take_pack(page, base, *session_ids, outcome="Paquete guardado"):
    page.goto(base + "/field/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for session_id in session_ids:
        page.locator(f'input[name="session"][value="{session_id}"]').check()
    page.get_by_role("button", name="Descargar el paquete").click()
    expect(page.locator("#pack-size")).to_contain_text(outcome, timeout=120000)


def open_session(page, base, session_id):
    page.goto(f"{base}/field/offline#session={session_id}")
    expect(page.locator("#roster-body .mark").first).to_be_visible(timeout=15000)
    return page.locator("#roster-body .mark")


def stored_items(page, name):
    return page.evaluate(
        """(name) => new Promise(resolve => { const open = indexedDB.open('workshops-field');
        open.onsuccess = () => { const q = open.result.transaction(name).objectStore(name).getAll();
        q.onsuccess = () => resolve(q.result); }; })""",
        name,
    )


def submissions(server):
    app = make_test_app(server.env["DATABASE_URL"], server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        rows = [
            (s.person_id, s.status, s.outcome, s.user_id)
            for s in db.session.scalars(sa.select(FieldSubmission).order_by(FieldSubmission.id))
        ]
        db.session.remove()
        db.engine.dispose()
    return rows


def test_after_a_sync_the_phone_shows_the_marks_and_a_correction_applies(field_server, browser, tmp_path):
    server, ids = field_server
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        rows = open_session(page, server.base, ids["session"])
        for n, status in enumerate(("present", "late", "present")):
            choose(rows.nth(n), status)
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 3", timeout=30000)
        context.close()

        context, page = phone(browser, tmp_path / "phone")  # the phone restarted: she signs in again
        login(page, server.base, "fac")
        rows = open_session(page, server.base, ids["session"])
        expect(rows.nth(1).locator("select")).to_have_value("late")  # the server's marks, not 0 of 49
        choose(rows.nth(1), "present")
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text(
            "Enviados: 1. Conflictos para el coordinador: 0"
        )
        sent = submissions(server)
        assert len(sent) == 4 and {outcome for *_x, outcome, _u in sent} == {"applied"}
        assert sent[-1][1] == "present"  # only the corrected mark was sent
    finally:
        context.close()


def test_two_accounts_on_one_phone_neither_see_nor_send_each_others_records(field_server, browser, tmp_path):
    server, ids = field_server
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        rows = open_session(page, server.base, ids["session"])
        server.stop()
        choose(rows.nth(0), "excused")
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("aún no enviado: 1")
        context.clear_cookies()  # her login expired while away
        server.start()

        login(page, server.base, "fac2")
        page.goto(server.base + "/field/")
        expect(page.locator("#device-packs")).to_contain_text("No hay paquetes")
        expect(page.locator("#queue-status")).to_contain_text("Nada pendiente")
        page.goto(f"{server.base}/field/offline#session={ids['session']}")
        expect(page.locator("#session-facts")).to_contain_text("no está en ningún paquete")
        assert page.locator("#roster-body .mark").count() == 0  # her names are not shown to him
        assert submissions(server) == []  # nor sent under his name
        (queued,) = stored_items(page, "queue")
        assert queued["owner"] == ids["fac"]

        # He signs out: nothing of his stays, hers stays for her.
        page.goto(server.base + "/field/")
        page.get_by_role("button", name="Cerrar sesión").click()
        expect(page).to_have_url(server.base + "/login")
        assert len(stored_items(page, "queue")) == 1
        assert {pack["owner"] for pack in stored_items(page, "packs")} == {ids["fac"]}

        login(page, server.base, "fac")
        page.goto(server.base + "/field/")
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 1", timeout=30000)
        assert submissions(server) == [(queued["person_id"], "excused", "applied", ids["fac"])]

        # Her sign-out removes her packs (the names) from the phone; the materials stay.
        page.get_by_role("button", name="Cerrar sesión").click()
        expect(page).to_have_url(server.base + "/login")
        assert stored_items(page, "packs") == [] and stored_items(page, "queue") == []
        caches = page.evaluate("caches.keys()")
        assert "workshops-pack" in caches and not [
            name for name in caches if name.startswith("workshops-personal-")
        ]
    finally:
        context.close()


def test_records_saved_while_the_server_was_down_are_sent_when_it_is_back(field_server, browser, tmp_path):
    server, ids = field_server
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        rows = open_session(page, server.base, ids["session"])
        server.stop()  # the phone believes it is online; the server does not answer
        choose(rows.nth(0), "present")
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("se intentará de nuevo", timeout=30000)
        server.start()
        # No click: the retry with backoff sends it.
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 1", timeout=90000)
        assert len(submissions(server)) == 1
    finally:
        context.close()


def test_a_hanging_server_shows_the_phones_copy(field_server, browser, tmp_path):
    server, ids = field_server
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        server.hang()  # accepts and never answers
        page.goto(server.base + "/field/", wait_until="commit")
        expect(page.get_by_role("heading", name="Modo de campo")).to_be_visible(timeout=5000)
        expect(page.locator("#device-packs a")).to_have_count(1)
        server.release()  # no server at all: a page in no pack says so
        page.goto(server.base + "/reports/", wait_until="commit")
        expect(
            page.get_by_role("heading", name="Esta página no está disponible sin conexión")
        ).to_be_visible()
        # A cached page's PDF link works with no server.
        handout = next(
            f for f in stored_items(page, "packs")[0]["files"] if "document=guide" in f and "print?" in f
        )
        page.goto(server.base + handout)
        with page.expect_download() as download:
            page.get_by_role("link", name="Descargar PDF").click()
        assert download.value.path().read_bytes()[:5] == b"%PDF-"
    finally:
        context.close()


def test_a_refused_record_stays_with_its_name_until_a_coordinator_takes_it_over(
    field_server, browser, tmp_path
):
    server, ids = field_server
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        rows = open_session(page, server.base, ids["session"])
        name = rows.nth(0).get_attribute("data-name")
        app = make_test_app(server.env["DATABASE_URL"], server.env["WORKSHOPS_INSTANCE_PATH"])
        with app.app_context():  # she is taken off the session while in the field
            db.session.execute(sa.delete(SessionStaff).where(SessionStaff.user_id == ids["fac"]))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        choose(rows.nth(0), "present")
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("Rechazados: 1", timeout=30000)
        expect(page.locator("#rejected-list")).to_contain_text(name)
        expect(page.locator("#rejected-list")).to_contain_text("no está asignado")
        page.get_by_role("button", name="Cerrar sesión").click()
        expect(page).to_have_url(server.base + "/login")
        assert [item["owner"] for item in stored_items(page, "rejected")] == [ids["fac"]]

        login(page, server.base, "coord")
        page.goto(server.base + "/field/")
        expect(page.locator("#rejected-list")).to_contain_text(name)
        page.get_by_role("button", name="Hacerme cargo y enviar").click()
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 1", timeout=30000)
        assert stored_items(page, "rejected") == []
        assert [(status, outcome, user) for _p, status, outcome, user in submissions(server)] == [
            ("present", "applied", ids["coord"])
        ]
    finally:
        context.close()


# --- Removing and taking packs again: the phone keeps only the files a kept pack lists ----------


def cached(page):
    """Every cache's URLs (path and query), by cache name."""
    return page.evaluate(
        """async () => { const found = {};
        for (const name of await caches.keys()) {
          const cache = await caches.open(name);
          found[name] = (await cache.keys()).map(r => new URL(r.url).pathname + new URL(r.url).search);
        }
        return found; }"""
    )


def in_server_app(server, work):
    """Run work() in an app on the server's database and instance; return what it returns."""
    app = make_test_app(server.env["DATABASE_URL"], server.env["WORKSHOPS_INSTANCE_PATH"])
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


def approve_take(server, module_id, audio):
    """Record and approve a take (a test tone) of the module's first text in Spanish; return its audio URL."""

    def work():
        uid = db.session.scalar(
            sa.select(Segment.uid).where(Segment.module_id == module_id).order_by(Segment.position).limit(1)
        )
        take = services.save_take(services.source_of(uid), "es", audio, None)
        db.session.flush()
        services.review(take, None, True)
        db.session.commit()
        return f"/recordings/take/{take.id}.ogg"

    return in_server_app(server, work)


def add_sessions(server, ids):
    """Add tomorrow's session of today's module and one of another module, both fac's; return ids and modules."""

    def work():
        today = db.session.get(WorkshopSession, ids["session"])
        other = db.session.scalar(
            sa.select(Module.id).join(Segment).where(Module.id != today.module_id).order_by(Module.number)
        )
        added = []
        for module_id in (today.module_id, other):
            session = WorkshopSession(
                module_id=module_id, community_id=today.community_id, date=program_today() + timedelta(days=1)
            )
            db.session.add(session)
            db.session.flush()
            db.session.add(SessionStaff(session_id=session.id, user_id=ids["fac"], role="facilitator"))
            added.append(session.id)
        db.session.commit()
        return added, (today.module_id, other)

    return in_server_app(server, work)


def pack_of(page, session_id):
    (pack,) = [p for p in stored_items(page, "packs") if session_id in [s["id"] for s in p["sessions"]]]
    return pack


def remove_pack(page, session_id, left):
    card = page.locator("#device-packs li.pack").filter(has=page.locator(f'a[href$="#session={session_id}"]'))
    card.get_by_role("button", name="Quitar del dispositivo").click()
    expect(page.locator("#device-packs li.pack")).to_have_count(left)


@pytest.fixture(scope="module")
def tone_takes(tmp_path_factory):
    """Two normalised test tones (no voice): what stored takes look like."""
    folder = tmp_path_factory.mktemp("pack-tones")
    return [media.normalise(tone(folder, seconds=s, name=f"t{s}.wav"), 180, LIMIT_BYTES) for s in (2, 3)]


def test_removing_a_pack_deletes_only_the_files_no_other_kept_pack_lists(
    field_server, browser, tmp_path, tone_takes
):
    server, ids = field_server
    (same_module, other_module), modules = add_sessions(server, ids)
    shared_audio = approve_take(server, modules[0], tone_takes[0])
    own_audio = approve_take(server, modules[1], tone_takes[1])
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        take_pack(page, server.base, same_module, other_module)
        first, second = pack_of(page, ids["session"]), pack_of(page, same_module)
        assert shared_audio in first["files"] and shared_audio in second["files"]
        assert own_audio in second["files"] and own_audio not in first["files"]
        personal = f"workshops-personal-{ids['fac']}"
        assert {shared_audio, own_audio} <= set(cached(page)["workshops-pack"])
        sheets = {url for session in second["sessions"] for url in session["personal_files"]}
        assert sheets <= set(cached(page)[personal])

        remove_pack(page, same_module, left=1)
        kept = cached(page)
        assert shared_audio in kept["workshops-pack"]  # the other pack plays it
        assert own_audio not in kept["workshops-pack"]
        assert set(first["files"]) <= set(kept["workshops-pack"])
        only_second = set(second["files"]) - set(first["files"])
        assert own_audio in only_second and not only_second & set(kept["workshops-pack"])
        assert not sheets & set(kept[personal])
        assert {url for s in first["sessions"] for url in s["personal_files"]} <= set(kept[personal])

        # A mark saved with no server, then the last pack removed: its files go, the record stays and is sent.
        rows = open_session(page, server.base, ids["session"])
        server.stop()
        choose(rows.nth(0), "present")
        page.get_by_role("button", name="Guardar en este dispositivo").click()
        expect(page.locator("#queue-status")).to_contain_text("aún no enviado: 1", timeout=30000)
        page.goto(server.base + "/field/")
        remove_pack(page, ids["session"], left=0)
        kept = cached(page)
        assert not set(first["files"]) & set(kept["workshops-pack"])
        assert kept.get(personal, []) == []
        assert len(stored_items(page, "queue")) == 1
        server.start()  # no click: the retry sends it
        expect(page.locator("#queue-status")).to_contain_text("Enviados: 1", timeout=90000)
        assert [outcome for *_x, outcome, _u in submissions(server)] == ["applied"]
    finally:
        context.close()


def test_taking_a_pack_again_brings_the_newly_approved_take_and_drops_the_superseded_one(
    field_server, browser, tmp_path, tone_takes
):
    server, ids = field_server
    module_id = in_server_app(server, lambda: db.session.get(WorkshopSession, ids["session"]).module_id)
    old_audio = approve_take(server, module_id, tone_takes[0])
    context, page = phone(browser, tmp_path / "phone")
    try:
        login(page, server.base, "fac")
        take_pack(page, server.base, ids["session"])
        (before,) = stored_items(page, "packs")
        assert old_audio in cached(page)["workshops-pack"]

        # With no server the pack cannot be taken again: the one on the phone stays whole.
        server.stop()
        take_pack(page, server.base, ids["session"], outcome="No se pudo descargar el paquete")
        assert stored_items(page, "packs") == [before]
        assert set(before["files"]) <= set(cached(page)["workshops-pack"])
        server.start()

        new_audio = approve_take(server, module_id, tone_takes[1])  # a new take of the same text
        take_pack(page, server.base, ids["session"])
        (after,) = stored_items(page, "packs")  # it replaced the older pack of the same session
        assert after["id"] != before["id"]
        assert new_audio in after["files"] and old_audio not in after["files"]
        kept = set(cached(page)["workshops-pack"])
        assert new_audio in kept and old_audio not in kept
        assert set(after["files"]) <= kept
        assert [s["id"] for s in after["sessions"]] == [ids["session"]]
    finally:
        context.close()
