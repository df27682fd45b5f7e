"""Read and validate the curriculum source files (one YAML file per module).

The format is documented in README.md ("Editing the curriculum"). Every text
of a module becomes a *segment* with a stable id built from the module slug,
the section id and the key the author wrote in front of the text, so that the
id survives reordering and edits and can serve as the translation context.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from .reader import KEY_RE, CurriculumError, Reader, compose
from .texts import KeyTerm, Module, Section, Segment

MODULES_DIR = Path(__file__).parent / "modules"

AREAS = ("agronomy", "organization", "finance")
# Practice types for donor reports (Feed the Future EG.3.2-24 style); a module may teach several.
PRACTICES = (
    "cultural_practices",
    "pest_disease",
    "soil_fertility_conservation",
    "water_management",
    "ecosystem_management",
    "post_harvest",
    "organizational",
    "financial",
)
SECTION_KINDS = (
    "key_messages",
    "explanation",
    "activity",
    "discussion",
    "facilitator_note",
    "evaluation",
)
# The lists a section may hold, in the order they are shown.
SECTION_LISTS = ("paragraphs", "items", "steps", "questions")
RESERVED_SECTION_IDS = {"title", "summary", "objectives", "materials", "terms"}
MIN_SECTIONS = 8
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _keyed_texts(reader, node, uid_prefix, role, where, seen):
    """Return the segments of a mapping of key: text; a key may appear once in seen (one part)."""
    segments = []
    for key_node, value_node in reader.mapping(node, where).values():
        key = reader.key(key_node, f"{where}: key")
        if key in seen:
            reader.fail(key_node, f"{where}: the key '{key}' is used twice in this part")
        seen.add(key)
        text = reader.text(value_node, f"{where} '{key}'")
        segments.append(Segment(f"{uid_prefix}.{key}", role, text, value_node.start_mark.line + 1, where))
    return segments


MODULE_FIELDS = {
    "number",
    "slug",
    "area",
    "practices",
    "title",
    "duration_minutes",
    "summary",
    "objectives",
    "materials",
    "sections",
    "key_terms",
}
SECTION_FIELDS = {"id", "kind", "title", "minutes", "to_complete_with_community", *SECTION_LISTS}
LIST_ROLES = {"paragraphs": "paragraph", "items": "item", "steps": "step", "questions": "question"}


def parse_module(path: str | Path) -> Module:
    """Parse one module file into a Module, or raise CurriculumError."""
    path = Path(path)
    raw = path.read_bytes()
    root = compose(path, raw)
    reader = Reader(path)
    fields = reader.mapping(root, "the module")
    reader.reject_unknown(fields, MODULE_FIELDS, "the module")
    get = lambda name: reader.require(fields, name, root, "the module")  # noqa: E731

    # Checked in this order so that a file with several problems reports the same one first.
    number = reader.integer(get("number"), "number", 1, 12)
    slug = _slug(reader, get("slug"))
    area = _area(reader, get("area"))
    duration = reader.integer(get("duration_minutes"), "duration_minutes", 30, 960)
    practices = _practices(reader, get("practices"))
    module_where = f"módulo {number}"
    title = _single_text(reader, get("title"), slug, "title", "title", module_where)
    summary = _single_text(reader, get("summary"), slug, "summary", "summary", module_where)
    objectives = _keyed_texts(
        reader, get("objectives"), f"{slug}.objectives", "objective", f"{module_where}, objetivos", set()
    )
    materials = _keyed_texts(
        reader, get("materials"), f"{slug}.materials", "material", f"{module_where}, materiales", set()
    )
    if not objectives:
        reader.fail(get("objectives"), "objectives: at least one is needed")
    return Module(
        number=number,
        slug=slug,
        area=area,
        duration_minutes=duration,
        practices=practices,
        title=title,
        summary=summary,
        objectives=objectives,
        materials=materials,
        sections=_sections(reader, get("sections"), slug, module_where),
        key_terms=_key_terms(reader, get("key_terms"), slug, module_where),
        path=path,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )


def _slug(reader: Reader, node: yaml.Node) -> str:
    """Return the module's slug: lowercase words joined by hyphens, at most 60 characters."""
    slug = reader.text(node, "slug")
    if not SLUG_RE.match(slug) or len(slug) > 60:
        reader.fail(node, "slug must be lowercase words joined by hyphens")
    return slug


def _area(reader: Reader, node: yaml.Node) -> str:
    """Return the module's area, one of AREAS."""
    area = reader.text(node, "area")
    if area not in AREAS:
        reader.fail(node, f"area must be one of {', '.join(AREAS)}")
    return area


def _practices(reader: Reader, node: yaml.Node) -> list[str]:
    """Return the module's practices: at least one, each of PRACTICES and each once."""
    practices = []
    for practice_node in reader.sequence(node, "practices"):
        practice = reader.text(practice_node, "practice")
        if practice not in PRACTICES or practice in practices:
            reader.fail(practice_node, f"practice must be one of {', '.join(PRACTICES)}, each once")
        practices.append(practice)
    if not practices:
        reader.fail(node, "practices: at least one is needed")
    return practices


def _single_text(reader: Reader, node: yaml.Node, slug: str, name: str, role: str, where: str) -> Segment:
    """Return the segment of a module field that holds one text (title, summary)."""
    return Segment(f"{slug}.{name}", role, reader.text(node, name), node.start_mark.line + 1, where)


