"""First start: config layers, secret key, migrations, curriculum loading."""

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshops import create_app
from workshops.config import apply_environment, normalise_database_url
from workshops.core.models import AppState
from workshops.core.services import SIGNING_KEY_ROW, shared_secret_key
from workshops.curriculum.models import Module, Section, Segment
from workshops.curriculum.source import MODULES_DIR, CurriculumError, load_curriculum
from workshops.extensions import db
from workshops.materials.pdfcache import cache_dir

PROJECT = Path(__file__).resolve().parent.parent


def _counts(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
                for table in ("curriculum_module", "curriculum_section", "curriculum_segment")
            }
    finally:
        engine.dispose()


def _fresh_app(url, instance, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, **config})


def _dispose(app):
    with app.app_context():
        db.engine.dispose()


def test_first_start_creates_schema_and_loads_curriculum(database_factory, tmp_path):
    url = database_factory()
    app = _fresh_app(url, tmp_path)
    expected = load_curriculum()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Module)) == 12
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Section)) == sum(
            len(m.sections) for m in expected
        )
        stored = set(db.session.scalars(sa.select(Segment.uid)))
        # Titles and key terms live on their own rows; every other segment is a Segment.
        body = {
            s.uid
            for m in expected
            for s in m.segments()
            if s.role not in ("title", "summary", "term", "definition")
        }
        assert stored == body
    _dispose(app)


@pytest.mark.slow
def test_second_start_changes_nothing(database_factory, tmp_path):
    url = database_factory()
    _dispose(_fresh_app(url, tmp_path))
    first = _counts(url)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        ids_before = connection.execute(sa.text("SELECT id, slug FROM curriculum_module ORDER BY id")).all()
    _dispose(_fresh_app(url, tmp_path))
    with engine.connect() as connection:
        ids_after = connection.execute(sa.text("SELECT id, slug FROM curriculum_module ORDER BY id")).all()
    engine.dispose()
    assert _counts(url) == first
    assert ids_after == ids_before


@pytest.mark.slow
def test_edited_module_is_reloaded_keeping_its_id(database_factory, tmp_path):
    modules_dir = tmp_path / "modules"
    shutil.copytree(MODULES_DIR, modules_dir)
    url = database_factory()
    app = _fresh_app(url, tmp_path, AUTO_SETUP=False)
    from workshops.curriculum import services
    from workshops.setup import initialize_database

    with app.app_context():
        initialize_database()
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        module_id, old_title = module.id, module.title
        target = sorted(modules_dir.glob("01-*.yaml"))[0]
        source = target.read_text(encoding="utf-8")
        target.write_text(
            source.replace(f"title: {old_title}", "title: Título cambiado", 1), encoding="utf-8"
        )
        assert services.ensure_curriculum_loaded(modules_dir) == 1
        db.session.commit()
        db.session.expire_all()
        module = db.session.get(Module, module_id)
        assert module.title == "Título cambiado"
        assert services.ensure_curriculum_loaded(modules_dir) == 0
    _dispose(app)


def test_broken_curriculum_stops_start_and_loads_nothing(database_factory, tmp_path, monkeypatch):
    broken = tmp_path / "modules"
    shutil.copytree(MODULES_DIR, broken)
    target = sorted(broken.glob("12-*.yaml"))[0]
    target.write_text(
        target.read_text(encoding="utf-8").replace("area: finance", "area: nada"), encoding="utf-8"
    )
    monkeypatch.setattr("workshops.curriculum.source.MODULES_DIR", broken)
    url = database_factory()
    with pytest.raises(CurriculumError) as caught:
        _fresh_app(url, tmp_path)
    assert caught.value.path == str(target)
    assert "area must be one of" in str(caught.value)
    assert _counts(url)["curriculum_module"] == 0


