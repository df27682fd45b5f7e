"""The packages of workshops import each other in layers: no cycle, features depend downward only.

Every import counts, including those deferred into functions: a deferred import
hides a cycle, it does not remove it.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "workshops"

# A unit is a subpackage of workshops or one of its top-level modules. Each may
# import units of a lower layer, never of its own or a higher one (except itself).
LAYERS = {
    "extensions": 0,
    "config": 0,
    "core": 1,
    "languages": 2,
    "catalog": 2,
    "i18n": 2,
    "people": 3,
    "curriculum": 3,
    "auth": 3,
    "attendance": 4,
    "materials": 4,
    "translate": 4,
    "voice": 4,
    "reports": 5,
    "field": 5,
    "chrome": 2,
    "setup": 6,
    "demo": 6,
    "cli": 6,
    "__init__": 6,
}
# Within layers 2 and 6 the order is fixed too: the registry, then the store, then
# i18n on top; the start-up and the demo data, then the commands, then create_app.
SAME_LAYER_ORDER = ["languages", "catalog", "i18n", "chrome", "setup", "demo", "cli", "__init__"]
NOT_CODE = {"migrations", "templates", "static", "translations"}


def _unit(module):
    """Return the unit of a dotted module name inside workshops ("workshops.people.services" -> "people")."""
    parts = module.split(".")
    if parts[0] != "workshops":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path):
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts), path.name == "__init__.py"


def import_edges():
    """Return {(importing unit, imported unit): [where, ...]} for every import in the package."""
    edges = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        if NOT_CODE & set(path.relative_to(PACKAGE).parts):
            continue
        module, is_package = _module_name(path)
        source_unit = _unit(module) if module != "workshops" else "__init__"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # `from . import access` names a module; `from .x import name` names x.
                targets = [prefix] if node.module else [f"{prefix}.{alias.name}" for alias in node.names]
            for target in targets:
                target_unit = _unit(target) if target != "workshops" else "__init__"
                if target_unit and target_unit != source_unit:
                    edges[(source_unit, target_unit)].append(
                        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    )
    return edges


def _cycles(edges):
    graph = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for following in sorted(graph[node]):
            if state.get(following) == "open":
                found.append(stack[stack.index(following) :] + [following])
            elif following not in state:
                visit(following, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_every_unit_has_a_layer():
    units = {source for source, _ in import_edges()} | {target for _, target in import_edges()}
    assert units - set(LAYERS) == set(), "give the new unit a layer in tests/test_layers.py"


def test_the_package_import_graph_has_no_cycle():
    edges = import_edges()
    cycles = _cycles(edges)
    detail = [
        " -> ".join(cycle)
        + "\n    "
        + "\n    ".join(
            f"{a} -> {b}: {', '.join(edges[(a, b)][:3])}" for a, b in zip(cycle, cycle[1:], strict=False)
        )
        for cycle in cycles
    ]
    assert not cycles, "package import cycles:\n" + "\n".join(detail)


def test_units_import_only_lower_layers():
    def rank(unit):
        position = SAME_LAYER_ORDER.index(unit) if unit in SAME_LAYER_ORDER else 0
        return (LAYERS[unit], position)

    upward = [
        f"{source} (layer {LAYERS[source]}) imports {target} (layer {LAYERS[target]}): {', '.join(where[:3])}"
        for (source, target), where in sorted(import_edges().items())
        if source in LAYERS and target in LAYERS and rank(target) >= rank(source)
    ]
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_checker_sees_deferred_imports():
    """A positive control: known downward imports, one of them inside a function, are found."""
    edges = import_edges()
    assert ("__init__", "core") in edges
    assert any(":" in where for where in edges[("__init__", "core")])
    assert len(edges) > 20
