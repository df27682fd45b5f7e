"""A wheel built with `python -m build`, installed into a new virtualenv, serves every page from anywhere."""

import os
import re
import socket
import subprocess
import sys
import time
import zipfile

import pytest
import requests

from .conftest import PROJECT_ROOT, make_test_app
from .urlmap import sample_values

pytestmark = pytest.mark.slow

PASSWORD = "una-clave-larga-de-prueba"
ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel from the checkout and install it into a new virtualenv; return its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(PROJECT_ROOT)])
    wheel = next(dist.glob("workshops-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)])
    return wheel, venv / "bin"


def test_the_wheel_carries_templates_migrations_catalogs_and_static_files(installed):
    wheel, _bin = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "workshops/templates/base.html",
        "workshops/templates/materials/document.html",
        "workshops/migrations/env.py",
        "workshops/migrations/alembic.ini",
        "workshops/migrations/script.py.mako",
        "workshops/translations/messages.pot",
        "workshops/translations/agr/LC_MESSAGES/curriculum.po",
        "workshops/translations/es/LC_MESSAGES/messages.po",
        "workshops/babel.cfg",
        "workshops/static/css/app.css",
        "workshops/static/js/sw.js",
        "workshops/field/openapi.yaml",
        "workshops/auth/data/common-passwords.txt.gz",
        "workshops/auth/data/README.md",
    ):
        assert expected in names, expected
    assert any(re.fullmatch(r"workshops/migrations/versions/0001_.*\.py", name) for name in names)
    assert any(re.fullmatch(r"workshops/curriculum/modules/.*\.yaml", name) for name in names)
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _login(http, base, username):
    form = http.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = http.post(
        base + "/login",
        data={"csrf_token": token, "username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.ok and "/login" not in response.url, response.text[:500]


def test_an_installed_wheel_serves_every_page_from_another_folder(installed, database_factory, tmp_path):
    """`flask run` of the installed package, started in an empty folder, answers every GET route."""
    _wheel, bin_dir = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "FLASK_APP") and not key.startswith("WORKSHOPS_")
    }
    env.update(DATABASE_URL=database_factory(), WORKSHOPS_INSTANCE_PATH=str(tmp_path / "instance"))
    located = _run(
        [str(bin_dir / "python"), "-c", "import workshops; print(workshops.__file__)"], cwd=elsewhere, env=env
    )
    assert located.stdout.startswith(str(bin_dir.parent)), located.stdout  # not the checkout

    flask = [str(bin_dir / "flask"), "--app", "workshops"]
    roles = [arg for role in ROLES for arg in ("--role", role)]
    # The first command sets the database up: schema, curriculum and catalogs.
    _run(
        [*flask, "create-user", "everyone", "--name", "Ana Todos", *roles, "--password", PASSWORD],
        cwd=elsewhere,
        env=env,
    )
    _run([*flask, "demo"], cwd=elsewhere, env=env)
    stats = _run([*flask, "translate", "stats"], cwd=elsewhere, env=env).stdout
    assert "agr" in stats and "curriculum" in stats

    app = make_test_app(env["DATABASE_URL"], tmp_path / "map")
    try:
        from workshops.auth.models import User
        from workshops.extensions import db

        with app.app_context():
            admin_id = db.session.scalar(db.select(User.id).where(User.username == "everyone"))
        sample = sample_values(app, admin_id)
        rules = [
            rule
            for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if "GET" in rule.methods and rule.endpoint != "static"
        ]
        paths = [rule.build({name: sample[name] for name in rule.arguments})[1] for rule in rules]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [*flask, "run", "--port", str(port)], cwd=elsewhere, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(base + "/login", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "server.log"
                ).read_text()
                time.sleep(0.3)
        http = requests.Session()
        _login(http, base, "everyone")
        answered = {}
        for path in paths:
            response = http.get(base + path, timeout=120)
            answered[path] = (response.status_code, response.headers.get("Content-Type", ""))
            if response.headers.get("Content-Type", "").startswith("text/html"):
                assert "</html>" in response.text, path
        # The field API's pack needs its query (session ids): without it, a clear 400.
        failed = {
            path: status
            for path, (status, _kind) in answered.items()
            if status != 200 and not (path.startswith("/api/") and status == 400)
        }
        assert not failed, failed
        kinds = {kind.split(";")[0] for _status, kind in answered.values()}
        assert {"text/html", "application/pdf"} <= kinds, kinds
        assert len(answered) > 50
        # A printed PDF found its stylesheet inside the installed package.
        pdf = http.get(base + "/materials/print.pdf?document=terms", timeout=120)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        css = http.get(base + "/static/css/app.css", timeout=30)
        assert css.status_code == 200 and b"{" in css.content
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
