"""Light on the wire and safe to keep: compression, fingerprinted static files, Cache-Control, HSTS, hosts."""

import gzip
import hashlib
import re

import brotli
import pytest
from flask import url_for

from workshops import demo
from workshops.config import apply_environment
from workshops.core import caching
from workshops.core.paths import STATIC_DIR
from workshops.extensions import db

from .urlmap import sample_values

GZIP = {"Accept-Encoding": "gzip"}
BROTLI = {"Accept-Encoding": "br, gzip"}


def decoded(response):
    """The body as the browser sees it, whatever the Content-Encoding."""
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(response.data)
    if encoding == "br":
        return brotli.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def static_url(app, filename):
    with app.test_request_context():
        return url_for("static", filename=filename)


# --- Compression ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "encoding"), [(GZIP, "gzip"), (BROTLI, "br")])
def test_a_page_is_compressed_when_the_browser_accepts_it(login_as, headers, encoding):
    client = login_as("admin")
    plain = client.get("/modules/vivero-de-cafe")
    packed = client.get("/modules/vivero-de-cafe", headers=headers)
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert len(packed.data) * 3 < len(plain.data)
    # Same page, but the CSRF token differs from one render to the next.
    token = re.compile(rb'name="csrf_token" value="[^"]+"')
    assert token.sub(b"", decoded(packed)) == token.sub(b"", plain.data)


