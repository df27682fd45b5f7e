"""Addresses several features share."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def safe_next(target: str | None) -> str:
    """Return target if it is a plain path on this site, else the home page.

    A `next` taken from a query string must not send the browser elsewhere
    (`//host`, `/\\host`) nor carry control characters into a Location header.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and target.isprintable()
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("curriculum.index")


def public_url(endpoint: str, **values: Any) -> str | None:
    """The absolute address of a page for use outside the browser (QR codes, exported links), or None.

    Built from the PUBLIC_URL setting, never from the request's Host header: a sheet printed
    from the office (127.0.0.1) or through a forged Host must not send people elsewhere.
    None when PUBLIC_URL is not set (or is not an http(s) address): the caller says so.
    """
    base = str(current_app.config.get("PUBLIC_URL") or "").strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return base + url_for(endpoint, **values)
