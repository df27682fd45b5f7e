"""What a document prints, summed up without building it: the key of its cached PDF and its date.

A document's key is made of what changes its pages and nothing else: the options,
the content hash of each of its modules, the latest catalog revision that touched
a translation of those modules (and of the interface labels it prints), the
approved recordings of those modules with their voices (the cover credits them,
a section with some prints a QR code, whose address counts too), and the
template version. A save outside its modules, or a new day, leaves the key alone,
so the cache keeps serving the file; four small queries, no rendering.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from ..catalog.models import CatalogEntry, Translation
from ..curriculum.models import Module
from ..extensions import db
from ..languages import SOURCE_LANGUAGE
from .voices import listen_url, recordings_stamp


@dataclass(frozen=True)
class Stamp:
    """The identity of a document's content: cache key, catalog revision, content date, modules."""

    key: str
    revision: int  # the latest catalog revision that changed a translation the document prints
    changed: date | None  # the day of that change (None: nothing translated yet)
    modules: tuple[tuple[int, str], ...]  # (number, slug) of the modules, in order


def _translations_seen(domain: str, language: str, slugs: list[str] | None) -> tuple[int, int, Any]:
    """Return (count, latest revision, latest change time) of a language's translations in a domain."""
    query = (
        select(
            func.count(Translation.id),
            func.max(Translation.changed_at_revision),
            func.max(Translation.updated_at),
        )
        .join(Translation.entry)
        .where(CatalogEntry.domain == domain, Translation.language == language)
    )
    if slugs is not None:
        query = query.where(or_(*(CatalogEntry.context.startswith(f"{slug}.") for slug in slugs)))
    count, revision, changed = db.session.execute(query).one()
    return count or 0, revision or 0, changed


def document_stamp(options: Any, version: str) -> Stamp:
    """Return the stamp of a document's content; raise LookupError when it has no module."""
    query = select(Module.number, Module.slug, Module.content_hash).order_by(Module.number)
    if options.document in ("handout", "guide"):
        query = query.where(Module.slug == options.module)
    modules = db.session.execute(query).all()
    if not modules:
        raise LookupError(options.module)
    slugs = [slug for _number, slug, _hash in modules] if len(modules) == 1 else None
    parts = [repr(options), version, *(f"{slug}:{digest}" for _n, slug, digest in modules)]
    revision, changed = 0, None
    if options.target:
        count, revision, when = _translations_seen("curriculum", options.target, slugs)
        parts.append(f"curriculum:{count}:{revision}")
        changed = when.date() if isinstance(when, datetime) else None
    if options.first != SOURCE_LANGUAGE:  # the labels print in the first language
        count, labels, _when = _translations_seen("messages", options.first, None)
        parts.append(f"messages:{count}:{labels}")
    if recordings := recordings_stamp(slugs):
        parts.append(f"recordings:{recordings}")
        if options.document in ("handout", "guide"):  # their QR codes hold the site's address
            parts.append(f"listen:{listen_url('-', '-')}")
    key = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return Stamp(key, revision, changed, tuple((number, slug) for number, slug, _h in modules))
