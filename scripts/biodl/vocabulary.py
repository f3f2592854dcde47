"""The project's vocabularies, stated once: dataset kinds, tasks, model families, metrics of record.

``config/schema.yaml`` offers the same words to users; ``tests/test_vocabulary.py`` keeps the two
equal. Everything else imports from here.
"""

from __future__ import annotations

# dataset kind (config) → the input kind a model is built for
# (an 'intervals' dataset becomes a 'sequences' one once its config is resolved: windows of a genome)
INPUT_KINDS: dict[str, str] = {
    "sequences": "tokens",
    "intervals": "tokens",
    "expression": "vector",
    "timecourse": "series",
}

CLASS_TASKS = ("binary", "multiclass", "series_classification")  # one label per item or series
ITEM_CLASSIFICATION = frozenset({"binary", "multiclass", "multilabel"})  # labels of items, not of series
INTERPRETED_TASKS = ITEM_CLASSIFICATION | {"regression"}  # a score per item, attributed to its inputs
SUPERVISED_TASKS = (*CLASS_TASKS, "multilabel", "regression", "per_position", "forecasting")
TASKS = (*SUPERVISED_TASKS, "generation")

RECURRENT_FAMILIES = tuple(name for cell in ("rnn", "lstm", "gru") for name in (cell, f"bi{cell}"))
SUPERVISED_FAMILIES = ("mlp", "cnn", *RECURRENT_FAMILIES, "cnn_lstm")
GENERATIVE_FAMILIES = ("gan", "vae")
FAMILIES = (*SUPERVISED_FAMILIES, *GENERATIVE_FAMILIES)

# task → (metric of record, whether higher is better)
PRIMARY: dict[str, tuple[str, bool]] = {
    "binary": ("roc_auc", True),
    "multiclass": ("balanced_accuracy", True),
    "series_classification": ("balanced_accuracy", True),
    "multilabel": ("roc_auc_macro", True),
    "regression": ("r2", True),
    "per_position": ("accuracy", True),
    "forecasting": ("mse", False),
}
