"""Recordings: save a take, review it, say who may hear it, mark takes whose text changed.

The rules live here, shared by the web pages and (later) the field packs and
the offline recorder: views only parse the request and answer.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update

from ..catalog import store
from ..catalog.recordings import Recording, RecordingAudio, source_hash
from ..curriculum.models import Module
from ..curriculum.recordable import texts_by_module
from ..extensions import db, utcnow
from .media import Normalised

RECORDERS = ("translator", "reviewer", "admin")
REVIEWERS = ("reviewer", "admin")
# Takes whose text may still be current: a rejected one stays rejected whatever its text does.
LIVE_STATES = ("recorded", "approved")


class ReviewRefused(Exception):
    """A review cannot be applied; the message is a code: "not_current", "no_reason", "stale"."""


@dataclass(frozen=True)
class SourceText:
    """The Spanish text a recording reads (or translates aloud), and the module it belongs to."""

    context: str
    module_slug: str
    text: str

    @property
    def hash(self) -> str:
        return source_hash(self.text)


def source_of(context: str) -> SourceText | None:
    """Return the Spanish source of a recordable curriculum text by its stable id (curriculum.recordable)."""
    slug = context.split(".", 1)[0]  # every stable id starts with its module's slug
    text = texts_by_module([slug]).get(slug, {}).get(context)
    return SourceText(context, slug, text) if text is not None else None


def written_text(source: SourceText, language: str) -> str | None:
    """Return the written translation of the text in a language, if there is one, to read beside the take."""
    entry = store.find_entry("curriculum", source.context, source.text)
    translation = store.translation_for(entry, language) if entry is not None else None
    if translation is None or translation.state == "untranslated" or not translation.forms:
        return None
    return str(translation.forms[0]) or None


def takes(context: str, language: str) -> Sequence[Recording]:
    """Return every take of a text in a language, the newest (the current one) first."""
    return db.session.scalars(
        select(Recording)
        .where(Recording.context == context, Recording.language == language)
        .order_by(Recording.take.desc())
    ).all()


def save_take(source: SourceText, language: str, audio: Normalised, user_id: int | None) -> Recording:
    """Store a new take as the current one; the previous takes stay as its history."""
    last = db.session.scalar(
        select(func.max(Recording.take)).where(
            Recording.context == source.context, Recording.language == language
        )
    )
    db.session.execute(
        update(Recording)
        .where(Recording.context == source.context, Recording.language == language, Recording.is_current)
        .values(is_current=False)
    )
    take = Recording(
        context=source.context,
        module_slug=source.module_slug,
        language=language,
        take=(last or 0) + 1,
        is_current=True,
        state="recorded",
        source_hash=source.hash,
        duration_ms=audio.duration_ms,
        size=len(audio.data),
        sha256=hashlib.sha256(audio.data).hexdigest(),
        silent=audio.silent,
        author_id=user_id,
        reason="",
    )
    db.session.add(take)
    db.session.flush()
    db.session.add(RecordingAudio(recording_id=take.id, data=audio.data))
    store.bump_revision(language)  # pages that play recordings are kept per catalog revision
    return take


def review(take: Recording, reviewer_id: int | None, approve: bool, reason: str = "") -> None:
    """Approve or reject (with a reason) the current take of a text.

    Raises ReviewRefused for an older take, a rejection without a reason, or
    an approval of a take whose Spanish text has changed since it was recorded
    (that take is marked as needing re-recording instead).
    """
    if not take.is_current:
        raise ReviewRefused("not_current")
    reason = reason.strip()
    if not approve and not reason:
        raise ReviewRefused("no_reason")
    source = source_of(take.context)
    store.bump_revision(take.language)  # pages that play recordings are kept per catalog revision
    if approve and (source is None or source.hash != take.source_hash):
        take.state = "needs_rerecording"
        raise ReviewRefused("stale")
    take.state = "approved" if approve else "rejected"
    take.reason = "" if approve else reason
    take.reviewed_by_id = reviewer_id
    take.reviewed_at = utcnow()


def _current_texts() -> dict[str, str]:
    """Return {stable id: Spanish text} of every recordable text, in four queries."""
    return {uid: text for texts in texts_by_module().values() for uid, text in texts.items()}


def mark_stale() -> int:
    """Mark current takes whose Spanish text changed (or is gone) as needing re-recording; return how many."""
    current = db.session.scalars(
        select(Recording).where(Recording.is_current, Recording.state.in_(LIVE_STATES))
    ).all()
    if not current:
        return 0
    texts = _current_texts()
    with store.one_revision():
        return _mark_changed(current, texts)


def _mark_changed(current: Sequence[Recording], texts: dict[str, str]) -> int:
    """Mark the takes whose text is gone or changed; return how many."""
    changed = 0
    for take in current:
        text = texts.get(take.context)
        if text is None or source_hash(text) != take.source_hash:
            take.state = "needs_rerecording"
            store.bump_revision(take.language)  # once per language (a batch of one revision)
            changed += 1
    return changed


QUEUE_PAGE_SIZE = 20
QUEUE_STATES = ("recorded", "needs_rerecording", "rejected", "approved")


@dataclass(frozen=True)
class QueuePage:
    """One page of current takes in a state, with the Spanish text each reads."""

    takes: Sequence[Recording]
    texts: dict[str, str]
    page: int
    pages: int
    total: int


def queue(language: str, state: str, module_slug: str | None, page: int) -> QueuePage:
    """Return a page of the current takes of a language in a state, in document order, optionally of one module.

    In a fixed number of queries, reading the texts of the modules on the page only:
    they give the takes their order (curriculum.recordable) and the page their texts.
    """
    chosen = [Recording.is_current, Recording.language == language, Recording.state == state]
    if module_slug:
        chosen.append(Recording.module_slug == module_slug)
    counts = db.session.execute(  # a take of a module gone from the curriculum is counted, not listed
        select(Recording.module_slug, Module.number, func.count())
        .outerjoin(Module, Module.slug == Recording.module_slug)
        .where(*chosen)
        .group_by(Recording.module_slug, Module.number)
    ).all()
    total = sum(count for _slug, _number, count in counts)
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = sorted((number, slug, count) for slug, number, count in counts if number is not None)
    slugs, skipped = _modules_on_page(shown, (page - 1) * QUEUE_PAGE_SIZE)
    texts = texts_by_module(slugs) if slugs else {}
    takes = _in_document_order(chosen, texts, skipped)
    return QueuePage(
        takes,
        {take.context: texts[take.module_slug].get(take.context, "") for take in takes},
        page,
        pages,
        total,
    )


def _modules_on_page(shown: list[tuple[int, str, int]], offset: int) -> tuple[list[str], int]:
    """Return the slugs of the modules (number, slug, takes) on the page at offset, and their takes before it."""
    slugs: list[str] = []
    skipped = start = 0
    for _number, slug, count in shown:
        if start + count > offset and start < offset + QUEUE_PAGE_SIZE:
            skipped = skipped if slugs else offset - start
            slugs.append(slug)
        start += count
    return slugs, skipped


def _in_document_order(chosen: list, texts: dict[str, dict[str, str]], skipped: int) -> list[Recording]:
    """Return a page of the chosen takes of these modules, by module then by their texts' place in it.

    A take whose text is gone from its module comes after the others of the module.
    """
    if not texts:
        return []
    order = {slug: {uid: place for place, uid in enumerate(module)} for slug, module in texts.items()}
    modules = {slug: place for place, slug in enumerate(texts)}  # texts_by_module keeps the module order
    rows = db.session.execute(
        select(Recording.id, Recording.module_slug, Recording.context).where(
            *chosen, Recording.module_slug.in_(modules)
        )
    ).all()
    rows = sorted(
        rows,
        key=lambda row: (
            modules[row.module_slug],
            order[row.module_slug].get(row.context, len(order[row.module_slug])),
            row.context,
        ),
    )
    ids = [row.id for row in rows[skipped : skipped + QUEUE_PAGE_SIZE]]
    found = {take.id: take for take in db.session.scalars(select(Recording).where(Recording.id.in_(ids)))}
    return [found[take_id] for take_id in ids]


def can_hear(take: Recording, signed_in: bool) -> bool:
    """Tell whether a take may be heard: an approved one by whoever may see the module, others by signed-in users."""
    return take.state == "approved" or signed_in


def audio_of(take: Recording) -> bytes | None:
    """Return the stored Ogg Opus bytes of a take (read only here, when it is played)."""
    return db.session.scalar(select(RecordingAudio.data).where(RecordingAudio.recording_id == take.id))
