"""Addresses several features share."""

from urllib.parse import urlsplit

from flask import url_for


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
