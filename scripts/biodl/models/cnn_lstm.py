"""Convolutions feeding a recurrent layer (the DanQ-style hybrid)."""

from __future__ import annotations

import keras
from keras import layers

from biodl.models.layers import model_input, task_head
from biodl.specs import InputSpec, TaskSpec


def build(
    spec: InputSpec,
    task: TaskSpec,
    filters: int = 32,
    kernel_size: int = 9,
    pool_size: int = 4,
    units: int = 32,
    bidirectional: bool = False,
    dropout: float = 0.2,
) -> keras.Model:
    """Conv1D/ReLU → max pool (not for per-position tasks) → dropout → LSTM → max over time → head."""
    inputs, x = model_input(spec)
    x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name="conv")(x)
    if not task.per_position and pool_size > 1 and spec.shape[0] >= 2 * pool_size:
        x = layers.MaxPooling1D(pool_size, name="pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    lstm = layers.LSTM(units, return_sequences=True, name="lstm")
    x = layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    if not task.per_position:
        x = layers.GlobalMaxPooling1D(name="max_over_time")(x)
    return keras.Model(inputs, task_head(x, task), name="cnn_lstm")
