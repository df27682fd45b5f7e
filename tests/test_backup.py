"""`flask backup` and `flask restore`: a SQLite database (signed sheets included), and nothing else.

The round trip runs on a SQLite database of its own whatever DATABASE_URL
says (the commands handle SQLite only); on PostgreSQL the configured
database gets the pg_dump message instead.
"""

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from workshops.attendance import services as attendance
from workshops.attendance import uploads
from workshops.attendance.models import (
    AttachmentContent,
    AttendanceRecord,
    SessionAttachment,
    WorkshopSession,
)
from workshops.auth import services as auth_services
from workshops.core import backup as backups
from workshops.core import restore as restoring
from workshops.core.paths import MIGRATIONS_DIR
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.people import services as people
from workshops.people.models import Community, Household, Person
from workshops.setup import initialize_database

from .conftest import TEST_PASSWORD, make_test_app

PROJECT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@pytest.fixture(scope="module")
def template_site(tmp_path_factory):
    """A migrated SQLite database with the curriculum, made once and copied per test."""
    folder = tmp_path_factory.mktemp("template-site")
    app = make_test_app(f"sqlite:///{folder / 'workshops.sqlite'}", folder)
    with app.app_context():
        initialize_database()
        db.engine.dispose()
    return folder / "workshops.sqlite"


@pytest.fixture
def site(template_site, tmp_path):
    """An app on its own SQLite file in its own instance folder."""
    instance = tmp_path / "instance"
    instance.mkdir()
    backups.copy_database(template_site, instance / "workshops.sqlite")
    app = make_test_app(f"sqlite:///{instance / 'workshops.sqlite'}", instance)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fill(app):
    """A community, a household of three, a session with attendance and a scanned sheet."""
    with app.app_context():
        user = auth_services.create_user("coordinadora", "Coordinadora", TEST_PASSWORD, ["coordinator"])
        community = Community(name="Comunidad Prueba", code="CPR", district="Huarango")
        db.session.add(community)
        db.session.flush()
        household = people.create_household(community, "junto al río", user)
        persons = [
            people.add_person(
                household,
                {"given_names": given, "family_names": "Tsamajain Wajai", "sex": sex, "birth_year": year},
                user,
            )
            for given, sex, year in (
                ("Rosa", "female", 1990),
                ("Luis", "male", 1988),
                ("Nayap", "female", 2008),
            )
        ]
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        session = attendance.create_session(
            module, community, date(2026, 10, 5), None, 240, "Local comunal", [], "", user
        )
        result = attendance.save_attendance(
            session,
            {
                persons[0].id: ("present", ""),
                persons[1].id: ("late", "llegó a las 10"),
                persons[2].id: ("excused", ""),
            },
            session.revision,
            user,
        )
        assert result.saved
        attachment = uploads.save(session, io.BytesIO(PNG), "hoja firmada.png", user)
        db.session.commit()
        return {"person": persons[0].id, "session": session.id, "attachment": attachment.stored_name}


