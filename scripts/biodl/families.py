"""What each model family can train on, without importing Keras (used while planning the DAG)."""

from __future__ import annotations

INPUT_KINDS = {"sequences": "tokens", "expression": "vector", "timecourse": "series"}
SUPERVISED_TASKS = {
    "binary",
    "multiclass",
    "multilabel",
    "regression",
    "per_position",
    "forecasting",
    "series_classification",
}
ORDERED = frozenset({"tokens", "series"})

# family → (input kinds, per-position capable, hyper-parameters of its builder)
CAPABILITIES: dict[str, tuple[frozenset[str], bool, frozenset[str]]] = {
    "mlp": (frozenset({"vector", "series"}), False, frozenset({"units", "dropout"})),
    "cnn": (ORDERED, True, frozenset({"filters", "kernel_size", "conv_layers", "dense_units", "dropout"})),
    "cnn_lstm": (
        ORDERED,
        True,
        frozenset({"filters", "kernel_size", "pool_size", "units", "bidirectional", "dropout"}),
    ),
}
for _cell in ("rnn", "lstm", "gru"):
    for _name in (_cell, f"bi{_cell}"):
        CAPABILITIES[_name] = (ORDERED, True, frozenset({"units", "dropout", "pooling"}))


def supports(family: str, input_kind: str, task: str) -> bool:
    """Whether ``family`` can be trained on this input kind and task."""
    if family not in CAPABILITIES or task not in SUPERVISED_TASKS:
        return False
    inputs, per_position, _ = CAPABILITIES[family]
    return input_kind in inputs and (per_position or task != "per_position")


def unknown_hparams(family: str, hparams: dict) -> list[str]:
    """Hyper-parameter names the family's builder does not take."""
    return sorted(set(hparams) - CAPABILITIES[family][2]) if family in CAPABILITIES else []