@pytest.mark.slow
def test_two_processes_starting_at_once(database_factory, tmp_path):
    url = database_factory()
    env = {**os.environ, "DATABASE_URL": url, "WORKSHOPS_INSTANCE_PATH": str(tmp_path)}
    command = [sys.executable, "-m", "flask", "--app", "workshops", "init"]
    processes = [
        subprocess.Popen(command, env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    expected_sections = sum(len(m.sections) for m in load_curriculum())
    counts = _counts(url)
    assert counts["curriculum_module"] == 12
    assert counts["curriculum_section"] == expected_sections


@pytest.mark.slow
def test_secret_key_is_generated_once_and_kept(database_factory, tmp_path, monkeypatch):
    """SQLite (one server): a file in the instance folder. PostgreSQL: one row every server reads."""
    monkeypatch.delenv("WORKSHOPS_SECRET_KEY", raising=False)
    url = database_factory()
    first = _fresh_app(url, tmp_path / "a")
    second = _fresh_app(url, tmp_path / "a", AUTO_SETUP=False)
    elsewhere = _fresh_app(url, tmp_path / "b", AUTO_SETUP=False)  # another server, same database
    key = first.config["SECRET_KEY"]
    assert len(key) == 64 and second.config["SECRET_KEY"] == key
    if sa.make_url(url).get_backend_name() == "postgresql":
        assert elsewhere.config["SECRET_KEY"] == key
        assert not (tmp_path / "a" / "secret_key").exists() and not (tmp_path / "b" / "secret_key").exists()
        with first.app_context():
            assert db.session.get(AppState, SIGNING_KEY_ROW).value == key
            # Servers starting together on a new database all end up with the same key.
            db.session.execute(sa.delete(AppState).where(AppState.key == SIGNING_KEY_ROW))
            db.session.commit()
            db.session.remove()
            start = threading.Barrier(4)

            def race(app=first):
                with app.app_context():
                    start.wait(timeout=30)
                    return shared_secret_key()

            with ThreadPoolExecutor(4) as pool:
                keys = list(pool.map(lambda _: race(), range(4)))
        assert len(set(keys)) == 1 and len(keys[0]) == 64 and keys[0] != key
    else:
        key_file = tmp_path / "a" / "secret_key"
        assert key == key_file.read_text().strip()
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        # One server per SQLite file: a second instance folder is another installation.
        assert elsewhere.config["SECRET_KEY"] == (tmp_path / "b" / "secret_key").read_text().strip() != key
    for app in (first, second, elsewhere):
        _dispose(app)


def test_config_layers(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "PASSWORD_MIN_LENGTH = 12\nSESSION_COOKIE_SECURE = True\nTITLE = 'x'\n"
    )
    monkeypatch.setenv("WORKSHOPS_PASSWORD_MIN_LENGTH", "14")
    monkeypatch.setenv("WORKSHOPS_SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "env.sqlite"))
    app = create_app({"INSTANCE_PATH": tmp_path, "AUTO_SETUP": False})
    assert app.config["PASSWORD_MIN_LENGTH"] == 14  # environment beats instance/config.py
    assert app.config["SESSION_COOKIE_SECURE"] is True  # instance/config.py beats defaults
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance_with_wal_and_foreign_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": tmp_path, "AUTO_SETUP": False})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'workshops.sqlite'}"
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def _modes(folder):
    """{path inside folder: permission bits} of the folder and everything in it."""
    return {
        str(path.relative_to(folder.parent)): oct(path.stat().st_mode & 0o777)
        for path in [folder, *folder.rglob("*")]
    }


def test_the_app_creates_its_folder_and_files_for_its_own_user_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("WORKSHOPS_SECRET_KEY", raising=False)
    instance, other = tmp_path / "srv" / "instance", tmp_path / "srv" / "restored"
    previous = os.umask(0o022)  # the usual umask: whatever the app leaves to it comes out 0644 or 0755
    try:
        app = create_app({"INSTANCE_PATH": instance})  # a first start: migrations, curriculum
        with app.app_context():
            cache_dir()
        leftover = instance / "uploads"  # as an upgrade from before 0011 may leave it
        leftover.mkdir(mode=0o700)
        (leftover / "0123456789abcdef.pdf").write_bytes(b"%PDF-1.4 left over")
        (leftover / "0123456789abcdef.pdf").chmod(0o600)
        backed_up = app.test_cli_runner().invoke(args=["backup"])
        assert backed_up.exit_code == 0, backed_up.output
        (archive,) = (instance / "backups").iterdir()
        restoring = create_app({"INSTANCE_PATH": other, "AUTO_SETUP": False})
        # As the README says for a new machine: the backup key comes along, kept private.
        (other / "backup_key").write_bytes((instance / "backup_key").read_bytes())
        (other / "backup_key").chmod(0o600)
        restored = restoring.test_cli_runner().invoke(args=["restore", str(archive), "--yes"])
        assert restored.exit_code == 0, restored.output
        with app.app_context(), db.engine.connect() as connection:  # -wal and -shm exist while it is open
            connection.exec_driver_sql("SELECT count(*) FROM curriculum_module").scalar()
            modes = {**_modes(instance), **_modes(other)}
        _dispose(app)
        _dispose(restoring)
    finally:
        os.umask(previous)
    expected = {
        "instance/workshops.sqlite",
        "instance/workshops.sqlite-wal",
        "instance/workshops.sqlite-shm",
        "instance/secret_key",
        "instance/setup.lock",
        "instance/pdf-cache",
        "instance/backups",
        "instance/backup_key",
        f"instance/backups/{archive.name}",
        "restored/workshops.sqlite",
        "restored/uploads/0123456789abcdef.pdf",
    }
    assert expected <= set(modes)
    folders = {name for name in modes if (tmp_path / "srv" / name).is_dir()}
    assert {name: mode for name, mode in modes.items() if name in folders and mode != "0o700"} == {}
    assert {name: mode for name, mode in modes.items() if name not in folders and mode != "0o600"} == {}


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    config = {}
    apply_environment(config, {"WORKSHOPS_AUTO_SETUP": "false", "DATABASE_URL": "postgresql://x@y/z"})
    assert config == {"AUTO_SETUP": False, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@y/z"}


def test_module_number_constraint_is_in_the_database(app):
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        module.number = 13
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_revision_ids_fit_alembic_version_column():
    # alembic_version.version_num is VARCHAR(32); PostgreSQL refuses longer ids.
    import re

    for path in (PROJECT / "workshops" / "migrations" / "versions").glob("*.py"):
        revision = re.search(r'^revision = "([^"]+)"', path.read_text(), re.M).group(1)
        assert len(revision) <= 32, path.name


def test_models_and_migrations_agree(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.parametrize("command", [["demo", "--help"], ["init", "--help"], ["--help"]])
def test_asking_for_help_does_not_touch_the_database(tmp_path, command):
    database = tmp_path / "help.sqlite"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "WORKSHOPS_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "workshops", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "Running upgrade" not in result.stderr
    # The app may create the (private, empty) file, but no table in it.
    if database.exists():
        with closing(sqlite3.connect(database)) as connection:
            assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