def _state(app):
    """Every row of every table (the bytes of the sheets too), and every file left in instance/uploads."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            rows = {
                table.name: connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                for table in db.metadata.sorted_tables
            }
    folder = Path(app.instance_path) / "uploads"
    files = {path.name: path.read_bytes() for path in folder.iterdir()} if folder.exists() else {}
    return rows, files


def _backup(app, *args):
    result = app.test_cli_runner().invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output
    return Path(re.search(r"Backup written: (\S+)", result.output).group(1))


def _damage(app, ids):
    """Change, delete and add records after the backup, and leave a file in the old uploads folder."""
    with app.app_context():
        db.session.execute(sa.update(Community).values(name="Nombre cambiado"))
        db.session.execute(sa.delete(AttendanceRecord).where(AttendanceRecord.person_id == ids["person"]))
        db.session.execute(sa.text("DELETE FROM household_stay WHERE person_id = :id"), {"id": ids["person"]})
        db.session.execute(sa.delete(Person).where(Person.id == ids["person"]))
        db.session.execute(sa.delete(SessionAttachment))
        db.session.add(Community(name="Comunidad Nueva", code="NUE"))
        db.session.commit()
    _leave_old_file(app)


def _leave_old_file(app):
    """A file in instance/uploads the database does not know, as an upgrade from before 0011 may leave."""
    folder = Path(app.instance_path) / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / "0123456789abcdef.pdf").write_bytes(b"%PDF-1.4 later upload")


def test_backup_change_restore_finds_every_record_again(site):
    ids = _fill(site)
    before = _state(site)
    assert before[1] == {}  # the sheet is in the database: no uploads folder at all
    assert [row.data for row in before[0]["attachment_content"]] == [PNG]
    archive = _backup(site)
    assert list(_members(archive)) == ["manifest.json", "manifest.sig", "workshops.sqlite"]
    key_file = Path(site.instance_path) / "backup_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"  # made on the first backup, private
    assert key_file.read_bytes().strip() not in archive.read_bytes()  # never in the archive
    assert archive.parent == Path(site.instance_path) / "backups"
    assert re.fullmatch(r"workshops-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # personal data

    _damage(site, ids)
    assert _state(site) != before

    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output  # a genuine backup: its signature verifies
    assert _state(site) == before
    with site.app_context():
        community = db.session.scalar(sa.select(Community))
        assert community.name == "Comunidad Prueba"
        assert db.session.scalar(sa.select(Household.code)) == "CPR-001"
        assert {p.given_names for p in db.session.scalars(sa.select(Person))} == {"Rosa", "Luis", "Nayap"}
        session = db.session.get(WorkshopSession, ids["session"])
        assert sorted(record.status for record in session.records) == ["excused", "late", "present"]
        attachment = db.session.scalar(sa.select(SessionAttachment))
        assert attachment.original_name == "hoja firmada.png"
        assert uploads.content_of(attachment) == PNG
        with db.engine.connect() as connection:  # still the same healthy WAL database
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    # The state the restore replaced was saved first, the file left in uploads/ included.
    saved = re.search(r"The current state was saved to (\S+)", result.output).group(1)
    assert saved.endswith("-before-restore.tar.gz")
    with site.app_context(), restoring.open_backup(site, saved) as opened:
        assert (opened.uploads / "0123456789abcdef.pdf").read_bytes() == b"%PDF-1.4 later upload"
    assert not list(Path(site.instance_path).glob(".restore-*"))


def test_backup_is_consistent_while_the_app_writes(site):
    """A write transaction left open during the backup is not in the copy; committed rows are."""
    _fill(site)
    with site.app_context():
        engine = db.engine
    with engine.connect() as writer:
        writer.execute(
            sa.insert(Community).values(name="A medio escribir", code="MED", last_household_number=0)
        )
        archive = _backup(site, str(Path(site.instance_path) / "elsewhere"))
        writer.rollback()
    assert archive.parent.name == "elsewhere"
    with site.app_context(), restoring.open_backup(site, archive) as opened:
        copy = sa.create_engine(f"sqlite:///{opened.database}")
        with copy.connect() as connection:
            names = set(connection.scalars(sa.text("SELECT name FROM community")))
        copy.dispose()
    assert names == {"Comunidad Prueba"}


def test_restore_asks_for_confirmation(site):
    _fill(site)
    archive = _backup(site)
    with site.app_context():
        db.session.execute(sa.update(Community).values(name="Nombre cambiado"))
        db.session.commit()
    changed = _state(site)
    runner = site.test_cli_runner()
    refused = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert refused.exit_code != 0 and "Replace the database" in refused.output
    assert _state(site) == changed
    accepted = runner.invoke(args=["restore", str(archive)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    with site.app_context():
        assert db.session.scalar(sa.select(Community.name)) == "Comunidad Prueba"


def test_restore_replaces_a_damaged_database_and_keeps_it_aside(site):
    _fill(site)
    archive = _backup(site)
    before = _state(site)
    with site.app_context():
        db.engine.dispose()
    live = Path(site.instance_path) / "workshops.sqlite"
    for suffix in ("-wal", "-shm"):
        live.with_name(live.name + suffix).unlink(missing_ok=True)
    garbage = b"this is not a database " * 1000
    live.write_bytes(garbage)
    runner = site.test_cli_runner()

    refused = runner.invoke(args=["restore", str(archive), "--yes"])
    assert refused.exit_code == 1 and "Could not back up the current state first" in refused.output
    assert "--no-backup-first" in refused.output and live.read_bytes() == garbage

    restored = runner.invoke(args=["restore", str(archive), "--yes", "--no-backup-first"])
    assert restored.exit_code == 0, restored.output
    kept = Path(re.search(r"could not read was kept as (\S+)", restored.output).group(1))
    assert kept.read_bytes() == garbage
    assert _state(site) == before


def _members(archive):
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def _write(path, members, key=None):
    """Write an archive; with the site's key, sign its manifest as `flask backup` does, first and second."""
    if key is not None and "manifest.json" in members:
        signature = backups.sign(key, members["manifest.json"]).encode()
        rest = {name: data for name, data in members.items() if name != "manifest.sig"}
        members = {"manifest.json": members["manifest.json"], "manifest.sig": signature, **rest}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _with_manifest(members, change):
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def _entry(data):
    import hashlib

    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _garbage_database(members):
    garbage = b"SQLite format 3\x00" + b"\x00" * 200
    members = _with_manifest(members, lambda m: m["files"].__setitem__("workshops.sqlite", _entry(garbage)))
    return {**members, "workshops.sqlite": garbage}


