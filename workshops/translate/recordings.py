"""What the translator pages show of the spoken recordings: current takes to listen to, and coverage.

A recording may come before any written text (an oral translator records, a
transcriber types while listening), so the editor plays the current take of the
text being edited. The overview counts, per module and language, the recordable
texts (segments, each key term's term and definition, module titles and summaries and section
titles: what voice/ records)
and their current takes by state. Each is a fixed number of queries, however
many takes there are.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, func, literal, select, union_all

from ..catalog.recordings import RECORDING_STATES, Recording
from ..curriculum.models import KeyTerm, Module, Section, Segment
from ..extensions import db


def current_takes(contexts: Iterable[str], languages: Sequence[str]) -> dict[str, list[Recording]]:
    """Return {text: its current takes in these languages, in their order}, in one query."""
    wanted = sorted(set(contexts))  # queried even when empty: a page runs as many queries whatever it lists
    rows = db.session.scalars(
        select(Recording).where(
            Recording.is_current, Recording.context.in_(wanted), Recording.language.in_(languages)
        )
    ).all()
    found: dict[str, list[Recording]] = {}
    for take in sorted(rows, key=lambda take: languages.index(take.language)):
        found.setdefault(take.context, []).append(take)
    return found


def recordable_texts():
    """Return a subquery of (slug, context) of every text that can be recorded."""
    segments = select(Module.slug.label("slug"), Segment.uid.label("context")).join(Segment.module)
    terms = [
        select(Module.slug, Module.slug + literal(".terms.") + KeyTerm.key + literal("." + part)).join(
            KeyTerm.module
        )
        for part in ("term", "definition")
    ]
    module_texts = [select(Module.slug, Module.slug + literal("." + part)) for part in ("title", "summary")]
    section_titles = select(Module.slug, Module.slug + literal(".") + Section.key + literal(".title")).join(
        Section.module
    )
    return union_all(segments, *terms, *module_texts, section_titles).subquery("recordable")


def coverage(languages: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Return {module slug: {language: counts}}: recordable texts, current takes by state, texts missing an approved take.

    Two queries for the whole curriculum: the recordable texts per module, and
    the current takes of those texts grouped by module, language and state.
    """
    texts = recordable_texts()
    totals: dict[str, int] = {
        slug: total
        for slug, total in db.session.execute(select(texts.c.slug, func.count()).group_by(texts.c.slug))
    }
    found = db.session.execute(
        select(texts.c.slug, Recording.language, Recording.state, func.count())
        .select_from(texts)
        .join(Recording, and_(Recording.context == texts.c.context, Recording.is_current))
        .where(Recording.language.in_(languages))
        .group_by(texts.c.slug, Recording.language, Recording.state)
    )
    result = {
        slug: {
            language: {"recordable": total, **dict.fromkeys(RECORDING_STATES, 0)} for language in languages
        }
        for slug, total in totals.items()
    }
    for slug, language, state, count in found:
        result[slug][language][state] = count
    for by_language in result.values():
        for counts in by_language.values():
            counts["missing"] = counts["recordable"] - counts["approved"]
    return result
