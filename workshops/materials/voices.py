"""Spoken recordings in printed materials: who voiced them, and a QR code per section to hear them.

Why a code per section rather than one per page or per document: a facilitator
teaches one section at a time and points at the code beside its heading; the
phone opens just that section's takes (the text in both languages and a player
per take), not a page of a document whose pages fall differently in each paper
size, layout and letter size. A section without an approved take prints no code,
a document without any prints none at all. The code is small (18 mm, beside the
heading) and its address is short (the module's slug and the section's key).

The address is built from the PUBLIC_URL setting, as the attendance sheet's code
is; where it is not set, from the address the document was asked for (a PDF
printed from the office through 127.0.0.1 then points there: set PUBLIC_URL).
That address is part of the PDF's cache key, so a PDF asked for through one host
name is never served with another host's codes.
"""

import functools
from dataclasses import dataclass

import segno
from flask import has_request_context, url_for
from sqlalchemy import func, select

from ..auth.models import User
from ..catalog.recordings import Recording, source_hash
from ..core.urls import public_url
from ..extensions import db

# The printed side of a code, in millimetres; about 0.4 mm a module for a typical address.
QR_MM = 18
LISTEN_ENDPOINT = "voice.listen"


@dataclass(frozen=True)
class Take:
    """An approved current take as a document prints or plays it."""

    id: int
    context: str
    language: str
    voice: str | None  # the author's display name (None: the account is gone)


@dataclass(frozen=True)
class Listen:
    """Where a section's recordings are heard, and the QR code (a PNG data URI) that opens it."""

    url: str
    qr: str


def _approved(slugs: list[str] | None):
    """Return the filter of the approved current takes of some modules (every module: None)."""
    where = [Recording.state == "approved", Recording.is_current]
    if slugs is not None:
        where.append(Recording.module_slug.in_(slugs))
    return where


def approved_takes(slugs: list[str] | None, texts: dict[str, str]) -> dict[str, list[Take]]:
    """Return {text id: [takes]} of the approved current takes of the given texts, in one query.

    `texts` is {text id: current Spanish text}: a take of a text that is not printed,
    or whose text changed since it was recorded, is left out.
    """
    rows = db.session.execute(
        select(Recording.id, Recording.context, Recording.language, Recording.source_hash, User.display_name)
        .outerjoin(User, User.id == Recording.author_id)
        .where(*_approved(slugs))
        .order_by(Recording.context, Recording.language)
    ).all()
    heard: dict[str, list[Take]] = {}
    for take_id, context, language, recorded_hash, voice in rows:
        text = texts.get(context)
        if text is not None and source_hash(text) == recorded_hash:
            heard.setdefault(context, []).append(Take(take_id, context, language, voice))
    return heard


def voices(heard: dict[str, list[Take]]) -> list[str]:
    """Return the display names of who voiced the takes, sorted, each once."""
    names = {take.voice for takes in heard.values() for take in takes if take.voice}
    return sorted(names, key=lambda name: (name.casefold(), name))


def listen_url(slug: str, key: str) -> str | None:
    """Return the absolute address of a section's recordings: PUBLIC_URL, else the request's host; or None."""
    found = public_url(LISTEN_ENDPOINT, slug=slug, key=key)
    if found is None and has_request_context():
        found = url_for(LISTEN_ENDPOINT, slug=slug, key=key, _external=True)
    return found


def listen(slug: str, key: str) -> Listen | None:
    """Return the address and QR code of a section's recordings, or None when there is no address."""
    url = listen_url(slug, key)
    if url is None:
        return None
    return Listen(url, qr_data_uri(url))


@functools.lru_cache(maxsize=1024)
def qr_data_uri(url: str) -> str:
    """Return a QR code of an address as a PNG data URI, one pixel a module (kept: the same codes recur).

    A PNG rather than an SVG: WeasyPrint draws it as one image instead of parsing a path of
    hundreds of strokes, and the print style scales it without smoothing (image-rendering).
    Error correction M (15 %): paper in the field gets folded and smudged.
    """
    return segno.make(url, error="m").png_data_uri(border=2, scale=1)


def recordings_stamp(slugs: list[str] | None) -> str:
    """Sum up the approved current takes of some modules and their voices, in one query, for a cache key."""
    rows = db.session.execute(
        select(User.display_name, func.count(Recording.id), func.sum(Recording.id), func.max(Recording.id))
        .select_from(Recording)
        .outerjoin(User, User.id == Recording.author_id)
        .where(*_approved(slugs))
        .group_by(User.display_name)
        .order_by(User.display_name)
    ).all()
    return ";".join(f"{name}:{count}:{total}:{last}" for name, count, total, last in rows)
