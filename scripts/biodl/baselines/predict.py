"""A fitted baseline as a function of prepared inputs, for new data (bundles) and for interpretation.

The inputs are what the Keras models read (tokens, normalised expression, z-scored series or
forecasting windows); the baseline's own features are computed from them as in training.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from biodl.alphabets import PAD
from biodl.baselines.methods import (
    Letters,
    dense_for_trees,
    fitted_features,
    forecasts,
    item_scores,
    position_scores,
    position_window,
    residue_features,
)
from biodl.specs import InputSpec
from biodl.train.loaders import Partition

Predictor = Callable[[np.ndarray], np.ndarray]


def baseline_settings(run: dict, meta: dict) -> dict:
    """What computing a baseline's features needs: its method, the setting it chose (k-mer size,
    span), for sequences the canonical alphabet size and the configured k, and for per-position
    tasks the residues read on each side."""
    settings = {"method": run["method"], "chosen": run["chosen"]}
    if meta["kind"] == "sequences":
        settings.update(alphabet_size=len(meta["kmer"]["letters"]), kmer_k=meta["kmer"]["k"])
    if meta["task"] == "per_position":
        settings["window"] = position_window(run["method"], run["hparams"])
    return settings


def fitted_predictor(settings: dict, description: dict, state: dict) -> Predictor:
    """A baseline's scores for an array of prepared inputs: its features computed as in training,
    scaled with its training scaler, then its estimator; the residue windows of a per-position
    baseline; the windows of a forecasting one. ``description`` holds the run's ``kind``, ``task``,
    ``input`` and ``output`` specs and label ``encoding`` (as a bundle or run.json records them);
    ``state`` its fitted estimators."""
    task = description["task"]
    n_classes = len(description["encoding"].get("classes", [])) or 2
    if task == "per_position":
        return residue_predictor(
            settings, state["estimator"], description["input"]["vocabulary_size"], n_classes
        )
    if task == "forecasting":
        return forecast_predictor(settings["method"], state, tuple(description["output"]["output_shape"]))
    spec = InputSpec(**{**description["input"], "shape": tuple(description["input"]["shape"])})
    letters = (
        Letters(settings["alphabet_size"], settings["kmer_k"]) if description["kind"] == "sequences" else None
    )
    features = fitted_features(settings["method"], settings["chosen"], spec, letters)

    def predict(inputs: np.ndarray) -> np.ndarray:
        partition = Partition(
            [""] * len(inputs), lambda positions: (inputs[positions], None), lambda positions: None
        )
        values = dense_for_trees(settings["method"], state["scaler"].transform(features(partition)))
        return item_scores(task, n_classes, state["estimator"], values)

    return predict


def residue_predictor(settings: dict, estimator: object, vocabulary: int, n_classes: int) -> Predictor:
    """A per-position baseline's item × position × class scores: its estimator on the window around
    every residue (padding left out, as in training)."""

    def predict(tokens: np.ndarray) -> np.ndarray:
        residues = tokens != PAD
        x = residue_features(settings["method"], tokens, residues, settings["window"], vocabulary)
        return position_scores(estimator, x, residues, n_classes)

    return predict


def forecast_predictor(method: str, state: dict, output_shape: tuple[int, int]) -> Predictor:
    """A forecasting baseline's window × horizon × gene forecasts."""
    return lambda windows: forecasts(method, state, windows, output_shape)
