"""The shape of the code: short functions, so that each rule has a home that can be read at once."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "workshops"
LONGEST = 60  # lines, decorators and docstring included
REASON = "Long because"  # a function may be longer when its docstring says why


def long_functions(folder=PACKAGE):
    """Return "path:line name (N lines)" of every function over LONGEST lines without a stated reason."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if "migrations" in path.relative_to(folder).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > LONGEST and REASON not in (ast.get_docstring(node) or ""):
                    found.append(
                        f"{path.relative_to(folder.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def test_no_function_is_longer_than_sixty_lines_without_a_reason():
    assert long_functions() == []


def test_the_check_finds_a_long_function(tmp_path):
    """A positive control: a 70-line function is reported, and passes once its docstring says why."""
    body = "\n".join(f"    x{n} = {n}" for n in range(68))
    (tmp_path / "long.py").write_text(f'def long():\n    """Do it."""\n{body}\n')
    assert [entry.split(" ")[1] for entry in long_functions(tmp_path)] == ["long"]
    (tmp_path / "long.py").write_text(f'def long():\n    """Do it. Long because a table."""\n{body}\n')
    assert long_functions(tmp_path) == []