def _newer_schema(members, tmp_path):
    import sqlite3
    from contextlib import closing

    copy = tmp_path / "newer.sqlite"
    copy.write_bytes(members["workshops.sqlite"])
    with closing(sqlite3.connect(copy)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        connection.commit()
    data = copy.read_bytes()

    def change(manifest):
        manifest["files"]["workshops.sqlite"] = _entry(data)
        manifest["schema_revision"] = "0099_from_the_future"

    return {**_with_manifest(members, change), "workshops.sqlite": data}


def _escaping_member(members):
    name = "uploads/../../evil.txt"
    members = _with_manifest(members, lambda m: m["files"].__setitem__(name, _entry(b"x")))
    return {**members, name: b"x"}


BROKEN = {
    "no such file": lambda members, tmp_path: None,
    "not an archive": lambda members, tmp_path: b"just some text",
    "no manifest": lambda members, tmp_path: {k: v for k, v in members.items() if k != "manifest.json"},
    "other manifest": lambda members, tmp_path: _with_manifest(members, lambda m: m.update(format="other")),
    "damaged upload": lambda members, tmp_path: {
        k: (v[:-1] + b"!" if k.startswith("uploads/") else v) for k, v in members.items()
    },
    "missing upload": lambda members, tmp_path: {
        k: v for k, v in members.items() if not k.startswith("uploads/")
    },
    "unlisted file": lambda members, tmp_path: {**members, "uploads/extra.png": PNG},
    "escaping path": lambda members, tmp_path: _escaping_member(members),
    "garbage database": lambda members, tmp_path: _garbage_database(members),
    "newer schema": _newer_schema,
    "truncated": lambda members, tmp_path: "truncate",
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_restore_refuses_what_is_not_a_valid_backup_and_changes_nothing(site, tmp_path, kind):
    _fill(site)
    _leave_old_file(site)  # so that the archive has an uploads/ member to damage
    archive = _backup(site)
    members = _members(archive)
    with site.app_context():
        db.session.execute(sa.update(Community).values(name="Nombre cambiado"))
        db.session.commit()
    before = _state(site)
    bad = tmp_path / "bad.tar.gz"
    made = BROKEN[kind](members, tmp_path)
    if made == "truncate":
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif isinstance(made, bytes):
        bad.write_bytes(made)
    elif made is not None:
        # Signed with the site's key, as if made by someone who has it: the other checks still hold.
        _write(bad, made, key=backups.backup_key(site))

    result = site.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1, result.output
    assert f"{bad} is not a" in result.output and "backup" in result.output
    assert "Traceback" not in result.output
    if kind == "newer schema":
        assert "0099_from_the_future" in result.output and "unknown" in result.output
    assert _state(site) == before
    assert sorted(p.name for p in (Path(site.instance_path) / "backups").iterdir()) == [archive.name]
    assert not list(Path(site.instance_path).glob(".restore-*"))
    assert not (tmp_path.parent / "evil.txt").exists()


def test_the_configured_database_is_backed_up_or_pointed_to_pg_dump(app, runner, database_url, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "out")])
    if sa.make_url(database_url).get_backend_name() == "postgresql":
        assert result.exit_code == 1
        assert "PostgreSQL" in result.output and "pg_dump" in result.output
        assert not (tmp_path / "out").exists()
        restore = runner.invoke(args=["restore", str(tmp_path / "x.tar.gz"), "--yes"])
        assert restore.exit_code == 1 and "pg_restore" in restore.output
    else:
        assert result.exit_code == 0, result.output
        (archive,) = (tmp_path / "out").iterdir()
        with app.app_context(), restoring.open_backup(app, archive) as opened:
            assert opened.database.stat().st_size > 0


