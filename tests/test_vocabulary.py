"""The vocabularies (kinds, tasks, families, baselines) are stated once, in biodl.vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from biodl import vocabulary
from biodl.families import BASELINES, CAPABILITIES, GENERATIVE

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scripts" / "biodl"
SCHEMA = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text(encoding="utf-8"))
GROUPS = {
    "CLASS_TASKS": vocabulary.CLASS_TASKS,
    "ITEM_CLASSIFICATION": vocabulary.ITEM_CLASSIFICATION,
    "SUPERVISED_TASKS": vocabulary.SUPERVISED_TASKS,
    "TASKS": vocabulary.TASKS,
    "RECURRENT_FAMILIES": vocabulary.RECURRENT_FAMILIES,
    "SUPERVISED_FAMILIES": vocabulary.SUPERVISED_FAMILIES,
    "GENERATIVE_FAMILIES": vocabulary.GENERATIVE_FAMILIES,
    "FAMILIES": vocabulary.FAMILIES,
    "INPUT_KINDS": tuple(vocabulary.INPUT_KINDS),
}


def schema_enum(*path: str) -> set[str]:
    node = SCHEMA["$defs"]
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_the_schema_offers_exactly_the_vocabulary() -> None:
    assert schema_enum("dataset", "properties", "kind") == set(vocabulary.INPUT_KINDS)
    tasks = set().union(*(schema_enum(kind, "properties", "task") for kind in vocabulary.INPUT_KINDS))
    assert tasks == set(vocabulary.TASKS)
    assert schema_enum("model", "properties", "family") == set(vocabulary.FAMILIES)
    assert schema_enum("baseline", "properties", "method") == set(BASELINES)


def test_the_family_tables_cover_exactly_the_families() -> None:
    assert set(CAPABILITIES) == set(vocabulary.SUPERVISED_FAMILIES)
    assert set(GENERATIVE) == set(vocabulary.GENERATIVE_FAMILIES)
    assert set(vocabulary.PRIMARY) == set(vocabulary.SUPERVISED_TASKS)


def restated_vocabularies(source: str, label: str) -> list[str]:
    """Literal tuples, lists and sets in ``source`` that spell out one of the vocabulary's groups."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set) or len(node.elts) < 2:
            continue
        if not all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts):
            continue
        words = {item.value for item in node.elts}
        found += [
            f"{label}:{node.lineno} restates {name}" for name, group in GROUPS.items() if words == set(group)
        ]
    return found


def test_no_module_restates_a_vocabulary() -> None:
    modules = [path for path in sorted(LIBRARY.rglob("*.py")) if path.name != "vocabulary.py"]
    restated = [
        line
        for path in modules
        for line in restated_vocabularies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert restated == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('TASKS = {"multiclass", "binary", "series_classification"}', ["m.py:1 restates CLASS_TASKS"]),
        ('KINDS = ["sequences", "intervals", "expression", "timecourse"]', ["m.py:1 restates INPUT_KINDS"]),
        ('PAIR = ("binary", "multiclass")', []),
    ],
)
def test_the_check_finds_a_restated_group_and_nothing_else(source: str, expected: list[str]) -> None:
    assert restated_vocabularies(source, "m.py") == expected
