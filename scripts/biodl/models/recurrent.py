"""Recurrent networks: SimpleRNN, LSTM and GRU, stacked, optionally bidirectional."""

from __future__ import annotations

import keras
from keras import layers

from biodl.models.layers import MaxOverTime, model_input, task_head
from biodl.specs import InputSpec, TaskSpec

CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def build(
    spec: InputSpec,
    task: TaskSpec,
    cell: str = "lstm",
    bidirectional: bool = False,
    units: tuple[int, ...] = (32,),
    dropout: float = 0.0,
    pooling: str = "max",
) -> keras.Model:
    """(Masking) → [Bidirectional] recurrent layer × len(units) → pooling → head.

    Padding positions of token inputs are masked, so they do not feed the
    recurrence; inputs without padding get no mask (the same numbers with
    1.2–1.5 times less CPU time per epoch; docs/benchmarks.md). For per-item
    tasks the hidden states are max-pooled over time (``pooling="max"``; a
    signal anywhere in a long sequence reaches the head directly) or the last
    state is used (``pooling="last"``); per-position tasks keep every state.
    """
    inputs, x = model_input(spec)
    if spec.kind == "tokens" and spec.padded:
        x = layers.Masking(mask_value=0.0, name="mask_padding")(x)
    keep_sequence = task.per_position or pooling == "max"
    for index, size in enumerate(units):
        last = index == len(units) - 1
        layer = CELLS[cell](
            size, return_sequences=keep_sequence or not last, dropout=dropout, name=f"{cell}{index}"
        )
        x = layers.Bidirectional(layer, name=f"bi{cell}{index}")(x) if bidirectional else layer(x)
    if pooling == "max" and not task.per_position:
        x = MaxOverTime(name="max_over_time")(x)
    name = f"bi{cell}" if bidirectional else cell
    return keras.Model(inputs, task_head(x, task), name=name)
