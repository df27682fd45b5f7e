"""Translation memory over both catalogs: exact and close matches, concordance, propagation.

The 12 modules and the interface repeat titles, instructions and phrases; what
one volunteer translated anywhere is offered wherever the same or a similar
Spanish text appears. Sources are indexed once per process (word -> entries),
rebuilt only when the catalogs' source texts change; the translations of the
few candidates are read fresh on every lookup, so a save shows at once.
"""

import difflib
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..catalog.models import CatalogEntry, Suggestion, Translation, fold
from ..core.models import AppState
from ..extensions import db

USABLE = ("translated", "approved", "fuzzy")
CLOSE_MINIMUM = 0.6  # similarity (0..1) of the sources below which a match is not offered
CANDIDATES = 25  # entries scored by difflib after the word-overlap prefilter
CLOSE_SHOWN = 5
CONCORDANCE_LIMIT = 100
WORD = re.compile(r"\w+")


@dataclass
class Match:
    entry: CatalogEntry
    translation: Translation
    similarity: float  # 1.0: the same source text
    source_html: Markup  # the match's source, the words that differ from this entry's marked

    @property
    def exact(self):
        return self.similarity >= 1.0


class SourceIndex:
    """The source texts of every live entry of both catalogs, by folded word and by exact text."""

    def __init__(self, rows):
        self.texts = {}  # entry id -> msgid
        self.by_text = {}  # msgid -> [entry ids]
        self.by_word = {}  # folded word -> set of entry ids
        self.words = {}  # entry id -> set of folded words
        for entry_id, msgid in rows:
            self.texts[entry_id] = msgid
            self.by_text.setdefault(msgid, []).append(entry_id)
            words = set(WORD.findall(fold(msgid)))
            self.words[entry_id] = words
            for word in words:
                self.by_word.setdefault(word, set()).add(entry_id)
        total = max(1, len(self.texts))
        self.common = max(50, total // 10)
        # Rare words say more about a sentence than "de" or "la".
        self.weight = {word: math.log(1 + total / len(ids)) for word, ids in self.by_word.items()}

    def candidates(self, text, exclude):
        """Return entry ids sharing the most (weighted) words with text, best first."""
        words = set(WORD.findall(fold(text)))
        scores = Counter()
        for word in words:
            ids = self.by_word.get(word, ())
            if len(ids) > self.common:
                continue  # in one entry of ten or more ("de", "la"): it ranks little and costs much
            for entry_id in ids:
                scores[entry_id] += self.weight[word]
        scores.pop(exclude, None)
        return [entry_id for entry_id, _score in scores.most_common(CANDIDATES)]


_indexes: dict[tuple, SourceIndex] = {}
_lock = threading.Lock()


def _source_signature():
    """Return what changes whenever a source text does: entry count, highest id, template digests."""
    count, highest = db.session.execute(
        select(func.count(), func.max(CatalogEntry.id)).where(CatalogEntry.obsolete.is_(False))
    ).one()
    digests = db.session.scalars(
        select(AppState.value).where(AppState.key.startswith("template_hash:")).order_by(AppState.key)
    ).all()
    return (current_app.config["SQLALCHEMY_DATABASE_URI"], count, highest, tuple(digests))


def source_index():
    """Return the process's index of source texts, rebuilt when they changed."""
    signature = _source_signature()
    index = _indexes.get(signature)
    if index is None:
        rows = db.session.execute(
            select(CatalogEntry.id, CatalogEntry.msgid).where(CatalogEntry.obsolete.is_(False))
        ).all()
        index = SourceIndex(rows)
        with _lock:
            _indexes.clear()  # one index per process: the old one is stale
            _indexes[signature] = index
    return index


def matches(entry, language_code, index=None):
    """Return the memory's matches for an entry: exact ones first, then close ones by similarity."""
    index = index or source_index()
    exact_ids = [entry_id for entry_id in index.by_text.get(entry.msgid, []) if entry_id != entry.id]
    close_ids = [
        entry_id for entry_id in index.candidates(entry.msgid, entry.id) if entry_id not in exact_ids
    ]
    rows = _translated(language_code, exact_ids + close_ids)
    found, seen_texts = [], set()
    for entry_id in exact_ids:
        if entry_id in rows:
            other, translation = rows[entry_id]
            found.append(Match(other, translation, 1.0, escape(other.msgid)))
    # Rank by shared words (cheap), compare the best few word by word, mark the differences
    # (difflib over words and the signs between them) only in those shown.
    words = index.words.get(entry.id) or set(WORD.findall(fold(entry.msgid)))
    scored = [
        (_dice(words, index.words.get(entry_id, set())), entry_id)
        for entry_id in close_ids
        if entry_id in rows
    ]
    ranked = [entry_id for score, entry_id in sorted(scored, reverse=True)[: CLOSE_SHOWN * 2] if score >= 0.4]
    by_words = difflib.SequenceMatcher(autojunk=False)
    by_words.set_seq2(WORD.findall(fold(entry.msgid)))
    close = []
    for entry_id in ranked:
        by_words.set_seq1(WORD.findall(fold(rows[entry_id][0].msgid)))
        similarity = by_words.ratio()
        if similarity >= CLOSE_MINIMUM:
            close.append((min(similarity, 0.99), entry_id))
    close.sort(reverse=True)
    marker = difflib.SequenceMatcher(autojunk=False)
    marker.set_seq2(_tokens(entry.msgid))
    close_matches = []
    for similarity, entry_id in close[:CLOSE_SHOWN]:
        other, translation = rows[entry_id]
        marker.set_seq1(_tokens(other.msgid))
        close_matches.append(Match(other, translation, similarity, _marked(marker)))
    result = []
    for match in found + close_matches:
        key = tuple(match.translation.forms)
        if key not in seen_texts:  # the same translation from several entries: offer it once
            seen_texts.add(key)
            result.append(match)
    return result[: len(found) + CLOSE_SHOWN]


def _dice(first, second):
    """Return the share of words two texts have in common (0..1)."""
    return 2 * len(first & second) / (len(first) + len(second)) if first or second else 0.0


def _tokens(text):
    """Split a text into words and the spaces and signs between them, so a diff keeps both."""
    return re.findall(r"\w+|\W+", text)


def _marked(matcher):
    """Return the match's source (seq1) as HTML, with what differs from this entry's source marked."""
    tokens = matcher.a
    html = Markup("")
    for tag, start, end, _other_start, _other_end in matcher.get_opcodes():
        piece = escape("".join(tokens[start:end]))
        html += piece if tag == "equal" else Markup("<mark>") + piece + Markup("</mark>")
    return html


def _translated(language_code, entry_ids):
    """Return {entry id: (entry, translation)} of those entries translated in the language."""
    if not entry_ids:
        return {}
    rows = db.session.execute(
        select(CatalogEntry, Translation)
        .join(Translation, Translation.entry_id == CatalogEntry.id)
        .where(
            CatalogEntry.id.in_(entry_ids),
            Translation.language == language_code,
            Translation.state.in_(USABLE),
        )
        .options(selectinload(Translation.author))
    ).all()
    return {entry.id: (entry, translation) for entry, translation in rows}


def concordance(language_code, text, limit=CONCORDANCE_LIMIT):
    """Return (rows of (entry, translation or None), total) whose source or translation contains text."""
    needle = fold(text.strip())
    if not needle:
        return [], 0
    translation = Translation.__table__.alias("t")
    query = (
        select(CatalogEntry.id)
        .outerjoin(
            translation,
            (translation.c.entry_id == CatalogEntry.id) & (translation.c.language == language_code),
        )
        .where(
            CatalogEntry.obsolete.is_(False),
            CatalogEntry.search_text.contains(needle, autoescape=True)
            | translation.c.search_text.contains(needle, autoescape=True),
        )
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    ids = db.session.scalars(query.order_by(CatalogEntry.domain, CatalogEntry.position).limit(limit)).all()
    entries = db.session.scalars(
        select(CatalogEntry).where(CatalogEntry.id.in_(ids)).options(selectinload(CatalogEntry.translations))
    ).all()
    by_id = {entry.id: entry for entry in entries}
    rows = []
    for entry_id in ids:
        entry = by_id[entry_id]
        rows.append((entry, next((t for t in entry.translations if t.language == language_code), None)))
    return rows, total


def propagate(entry, language_code, forms, user):
    """Suggest forms to every other live entry with the same source not already translated so.

    Returns how many suggestions were made. Suggestions, not saves: a reviewer
    decides each, since the same Spanish words may need other words elsewhere.
    """
    others = db.session.scalars(
        select(CatalogEntry)
        .where(
            CatalogEntry.msgid == entry.msgid,
            CatalogEntry.id != entry.id,
            CatalogEntry.obsolete.is_(False),
            func.coalesce(CatalogEntry.msgid_plural, "") == (entry.msgid_plural or ""),
        )
        .options(selectinload(CatalogEntry.translations))
    ).all()
    made = 0
    for other in others:
        current = next((t for t in other.translations if t.language == language_code), None)
        if current is not None and current.forms == list(forms) and current.state != "untranslated":
            continue
        pending = db.session.scalars(
            select(Suggestion.forms).where(
                Suggestion.entry_id == other.id,
                Suggestion.language == language_code,
                Suggestion.state == "pending",
            )
        ).all()
        if list(forms) in pending:  # JSON has no equality in PostgreSQL: compare here
            continue
        db.session.add(
            Suggestion(
                entry_id=other.id,
                language=language_code,
                forms=list(forms),
                base_revision=current.revision if current else 0,
                author_id=user.id if user else None,
            )
        )
        made += 1
    db.session.flush()
    return made