def test_postgresql_gets_the_pg_dump_message(tmp_path):
    url = "postgresql+psycopg://ana:s3cret@db.example:5433/workshops"
    app = make_test_app(url, tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 1
    assert "The database is PostgreSQL" in result.output
    assert "pg_dump -h db.example -p 5433 -U ana --format=custom" in result.output
    assert "the dump is the whole backup" in result.output
    assert "uploads" not in result.output  # no folder to copy beside the dump
    assert "s3cret" not in result.output
    assert not (tmp_path / "backups").exists()
    restore = runner.invoke(args=["restore", str(tmp_path / "x.tar.gz"), "--yes"])
    assert restore.exit_code == 1 and "pg_restore" in restore.output
    (tmp_path / "uploads").mkdir()  # files from before 0011 not moved in yet: copy them too
    assert str(tmp_path / "uploads") in runner.invoke(args=["backup"]).output


def test_an_old_archive_with_uploads_is_restored_and_its_files_moved_in_at_the_next_start(site, tmp_path):
    """A backup made before 0011 (sheets as files under uploads/) loses no sheet."""
    ids = _fill(site)
    with site.app_context():
        # Downgrading writes the sheets back out as files, as the old version kept them.
        downgrade(directory=str(MIGRATIONS_DIR), revision="0010_field_submissions")
        db.engine.dispose()
    old_file = Path(site.instance_path) / "uploads" / ids["attachment"]
    assert old_file.read_bytes() == PNG and oct(old_file.stat().st_mode & 0o777) == "0o600"
    archive = _backup(site)
    assert f"uploads/{ids['attachment']}" in _members(archive)
    assert json.loads(_members(archive)["manifest.json"])["missing_uploads"] == []

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    # A new machine: the key is copied along with the archive (README, "Backups").
    (fresh / "backup_key").write_bytes((Path(site.instance_path) / "backup_key").read_bytes())
    app = make_test_app(f"sqlite:///{fresh / 'workshops.sqlite'}", fresh)
    try:
        result = app.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
        assert result.exit_code == 0, result.output
        assert "1 file(s) in uploads/" in result.output
        assert (fresh / "uploads" / ids["attachment"]).read_bytes() == PNG
        with app.app_context():
            initialize_database()  # the next start: migrations, then the files
            attachment = db.session.scalar(sa.select(SessionAttachment))
            assert uploads.content_of(attachment) == PNG
            assert attachment.original_name == "hoja firmada.png"
        assert not (fresh / "uploads").exists()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_files_that_cannot_be_moved_in_stay_where_they_are_and_are_logged(site, caplog):
    ids = _fill(site)
    with site.app_context():
        db.session.execute(sa.delete(AttachmentContent))  # as after an upgrade: the bytes are files
        db.session.commit()
        attachment_id = db.session.scalar(sa.select(SessionAttachment.id))
    folder = Path(site.instance_path) / "uploads"
    folder.mkdir()
    (folder / ids["attachment"]).write_bytes(PNG[:-1])  # cut short: not the sheet the row describes
    _leave_old_file(site)
    with site.app_context():
        assert uploads.move_files_into_database() == 0
        assert db.session.get(AttachmentContent, attachment_id) is None
    assert (folder / ids["attachment"]).read_bytes() == PNG[:-1]
    assert ids["attachment"] in caplog.text and "stays where it is" in caplog.text
    assert "0123456789abcdef.pdf" in caplog.text  # not in the database: kept, and said so

    (folder / ids["attachment"]).write_bytes(PNG)  # the operator puts the right file back
    with site.app_context():
        assert uploads.move_files_into_database() == 1
        assert uploads.move_files_into_database() == 0  # idempotent
        assert db.session.get(AttachmentContent, attachment_id).data == PNG
    assert sorted(path.name for path in folder.iterdir()) == ["0123456789abcdef.pdf"]


def _flask(instance, *args):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{instance / 'workshops.sqlite'}",
        "WORKSHOPS_INSTANCE_PATH": str(instance),
    }
    env.pop("WORKSHOPS_AUTO_SETUP", None)  # automatic setup on, as in production
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "workshops", *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _revision(path):
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_backup_and_restore_do_not_migrate_first(tmp_path):
    """`backup` copies an old database as it is; `restore` sets nothing up before replacing it."""
    old_site, new_site = tmp_path / "old", tmp_path / "new"
    old_site.mkdir()
    new_site.mkdir()
    upgraded = _flask(old_site, "db", "upgrade", "0008_report_indexes")
    assert upgraded.returncode == 0, upgraded.stderr
    made = _flask(old_site, "backup")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "schema 0008_report_indexes" in made.stdout
    assert _revision(old_site / "workshops.sqlite") == "0008_report_indexes"
    archive = re.search(r"Backup written: (\S+)", made.stdout).group(1)

    # Into an instance with no database yet: had the app set one up first, it
    # would have been backed up ("The current state was saved ...") and migrated.
    # The backup key comes along, as on a new machine (README, "Backups").
    (new_site / "backup_key").write_bytes((old_site / "backup_key").read_bytes())
    restored = _flask(new_site, "restore", "--yes", archive)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "current state" not in restored.stdout and not (new_site / "backups").exists()
    assert "older than this version" in restored.stdout
    assert _revision(new_site / "workshops.sqlite") == "0008_report_indexes"
    started = _flask(new_site, "init")  # the next start brings the schema up to date
    assert started.returncode == 0, started.stdout + started.stderr
    assert _revision(new_site / "workshops.sqlite") != "0008_report_indexes"


