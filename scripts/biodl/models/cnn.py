"""1-D convolutional network over sequence positions or time points."""

from __future__ import annotations

import keras
from keras import layers

from biodl.models.layers import dense_stack, model_input, task_head
from biodl.specs import InputSpec, TaskSpec


def build(
    spec: InputSpec,
    task: TaskSpec,
    filters: int = 64,
    kernel_size: int = 9,
    conv_layers: int = 2,
    dense_units: tuple[int, ...] = (64,),
    dropout: float = 0.2,
) -> keras.Model:
    """Conv1D/ReLU × conv_layers ('same' padding) → global max pool → dense → head.

    For per-position tasks the pooling is skipped and the head sees every position.
    """
    inputs, x = model_input(spec)
    for index in range(conv_layers):
        x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name=f"conv{index}")(x)
    if not task.per_position:
        x = layers.GlobalMaxPooling1D(name="max_pool")(x)
    x = dense_stack(x, list(dense_units), dropout, "cnn")
    return keras.Model(inputs, task_head(x, task), name="cnn")
