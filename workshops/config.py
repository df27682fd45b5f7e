"""Configuration layers: defaults, then instance/config.py, then the environment."""

import os
import secrets
from collections.abc import Mapping, MutableMapping
from pathlib import Path

ENV_PREFIX = "WORKSHOPS_"
# Settings given in the environment as a comma-separated list.
LIST_SETTINGS = {"TRUSTED_HOSTS"}


class Defaults:
    """Settings used when nothing else is configured."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # How long a process trusts what it read of a login and of the catalog revisions (which
    # also stand for the language settings) before reading them again: a change made through
    # the same process shows at once; through another process or server, within this many
    # seconds. 0 reads them on every request.
    SHARED_STATE_RECHECK_SECONDS = 1.0
    # Run migrations and load the curriculum when the app is created.
    AUTO_SETUP = True
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Set to True when the site is served over HTTPS: the browser then sends the
    # session cookie (and the remember-me cookie, which follows this setting
    # unless REMEMBER_COOKIE_SECURE is set) only over HTTPS.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Behind a reverse proxy (nginx): how many proxies' X-Forwarded-For, -Proto and
    # -Host headers to trust. 0 trusts none; the client address is then the proxy's.
    TRUSTED_PROXIES = 0
    # Host names this site answers to (Flask's own setting); a request for any other
    # Host (or X-Forwarded-Host, behind a trusted proxy) gets a 400 page. None accepts
    # any host. From the environment: WORKSHOPS_TRUSTED_HOSTS=a.example.org,b.example.org;
    # a name starting with a dot also accepts its subdomains (.example.org).
    TRUSTED_HOSTS = None
    # The site's address as people reach it, e.g. https://talleres.example.org (scheme and host,
    # no path): every absolute link that leaves the browser (the QR code on the printed
    # attendance sheet) is built from it, never from the request's Host header. Unset, the
    # sheet prints no QR code and says that it needs this setting. WORKSHOPS_PUBLIC_URL=...
    PUBLIC_URL = None
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    BABEL_DEFAULT_LOCALE = "es_PE"
    BABEL_DEFAULT_TIMEZONE = "America/Lima"
    # Where the workshops happen: "today" for the rule that attendance waits for the
    # session's day (core/clock.py). An IANA time zone name.
    PROGRAM_TIMEZONE = "America/Lima"
    # Spoken recordings of the curriculum (voice/media.py): the longest recording accepted, in
    # seconds, and the largest file uploaded or recorded in the browser (it must also fit in
    # MAX_CONTENT_LENGTH). Stored recordings are re-encoded to about 180 KB a minute.
    RECORDING_MAX_SECONDS = 180
    RECORDING_MAX_BYTES = 10 * 1024 * 1024
    PASSWORD_MIN_LENGTH = 8
    # Werkzeug's password hash method; None is its default (scrypt). The tests set a
    # cheap one: scrypt costs a tenth of a second per hash, on purpose.
    PASSWORD_HASH_METHOD = None
    # Login throttling (auth/throttle.py): after this many failed logins within the
    # window, further attempts are refused without checking the password: for one
    # account from one client address, from one address whatever the account, and
    # for one account from all addresses together (a ceiling well above the first,
    # so that failures elsewhere do not lock the real user out). 0 turns a limit off.
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 50
    # Compression (Flask-Compress, see core/compression.py): text types only; PDF, PNG,
    # XLSX and archives are compressed already. Brotli first (smaller than gzip); browsers
    # offer it over HTTPS and on localhost only, gzip everywhere.
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/yaml",
        "image/svg+xml",
        "text/csv",
        "text/plain",
        "text/x-gettext-translation",
        "application/x-tbx+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Streamed responses (the attendance CSV) are compressed chunk by chunk, still streamed.
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
    COMPRESS_MIN_SIZE = 500  # bytes; below this the headers cost more than compression saves
    # Brotli quality 5: about a tenth smaller than Flask-Compress's default 4 on app.css and
    # field.js for the same time (about 1 ms); 9 and up take ten times longer.
    COMPRESS_BR_LEVEL = 5
    COMPRESS_REGISTER = False  # core/compression.py registers its own after_request
    # `flask restore` refuses an archive whose files add up to more (checked against the
    # manifest before anything is written, and again while writing).
    RESTORE_MAX_BYTES = 4 * 1024 * 1024 * 1024


def _parse_env_value(raw: str) -> bool | int | str:
    """Turn an environment string into bool/int when it clearly is one."""
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    if lowered.isdigit():
        return int(lowered)
    return raw


def apply_environment(config: MutableMapping[str, object], environ: Mapping[str, str] | None = None) -> None:
    """Copy WORKSHOPS_* variables and DATABASE_URL into the config."""
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            setting = name[len(ENV_PREFIX) :]
            if setting in LIST_SETTINGS:
                # "a.example.org, b.example.org" -> a list; an empty value means "not set" (None).
                config[setting] = [part.strip() for part in raw.split(",") if part.strip()] or None
            else:
                config[setting] = _parse_env_value(raw)
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_secret_key(config: MutableMapping[str, object], instance_path: str | os.PathLike[str]) -> None:
    """Generate a secret key once into instance/secret_key when none is configured."""
    if config.get("SECRET_KEY"):
        return
    key_file = Path(instance_path) / "secret_key"
    create_key_file(key_file)
    config["SECRET_KEY"] = key_file.read_text().strip()


def create_key_file(path: Path) -> None:
    """Write a random key to `path`, readable by this user only, unless it exists already.

    The key is written whole under a temporary name, then linked into place: link() never
    overwrites, so processes starting at once all end up reading the same whole key.
    """
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
