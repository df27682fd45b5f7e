"""What the translator pages show of the spoken recordings: current takes to listen to, and coverage.

A recording may come before any written text (an oral translator records, a
transcriber types while listening), so the editor plays the current take of the
text being edited. The overview counts, per module and language, the recordable
texts (curriculum.recordable: what voice/ records) and their current takes by
state. Each is a fixed number of queries, however many takes there are.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from ..catalog.recordings import RECORDING_STATES, Recording
from ..curriculum.recordable import texts_by_module
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


def coverage(languages: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Return {module slug: {language: counts}}: recordable texts, current takes by state, texts missing an approved take.

    Five queries for the whole curriculum: the recordable texts of every module
    (curriculum.recordable, four), and the current takes grouped by text, language and state.
    """
    module_of = {uid: slug for slug, texts in texts_by_module().items() for uid in texts}
    result = {
        slug: {language: {"recordable": 0, **dict.fromkeys(RECORDING_STATES, 0)} for language in languages}
        for slug in dict.fromkeys(module_of.values())
    }
    for slug in module_of.values():
        for counts in result[slug].values():
            counts["recordable"] += 1
    found = db.session.execute(
        select(Recording.context, Recording.language, Recording.state, func.count())
        .where(Recording.is_current, Recording.language.in_(languages))
        .group_by(Recording.context, Recording.language, Recording.state)
    )
    for context, language, state, count in found:
        if context in module_of:  # a take of a text gone from the curriculum counts nowhere
            result[module_of[context]][language][state] += count
    for by_language in result.values():
        for counts in by_language.values():
            counts["missing"] = counts["recordable"] - counts["approved"]
    return result
