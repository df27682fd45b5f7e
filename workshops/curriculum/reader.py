"""Walk the YAML node tree of a curriculum file, failing with the file and line of the problem.

Node trees, not loaded Python values, because only nodes remember their line.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
MAX_TEXT = 4000


class CurriculumError(Exception):
    """A curriculum source file is malformed; carries file, line and problem."""

    def __init__(self, path, line, problem):
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


def compose(path: Path, raw: bytes) -> yaml.Node:
    """Return the root node of a file's bytes, or raise CurriculumError for bad encoding, syntax or no content."""
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CurriculumError(path, line, "the file is not UTF-8 text") from None
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CurriculumError(path, line, f"YAML syntax: {exc.problem}") from None
    if root is None:
        raise CurriculumError(path, 1, "the file is empty")
    return root


class Reader:
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
