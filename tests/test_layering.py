"""The library's layers (docs/design.md, "Map of the code"): a package imports only from layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[1] / "scripts" / "biodl"
# each layer may import from the layers before it (and the base modules from each other)
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "biodl",
            "vocabulary",
            "errors",
            "progress",
            "versions",
            "specs",
            "families",
            "alphabets",
            "runkey",
            "cli",
            "io",
            "ranges",
        }
    ),
    frozenset({"data", "models"}),
    frozenset({"train"}),
    frozenset({"baselines", "evaluate"}),
    frozenset({"generative", "apply", "interpret", "search"}),
    frozenset({"workflow"}),
)
RANK = {part: rank for rank, layer in enumerate(LAYERS) for part in layer}


def part_of(module: str) -> str:
    """The top-level part of the library a dotted module name belongs to ('biodl.data.split' → 'data')."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "biodl"


def imports_of(path: Path) -> set[str]:
    """Every biodl module that ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "biodl":
            found |= (
                {f"biodl.{alias.name}" for alias in node.names} if node.module == "biodl" else {node.module}
            )
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "biodl"}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layering_breaches(modules: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer or sideways between two packages of one layer."""
    breaches = []
    for module, imported in sorted(modules.items()):
        source = part_of(module)
        for target in sorted(imported):
            destination = part_of(target)
            if destination == source or (RANK[source] == RANK[destination] == 0):
                continue
            if RANK[destination] >= RANK[source]:
                breaches.append(f"{module} imports {target}")
    return breaches


def test_every_part_of_the_library_has_a_layer() -> None:
    parts = {path.stem if path.is_file() else path.name for path in LIBRARY.iterdir()} - {"__pycache__"}
    assert {"__init__" if part == "__init__" else part for part in parts} - {"__init__"} == set(RANK) - {
        "biodl"
    }


def test_no_package_imports_from_its_own_layer_or_above() -> None:
    modules = {module_name(path): imports_of(path) for path in sorted(LIBRARY.rglob("*.py"))}
    assert layering_breaches(modules) == []


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        ({"biodl.data.split": {"biodl.train.loaders"}}, ["biodl.data.split imports biodl.train.loaders"]),
        ({"biodl.data.split": {"biodl.models"}}, ["biodl.data.split imports biodl.models"]),
        ({"biodl.train.loop": {"biodl.data.split", "biodl.errors"}}, []),
        ({"biodl.io.fasta": {"biodl.alphabets"}}, []),
    ],
)
def test_the_check_finds_imports_that_go_up_or_sideways(modules: dict, expected: list[str]) -> None:
    assert layering_breaches(modules) == expected
