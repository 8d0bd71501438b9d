"""The import rules of DESIGN §3: dependencies point down the layers, a domain never reads another's tables, and the
domains form no cycle.

Every ``import`` of every module under ``src/ggzy`` is read with ``ast`` (nothing is imported, so the test is fast
and sees imports inside functions too). Four rules:

1. A module of a domain imports only domains of LOWER layers (and its own domain): never a domain of a higher layer,
   never a sibling of the same layer (siblings are independent by design: what both need belongs one layer down).
2. A domain never imports another domain's ``models`` (its tables): it asks that domain's ``service`` or read-model
   functions. An import under ``if TYPE_CHECKING:`` is exempt from this rule only: it cannot query the table at run
   time (it is not imported then), it only names the type of an object that a service handed over.
3. No cycle between domains (packages), counting every import, type-only ones included, once the known violations
   below are left out (every cycle of today comes back down through one of their upward imports).
4. Nothing under a domain imports an entry point (``ggzy.app``, ``ggzy.cli`` …): they import the domains, so the
   reverse is a cycle. ``ggzy.config`` (the settings, a leaf that imports no ggzy module) may be imported by anyone.

What exists today and is being removed (the tender lifecycle's rewrite removes most of it) is listed in
KNOWN_VIOLATIONS. The list can only shrink: a pair that no longer exists fails the test until it is deleted from the
list, and any new violation fails it at once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "ggzy"

# DESIGN §3, from the ground up. A layer may import any lower layer, never a higher one nor a sibling of its own.
# Domains that do not exist yet are listed all the same: they cost nothing and are placed before they are written.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"crypto", "storage"}),
    frozenset({"ledger", "entities"}),
    frozenset({"projects"}),
    frozenset({"tendering"}),
    frozenset({"experts"}),
    frozenset({"venues", "evaluation", "prequalification"}),
    frozenset({"awards", "finance"}),
    # Rights trades admit a bidder on the deposit the money domain holds (decision 0049): one layer above finance.
    frozenset({"auctions"}),
    frozenset({"complaints", "credit", "supervision"}),
    frozenset({"analytics", "publishing", "documents"}),
    frozenset({"portal"}),
    # The bidder's side runs on the bidder's machine (the CLI and the local assistant) and talks to the platform
    # over HTTP only: it may use the primitives below it (core, crypto) and the wire formats the platform publishes
    # (tendering's schemas are the same layer-down import any domain may make), but nothing of the platform imports
    # it — a platform module that needed it would be reaching into the bidder's machine. Hence its own top layer,
    # above everything the platform runs, with nothing allowed to depend on it except the entry points.
    frozenset({"bidclient"}),
    # The local assistant (投标助手, decision 0026) drives the bidder's client for the portal's pages, on the same
    # machine: above it, and likewise imported by nothing of the platform.
    frozenset({"assistant"}),
)
LAYER_OF = {domain: rank for rank, layer in enumerate(LAYERS) for domain in layer}

# The composition root and the entry points: they assemble the domains and may import anything. A domain's own
# ``cli.py`` (ledger/cli.py, storage/cli.py, crypto/cli.py) is a command entry point too, but it stays in its
# domain's layer and may NOT import ``ggzy.cli``: ``ggzy.cli`` mounts it, so the import would be a cycle; what
# several command modules share (the migrated engine) lives in ``core``. Like every entry point, a command module
# makes its sessions with ``ggzy.wiring.session_factory`` (decision 0018), and may import that.
ENTRY_POINTS = frozenset(
    {
        "app",
        "cli",
        "__main__",
        "demo",
        "demo_story",
        "demo_deposits",
        "demo_oversight",
        "demo_rights",
        "admin_cli",
        "bidclient_cli",
        "models",
        "config",
        "wiring",
        "migrations",
    }
)
IMPORTABLE_BY_ALL = frozenset({"config"})

# (importing module, imported module) pairs that break a rule today. Only ever delete from this list. Most go with the
# tender lifecycle's rewrite: complaints/suspension.py (a halt check that tendering, experts, evaluation and awards
# import upward) becomes a check in the lifecycle that complaints registers into, and awards, evaluation, experts and
# complaints read the tables of tendering, evaluation and awards through those domains' read-model functions. The
# portal's public lists (views, search, statistics) build their queries on the tables of tendering
# and projects: they move to read-model functions of those domains (or publishing) next.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("ggzy.awards.access", "ggzy.projects.models"),
        ("ggzy.awards.service", "ggzy.entities.models"),
        ("ggzy.awards.service", "ggzy.projects.models"),
        ("ggzy.awards.service", "ggzy.tendering.models"),
        ("ggzy.awards.views", "ggzy.projects.models"),
        ("ggzy.complaints.access", "ggzy.projects.models"),
        ("ggzy.complaints.service", "ggzy.entities.models"),
        ("ggzy.complaints.service", "ggzy.projects.models"),
        ("ggzy.complaints.service", "ggzy.tendering.models"),
        ("ggzy.evaluation.access", "ggzy.experts.models"),
        ("ggzy.evaluation.access", "ggzy.projects.models"),
        ("ggzy.evaluation.service", "ggzy.experts.models"),
        ("ggzy.evaluation.service", "ggzy.projects.models"),
        ("ggzy.evaluation.service", "ggzy.tendering.models"),
        ("ggzy.evaluation.views", "ggzy.tendering.models"),
        ("ggzy.portal.search", "ggzy.projects.models"),
        ("ggzy.portal.search", "ggzy.tendering.models"),
        ("ggzy.portal.statistics", "ggzy.awards.models"),
        ("ggzy.portal.statistics", "ggzy.projects.models"),
        ("ggzy.portal.statistics", "ggzy.tendering.models"),
        ("ggzy.portal.views", "ggzy.projects.models"),
        ("ggzy.portal.views", "ggzy.tendering.models"),
    }
)


@dataclass(frozen=True)
class Import:
    importer: str  # ggzy.venues.service
    imported: str  # ggzy.tendering.models
    line: int
    type_only: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(path: Path) -> Iterator[Import]:
    importer = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    type_only_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                type_only_lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = importer.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from ggzy.tendering import service` imports the submodule; `from x.models import Tender` the module.
            names = [
                f"{module}.{alias.name}" if _is_module(f"{module}.{alias.name}") else module for alias in node.names
            ]
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                yield Import(importer, name, node.lineno, node.lineno in type_only_lines)


def _is_module(name: str) -> bool:
    path = SOURCE.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _all_imports() -> list[Import]:
    return [found for path in sorted(SOURCE.joinpath(PACKAGE).rglob("*.py")) for found in _imports_of(path)]


def _top(module: str) -> str:
    """The domain (or top-level module) a module belongs to: ggzy.venues.service -> venues, ggzy.cli -> cli."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violation(found: Import) -> str | None:
    source, target = _top(found.importer), _top(found.imported)
    if source == target or source in ENTRY_POINTS or source == "":
        return None
    if target in ENTRY_POINTS:
        if target in IMPORTABLE_BY_ALL:
            return None
        if target == "wiring" and found.importer.endswith(".cli"):
            return None  # a command module makes its sessions where every entry point does (decision 0018)
        return f"{source} imports the entry point ggzy.{target}, which imports the domains (a cycle)"
    if source not in LAYER_OF or target not in LAYER_OF:
        return f"{source if source not in LAYER_OF else target} is in no layer of DESIGN §3: place it in LAYERS"
    if LAYER_OF[target] > LAYER_OF[source]:
        return f"{source} (layer {LAYER_OF[source]}) imports {target}, of the higher layer {LAYER_OF[target]}"
    if LAYER_OF[target] == LAYER_OF[source]:
        return f"{source} imports its sibling {target} (both of layer {LAYER_OF[source]}): siblings are independent"
    if found.imported.split(".")[-1] == "models" and not found.type_only:
        return f"{source} reads the tables of {target} ({found.imported}): ask its service or read-model functions"
    return None


