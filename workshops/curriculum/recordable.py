"""The curriculum texts that can be recorded: which, under which stable id, with which Spanish text.

The one home of the rule: the module page, the recordings pages and review
queue, the field packs, the printed materials and the translators' coverage
all ask it, so a text recordable in one place is recordable in all. A text's
stable id is its msgctxt in the curriculum catalog, so a take stays with its text.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from .models import KeyTerm, Module, Section, Segment

PARTS = ("sections", "segments", "key_terms")


def module_texts(module: Module) -> dict[str, str]:
    """Return {stable id: Spanish text} of every recordable text of a module, in document order.

    The module's title and summary, its objectives and materials, each section's
    title then its texts, each key term's term then definition: the order of the
    module file and of the catalog. Read its parts with load_texts first when
    there are several modules (each part is otherwise read on first use).
    """
    slug = module.slug
    texts = {f"{slug}.title": module.title, f"{slug}.summary": module.summary}
    by_section: dict[int | None, list[Segment]] = defaultdict(list)
    for segment in module.segments:  # in position order; not through Section.segments, read once
        by_section[segment.section_id].append(segment)
    texts.update((segment.uid, segment.text) for segment in by_section[None])
    for section in module.sections:
        texts[f"{slug}.{section.key}.title"] = section.title
        texts.update((segment.uid, segment.text) for segment in by_section[section.id])
    for term in module.key_terms:
        texts[f"{slug}.terms.{term.key}.term"] = term.term
        texts[f"{slug}.terms.{term.key}.definition"] = term.definition
    return texts


def load_texts(modules: Sequence[Module]) -> None:
    """Read the sections, segments and key terms of the modules not read yet, in three queries however many."""
    unread = {module.id: module for module in modules if set(PARTS) & inspect(module).unloaded}
    if not unread:
        return
    models: tuple[type[Section] | type[Segment] | type[KeyTerm], ...] = (Section, Segment, KeyTerm)
    for part, model in zip(PARTS, models, strict=True):
        found: dict[int, list] = {module_id: [] for module_id in unread}
        rows = db.session.execute(
            select(model.module_id, model)
            .where(model.module_id.in_(unread))
            .order_by(model.module_id, model.position)
        )
        for module_id, row in rows:
            found[module_id].append(row)
        for module_id, parts in found.items():
            set_committed_value(unread[module_id], part, parts)


def texts_by_module(slugs: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Return {module slug: module_texts} of some modules (by default all), in module order, in four queries."""
    query = select(Module).order_by(Module.number)
    if slugs is not None:
        query = query.where(Module.slug.in_(sorted(set(slugs))))
    modules = db.session.scalars(query).all()
    load_texts(modules)
    return {module.slug: module_texts(module) for module in modules}
