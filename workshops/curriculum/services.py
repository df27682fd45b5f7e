"""Load the parsed curriculum into the database and read it back for pages."""

import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..catalog.recordings import Recording, source_hash
from ..catalog.runtime import catalog_revisions, get_translations
from ..catalog.store import bump_revision
from ..core.models import AppState
from ..extensions import db
from ..languages import SOURCE_LANGUAGE, Language
from . import source
from .models import KeyTerm, Module, ModulePractice, Section, Segment
from .recordable import load_texts, module_texts
from .source import curriculum_hash, load_curriculum

STATE_KEY = "curriculum_hash"


def _fill_module(row: Module, parsed: source.Module) -> None:
    """Replace the sections, segments and key terms of a module row."""
    row.number = parsed.number
    row.area = parsed.area
    row.title = parsed.title.text
    row.summary = parsed.summary.text
    row.duration_minutes = parsed.duration_minutes
    row.source_file = parsed.path.name
    row.content_hash = parsed.content_hash
    row.sections.clear()
    row.segments.clear()
    row.key_terms.clear()
    row.practices.clear()
    db.session.flush()
    row.practices.extend(ModulePractice(practice=practice) for practice in parsed.practices)
    position = 0
    for role_segments in (parsed.objectives, parsed.materials):
        for seg in role_segments:
            position += 1
            row.segments.append(
                Segment(uid=seg.uid, role=seg.role, position=position, text=seg.text, source_line=seg.line)
            )
    for section_position, parsed_section in enumerate(parsed.sections, start=1):
        section = Section(
            position=section_position,
            key=parsed_section.key,
            kind=parsed_section.kind,
            title=parsed_section.title.text,
            minutes=parsed_section.minutes,
            needs_community_input=parsed_section.needs_community_input,
        )
        row.sections.append(section)
        for seg in parsed_section.texts:
            position += 1
            row.segments.append(
                Segment(
                    uid=seg.uid,
                    role=seg.role,
                    position=position,
                    text=seg.text,
                    source_line=seg.line,
                    section=section,
                )
            )
    for term_position, term in enumerate(parsed.key_terms, start=1):
        row.key_terms.append(
            KeyTerm(
                key=term.key, position=term_position, term=term.term.text, definition=term.definition.text
            )
        )


def sync_curriculum(modules: Sequence[source.Module]) -> int:
    """Make the database match the parsed modules; return how many rows changed.

    Modules are matched by slug, so a module keeps its database id (and
    everything that refers to it) when its text changes.
    """
    existing = {
        row.slug: row
        for row in db.session.scalars(
            select(Module).options(
                selectinload(Module.sections),
                selectinload(Module.segments),
                selectinload(Module.key_terms),
                selectinload(Module.practices),
            )
        )
    }
    changed = 0
    wanted = {parsed.slug for parsed in modules}
    for slug, gone in existing.items():
        if slug not in wanted:
            db.session.delete(gone)
            changed += 1
    db.session.flush()
    for parsed in modules:
        row = existing.get(parsed.slug)
        if row is not None and row.content_hash == parsed.content_hash and row.number == parsed.number:
            continue
        if row is None:
            row = Module(slug=parsed.slug)
            db.session.add(row)
        _fill_module(row, parsed)
        changed += 1
    db.session.flush()
    if changed:
        bump_revision(SOURCE_LANGUAGE)  # every process's kept module versions are read again
    return changed


def ensure_curriculum_loaded(directory: str | os.PathLike[str] | None = None) -> int:
    """Load the curriculum when the source files differ from what is stored."""
    modules = load_curriculum(directory)
    digest = curriculum_hash(modules)
    state = db.session.get(AppState, STATE_KEY)
    if state is not None and state.value == digest:
        return 0
    changed = sync_curriculum(modules)
    if state is None:
        db.session.add(AppState(key=STATE_KEY, value=digest))
    else:
        state.value = digest
    return changed


def modules_by_area() -> list[tuple[str, list[Module]]]:
    """Return [(area, [modules])] in curriculum order."""
    grouped: dict[str, list[Module]] = {}
    for module in db.session.scalars(select(Module).order_by(Module.number)):
        grouped.setdefault(module.area, []).append(module)
    return list(grouped.items())


def module_version(slug: str) -> str | None:
    """Return the content hash of a module's source, or None if there is no such module.

    Asked on every module page, so the hashes are kept per app and read again only
    when the Spanish catalog's revision moves, which sync_curriculum does with every
    change (the revisions are read once per request anyway).
    """
    revision = catalog_revisions().get(SOURCE_LANGUAGE, 0)
    kept = current_app.extensions.get("workshops.module_versions")
    if kept is None or kept[0] != revision:
        rows = db.session.execute(select(Module.slug, Module.content_hash))
        kept = (revision, {row_slug: content_hash for row_slug, content_hash in rows})
        current_app.extensions["workshops.module_versions"] = kept
    version: str | None = kept[1].get(slug)
    return version


