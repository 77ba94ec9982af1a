"""Layering: data flows one way (sources -> workspace -> analysis -> reports/web/cli).

Every module of the package is imported (an import error fails here, it never skips) and its
imports, including those inside functions, are read from its source. A lower layer that imports
a higher one fails the test, naming the module and the import."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

import vru

# layer -> the layers it must never import
FORBIDDEN: dict[str, set[str]] = {
    "sources": {"analysis", "reports", "web", "cli"},
    "geo": {"analysis", "reports", "web", "cli", "sources", "workspace", "synth"},
    "privacy": {"analysis", "reports", "web", "cli", "sources", "synth"},
    "workspace": {"analysis", "reports", "web", "cli", "sources", "geo", "synth", "privacy"},
    "settings": {"analysis", "reports", "web", "cli", "sources", "geo", "workspace", "privacy"},
    "periods": {"analysis", "reports", "web", "cli", "sources", "geo", "workspace", "privacy"},
    "clock": {"analysis", "reports", "web", "cli", "sources", "geo", "workspace", "privacy"},
    "synth": {"analysis", "reports", "web", "cli"},
    "errors": {"analysis", "reports", "web", "cli", "sources", "geo", "workspace", "privacy"},
    "engine": {"analysis", "reports", "web", "cli", "sources", "synth"},
    "areas": {"analysis", "reports", "web", "cli", "sources", "synth"},
    "migrations": {"analysis", "reports", "web", "cli", "sources", "synth"},
    "analysis": {"reports", "web", "cli", "synth"},
    "linkage": {"reports", "web", "cli"},
    "programme": {"reports", "web", "cli"},
    "reports": {"web", "cli"},
    "testing": {"web", "cli"},
}


def _modules() -> list[str]:
    """Every module file of the package (namespace packages such as ``vru.web`` included)."""
    root = Path(vru.__file__).parent
    names = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return sorted(names)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(module: str) -> list[tuple[int, str]]:
    """(line, imported vru module) for every import in the module's source, at any depth, except
    those under ``if TYPE_CHECKING:`` (type names only, never run)."""
    spec = importlib.util.find_spec(module)
    path = Path(spec.origin)
    tree = ast.parse(path.read_text(), str(path))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                skip.add(id(inner))
    out = []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "vru"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] == "vru":
                out.append((node.lineno, name))
                if name == "vru":  # from vru import periods, ...
                    out += [(node.lineno, f"vru.{a.name}") for a in node.names]
    return out


MODULES = _modules()


def test_the_package_has_its_layers():
    layers = {_layer(m) for m in MODULES}
    assert {"sources", "geo", "privacy", "workspace", "analysis", "reports", "web", "cli"} <= layers


@pytest.mark.parametrize("module", [m for m in MODULES if not m.endswith("__main__")])
def test_module_imports(module):
    importlib.import_module(module)  # a renamed or broken module fails here, never skips


def test_no_lower_layer_imports_a_higher_one():
    wrong = []
    for module in MODULES:
        banned = FORBIDDEN.get(_layer(module), set())
        for line, name in _imports(module):
            if _layer(name) in banned:
                wrong.append(f"{module}:{line} imports {name}")
    assert not wrong, "imports that run back up the layers:\n" + "\n".join(wrong)


def test_the_checker_sees_function_level_and_relative_imports():
    # The test must be able to fail: these known imports are found.
    found = {n for _, n in _imports("vru.cli")}
    assert "vru.errors" in found
    found = {n for _, n in _imports("vru.cli.cmd_workspace")}
    assert "vru.geo.grid" in found  # imported inside the command function


def test_the_product_never_imports_the_testing_toolkit():
    wrong = [f"{m}:{line} imports {name}" for m in MODULES if _layer(m) != "testing"
             for line, name in _imports(m) if _layer(name) == "testing"]
    assert not wrong, "\n".join(wrong)
