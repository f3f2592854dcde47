"""Every config default is stated once, in config/schema.yaml, and filled in before any check."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest
import yaml
from biodl.workflow.config import resolve_config, sequences_of_intervals
from snakemake.utils import validate

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "config" / "schema.yaml"
CONFIGS = sorted([ROOT / "config" / "config.yaml", ROOT / "config" / "showcase.yaml"]) + sorted(
    (ROOT / "config" / "real").glob("*.yaml")
)
# `.get(key, fallback)` on dictionaries read from the workflow's own files, not from the config
NOT_CONFIG = {
    ("scripts/biodl/evaluate/compare.py", "sizes.get('test', 0)"),
    ("scripts/biodl/train/loaders.py", "meta.get('length', {}).get('pad', 'right')"),
    ("scripts/biodl/train/loaders.py", "meta.get('length', {})"),
}


def defaulted_keys(schema: object) -> set[str]:
    """Names of every property the schema gives a default other than null."""
    keys: set[str] = set()
    if isinstance(schema, dict):
        for name, subschema in schema.get("properties", {}).items():
            if isinstance(subschema, dict) and subschema.get("default") is not None:
                keys.add(name)
        for value in schema.values():
            keys |= defaulted_keys(value)
    elif isinstance(schema, list):
        for value in schema:
            keys |= defaulted_keys(value)
    return keys


DEFAULTED = defaulted_keys(yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8")))


def restated_defaults(source: str, label: str) -> list[str]:
    """Calls ``x.get("key", fallback)`` in Python ``source`` whose key has a schema default."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "get" or len(node.args) != 2:
            continue
        key, fallback = node.args
        defaulted = isinstance(key, ast.Constant) and key.value in DEFAULTED
        if defaulted and not (isinstance(fallback, ast.Constant) and fallback.value is None):
            found.append((label, ast.unparse(node)))
    return found


def restated_defaults_in_rules(source: str, label: str) -> list[tuple[str, str]]:
    """The same search in Snakemake files, which are not plain Python."""
    calls = re.finditer(r'\.get\("(\w+)",\s*([^)]+)\)', source)
    return [
        (label, call.group(0)) for call in calls if call.group(1) in DEFAULTED and call.group(2) != "None"
    ]


def test_no_code_restates_a_default_of_the_schema() -> None:
    found = []
    for path in sorted((ROOT / "scripts").rglob("*.py")):
        found += restated_defaults(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    for path in [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]:
        found += restated_defaults_in_rules(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert sorted(set(found) - NOT_CONFIG) == []


def test_the_search_finds_a_restated_default() -> None:
    source = 'lookback = windows.get("lookback", 1)\nfolds = split.get("folds")\n'
    assert restated_defaults(source, "m.py") == [("m.py", "windows.get('lookback', 1)")]
    rules = 'columns = settings.get("label_columns", ["label"])\n'
    assert restated_defaults_in_rules(rules, "r.smk") == [("r.smk", '.get("label_columns", ["label"])')]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_resolving_fills_the_defaults_snakemake_fills(path: Path) -> None:
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_snakemake = copy.deepcopy(config)
    validate(by_snakemake, str(SCHEMA_PATH))
    for name, dataset in by_snakemake["datasets"].items():  # an interval dataset becomes a sequence one
        if dataset["kind"] == "intervals":
            by_snakemake["datasets"][name] = sequences_of_intervals(dataset)
            validate(by_snakemake, str(SCHEMA_PATH))
    assert resolve_config(copy.deepcopy(config)) == by_snakemake


def test_defaults_are_copies_not_shared_between_datasets() -> None:
    config = {
        "datasets": {name: {"kind": "expression", "task": "binary", "matrix": "m.tsv"} for name in "ab"}
    }
    resolved = resolve_config(config)
    assert resolved["datasets"]["a"]["split"] == resolved["datasets"]["b"]["split"]
    assert resolved["datasets"]["a"]["split"] is not resolved["datasets"]["b"]["split"]