def _tampered(members, tmp_path):
    """The backup with a community renamed inside its database and the manifest's checksum recomputed."""
    import sqlite3
    from contextlib import closing

    copy = tmp_path / "tampered.sqlite"
    copy.write_bytes(members["workshops.sqlite"])
    with closing(sqlite3.connect(copy)) as connection:
        connection.execute("UPDATE community SET name = 'Cambiada'")
        connection.commit()
    data = copy.read_bytes()
    changed = _with_manifest(members, lambda m: m["files"].__setitem__("workshops.sqlite", _entry(data)))
    return {**changed, "workshops.sqlite": data}


def _community_name(app):
    with app.app_context():
        return db.session.scalar(sa.select(Community.name))


@pytest.mark.parametrize("kind", ["tampered", "unsigned", "other installation"])
def test_an_archive_whose_signature_does_not_verify_is_refused_unless_allowed(site, tmp_path, kind):
    _fill(site)
    archive = _backup(site)
    members = _members(archive)
    bad = tmp_path / "bad.tar.gz"
    if kind == "tampered":  # the old signature kept: it no longer matches the manifest
        _write(bad, _tampered(members, tmp_path))
        problem, restored_name = "signature does not match", "Cambiada"
    elif kind == "unsigned":  # as made before backups were signed
        _write(bad, {name: data for name, data in members.items() if name != "manifest.sig"})
        problem, restored_name = "not signed", "Comunidad Prueba"
    else:  # genuine, but this installation has another key
        _write(bad, members)
        (Path(site.instance_path) / "backup_key").write_text("another installation's key")
        problem, restored_name = "signature does not match", "Comunidad Prueba"
    with site.app_context():
        db.session.execute(sa.update(Community).values(name="Nombre actual"))
        db.session.commit()
    before = _state(site)

    refused = site.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert refused.exit_code == 1, refused.output
    assert f"{bad} is not a valid backup" in refused.output and problem in refused.output
    assert "--allow-unsigned" in refused.output and "Traceback" not in refused.output
    assert _state(site) == before

    allowed = site.test_cli_runner().invoke(
        args=["restore", str(bad), "--yes", "--no-backup-first", "--allow-unsigned"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "Warning:" in allowed.output and problem in allowed.output
    assert _community_name(site) == restored_name


def test_a_tampered_archive_is_refused_even_with_no_key_here(site, tmp_path):
    _fill(site)
    archive = _backup(site)
    (Path(site.instance_path) / "backup_key").unlink()
    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 1
    assert "no backup key" in result.output and "backup_key" in result.output


def test_a_member_larger_than_its_manifest_says_is_refused_before_a_byte_is_written(
    site, tmp_path, monkeypatch
):
    """1 MB of archive holding 50 MB that the manifest calls 10 bytes (it once wrote 286 MB first)."""
    _fill(site)
    members = _members(_backup(site))
    bomb = b"\x00" * (50 * 1024 * 1024)
    changed = _with_manifest(
        members, lambda m: m["files"].__setitem__("workshops.sqlite", _entry(b"0123456789"))
    )
    bad = _write(
        tmp_path / "bomb.tar.gz", {**changed, "workshops.sqlite": bomb}, key=backups.backup_key(site)
    )
    assert bad.stat().st_size < 1024 * 1024
    written = []
    monkeypatch.setattr(restoring, "_write_member", lambda *args: written.append(args))
    result = site.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert f"workshops.sqlite is {len(bomb)} bytes in the archive, the manifest says 10" in result.output
    assert written == []


def test_writing_a_member_stops_at_the_first_byte_beyond_the_manifest(tmp_path):
    data = b"x" * 5000
    archive = _write(tmp_path / "a.tar.gz", {"uploads/a.png": data})
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.next()
        with pytest.raises(backups.BackupError, match="larger than the manifest says"):
            restoring._write_member(tar, member, tmp_path / "out" / "a.png", {"size": 10, "sha256": ""})
    assert (tmp_path / "out" / "a.png").stat().st_size <= 10


def test_an_archive_over_the_restore_limit_is_refused(site):
    _fill(site)
    archive = _backup(site)
    site.config["RESTORE_MAX_BYTES"] = 1000
    before = _state(site)
    result = site.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
    assert result.exit_code == 1
    assert "over the 1000 bytes a restore takes" in result.output
    assert _state(site) == before
