"""A failure in the middle of an import, a save, a sync or a merge leaves the database as it was.

Each test injects an exception part-way through a real operation (on the Nth
call of a function run per row or entry, N > 1, so that some work is already
in the transaction; or when the session flushes or commits), then checks that
every table holds the same rows as before, that the user sees a clear message
rather than a stack trace, and that no file is left behind.
"""

# The fixtures imported from other test modules are parameters of the tests here.
# ruff: noqa: F811

import io
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import polib
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from workshops.attendance import services as attendance
from workshops.attendance import uploads
from workshops.attendance.models import (
    AttachmentContent,
    AttendanceRecord,
    SessionAttachment,
    WorkshopSession,
)
from workshops.auth.models import User
from workshops.catalog import store
from workshops.core import audit
from workshops.core import restore as restoring
from workshops.core.models import AppState
from workshops.extensions import db
from workshops.field import records as field_records
from workshops.people import services as people
from workshops.people.models import Person
from workshops.translate import catalogs

from .helpers import confirm_merge, login, record
from .test_backup import _backup, _damage, _fill, _state, site, template_site  # noqa: F401 (fixtures)

FRIENDLY_500 = ("Algo salió mal", "no se guardó nada")


class Injected(RuntimeError):
    """The failure a test injects."""


def snapshot(app):
    """Every row of every table, sorted: two snapshots are equal when nothing was written."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
                for table in db.metadata.sorted_tables
            }


def fail_on_call(monkeypatch, owner, name, nth, error=None):
    """Make owner.name raise on its nth call (Injected, or error); return the calls made (results)."""
    original = getattr(owner, name)
    calls = []

    def wrapper(*args, **kwargs):
        if len(calls) + 1 == nth:
            calls.append(Injected)
            raise error or Injected(f"injected failure in {name}, call {nth}")
        result = original(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(owner, name, wrapper)
    return calls


@contextmanager
def fail_on_flush(nth):
    """Raise Injected after the nth flush of the session has sent its SQL (nth=1 and a commit: at the commit)."""
    flushes = []

    def after_flush(session, flush_context):
        flushes.append(len(session.new) + len(session.dirty) + len(session.deleted))
        if len(flushes) == nth:
            raise Injected(f"injected failure after flush {nth}")

    event.listen(db.session, "after_flush", after_flush)
    try:
        yield flushes
    finally:
        event.remove(db.session, "after_flush", after_flush)


@contextmanager
def fail_on_commit():
    """Raise Injected when the session commits, after all the work and the last flush."""
    commits = []

    def before_commit(session):
        commits.append(session)
        raise Injected("injected failure at the commit")

    event.listen(db.session, "before_commit", before_commit)
    try:
        yield commits
    finally:
        event.remove(db.session, "before_commit", before_commit)


@pytest.fixture
def friendly(app):
    """Let the app's own 500 handler answer, as in production, instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def assert_friendly_500(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    for words in FRIENDLY_500:
        assert words in page
    assert "Traceback" not in page and "Injected" not in page and "injected" not in page


def upload_files(app):
    folder = Path(app.instance_path) / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- Catalog import: `flask translate import` and the .po upload ------------------------------


def changed_catalog(app, domain, count=5, marker=""):
    """The first `count` plain entries of the agr catalog, each with a new translation.

    The translations carry `marker`: a test that changes the same entries as an earlier
    one must bring text of its own (the store keeps updated rows between tests).
    """
    with app.app_context():
        po = catalogs.build_po(domain, "agr")
    kept = [entry for entry in po if not entry.obsolete and not entry.msgid_plural][:count]
    for number, entry in enumerate(kept, start=1):
        entry.msgstr = f"PRUEBA {marker} NÚMERO {number}".replace("  ", " ")
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    po[:] = kept
    return po


@pytest.mark.parametrize("where", ["third entry", "flush"])
def test_cli_catalog_import_failing_midway_changes_nothing(app, runner, tmp_path, monkeypatch, where):
    path = tmp_path / "agr" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text(str(changed_catalog(app, "messages", marker=where)), encoding="utf-8")
    before = snapshot(app)
    if where == "third entry":
        calls = fail_on_call(monkeypatch, store, "set_translation", 3)
        result = runner.invoke(args=["translate", "import", str(path)])
        assert calls[-1] is Injected and all(call is not None for call in calls[:2])  # two were applied
    else:
        with fail_on_flush(3) as flushes:
            result = runner.invoke(args=["translate", "import", str(path)])
        assert len(flushes) == 3 and flushes[0] > 0
    assert result.exit_code == 1
    assert "Nothing was imported." in result.output and "Traceback" not in result.output
    assert snapshot(app) == before
    # The same file imports whole once the fault is gone.
    monkeypatch.undo()
    result = runner.invoke(args=["translate", "import", str(path)])
    assert result.exit_code == 0 and "5 applied" in result.output, result.output


