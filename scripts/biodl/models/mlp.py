"""Dense multilayer perceptron (expression profiles, flattened sequences or windows)."""

from __future__ import annotations

import keras
from keras import layers

from biodl.models.layers import dense_stack, model_input, task_head
from biodl.specs import InputSpec, TaskSpec


def build(
    spec: InputSpec, task: TaskSpec, units: tuple[int, ...] = (128, 64), dropout: float = 0.2
) -> keras.Model:
    """Input → flatten → Dense/ReLU/Dropout × len(units) → task head."""
    inputs, x = model_input(spec)
    if len(spec.shape) > 1 or spec.kind == "tokens":
        x = layers.Flatten(name="flatten")(x)
    x = dense_stack(x, list(units), dropout, "mlp")
    return keras.Model(inputs, task_head(x, task), name="mlp")