def get_module(slug: str) -> Module | None:
    """Return a module with its sections, segments and key terms loaded, or None.

    The segments are read once, as the module's, and handed to their sections
    (a second eager load through Section.segments would read and build every
    one of them again: bench/throughput.py).
    """
    module = db.session.scalar(
        select(Module)
        .where(Module.slug == slug)
        .options(
            selectinload(Module.sections),
            selectinload(Module.segments),
            selectinload(Module.key_terms),
        )
    )
    if module is not None:
        by_section: dict[int, list[Segment]] = {section.id: [] for section in module.sections}
        for segment in module.segments:  # in position order, as Section.segments is
            if segment.section_id is not None:
                by_section[segment.section_id].append(segment)
        for section in module.sections:
            set_committed_value(section, "segments", by_section[section.id])
    return module


def module_titles() -> dict[str, tuple[int, str]]:
    """Return {slug: (number, Spanish title)} of every module, in order, in one query (for filters)."""
    rows = db.session.execute(select(Module.slug, Module.number, Module.title).order_by(Module.number))
    return {slug: (number, title) for slug, number, title in rows}


def all_key_terms() -> Sequence[KeyTerm]:
    """Return every key term with its module, ordered by module then position."""
    return db.session.scalars(
        select(KeyTerm)
        .join(KeyTerm.module)
        .options(selectinload(KeyTerm.module))
        .order_by(Module.number, KeyTerm.position)
    ).all()


def module_recordings(slug: str) -> Sequence[Row[int, str, str, str]]:
    """Return (id, context, language, source hash) of the approved current takes of a module, in one query.

    Cheap enough for every request: the page's cache is keyed on the ids.
    """
    return db.session.execute(
        select(Recording.id, Recording.context, Recording.language, Recording.source_hash)
        .where(Recording.module_slug == slug, Recording.state == "approved", Recording.is_current)
        .order_by(Recording.context, Recording.language)
    ).all()


class Playable(NamedTuple):
    """An approved take the module page plays, with its size in bytes."""

    id: int
    context: str
    language: str
    size: int


def playable_recordings(modules: Sequence[Module]) -> dict[str, list[Playable]]:
    """Return, by module slug, the takes the module pages play: approved, current, of today's text.

    In at most four queries whatever the number of modules (the field page lists a pack's modules):
    the takes, then the modules' texts (recordable.load_texts) when there are takes.
    """
    found: dict[str, list[Playable]] = {module.slug: [] for module in modules}
    if not found:
        return found
    rows = db.session.execute(
        select(
            Recording.id,
            Recording.context,
            Recording.language,
            Recording.size,
            Recording.source_hash,
            Recording.module_slug,
        )
        .where(Recording.module_slug.in_(found), Recording.state == "approved", Recording.is_current)
        .order_by(Recording.module_slug, Recording.context, Recording.language)
    ).all()
    if not rows:
        return found
    load_texts(modules)
    texts = {uid: text for module in modules for uid, text in module_texts(module).items()}
    for row in rows:
        text = texts.get(row.context)
        if text is not None and source_hash(text) == row.source_hash:
            found[row.module_slug].append(Playable(row.id, row.context, row.language, row.size))
    return found


def written_texts(
    module: Module, contexts: Iterable[str], languages: Iterable[Language]
) -> dict[str, dict[str, str]]:
    """Return the written text of each context in each language that has it, for the play mode's subtitles.

    Spanish is the source; another language's text is its translation, left out while untranslated.
    """
    texts = module_texts(module)
    found: dict[str, dict[str, str]] = {}
    for context in contexts:
        found[context] = {SOURCE_LANGUAGE: texts[context]}
    if not found:
        return found  # no recordings: no other language's catalog to read
    for language in languages:
        if language.is_source:
            continue
        translations = get_translations("curriculum", language)
        for context, shown in found.items():
            translated = translations.upgettext(context, texts[context])
            if translated != texts[context]:
                shown[language.code] = translated
    return found


def heard_by_context(
    takes: Sequence[Row[int, str, str, str]], module: Module, first_language: str
) -> dict[str, list[Row[int, str, str, str]]]:
    """Group a module's approved takes by text, the page's language first; drop takes of changed texts."""
    texts = module_texts(module)
    heard: dict[str, list[Row[int, str, str, str]]] = {}
    for take in sorted(takes, key=lambda take: (take.language != first_language, take.language)):
        text = texts.get(take.context)
        if text is not None and source_hash(text) == take.source_hash:
            heard.setdefault(take.context, []).append(take)
    return heard


def play_strings() -> dict[str, str]:
    """The words of the play mode (static/js/play.js has no catalog of its own)."""
    return {
        "play_section": _("Reproducir la sección"),
        "play_module": _("Reproducir el módulo"),
        "language": _("Idioma de las grabaciones"),
        "player": _("Reproducción"),
        "pause": _("Pausa"),
        "resume": _("Continuar"),
        "previous": _("Anterior"),
        "next": _("Siguiente"),
        "stop": _("Detener"),
        "position": _("%(number)s de %(total)s"),
        "failed": _("No se pudo reproducir esta grabación; sigue la próxima."),
    }