def upload_po(client, po):
    return client.post(
        "/translate/agr/curriculum/upload",
        data={"catalog": (io.BytesIO(str(po).encode()), "vivero.po")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("where", ["third entry", "commit"])
def test_po_upload_failing_midway_changes_nothing_and_says_so(login_as, friendly, monkeypatch, where):
    client = login_as("translator", "reviewer")
    po = polib.pofile(
        client.get("/translate/agr/curriculum/download?module=vivero-de-cafe").get_data(as_text=True)
    )
    del po[5:]
    for number, entry in enumerate(po, start=1):
        entry.msgstr = f"EN EL ARCHIVO {number}."
    before = snapshot(friendly)
    if where == "third entry":
        calls = fail_on_call(monkeypatch, store, "set_translation", 3)
        response = upload_po(client, po)
        assert calls[-1] is Injected and all(call is not None for call in calls[:2])
    else:
        with fail_on_flush(1) as flushes:  # the upload flushes only when it commits
            response = upload_po(client, po)
        assert flushes and flushes[0] > 0
    assert_friendly_500(response)
    assert snapshot(friendly) == before
    monkeypatch.undo()
    assert "5 entradas aplicadas" in upload_po(client, po).get_data(as_text=True)


def test_catalog_export_failing_while_writing_keeps_the_old_file(app, tmp_path, monkeypatch):
    target = tmp_path / "agr" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_text("old content", encoding="utf-8")
    calls = fail_on_call(monkeypatch, catalogs.os, "fsync", 1)  # the text is written, not yet synced
    with app.app_context(), pytest.raises(Injected):
        catalogs.export_catalog("messages", "agr", target)
    assert calls == [Injected]
    assert target.read_text(encoding="utf-8") == "old content"
    assert [p.name for p in target.parent.iterdir()] == ["messages.po"]  # no temporary file left


def test_translate_update_writes_files_only_after_the_commit(app, runner, tmp_path, monkeypatch):
    for domain in ("messages", "curriculum"):
        (tmp_path / f"{domain}.pot").write_bytes(
            catalogs.catalog_path(None, domain, template=True).read_bytes()
        )
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", tmp_path)
    before = snapshot(app)
    with fail_on_commit() as commits:
        result = runner.invoke(args=["translate", "update"])
    assert len(commits) == 1 and isinstance(result.exception, Injected)
    assert snapshot(app) == before
    assert list(tmp_path.rglob("*.po")) == []  # nothing exported from a merge that was not committed
    result = runner.invoke(args=["translate", "update"])
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.rglob("*.po"))) == 4


# --- CSV import of the family registry -------------------------------------------------------

CSV = (
    "comunidad;familia;nombres;apellidos;sexo;anio_nacimiento;relacion;dni;consentimiento;fecha_consentimiento\n"
    "CPR;F1;Ana;Yampis Tsamajain;mujer;1980;jefa;12345678;sí;2026-03-14\n"
    "CPR;F1;Beto;Yampis;hombre;2010;hijo;;no;\n"
    "CPR;F2;Carla;Nuevo;mujer;;jefa;;si;14/03/2026\n"
    "CPR;F3;Dina;Otro;mujer;1999;jefa;;si;2026-03-14\n"
)


# The import creates the missing households in one call per community, then the people in
# batches: the first batch of people fails after the households were made.
@pytest.mark.parametrize(("where", "nth"), [("person", 1), ("household", 1), ("flush", 2)])
def test_csv_import_failing_midway_changes_nothing(login_as, friendly, program, monkeypatch, where, nth):
    client = login_as("coordinator")
    before = snapshot(friendly)
    if where == "person":
        calls = fail_on_call(monkeypatch, people, "add_people", nth)
    elif where == "household":
        calls = fail_on_call(monkeypatch, people, "create_households", nth)
    if where == "flush":
        with fail_on_flush(nth) as flushes:
            response = client.post("/people/import", data={"confirm": "1", "text": CSV})
        assert len(flushes) == nth
    else:
        response = client.post("/people/import", data={"confirm": "1", "text": CSV})
        assert len(calls) == nth and calls[-1] is Injected
    assert_friendly_500(response)
    assert snapshot(friendly) == before  # household numbers included: none was given out
    monkeypatch.undo()
    assert client.post("/people/import", data={"confirm": "1", "text": CSV}).status_code == 302
    assert snapshot(friendly) != before


# --- Attendance save, signed-sheet upload, field sync --------------------------------------------


