"""Read and validate the curriculum source files (one YAML file per module).

The format is documented in README.md ("Editing the curriculum"). Every text
of a module becomes a *segment* with a stable id built from the module slug,
the section id and the key the author wrote in front of the text, so that the
id survives reordering and edits and can serve as the translation context.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_TEXT = 4000


class CurriculumError(Exception):
    """A curriculum source file is malformed; carries file, line and problem."""

    def __init__(self, path, line, problem):
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


@dataclass
class Segment:
    uid: str
    role: str  # title, summary, objective, material, paragraph, item, step, question, term, definition
    text: str
    line: int
    where: str  # human description for translators: module, section, kind


@dataclass
class Section:
    key: str
    kind: str
    title: Segment
    minutes: int | None
    needs_community_input: bool
    line: int
    texts: list[Segment] = field(default_factory=list)


@dataclass
class KeyTerm:
    key: str
    term: Segment
    definition: Segment


@dataclass
class Module:
    number: int
    slug: str
    area: str
    duration_minutes: int
    practices: list[str]
    title: Segment
    summary: Segment
    objectives: list[Segment]
    materials: list[Segment]
    sections: list[Section]
    key_terms: list[KeyTerm]
    path: Path
    content_hash: str

    def segments(self):
        """Yield every text segment of the module in reading order."""
        yield self.title
        yield self.summary
        yield from self.objectives
        yield from self.materials
        for section in self.sections:
            yield section.title
            yield from section.texts
        for term in self.key_terms:
            yield term.term
            yield term.definition


class _Reader:
    """Walk a composed YAML node tree, raising CurriculumError with lines."""

    def __init__(self, path):
        self.path = path

    def fail(self, node, problem):
        line = node.start_mark.line + 1 if node is not None else 1
        raise CurriculumError(self.path, line, problem)

    def mapping(self, node, what):
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping of 'key: value' lines")
        result = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, f"{what}: keys must be plain words")
            key = key_node.value
            if key in result:
                self.fail(key_node, f"{what}: the key '{key}' appears twice")
            result[key] = (key_node, value_node)
        return result

    def sequence(self, node, what):
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a list ('- ' lines)")
        return node.value

    def text(self, node, what):
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.fail(node, f"{what} must be text")
        text = " ".join(node.value.split())
        if not text:
            self.fail(node, f"{what} is empty")
        if len(text) > MAX_TEXT:
            self.fail(node, f"{what} is longer than {MAX_TEXT} characters")
        return text

    def integer(self, node, what, low, high):
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            self.fail(node, f"{what} must be a whole number")
        value = int(node.value)
        if not low <= value <= high:
            self.fail(node, f"{what} must be between {low} and {high}, not {value}")
        return value

    def boolean(self, node, what):
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.fail(node, f"{what} must be true or false")
        return node.value.lower() in ("true", "yes", "on")

    def key(self, key_node, what):
        if not KEY_RE.match(key_node.value):
            self.fail(
                key_node,
                f"{what} '{key_node.value}' must use lowercase letters, digits and hyphens",
            )
        return key_node.value

    def require(self, fields, name, parent, what):
        if name not in fields:
            self.fail(parent, f"{what} is missing '{name}'")
        return fields[name][1]

    def reject_unknown(self, fields, allowed, what):
        for name, (key_node, _) in fields.items():
            if name not in allowed:
                self.fail(key_node, f"{what}: unknown field '{name}'")


def _keyed_texts(reader, node, uid_prefix, role, where, seen):
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


def parse_module(path):
    """Parse one module file into a Module, or raise CurriculumError."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CurriculumError(path, line, "the file is not UTF-8 text") from None
    reader = _Reader(path)
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CurriculumError(path, line, f"YAML syntax: {exc.problem}") from None
    if root is None:
        raise CurriculumError(path, 1, "the file is empty")
    fields = reader.mapping(root, "the module")
    reader.reject_unknown(fields, MODULE_FIELDS, "the module")
    get = lambda name: reader.require(fields, name, root, "the module")  # noqa: E731

    number = reader.integer(get("number"), "number", 1, 12)
    slug_node = get("slug")
    slug = reader.text(slug_node, "slug")
    if not SLUG_RE.match(slug) or len(slug) > 60:
        reader.fail(slug_node, "slug must be lowercase words joined by hyphens")
    area_node = get("area")
    area = reader.text(area_node, "area")
    if area not in AREAS:
        reader.fail(area_node, f"area must be one of {', '.join(AREAS)}")
    duration = reader.integer(get("duration_minutes"), "duration_minutes", 30, 960)
    practices = []
    for practice_node in reader.sequence(get("practices"), "practices"):
        practice = reader.text(practice_node, "practice")
        if practice not in PRACTICES or practice in practices:
            reader.fail(practice_node, f"practice must be one of {', '.join(PRACTICES)}, each once")
        practices.append(practice)
    if not practices:
        reader.fail(get("practices"), "practices: at least one is needed")
    module_where = f"módulo {number}"

    def single(name, role):
        node = get(name)
        return Segment(
            f"{slug}.{name}", role, reader.text(node, name), node.start_mark.line + 1, module_where
        )

    title = single("title", "title")
    summary = single("summary", "summary")
    objectives = _keyed_texts(
        reader, get("objectives"), f"{slug}.objectives", "objective", f"{module_where}, objetivos", set()
    )
    materials = _keyed_texts(
        reader, get("materials"), f"{slug}.materials", "material", f"{module_where}, materiales", set()
    )
    if not objectives:
        reader.fail(get("objectives"), "objectives: at least one is needed")

    sections = []
    section_ids = set()
    for node in reader.sequence(get("sections"), "sections"):
        sfields = reader.mapping(node, "a section")
        reader.reject_unknown(sfields, SECTION_FIELDS, "a section")
        sget = lambda name: reader.require(sfields, name, node, "a section")  # noqa: E731,B023
        id_node = sget("id")
        key = reader.text(id_node, "section id")
        if not KEY_RE.match(key) or key in RESERVED_SECTION_IDS:
            reader.fail(
                id_node, f"section id '{key}' must be a lowercase word not in {sorted(RESERVED_SECTION_IDS)}"
            )
        if key in section_ids:
            reader.fail(id_node, f"section id '{key}' is used twice")
        section_ids.add(key)
        kind_node = sget("kind")
        kind = reader.text(kind_node, "kind")
        if kind not in SECTION_KINDS:
            reader.fail(kind_node, f"kind must be one of {', '.join(SECTION_KINDS)}")
        where = f"{module_where}, sección '{key}' ({kind})"
        title_node = sget("title")
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
            minutes=reader.integer(sfields["minutes"][1], "minutes", 1, 480)
            if "minutes" in sfields
            else None,
            needs_community_input=(
                reader.boolean(sfields["to_complete_with_community"][1], "to_complete_with_community")
                if "to_complete_with_community" in sfields
                else False
            ),
            line=node.start_mark.line + 1,
        )
        seen = set()
        for list_name in SECTION_LISTS:
            if list_name in sfields:
                section.texts.extend(
                    _keyed_texts(
                        reader, sfields[list_name][1], f"{slug}.{key}", LIST_ROLES[list_name], where, seen
                    )
                )
        if not section.texts:
            reader.fail(node, f"section '{key}' has no text (paragraphs, items, steps or questions)")
        if kind == "activity" and not any(s.role == "step" for s in section.texts):
            reader.fail(node, f"activity '{key}' needs steps")
        if kind == "discussion" and not any(s.role == "question" for s in section.texts):
            reader.fail(node, f"discussion '{key}' needs questions")
        sections.append(section)
    if len(sections) < MIN_SECTIONS:
        reader.fail(
            get("sections"), f"a module needs at least {MIN_SECTIONS} sections, found {len(sections)}"
        )

    key_terms = []
    for key_node, term_node in reader.mapping(get("key_terms"), "key_terms").values():
        key = reader.key(key_node, "key term")
        tfields = reader.mapping(term_node, f"key term '{key}'")
        reader.reject_unknown(tfields, {"term", "definition"}, f"key term '{key}'")
        where = f"{module_where}, términos clave"
        parts = {}
        for part in ("term", "definition"):
            part_node = reader.require(tfields, part, term_node, f"key term '{key}'")
            parts[part] = Segment(
                f"{slug}.terms.{key}.{part}",
                part,
                reader.text(part_node, f"key term '{key}' {part}"),
                part_node.start_mark.line + 1,
                where,
            )
        key_terms.append(KeyTerm(key, parts["term"], parts["definition"]))
    if not key_terms:
        reader.fail(get("key_terms"), "key_terms: at least one is needed")

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
        sections=sections,
        key_terms=key_terms,
        path=path,
        content_hash=hashlib.sha256(raw).hexdigest(),
    )


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
