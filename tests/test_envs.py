"""Conda env files: one per kind of rule, every package pinned, versions equal to the pip requirements."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT

ENVS = sorted((ROOT / "envs").glob("*.yaml"))
# conda-forge names of packages whose pip names differ
CONDA_NAMES = {"tensorflow-cpu": "tensorflow-cpu"}


def requirement_pins() -> dict[str, str]:
    """Package → pinned version in requirements.txt and requirements-gpu.txt (extras dropped)."""
    pins = {}
    for path in ("requirements.txt", "requirements-gpu.txt"):
        for line in (ROOT / path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r"):
                name, version = line.split("==")
                pins[name.split("[")[0].lower()] = version
    return pins


def env_pins(path) -> dict[str, str]:
    """Package → version of an env file, from both the conda list and its pip section."""
    env = yaml.safe_load(path.read_text())
    pins = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry["pip"]:
                name, _, version = requirement.partition("==")
                pins[name.split("[")[0].lower()] = version
        elif entry != "pip":
            name, _, version = entry.partition("=")
            pins[name.lower()] = version
    return pins


def test_there_is_an_env_per_kind_of_rule():
    assert {path.stem for path in ENVS} >= {"data", "train", "generative", "evaluate", "report"}


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_file_pins_every_package_to_the_requirement_version(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"][-1] == "nodefaults"
    pins = env_pins(path)
    requirements = requirement_pins()
    for name, version in pins.items():
        assert re.fullmatch(r"\d+(\.\d+)*", version), f"{path.name}: {name} is not pinned to a version"
        if name != "python":
            assert requirements.get(name) == version, (
                f"{path.name}: {name}={version} but requirements.txt pins {requirements.get(name)}"
            )


def test_every_rule_names_an_existing_env_file():
    rules = "\n".join(path.read_text() for path in (ROOT / "rules").glob("*.smk"))
    rule_count = len(re.findall(r"^\s*rule(?: \w+)?:", rules, flags=re.M))  # also rules made in a loop
    env_files = re.findall(r'conda:\n\s+"\.\./(envs/[\w.]+)"', rules)
    switched = re.findall(r"conda:\n\s+(TRAIN_ENV|GENERATIVE_ENV)\n", rules)  # envs/gpu.yaml with use_gpu
    assert len(env_files) + len(switched) == rule_count
    assert all((ROOT / name).exists() for name in [*env_files, "envs/gpu.yaml"])


def test_every_rule_that_books_a_gpu_runs_in_the_gpu_env_when_use_gpu_is_on():
    """Each rule with a gpu resource names the switched env (envs/gpu.yaml with use_gpu, the CPU env
    file otherwise), and envs/gpu.yaml carries the CUDA wheels of both backends."""
    rules = "\n".join(path.read_text() for path in (ROOT / "rules").glob("*.smk"))
    for block in re.split(r"(?m)^(?=rule |use rule )", rules):
        if "gpu=lambda" in block:
            assert re.search(r"conda:\n\s+(TRAIN_ENV|GENERATIVE_ENV)\n", block), block[:200]
    common = (ROOT / "rules/common.smk").read_text()
    assert 'GPU_ENV = "../envs/gpu.yaml" if config["use_gpu"] else None' in common
    gpu = env_pins(ROOT / "envs/gpu.yaml")
    pip = yaml.safe_load((ROOT / "envs/gpu.yaml").read_text())["dependencies"][-1]["pip"]
    assert {"tensorflow[and-cuda]==2.21.0", f"jax[cuda12]=={gpu['jax']}"} <= set(pip)