def attendance_form(program, walk_ins=("Visitante", "Visitanta")):
    data = {"revision": 0, "action": "save"}
    for person_id in program["people"]:
        data[f"status-{person_id}"] = "present"
    for index, given in enumerate(walk_ins):
        data[f"walkin-given-{index}"] = given
        data[f"walkin-sex-{index}"] = "female"
    return data


@pytest.mark.parametrize("where", ["second walk-in", "audit", "commit"])
def test_attendance_save_failing_midway_changes_nothing(login_as, friendly, program, monkeypatch, where):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    before = snapshot(friendly)
    if where == "commit":
        # Without walk-ins the save flushes its records only with the commit.
        with fail_on_flush(1) as flushes:
            response = client.post(url, data=attendance_form(program, walk_ins=()))
        assert flushes and flushes[0] > len(program["people"])
    else:
        # Each walk-in is audited; the third audit is the session's, the last step of the save.
        nth = 2 if where == "second walk-in" else 3
        calls = fail_on_call(monkeypatch, *((people, "add_person") if nth == 2 else (audit, "record")), nth)
        response = client.post(url, data=attendance_form(program))
        assert calls[-1] is Injected and len(calls) == nth
    assert_friendly_500(response)
    assert snapshot(friendly) == before  # the session's revision too: the page can be saved again
    monkeypatch.undo()
    response = client.post(url, data=attendance_form(program))
    assert response.status_code == 302
    with friendly.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 6


def test_attendance_service_failing_leaves_the_session_as_it_was(app, program, monkeypatch, make_user):
    """The service itself, without the route: the caller's rollback undoes the revision bump too."""
    user_id = make_user("coordinadora", roles=("coordinator",))
    before = snapshot(app)
    calls = fail_on_call(monkeypatch, people, "add_person", 2)
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        marks = {person_id: ("present", "") for person_id in program["people"]}
        walk_ins = [{"given_names": "Uno"}, {"given_names": "Dos"}]
        with pytest.raises(Injected):
            attendance.save_attendance(session, marks, 0, db.session.get(User, user_id), walk_ins)
        db.session.rollback()
    assert calls[-1] is Injected
    assert snapshot(app) == before


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post_sheet(client, session_id):
    return client.post(
        f"/sessions/{session_id}/attachments",
        data={"sheet": (io.BytesIO(PNG), "hoja.png")},
        content_type="multipart/form-data",
    )


@contextmanager
def fail_on_insert(table):
    """Raise Injected when the session sends the INSERT into `table` (after the statements before it)."""
    inserts = []

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            inserts.append(statement)
            raise Injected(f"injected failure inserting into {table}")

    with db.engine.connect() as connection:
        engine = connection.engine
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield inserts
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)


@pytest.mark.parametrize("where", ["audit", "commit", "content"])
def test_sheet_upload_failing_leaves_no_row_and_no_bytes(login_as, friendly, program, monkeypatch, where):
    client = login_as("coordinator")
    files = upload_files(friendly)
    before = snapshot(friendly)
    if where == "audit":  # after the sheet's row and its bytes are flushed
        calls = fail_on_call(monkeypatch, audit, "record", 1)
        response = post_sheet(client, program["session"])
        assert calls == [Injected]
    elif where == "content":  # the row is in the transaction, the bytes fail to follow
        with friendly.app_context(), fail_on_insert("attachment_content") as inserts:
            response = post_sheet(client, program["session"])
        assert len(inserts) == 1
    else:
        with fail_on_flush(3) as flushes:  # the row, the bytes, then the flush that comes with the commit
            response = post_sheet(client, program["session"])
        assert len(flushes) == 3
    assert_friendly_500(response)
    assert snapshot(friendly) == before  # attachment_content included
    assert upload_files(friendly) == files == []  # and nothing went to a folder instead
    monkeypatch.undo()
    assert post_sheet(client, program["session"]).status_code == 302
    after = snapshot(friendly)
    assert len(after["session_attachment"]) == len(after["attachment_content"]) == 1


def test_a_sheet_saved_in_a_rolled_back_savepoint_leaves_no_bytes(app, program, make_user):
    user_id = make_user("coordinadora", roles=("coordinator",))
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        user = db.session.get(User, user_id)
        kept = uploads.save(session, io.BytesIO(PNG), "uno.png", user).id
        with pytest.raises(Injected), db.session.begin_nested():
            uploads.save(session, io.BytesIO(PNG), "dos.png", user)
            raise Injected("inside the savepoint")
        with db.session.begin_nested():
            released = uploads.save(session, io.BytesIO(PNG), "tres.png", user).id
        db.session.commit()
        db.session.remove()
        stored = set(db.session.scalars(sa.select(SessionAttachment.id)))
        contents = dict(
            db.session.execute(sa.select(AttachmentContent.attachment_id, AttachmentContent.data)).all()
        )
    assert stored == {kept, released}
    assert contents == {kept: PNG, released: PNG}