def _sections(reader: Reader, node: yaml.Node, slug: str, module_where: str) -> list[Section]:
    """Return the module's sections: at least MIN_SECTIONS, with ids unique in the module."""
    sections = []
    section_ids: set[str] = set()
    for section_node in reader.sequence(node, "sections"):
        sections.append(_section(reader, section_node, slug, module_where, section_ids))
    if len(sections) < MIN_SECTIONS:
        reader.fail(node, f"a module needs at least {MIN_SECTIONS} sections, found {len(sections)}")
    return sections


def _section(reader: Reader, node: yaml.Node, slug: str, module_where: str, section_ids: set[str]) -> Section:
    """Return one section; add its id to section_ids."""
    fields = reader.mapping(node, "a section")
    reader.reject_unknown(fields, SECTION_FIELDS, "a section")
    get = lambda name: reader.require(fields, name, node, "a section")  # noqa: E731
    key = _section_id(reader, get("id"), section_ids)
    kind_node = get("kind")
    kind = reader.text(kind_node, "kind")
    if kind not in SECTION_KINDS:
        reader.fail(kind_node, f"kind must be one of {', '.join(SECTION_KINDS)}")
    where = f"{module_where}, sección '{key}' ({kind})"
    title_node = get("title")
    section = Section(
        key=key,
        kind=kind,
        title=Segment(
            f"{slug}.{key}.title",
            "title",
            reader.text(title_node, "section title"),
            title_node.start_mark.line + 1,
            where,
        ),
        minutes=reader.integer(fields["minutes"][1], "minutes", 1, 480) if "minutes" in fields else None,
        needs_community_input=(
            reader.boolean(fields["to_complete_with_community"][1], "to_complete_with_community")
            if "to_complete_with_community" in fields
            else False
        ),
        line=node.start_mark.line + 1,
    )
    seen: set[str] = set()
    for list_name in SECTION_LISTS:
        if list_name in fields:
            section.texts.extend(
                _keyed_texts(
                    reader, fields[list_name][1], f"{slug}.{key}", LIST_ROLES[list_name], where, seen
                )
            )
    _check_section_texts(reader, node, section)
    return section


def _section_id(reader: Reader, node: yaml.Node, section_ids: set[str]) -> str:
    """Return a section id: a key, not a reserved word, not used before in the module."""
    key = reader.text(node, "section id")
    if not KEY_RE.match(key) or key in RESERVED_SECTION_IDS:
        reader.fail(
            node, f"section id '{key}' must be a lowercase word not in {sorted(RESERVED_SECTION_IDS)}"
        )
    if key in section_ids:
        reader.fail(node, f"section id '{key}' is used twice")
    section_ids.add(key)
    return key


def _check_section_texts(reader: Reader, node: yaml.Node, section: Section) -> None:
    """Fail unless a section has text, an activity steps and a discussion questions."""
    key, kind = section.key, section.kind
    if not section.texts:
        reader.fail(node, f"section '{key}' has no text (paragraphs, items, steps or questions)")
    if kind == "activity" and not any(s.role == "step" for s in section.texts):
        reader.fail(node, f"activity '{key}' needs steps")
    if kind == "discussion" and not any(s.role == "question" for s in section.texts):
        reader.fail(node, f"discussion '{key}' needs questions")


def _key_terms(reader: Reader, node: yaml.Node, slug: str, module_where: str) -> list[KeyTerm]:
    """Return the module's key terms (at least one), each a term and its definition."""
    where = f"{module_where}, términos clave"
    key_terms = []
    for key_node, term_node in reader.mapping(node, "key_terms").values():
        key = reader.key(key_node, "key term")
        fields = reader.mapping(term_node, f"key term '{key}'")
        reader.reject_unknown(fields, {"term", "definition"}, f"key term '{key}'")
        parts = {}
        for part in ("term", "definition"):
            part_node = reader.require(fields, part, term_node, f"key term '{key}'")
            parts[part] = Segment(
                f"{slug}.terms.{key}.{part}",
                part,
                reader.text(part_node, f"key term '{key}' {part}"),
                part_node.start_mark.line + 1,
                where,
            )
        key_terms.append(KeyTerm(key, parts["term"], parts["definition"]))
    if not key_terms:
        reader.fail(node, "key_terms: at least one is needed")
    return key_terms


def load_curriculum(directory=None, require_all=True):
    """Parse every module file of a directory; check numbers and slugs across files."""
    directory = Path(directory or MODULES_DIR)
    paths = sorted(directory.glob("*.yaml"))
    modules = [parse_module(path) for path in paths]
    by_number, by_slug = {}, {}
    for module in modules:
        if module.number in by_number:
            raise CurriculumError(
                module.path,
                module.title.line - 1 or 1,
                f"module number {module.number} is also used by {by_number[module.number].path.name}",
            )
        if module.slug in by_slug:
            raise CurriculumError(
                module.path, 1, f"slug '{module.slug}' is also used by {by_slug[module.slug].path.name}"
            )
        by_number[module.number] = module
        by_slug[module.slug] = module
    if require_all:
        missing = sorted(set(range(1, 13)) - set(by_number))
        if missing:
            raise CurriculumError(
                directory, 0, f"modules missing: {', '.join(map(str, missing))} (there must be 12)"
            )
    return sorted(modules, key=lambda m: m.number)


def curriculum_hash(modules):
    """Return one hash over all module files, to tell whether the database is current."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.path.name.encode())
        digest.update(module.content_hash.encode())
    return digest.hexdigest()
