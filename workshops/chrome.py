"""The site header of every page, rendered once per account, language and catalog revision, then kept.

Why: the header (menu, language switch, sign-out form) is the same on every page a
person opens until the catalog, the language settings or the account change, yet
making it costs some twenty url_for and gettext calls: on the module page, the most
read page, more than the rest of the page (bench/throughput.py). Two things differ
per request; the kept copy holds a placeholder for each, filled in on every page:
the CSRF token and the path the language switch returns to. The placeholders are
random per process, so no text a user types can ever stand for one.
"""

import secrets
import time

from flask import current_app, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from . import i18n
from .core.render_cache import RenderCache

_CSRF = f"csrf-{secrets.token_hex(12)}"
_NEXT = f"next-{secrets.token_hex(12)}"
_HEADER = f"header-{secrets.token_hex(12)}"
# Per app: a few hundred accounts in a few languages, with and without the untranslated marking.
HEADERS_KEPT = 256
# A signed CSRF token is valid for WTF_CSRF_TIME_LIMIT (an hour) from its signing; the same
# one serves a session's pages for a minute, instead of an HMAC signing on every page.
CSRF_REUSE_SECONDS = 60
# Per app: the frames of the most read pages (12 modules in a few languages and markings).
FRAMES_KEPT = 96


def _account():
    """Return what the header shows of the signed-in account (None when nobody is)."""
    if not current_user or not current_user.is_authenticated:
        return None
    return (current_user.id, current_user.display_name, tuple(sorted(current_user.roles)))


def site_header():
    """Return the page's header, from the kept copy when its account, language and revision match."""
    if g.get("keeping_frame"):
        return Markup(_HEADER)  # noqa: S704 (a fixed placeholder, replaced by kept_page)
    name, revision = i18n.rendering_state()
    registry = tuple((code, language.native_name) for code, language in i18n.languages().items())
    key = (name, registry, _account())
    headers = current_app.extensions["workshops.headers"]
    kept = headers.get(key)
    if kept is None or kept[0] != revision:
        html = render_template("_site_header.html", csrf=_CSRF, next_path=_NEXT)
        headers.put(key, kept := (revision, html))
    return Markup(  # noqa: S704 (the kept copy is autoescaped template output; the fillings are escaped)
        kept[1]
        .replace(_CSRF, str(escape(csrf_token())))
        .replace(_NEXT, str(escape(request.full_path.rstrip("?"))))
    )


def csrf_token():
    """Return the request's CSRF token: the one signed for this session in the last minute, if any."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    tokens = current_app.extensions["workshops.csrf_tokens"]
    raw = session.get(field)
    kept = tokens.get(raw) if raw else None
    if kept is not None and field not in g and time.monotonic() - kept[1] < CSRF_REUSE_SECONDS:
        setattr(g, field, kept[0])  # Flask-WTF's own per-request cache: every form of the page uses it
    token: str = generate_csrf()
    if kept is None or kept[0] != token:
        tokens.put(session[field], (token, time.monotonic()))
    return token


def kept_page(key, render, version=None):
    """Return a page that is the same for everyone but its header: rendered once, then kept.

    `key` names the page's content (what it shows besides the header); `render()` makes
    it; `version` (by default the language's catalog revision) tells whether a kept one
    is current. The kept frame has a placeholder where the header goes, filled per request by
    site_header(). A page with flashed messages is rendered afresh (the messages are the
    person's own, once).
    """
    if session.get("_flashes"):
        return render()
    name, revision = i18n.rendering_state()
    revision = revision if version is None else version
    full_key = (key, name, bool(current_user and current_user.is_authenticated))
    frames = current_app.extensions["workshops.frames"]
    kept = frames.get(full_key)
    if kept is None or kept[0] != revision:
        g.keeping_frame = True
        try:
            frame = render()
        finally:
            g.keeping_frame = False
        frames.put(full_key, kept := (revision, frame))
    return kept[1].replace(_HEADER, site_header(), 1)


def init_app(app):
    """Let every template call site_header(), with the app's own kept headers and frames."""
    app.extensions["workshops.headers"] = RenderCache(size=HEADERS_KEPT)
    app.extensions["workshops.frames"] = RenderCache(size=FRAMES_KEPT)
    app.extensions["workshops.csrf_tokens"] = RenderCache(size=HEADERS_KEPT * 4)
    app.jinja_env.globals["site_header"] = site_header
