"""The package's layers import downward only (docs/semantics.md, "Layers").

lang (``coopcheck.dsl``: text → syntax tree) → core (vocabulary, compiler, semantics, decision
tables, decisions, the public API) → analysis (explain, lint, diff, compare, inventory, rule
tests) → presentation (en/ja wording, text/Markdown/HTML/JSON/SARIF renderers) → surfaces
(``coopcheck.cli``). Every import statement in the package is read — those inside functions
too — so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import coopcheck
import coopcheck.dsl

LAYERS = {"dsl": 0, "core": 1, "analysis": 2, "presentation": 3, "cli": 4, "serve": 4, "lsp": 4, "audit": 4}
#: the package's own __init__ / __main__: the facade over the library and the CLI entry
FACADE = 5


def _sources() -> dict[str, Path]:
    """Every module of the package by its installed name."""
    out = {}
    for package in (coopcheck, coopcheck.dsl):
        root = Path(package.__path__[0])
        for path in root.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package.__name__, *parts])] = path
    return out


SOURCES = _sources()


def layer(module: str) -> int:
    """The layer of a module of the package."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__main__",):
        return FACADE
    return LAYERS[parts[1]]


def imports(module: str, path: Path):
    """``(imported module, names, line)`` for every import in a module, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            yield target, tuple(a.name for a in node.names), node.lineno


def test_every_layer_is_found():
    """The walk sees each layer (a test over no modules could not fail)."""
    seen = {layer(m) for m in SOURCES}
    assert seen == set(LAYERS.values()) | {FACADE}


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_imports_run_downward(module):
    """A module imports only from its own layer or the layers below it; nothing outside the
    CLI imports the CLI; no module imports another module's private names; and nothing
    imports the source folders' own names (``engine``, ``dsl``) — only ``coopcheck``."""
    mine = layer(module)
    problems = []
    for target, names, line in imports(module, SOURCES[module]):
        top = target.split(".")[0]
        if top in ("engine", "dsl"):
            problems.append(f"line {line}: imports `{target}` (use `coopcheck.…`)")
            continue
        if top != "coopcheck":
            continue
        theirs = layer(target) if target != "coopcheck" else FACADE
        if theirs > mine:
            problems.append(f"line {line}: layer {mine} imports `{target}` from layer {theirs}")
        if theirs == LAYERS["cli"] and mine not in (LAYERS["cli"], FACADE):
            problems.append(f"line {line}: the library imports the CLI (`{target}`)")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if private:
            problems.append(f"line {line}: imports private {', '.join(private)} from `{target}`")
    assert not problems, f"{module}:\n  " + "\n  ".join(problems)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The reader of imports resolves relative imports and lazy imports inside functions."""
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from ..presentation import wording\n", encoding="utf-8")
    found = list(imports("coopcheck.core.mod", path))
    assert found == [("coopcheck.presentation", ("wording",), 2)]
    assert layer(found[0][0]) > layer("coopcheck.core.mod")