def test_static_text_is_compressed_with_its_length_and_revalidates(app, client, admin_exists):
    url = static_url(app, "css/app.css")
    response = client.get(url, headers=BROTLI)
    assert response.headers["Content-Encoding"] == "br"
    assert int(response.headers["Content-Length"]) == len(response.data) < 3500
    assert decoded(response) == (STATIC_DIR / "css" / "app.css").read_bytes()
    assert "Accept-Ranges" not in response.headers  # a range of the compressed body means nothing
    etag = response.headers["ETag"]
    assert etag.endswith(':br"')  # the compressed body has its own validator
    again = client.get(url, headers={**BROTLI, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # The HEAD field.js sends to measure a pack gives the compressed length too.
    head = client.head(url, headers=BROTLI)
    assert head.headers["Content-Length"] == response.headers["Content-Length"]


def test_compressed_types_and_small_bodies_are_sent_as_they_are(app, login_as):
    client = login_as("facilitator")
    icon = client.get(static_url(app, "icons/icon-192.png"), headers=GZIP)
    assert icon.mimetype == "image/png" and "Content-Encoding" not in icon.headers
    icon.close()
    small = client.get("/api/field/token", headers=GZIP)  # JSON, but a hundred bytes
    assert small.status_code == 200 and small.mimetype == "application/json"
    assert "Content-Encoding" not in small.headers and len(small.data) < 500


def test_a_pdf_download_is_not_compressed(login_as):
    client = login_as("coordinator")
    response = client.get("/materials/print.pdf?document=terms&lang=es", headers=GZIP)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"%PDF")


def test_the_streamed_attendance_csv_is_compressed_and_complete(app, login_as):
    client = login_as("coordinator")
    with app.app_context():
        demo.load()  # five communities with sessions and attendance
        db.session.commit()
    plain = client.get("/reports/attendance.csv").data  # read to the end: the stream holds its request
    packed = client.get("/reports/attendance.csv", headers=GZIP)
    assert packed.status_code == 200 and packed.is_streamed
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in packed.headers
    body = decoded(packed)
    assert body == plain and body.count(b"\n") > 1000


# --- Fingerprinted static files ---------------------------------------------------------------------


def test_pages_link_static_files_by_the_hash_of_their_content(login_as):
    page = login_as("facilitator").get("/field/").get_data(as_text=True)
    for name in ("css/app.css", "js/field.js"):
        digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
        assert f'"/static/{name}?v={digest}"' in page
    assert '/static/css/app.css"' not in page  # no unversioned link left


def test_the_fingerprint_changes_with_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    style = tmp_path / "css" / "app.css"
    style.write_text("body { color: black }")
    before = caching.file_versions(tmp_path)
    style.write_text("body { color: green }")
    after = caching.file_versions(tmp_path)
    assert set(before) == {"css/app.css"}
    assert before["css/app.css"] != after["css/app.css"]


def test_a_current_fingerprint_is_cached_for_a_year_anything_else_revalidates(app, client, admin_exists):
    url = static_url(app, "js/field.js")
    for path, expected in (
        (url, "public, max-age=31536000, immutable"),
        ("/static/js/field.js", caching.REVALIDATE),
        ("/static/js/field.js?v=000000000000", caching.REVALIDATE),  # a page from another deployment
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == expected, path
        assert "Expires" not in response.headers
        assert response.headers["ETag"]  # so that the short cache can be revalidated
        response.close()


def test_the_manifest_and_the_service_worker_name_fingerprinted_files(client, admin_exists, app):
    manifest = client.get("/manifest.webmanifest").get_json()
    versions = app.extensions["workshops.static_versions"]
    assert [icon["src"] for icon in manifest["icons"]] == [
        f"/static/icons/icon-{size}.png?v={versions[f'icons/icon-{size}.png']}" for size in (192, 512)
    ]
    worker = client.get("/sw.js").get_data(as_text=True)
    assert f'"/static/css/app.css?v={versions["css/app.css"]}"' in worker
    assert f'"/static/js/field.js?v={versions["js/field.js"]}"' in worker
    assert "/*" + "SHELL_FILES*/" not in worker
    name = re.search(r'var VERSION = "([0-9a-f]{12})"', worker).group(1)
    # A deployment with another app.css serves another worker with another cache name.
    versions["css/app.css"] = "0123456789ab"
    changed = client.get("/sw.js").get_data(as_text=True)
    assert '"/static/css/app.css?v=0123456789ab"' in changed
    assert re.search(r'var VERSION = "([0-9a-f]{12})"', changed).group(1) != name


# --- Cache-Control: no-store for personal data -------------------------------------------------------


def test_every_page_and_download_with_personal_data_is_no_store(app, login_as, admin_exists):
    client = login_as("admin", "coordinator", "facilitator", "translator", "reviewer")
    sample = sample_values(app, admin_exists)
    checked = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.build({name: sample[name] for name in rule.arguments})[1]
        response = client.get(path)
        cache_control = response.headers.get("Cache-Control", "")
        if rule.endpoint in caching.NO_PERSONAL_DATA:
            assert "no-store" not in cache_control, path
            assert "public" not in cache_control, path  # never kept by a shared cache either
        else:
            assert cache_control == "no-store", (path, response.status_code, cache_control)
        checked.add(rule.endpoint)
        response.close()
    # The walk reached the pages and downloads the issue names.
    assert {
        "people.communities",
        "people.person",
        "sessions.enter",
        "sessions.sheet_pdf",
        "sessions.attachment",
        "reports.summary",
        "reports.attendance_csv",
        "field.index",
        "field.pack",
        "admin.audit_log",
        "admin.users",
        "auth.account",
    } <= checked


def test_downloads_in_other_formats_are_no_store(login_as):
    client = login_as("admin", "coordinator")
    for path in (
        "/reports/summary?format=xlsx",
        "/reports/summary?format=csv",
        "/people/import/template.csv",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_pages_without_personal_data_are_private(login_as):
    client = login_as("facilitator")
    response = client.get("/modules/vivero-de-cafe")
    assert response.headers["Cache-Control"] == caching.PRIVATE
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"


# --- HSTS -------------------------------------------------------------------------------------------


def test_hsts_only_when_the_session_cookie_is_https_only(app, client, admin_exists):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    for path in ("/login", "/static/css/app.css", "/no-such-page"):
        response = client.get(path, base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        response.close()


# --- Trusted hosts ----------------------------------------------------------------------------------


def test_trusted_hosts_from_the_environment_is_a_list():
    config = {}
    apply_environment(config, {"WORKSHOPS_TRUSTED_HOSTS": "a.example.org, b.example.org,"})
    assert config["TRUSTED_HOSTS"] == ["a.example.org", "b.example.org"]
    apply_environment(config, {"WORKSHOPS_TRUSTED_HOSTS": " "})
    assert config["TRUSTED_HOSTS"] is None  # empty: every host, as when unset


def test_another_host_gets_a_plain_400_on_every_route(app, login_as):
    client = login_as("admin")
    app.config["TRUSTED_HOSTS"] = ["talleres.example.org", ".example.net"]
    assert client.get("/login", base_url="http://talleres.example.org").status_code == 200
    assert client.get("/login", base_url="https://oficina.example.net:8443").status_code == 200
    for method, path in (
        ("get", "/modules"),
        ("get", "/static/css/app.css"),
        ("get", "/no-such-page"),
        ("get", "/api/field/token"),
        ("post", "/login"),
        ("post", "/language"),
    ):
        response = getattr(client, method)(path, base_url="http://evil.example.com")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (method, path)
        assert "Dirección no reconocida" in page and "Traceback" not in page, (method, path)
        assert "evil.example.com" not in page  # nothing of the request is echoed
        assert response.headers["Cache-Control"] == "no-store"


def test_trusted_hosts_is_refused_before_the_csrf_check(csrf_app):
    csrf_app.config["TRUSTED_HOSTS"] = ["talleres.example.org"]
    response = csrf_app.test_client().post("/login", data={"username": "x"}, base_url="http://other.example")
    assert response.status_code == 400
    assert "Dirección no reconocida" in response.get_data(as_text=True)


def test_without_trusted_hosts_any_host_is_served(client, admin_exists):
    assert client.get("/login", base_url="http://192.168.1.20:8000").status_code == 200