def _violations() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for each in _all_imports():
        reason = _violation(each)
        if reason is not None:
            messages = found.setdefault((each.importer, each.imported), [])
            if f"line {each.line}: {reason}" not in messages:  # `from x.models import A, B` is one import
                messages.append(f"line {each.line}: {reason}")
    return found


def _domain_graph(*, leaving_out: frozenset[tuple[str, str]] = frozenset()) -> dict[str, set[str]]:
    """Which domain imports which (the entry points, which import everything, left out; and the given pairs)."""
    graph: dict[str, set[str]] = {}
    for each in _all_imports():
        source, target = _top(each.importer), _top(each.imported)
        if (each.importer, each.imported) in leaving_out or not source or source == target:
            continue
        if source not in ENTRY_POINTS and target not in ENTRY_POINTS:
            graph.setdefault(source, set()).add(target)
            graph.setdefault(target, set())
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one domain: the domains that import each other, round a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_scanner_sees_imports_of_every_kind() -> None:
    """The rules can fail: the scanner finds a plain, a from-, a relative and a function-local import."""
    imports = {(each.importer, each.imported) for each in _all_imports()}
    assert ("ggzy.venues.service", "ggzy.venues.rules") in imports
    assert ("ggzy.cli", "ggzy.ledger.cli") in imports  # imported inside a function
    assert ("ggzy.app", "ggzy.venues.api") in imports
    assert _violation(Import("ggzy.projects.service", "ggzy.tendering.service", 1, False)) is not None  # upward
    assert _violation(Import("ggzy.venues.service", "ggzy.evaluation.service", 1, False)) is not None  # sibling
    assert _violation(Import("ggzy.venues.service", "ggzy.tendering.models", 1, False)) is not None  # tables
    assert _violation(Import("ggzy.venues.service", "ggzy.tendering.models", 1, True)) is None  # a type only
    assert _violation(Import("ggzy.ledger.cli", "ggzy.cli", 1, False)) is not None  # an entry point
    assert _violation(Import("ggzy.app", "ggzy.portal.pages", 1, False)) is None  # the composition root


def test_every_domain_is_placed_in_a_layer() -> None:
    domains = {path.name for path in SOURCE.joinpath(PACKAGE).iterdir() if (path / "__init__.py").is_file()}
    unplaced = sorted(domains - set(LAYER_OF) - ENTRY_POINTS)
    assert not unplaced, f"packages in no layer of DESIGN §3 (add them to LAYERS): {unplaced}"


def test_imports_follow_the_layers_of_design_section_3() -> None:
    found = _violations()
    new = sorted(set(found) - KNOWN_VIOLATIONS)
    stale = sorted(KNOWN_VIOLATIONS - set(found))
    messages = [f"{importer} -> {imported}: {'; '.join(found[(importer, imported)])}" for importer, imported in new]
    messages += [
        f"{importer} -> {imported} is listed in KNOWN_VIOLATIONS but no longer exists: delete it from the list"
        for importer, imported in stale
    ]
    if messages:
        pytest.fail("\n".join(["import rules of DESIGN §3 broken:", *messages]), pytrace=False)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_cycle_between_domains() -> None:
    """Without the known violations (each an upward import, so each on some cycle's way back down), no two domains
    import each other, directly or round a longer cycle."""
    cycles = _cycles(_domain_graph(leaving_out=KNOWN_VIOLATIONS))
    assert not cycles, f"import cycles between domains (each group imports itself round a cycle): {cycles}"