def test_field_sync_failing_midway_changes_nothing(app, client, field, monkeypatch, friendly):
    login(client, "fac")
    batch = [record(field["session"], person_id) for person_id in field["persons"]]
    batch.append({**record(field["session"], None), "walk_in": {"given_names": "Nueva", "sex": "female"}})
    before = snapshot(app)
    calls = fail_on_call(monkeypatch, field_records, "write", 3)
    response = client.post("/api/field/sync", json={"records": batch})
    assert calls[-1] is Injected and len(calls) == 3
    assert response.status_code == 500 and response.is_json
    assert "no se guardó nada" in response.get_json()["error"]
    assert snapshot(app) == before  # not even the submission ids: the device sends the batch again
    monkeypatch.undo()
    response = client.post("/api/field/sync", json={"records": batch})
    assert [r["outcome"] for r in response.get_json()["results"]] == ["applied"] * 4


# --- Merging duplicates ------------------------------------------------------------------------


def test_person_merge_failing_at_its_audit_changes_nothing(login_as, friendly, program, monkeypatch):
    client = login_as("coordinator")
    first, second = program["people"][0], program["people"][2]
    client.post(
        f"/sessions/{program['session']}/attendance",
        data={"revision": 0, "action": "save", f"status-{first}": "present", f"status-{second}": "absent"},
    )
    before = snapshot(friendly)
    calls = fail_on_call(monkeypatch, audit, "record", 1)  # after the records moved and the merge was flushed
    response = confirm_merge(client, second, first)
    assert calls == [Injected]
    assert_friendly_500(response)
    assert snapshot(friendly) == before


def test_household_merge_failing_on_the_second_member_changes_nothing(
    login_as, friendly, program, monkeypatch
):
    client = login_as("coordinator")
    keep, remove = program["households"]
    before = snapshot(friendly)
    calls = fail_on_call(monkeypatch, people, "move_person", 2)
    response = client.post(f"/people/households/{remove}/merge", data={"keep": keep})
    assert calls[-1] is Injected and len(calls) == 2
    assert_friendly_500(response)
    assert snapshot(friendly) == before


# --- flask restore (SQLite) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "owner", "name", "error"),
    [
        ("uploads swap", restoring.os, "replace", OSError("disk full")),
        ("database copy", restoring, "read_only_uri", sqlite3.OperationalError("database is locked")),
    ],
)
def test_restore_failing_midway_leaves_database_and_uploads_as_they_were(
    site, monkeypatch, where, owner, name, error
):
    ids = _fill(site)
    archive = _backup(site)
    _damage(site, ids)
    before = _state(site)
    # The second call: moving the backup's uploads in (after the live ones were moved aside),
    # or opening the backup's database to copy it (after the check opened it once).
    calls = fail_on_call(monkeypatch, owner, name, 2, error)
    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes", "--no-backup-first"])
    assert calls[1] is Injected  # (moving the live uploads back calls os.replace again)
    assert result.exit_code == 1 and "nothing was changed" in result.output, result.output
    assert "Traceback" not in result.output
    assert _state(site) == before
    assert not list(Path(site.instance_path).glob(".restore-*"))
    monkeypatch.undo()
    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes", "--no-backup-first"])
    assert result.exit_code == 0, result.output
    assert _state(site) != before


def test_snapshot_sees_a_single_changed_value(app, program):
    """The comparison the tests above rely on notices one changed field."""
    before = snapshot(app)
    with app.app_context():
        db.session.execute(
            sa.update(Person).where(Person.id == program["people"][0]).values(given_names="Rosalía")
        )
        db.session.commit()
    assert snapshot(app) != before


def test_a_released_savepoint_is_undone_by_the_rollback_of_its_transaction(app):
    """Two savepoints in one transaction, then an error: neither is kept.

    On SQLite a SAVEPOINT opened before any write used to start its own transaction,
    and releasing it committed (the .po upload kept the entries before a failure).
    """
    with app.app_context():
        db.session.scalar(sa.select(sa.func.count()).select_from(AppState))  # a read first, as views do
        for key in ("savepoint-1", "savepoint-2"):
            with db.session.begin_nested():
                db.session.add(AppState(key=key, value="x"))
        db.session.rollback()
        kept = db.session.scalars(sa.select(AppState.key).where(AppState.key.like("savepoint-%"))).all()
        db.session.remove()
    assert kept == []
