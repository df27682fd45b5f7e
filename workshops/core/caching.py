"""Who may keep a copy of a response, and for how long: every Cache-Control rule of the app.

Static files get fingerprinted URLs: `url_for('static', filename=...)`
appends `?v=<hash of the file's content>`, computed once per process from
STATIC_DIR, so a new deployment changes the URL of every file that changed.
A request carrying the current hash is answered with a year-long immutable
cache: the browser never asks again, not even to revalidate (on a poor
connection, every round trip counts). Without it (or with an old hash: a page
or a field pack from before an update) the file gets a short cache and is
revalidated with its ETag afterwards.

Everything else is `no-store`, except a few endpoints listed by name that
never show personal data (the curriculum, printed materials, the app's own
files). The rule goes this way round because a mature product fails safe: a
new page about people, sessions or reports is never kept on a shared office
computer or by a proxy because someone forgot to add it to a list. The
listed pages still show who is signed in, so they are `private, no-cache`:
never kept by a shared cache, but the back button may show them again
without another download. A recording (voice.audio) sets its own rule per
take: an approved one may be kept by the browser for good (its URL names one
take, whose bytes never change), any other is no-store.
"""

import hashlib

from flask import current_app, request

from .paths import STATIC_DIR

IMMUTABLE = "public, max-age=31536000, immutable"
# Unversioned or outdated static URLs: reused for ten minutes, then revalidated (a 304 when unchanged).
REVALIDATE = "public, max-age=600"
NO_STORE = "no-store"
PRIVATE = "private, no-cache"

# Endpoints whose responses hold no personal data: the curriculum and its printed materials, and the
# app's own files (the service worker sets its own no-cache: the browser must check it on every load).
NO_PERSONAL_DATA = frozenset(
    {
        "curriculum.index",
        "curriculum.modules",
        "curriculum.module",
        "curriculum.terms",
        "materials.choose",
        "materials.view",
        "materials.pdf",
        "field.service_worker",
        "field.manifest",
        "field.openapi",
    }
)
# Endpoints that choose per response and set Cache-Control themselves (a recording: an approved
# take may be kept by the browser, never by a shared cache; any other take not at all). One that
# sets none gets no-store.
OWN_RULE = frozenset({"voice.audio"})

_EXTENSION_KEY = "workshops.static_versions"


def file_versions(folder=STATIC_DIR):
    """Return {path relative to the folder, with '/': first 12 hex digits of the SHA-256 of its content}."""
    versions = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            versions[path.relative_to(folder).as_posix()] = digest
    return versions


def static_versions():
    """The fingerprints of this process's static files."""
    return current_app.extensions[_EXTENSION_KEY]


def _add_static_version(endpoint, values):
    """url_defaults: give every static URL its file's fingerprint (unknown files get none)."""
    if endpoint == "static" and "v" not in values:
        version = static_versions().get(values.get("filename"))
        if version:
            values["v"] = version


def _is_current_version():
    filename = (request.view_args or {}).get("filename")
    version = request.args.get("v")
    return version is not None and version == static_versions().get(filename)


def cache_headers(response):
    """after_request: set Cache-Control by the rules above."""
    endpoint = request.endpoint
    if endpoint == "static" and response.status_code in (200, 206, 304):
        response.headers["Cache-Control"] = IMMUTABLE if _is_current_version() else REVALIDATE
        response.headers.pop("Expires", None)  # send_file may set one; Cache-Control says it all
        response.headers.pop("Content-Disposition", None)  # "inline; filename=...": nothing to save
        _load_whole_text_file(response)
    elif endpoint in OWN_RULE and response.status_code < 400:
        response.headers.setdefault("Cache-Control", NO_STORE)
    elif endpoint in NO_PERSONAL_DATA and response.status_code < 400:
        response.headers.setdefault("Cache-Control", PRIVATE)
    else:
        response.headers["Cache-Control"] = NO_STORE
    return response


def _load_whole_text_file(response):
    """Read a compressible static file into memory (a few KB) instead of streaming it.

    Flask streams files, and a streamed response is compressed on the fly
    without a Content-Length. Read whole, the compression step (Flask-Compress,
    which runs after this) sends its compressed length, which field.js reads
    to show a pack's size before it is downloaded.
    """
    if (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
    ):
        source = response.response
        response.direct_passthrough = False
        response.set_data(b"".join(response.iter_encoded()))
        if hasattr(source, "close"):
            source.close()  # the file is read: close it now, not when the response is closed
        # The body may go out compressed, and a byte range of it would not be one of the file.
        response.headers.pop("Accept-Ranges", None)


def init_app(app):
    """Fingerprint the static files (once per app, so once per server process) and set the rules.

    Register after compression (core/compression.py): Flask runs after_request
    functions last-registered first, and these headers must be set, and a
    text file read whole, before the body is compressed.
    """
    app.extensions[_EXTENSION_KEY] = file_versions()
    app.url_defaults(_add_static_version)
    app.after_request(cache_headers)
