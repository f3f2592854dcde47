"""1-D convolutional network over sequence positions or time points."""

from __future__ import annotations

import keras
from keras import layers

from biodl.models.layers import dense_stack, model_input, task_head
from biodl.specs import InputSpec, TaskSpec

POOLINGS = ("max", "flatten")


def build(
    spec: InputSpec,
    task: TaskSpec,
    filters: int = 64,
    kernel_size: int = 9,
    conv_layers: int = 2,
    dense_units: tuple[int, ...] = (64,),
    dropout: float = 0.2,
    pooling: str = "max",
    pool_size: int = 4,
) -> keras.Model:
    """Conv1D/ReLU × conv_layers ('same' padding) → pooling → dense → head.

    ``pooling="max"`` takes the global maximum of every filter: the model finds a
    motif wherever it lies. ``pooling="flatten"`` max-pools windows of
    ``pool_size`` positions and flattens them, so the head knows where each motif
    was found (splice sites, promoters: signals at fixed offsets); it needs
    fixed-length input. For per-position tasks the pooling is skipped and the
    head sees every position.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"cnn: pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
    inputs, x = model_input(spec)
    for index in range(conv_layers):
        x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name=f"conv{index}")(x)
    if not task.per_position:
        x = global_or_positional_pooling(x, pooling, pool_size)
    x = dense_stack(x, list(dense_units), dropout, "cnn")
    return keras.Model(inputs, task_head(x, task), name="cnn")


def global_or_positional_pooling(x: keras.KerasTensor, pooling: str, pool_size: int) -> keras.KerasTensor:
    """Global max over positions, or windowed max pooling flattened position by position."""
    if pooling == "max":
        return layers.GlobalMaxPooling1D(name="max_pool")(x)
    pooled = layers.MaxPooling1D(pool_size, padding="same", name="window_pool")(x)
    return layers.Flatten(name="positions")(pooled)
