"""The package keeps the shape docs/architecture.md draws: no import cycles, small modules and functions.

Imports are read from the source with ``ast`` (nothing is imported), including imports inside functions:
a lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "migrations_tasks"
MAX_MODULE_LINES = 400
#: Modules that may sit loose at the package's top level: the leaves every layer uses, and the entry point.
TOP_LEVEL = {"__init__", "_version", "errors", "secret", "progress", "wording", "sql", "untrusted"}
MAX_FUNCTION_LINES = 60
#: Functions that are one SQL (or shell) text and nothing else: long by nature, simple by construction.
TEXT_BUILDERS = {
    "catalog/core.py:snapshot_sql",
    "catalog/parts.py:_relation_parts",
    "catalog/parts.py:_database_parts",
    "verify/lints.py:findings_sql",
}


def modules() -> dict[str, Path]:
    """Return every module of the package by dotted name."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """Yield the package modules ``name`` imports (``from .x import y``: ``.x.y`` if a module, else ``.x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"  # a submodule
                elif base in known:
                    yield base  # a name the module (or package __init__) defines


def graph() -> dict[str, set[str]]:
    """Return the package's import graph."""
    found = modules()
    known = set(found)
    return {name: set(imported(name, path, known)) - {name} for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_the_package_init() -> None:
    offenders = sorted(name for name, targets in graph().items() if "migrations_tasks" in targets)
    assert offenders == []


def test_a_subpackage_init_is_imported_only_from_outside_it() -> None:
    """A module inside ``engine/`` importing ``engine`` (its own ``__init__``) would be a cycle in waiting."""
    edges = graph()
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    offenders = sorted(
        f"{name} -> {target}"
        for name, targets in edges.items()
        for target in targets
        if target in packages and name.startswith(target + ".")
    )
    assert offenders == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_is_at_most_400_lines(name: str) -> None:
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines"


def test_only_the_leaves_sit_loose_at_the_top_level() -> None:
    """Everything else lives in the folder of its layer (config, history, transport, output, the wings)."""
    loose = {path.stem for path in PACKAGE.glob("*.py")}
    assert loose <= TOP_LEVEL, sorted(loose - TOP_LEVEL)
    assert len(TOP_LEVEL) <= 9


def long_functions() -> list[str]:
    """Return ``file:function (lines)`` of every function longer than the limit, text builders aside."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{relative}:{node.name}" not in TEXT_BUILDERS:
                    out.append(f"{relative}:{node.name} ({length} lines)")
    return out


def test_no_function_is_over_60_lines_except_sql_text_builders() -> None:
    assert long_functions() == []


#: The layers of docs/architecture.md, lowest first: a module may import its own layer and the ones before.
#: A name is a module or a package (all of its modules); the longest name that matches a module wins, and
#: every ``render`` module is output.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leaves", ("errors", "secret", "progress", "wording", "_version", "sql", "untrusted")),
    (
        "config",
        (
            "config",
            *("deploy.config", "deploy.parse", "deploy.parse_ssh", "deploy.settings"),
            *("gate.options", "lint.rules"),
        ),
    ),
    ("history", ("history",)),
    ("transport", ("transport",)),
    ("catalog", ("catalog",)),
    ("engine", ("engine",)),
    ("proving and shipping", ("verify", "lint", "rehearsal", "deploy", "authoring")),
    ("output", ("output",)),
    ("fleet", ("fleet",)),
    ("gate", ("gate",)),
    ("tasks", ("tasks",)),
)
#: What the sandbox (which stands apart) may import from the package.
SANDBOX_IMPORTS = {"migrations_tasks.errors", "migrations_tasks.transport.rowsets"}


def layer(module: str) -> int | None:
    """Return the index in LAYERS of a package module (None: the package itself or the sandbox)."""
    name = module.removeprefix("migrations_tasks.")
    if name.endswith(".render"):
        return next(i for i, (title, _) in enumerate(LAYERS) if title == "output")
    found: tuple[int, int] | None = None
    for index, (_, names) in enumerate(LAYERS):
        for prefix in names:
            if (name == prefix or name.startswith(prefix + ".")) and (found is None or len(prefix) > found[1]):
                found = (index, len(prefix))
    return None if found is None else found[0]


def test_every_module_belongs_to_a_layer_or_the_sandbox() -> None:
    unplaced = [m for m in modules() if m.count(".") and layer(m) is None and ".sandbox" not in f".{m}"]
    assert unplaced == []


def test_no_module_imports_from_a_later_layer() -> None:
    upward = [
        f"{a} ({LAYERS[la][0]}) imports {b} ({LAYERS[lb][0]})"
        for a, targets in graph().items()
        for b in targets
        if (la := layer(a)) is not None and (lb := layer(b)) is not None and lb > la
    ]
    assert upward == []


def test_the_sandbox_imports_only_leaves_of_the_package() -> None:
    imports = {b for a, targets in graph().items() if a.startswith("migrations_tasks.sandbox") for b in targets}
    assert {b for b in imports if not b.startswith("migrations_tasks.sandbox")} <= SANDBOX_IMPORTS


#: How deep the folders may import each other (each folder one room, each top-level module its own): 11 before
#: the loose modules were grouped into layer folders, 9 after.
MAX_ROOM_DEPTH = 9


def rooms(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Return the import graph between rooms: the package's first-level folders and top-level modules."""
    out: dict[str, set[str]] = {}
    for a, targets in edges.items():
        room = ".".join(a.split(".")[:2])
        out.setdefault(room, set()).update(".".join(b.split(".")[:2]) for b in targets)
        out[room].discard(room)
    return out


def depth(edges: dict[str, set[str]]) -> int:
    """Return the number of nodes on the longest import chain of an acyclic graph."""
    memo: dict[str, int] = {}

    def of(node: str) -> int:
        if node not in memo:
            memo[node] = 1 + max((of(other) for other in edges.get(node, ())), default=0)
        return memo[node]

    return max((of(node) for node in edges), default=0)


def test_the_depth_counter_counts_the_longest_chain() -> None:
    assert depth({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"c"}}) == 3


def test_the_folders_import_each_other_at_most_nine_deep() -> None:
    graph_of_rooms = rooms(graph())
    assert cycles(graph_of_rooms) == []
    assert depth(graph_of_rooms) <= MAX_ROOM_DEPTH
