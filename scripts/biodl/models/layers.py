"""Shared layers: the model input (one-hot inside the model) and the task head."""

from __future__ import annotations

import keras
from keras import layers, ops

from biodl.specs import InputSpec, TaskSpec


@keras.saving.register_keras_serializable(package="biodl")
class OneHot(layers.Layer):
    """uint8 tokens → float one-hot over letters; padding (token 0) becomes all zeros.

    Computed per batch inside the model, so no float copy of a dataset is stored.
    """

    def __init__(self, vocabulary_size: int, **kwargs: object):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size

    def call(self, inputs: object) -> object:
        encoded = ops.one_hot(ops.cast(inputs, "int32"), self.vocabulary_size + 1, dtype=self.compute_dtype)
        return encoded[..., 1:]

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size}


@keras.saving.register_keras_serializable(package="biodl")
class MaxOverTime(layers.Layer):
    """Maximum of every feature over time, skipping masked (padding) steps.

    Keras's ``GlobalMaxPooling1D`` drops the mask, so padded steps of
    variable-length sequences would take part in the maximum.
    """

    def __init__(self, **kwargs: object):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: object, mask: object = None) -> object:
        if mask is not None:
            lowest = ops.full_like(inputs, -3.0e38)
            inputs = ops.where(ops.expand_dims(mask, -1), inputs, lowest)
        return ops.max(inputs, axis=1)

    def compute_mask(self, inputs: object, mask: object = None) -> None:
        return None


def model_input(spec: InputSpec) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The Input and the float tensor the family's body starts from."""
    if spec.kind == "tokens":
        inputs = keras.Input(shape=spec.shape, dtype="uint8", name="tokens")
        return inputs, OneHot(spec.vocabulary_size, name="one_hot")(inputs)
    inputs = keras.Input(shape=spec.shape, dtype="float32", name=spec.kind)
    return inputs, inputs


def task_head(features: keras.KerasTensor, task: TaskSpec) -> keras.KerasTensor:
    """Output layer whose size and activation follow from the task, not the family."""
    if task.task == "binary":
        return layers.Dense(1, activation="sigmoid", name="probability")(features)
    if task.task in ("multiclass", "series_classification", "per_position"):
        return layers.Dense(task.n_outputs, activation="softmax", name="probabilities")(features)
    if task.task == "multilabel":
        return layers.Dense(task.n_outputs, activation="sigmoid", name="probabilities")(features)
    if task.task == "regression":
        return layers.Dense(task.n_outputs, name="values")(features)
    if task.task == "forecasting":
        flat = layers.Dense(task.n_outputs, name="values")(features)
        return layers.Reshape(task.output_shape, name="forecast")(flat)
    raise ValueError(f"no head for task {task.task!r}")


def loss_for(task: TaskSpec) -> str:
    """Training loss that matches the head."""
    return {
        "binary": "binary_crossentropy",
        "multilabel": "binary_crossentropy",
        "multiclass": "sparse_categorical_crossentropy",
        "series_classification": "sparse_categorical_crossentropy",
        "per_position": "sparse_categorical_crossentropy",
        "regression": "mean_squared_error",
        "forecasting": "mean_squared_error",
    }[task.task]


def dense_stack(x: keras.KerasTensor, units: list[int], dropout: float, name: str) -> keras.KerasTensor:
    """Fully connected ReLU layers with dropout between them."""
    for index, size in enumerate(units):
        x = layers.Dense(size, activation="relu", name=f"{name}_dense{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{name}_dropout{index}")(x)
    return x
