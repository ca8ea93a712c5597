"""How tangled are the imports? Cycles between the project's modules, imports placed inside
functions, and the largest modules. Usage: ``.venv/bin/python scripts/import_report.py``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "leads", "feedback", "learning")
SKIPPED = {".venv", "tests", "migrations", "node_modules"}


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), migrations left out."""
    graph = grimp.build_graph(*PACKAGES)
    modules = {m for m in graph.modules if "migrations" not in m}
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in sorted(modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in edges:
        if module not in index:
            visit(module)
    return groups


def source_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIPPED & set(p.relative_to(ROOT).parts)]


def function_level_imports() -> dict[str, int]:
    """Imports inside a function body, per file (tests and migrations left out)."""
    counts: dict[str, int] = {}
    for path in source_files():
        tree = ast.parse(path.read_text())
        found = {
            id(node)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        }
        if found:
            counts[str(path.relative_to(ROOT))] = len(found)
    return counts


def main() -> None:
    sys.path.insert(0, str(ROOT))
    cycles = import_cycles()
    print(f"import cycles (groups of modules importing each other): {len(cycles)}")
    for group in cycles:
        print(f"  {len(group)}: {', '.join(group)}")
    counts = function_level_imports()
    print(f"function-level imports: {sum(counts.values())}")
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"  {count:3} {name}")
    sizes = sorted(((len(p.read_text().splitlines()), str(p.relative_to(ROOT))) for p in source_files()), reverse=True)
    print("largest modules:")
    for lines, name in sizes[:10]:
        print(f"  {lines:4} {name}")


if __name__ == "__main__":
    main()
