"""What a parsed module file holds: its texts as segments, in sections and key terms.

source.py reads the files into these; they are not the database models (models.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
