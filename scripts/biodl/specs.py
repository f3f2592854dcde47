"""What a model is built for: the shape of its input and the task of its head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InputKind = Literal["tokens", "vector", "series"]


@dataclass(frozen=True)
class InputSpec:
    """Model input: ``tokens`` (uint8 N × L), ``vector`` (N × F) or ``series`` (N × T × F).

    ``padded`` (tokens only) says whether some rows are shorter than L and carry
    padding (token 0); models that must skip padding mask it only then.
    """

    kind: InputKind
    shape: tuple[int, ...]
    vocabulary_size: int = 0
    padded: bool = True

    def to_dict(self) -> dict:
        """Plain form for run.json."""
        return {
            "kind": self.kind,
            "shape": list(self.shape),
            "vocabulary_size": self.vocabulary_size,
            "padded": self.padded,
        }


@dataclass(frozen=True)
class TaskSpec:
    """Model output: the task and the number of classes, labels or targets per prediction."""

    task: str
    n_outputs: int
    output_shape: tuple[int, ...] = ()

    @property
    def per_position(self) -> bool:
        """True when the model predicts one output per input position."""
        return self.task == "per_position"

    def to_dict(self) -> dict:
        """Plain form for run.json."""
        return {"task": self.task, "n_outputs": self.n_outputs, "output_shape": list(self.output_shape)}
