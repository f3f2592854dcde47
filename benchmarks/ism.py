"""Benchmark: in-silico mutagenesis, vectorised (biodl.interpret.attributions.ism) against a naive loop.

The demo's ``dna_binary`` CNN (its trained weights; global max pooling makes them valid at any
length, so the same layers are rebuilt for 200 bp input) scores every single substitution of
N random 200 bp sequences:

- ``vectorised``: ``ism`` (mutants made by broadcasting one-hot arrays, scored in batches);
- ``naive loop``: one forward pass per mutant, as a loop over positions and letters would do,
  timed on the first few sequences only (a full run would take hours) and given per mutant.

Both give the same effects on the sequences the loop covers (largest difference printed).

    python benchmarks/ism.py                      # 1,000 sequences, the loop on 3 of them
    python benchmarks/ism.py --items 100 --loop-items 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from biodl.data.encode import one_hot
from biodl.families import model_hparams
from biodl.interpret.attributions import ism, logit_model
from biodl.models import build
from biodl.specs import InputSpec, TaskSpec

RUN = Path("results/dna_binary/cnn/holdout-s1")
LENGTH, LETTERS, SEED = 200, 4, 20261206


def model_at_length(run: Path, length: int) -> keras.Model:
    """The run's trained CNN with its layers rebuilt for input of ``length`` tokens."""
    import biodl.models.layers  # noqa: F401  (registers the custom layers)

    saved = keras.models.load_model(run / "model.keras")
    settings = json.loads((run / "run.json").read_text())
    task = TaskSpec(**{**settings["task"], "output_shape": tuple(settings["task"]["output_shape"])})
    spec = InputSpec("tokens", (length,), settings["input"]["vocabulary_size"], padded=False)
    model = build(settings["family"], spec, task, **model_hparams(settings["family"], settings["hparams"]))
    model.set_weights(saved.get_weights())
    return model


def naive_ism(logits: object, tokens: np.ndarray) -> np.ndarray:
    """One forward pass of the logit model per single substitution."""
    effects = np.zeros((*tokens.shape, LETTERS), dtype=np.float32)
    for item, row in enumerate(tokens):
        reference = float(logits.predict(one_hot(row[None], LETTERS))[0, 0])
        for position in range(len(row)):
            for letter in range(LETTERS):
                if letter + 1 == row[position]:
                    continue
                mutant = row.copy()
                mutant[position] = letter + 1
                effects[item, position, letter] = (
                    logits.predict(one_hot(mutant[None], LETTERS))[0, 0] - reference
                )
    return effects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=RUN)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--loop-items", type=int, default=3)
    arguments = parser.parse_args()
    tokens = (
        np.random.default_rng(SEED).integers(1, LETTERS + 1, size=(arguments.items, LENGTH)).astype(np.uint8)
    )
    logits = logit_model(model_at_length(arguments.run, LENGTH))
    logits.predict(one_hot(tokens[:2], LETTERS))  # build the prediction step before timing
    mutants = arguments.items * LENGTH * (LETTERS - 1)
    start = time.perf_counter()
    effects = ism(logits, tokens, LETTERS, 0)
    vectorised = time.perf_counter() - start
    start = time.perf_counter()
    looped = naive_ism(logits, tokens[: arguments.loop_items])
    loop = time.perf_counter() - start
    loop_mutants = arguments.loop_items * LENGTH * (LETTERS - 1)
    difference = float(np.abs(looped - effects[: arguments.loop_items]).max())
    backend = keras.backend.backend()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, keras {keras.__version__} ({backend})")
    print(f"{arguments.items} sequences of {LENGTH} bp, {mutants:,} single substitutions")
    print("| method | sequences | mutants | seconds | mutants/s | seconds for all |")
    print("|---|--:|--:|--:|--:|--:|")
    print(
        f"| vectorised (ism) | {arguments.items:,} | {mutants:,} | {vectorised:.1f} | "
        f"{mutants / vectorised:,.0f} | {vectorised:.1f} |"
    )
    rate = loop_mutants / loop
    print(
        f"| naive loop (one pass per mutant) | {arguments.loop_items:,} | {loop_mutants:,} | {loop:.1f} | "
        f"{rate:,.0f} | {mutants / rate:,.0f} (extrapolated) |"
    )
    print(f"largest difference between the two on the looped sequences: {difference:.1e}")


if __name__ == "__main__":
    main()
