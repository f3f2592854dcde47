"""The name of one run — dataset, model (or baseline), split unit, seed — in its two written forms.

The path form ``dataset/model/unit-sSEED`` is the run's folder under the results folder; a
rule names a run's file among its inputs as ``role|path`` (e.g. ``metrics|dna/cnn/holdout-s1``).
Both are made and read here only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

Value = TypeVar("Value")
RUN_FOLDER = "{dataset}/{model}/{unit}-s{seed}"  # also the Snakemake pattern of a run's folder
RUN_PATH = re.compile(r"^(?P<dataset>[^/|]+)/(?P<model>[^/|]+)/(?P<unit>[^/|]+)-s(?P<seed>\d+)$")


@dataclass(frozen=True, order=True)
class RunKey:
    """One training or baseline run; runs sort by dataset, model, unit, then seed as a number."""

    dataset: str
    model: str
    unit: str
    seed: int

    @property
    def path(self) -> str:
        """The run's folder relative to the results folder."""
        return RUN_FOLDER.format(dataset=self.dataset, model=self.model, unit=self.unit, seed=self.seed)

    @property
    def label(self) -> str:
        """How tables and figures name the run within its dataset: ``model unit-sSEED``."""
        return f"{self.model} {self.unit}-s{self.seed}"

    @classmethod
    def parse(cls, path: str) -> RunKey:
        """The run of a path form; ValueError for anything else."""
        match = RUN_PATH.match(path)
        if match is None:
            raise ValueError(f"not a run: {path!r} (expected dataset/model/unit-sSEED)")
        return cls(match["dataset"], match["model"], match["unit"], int(match["seed"]))

    def input_name(self, role: str) -> str:
        """The name of the run's ``role`` file (metrics, predictions, history, run) among a rule's inputs."""
        return f"{role}|{self.path}"

    def with_model(self, model: str) -> RunKey:
        """The same dataset, unit and seed for another model (its paired run)."""
        return RunKey(self.dataset, model, self.unit, self.seed)


def run_inputs(files: Mapping[str, Value], role: str) -> dict[RunKey, Value]:
    """The ``role`` files among a rule's named inputs, by run (other names are left alone)."""
    runs = {}
    for name, value in files.items():
        found, separator, path = name.partition("|")
        if separator and found == role:
            runs[RunKey.parse(path)] = value
    return runs
