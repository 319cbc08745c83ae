"""The house's figures, read from the code with the standard library's ``ast``: modules
per package, median module and function length, the longest functions, and the import
cycles between Langgan's own modules (an import inside a function counts: it hides a
cycle, it does not remove it; one under ``if TYPE_CHECKING:`` never runs, and does not).
``tests/design/test_design_rules.py`` holds the count of cycles at 0.

Run:  python bench/code_shape.py [--longest 10]
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crm_core", "bot", "scheduler", "message_templates")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = (path, ast.parse(path.read_text(), str(path)))
    return found


def imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The project's modules this one imports, anywhere in it but under ``if
    TYPE_CHECKING:`` (read by the type checker alone, never run)."""
    package = name if name in known and _is_package(name, known) else name.rpartition(".")[0]
    wanted = set()
    for node in _run_code(tree):
        if isinstance(node, ast.Import):
            wanted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            wanted.add(base)
            wanted.update(f"{base}.{alias.name}" for alias in node.names)
    # Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: a package that
    # re-exports from its submodules is on the path of every import into it. The
    # importer's own packages are running already, and add nothing.
    own = _ancestors(name)
    wanted |= {parent for w in wanted for parent in _ancestors(w)} - own
    return {w for w in wanted if w in known and w != name and w not in own}


def _ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _run_code(tree: ast.AST) -> list[ast.AST]:
    """Every node, less the bodies of ``if TYPE_CHECKING:``."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _is_package(name: str, known: set[str]) -> bool:
    return any(other.startswith(name + ".") for other in known)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, round a circle (Tarjan's algorithm).
    A package importing its own submodules is no circle: a module's import of its own
    packages is no edge (see ``imports``)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def functions(tree: ast.Module) -> list[tuple[str, int]]:
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def main(args: argparse.Namespace) -> None:
    found = modules()
    known = set(found)
    per_package: dict[str, list[int]] = defaultdict(list)
    sizes: list[tuple[int, str, str]] = []
    for name, (path, tree) in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        per_package[package].append(len(path.read_text().splitlines()))
        sizes.extend((length, name, fn) for fn, length in functions(tree))
    print("modules per package (median lines):")
    for package in sorted(per_package):
        lines = per_package[package]
        print(f"  {package:<28} {len(lines):>3}  ({statistics.median(lines):.0f})")
    all_lines = [n for lines in per_package.values() for n in lines]
    print(f"modules: {len(all_lines)}, median {statistics.median(all_lines):.0f} lines")
    lengths = [length for length, _, _ in sizes]
    print(f"functions: {len(lengths)}, median {statistics.median(lengths):.0f} lines")
    print(f"longest {args.longest}:")
    for length, name, fn in sorted(sizes, reverse=True)[: args.longest]:
        print(f"  {length:>4}  {name}.{fn}")
    graph = {name: imports(name, tree, known) for name, (_, tree) in found.items()}
    circles = cycles(graph)
    print(f"import cycles: {len(circles)}")
    for circle in circles:
        print("  " + " <-> ".join(circle))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--longest", type=int, default=10)
    main(parser.parse_args())
