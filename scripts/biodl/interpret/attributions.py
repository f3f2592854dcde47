"""What a trained model uses: gradient × input, integrated gradients and in-silico mutagenesis.

Attributions are taken on the model's *logits* (the head's input times its kernel plus bias,
before the sigmoid or softmax), as DeepLIFT, gReLU and the Basset/Basenji workflows do: a
probability saturates, so the gradient of a confident prediction would say nothing. A sequence
model is attributed with respect to its one-hot input: the part of the model after its ``OneHot``
layer is taken as a model of its own.

Gradients come from the Keras backend in use (TensorFlow's tape, ``jax.grad`` or PyTorch's
autograd: Keras 3 has no backend-neutral gradient); everything else is ``keras.ops`` and numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from biodl.data.encode import one_hot
from biodl.train.predict import predict_in_batches

HEADS = ("probability", "probabilities", "values")  # the task head's layer name (biodl.models.layers)
BATCH_SIZE = 256


@dataclass
class LogitModel:
    """A model from its (one-hot or numeric) input to the logits of its head."""

    body: keras.Model  # input → the head's input features
    kernel: np.ndarray
    bias: np.ndarray

    def logits(self, inputs: object) -> object:
        """Logits of a batch (a backend tensor, so that gradients flow)."""
        return ops.matmul(self.body(inputs), self.kernel) + self.bias

    def predict(self, inputs: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Logits of an array, batch by batch (the body's compiled prediction step, then the head)."""
        return predict_in_batches(self.body, inputs, batch_size) @ self.kernel + self.bias


def head_layer(model: keras.Model) -> keras.layers.Layer:
    """The task head (a Dense layer named by :func:`biodl.models.layers.task_head`)."""
    for name in HEADS:
        try:
            return model.get_layer(name)
        except ValueError:
            continue
    raise ValueError(f"model {model.name!r} has no task head ({', '.join(HEADS)})")


def logit_model(model: keras.Model) -> LogitModel:
    """The model from its one-hot input (sequence models) or its input (others) to its logits."""
    head = head_layer(model)
    try:
        encoder = model.get_layer("one_hot")
    except ValueError:
        encoder = None
    start = encoder.output if encoder is not None else model.inputs[0]
    body = keras.Model(start, head.input, name=f"{model.name}_body")
    kernel, bias = (ops.convert_to_numpy(weight) for weight in head.weights)
    return LogitModel(body, kernel, bias)


Output = int | np.ndarray  # a logit column, or weights over every item's logits (item × logit shape)


def weighted_gradient_function(logits: LogitModel) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """d sum(logits(x) · weights) / dx for the Keras backend in use: with weights that select one
    logit per item (each item's logits depend on that item's input only), every item's own gradient."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def gradient(x: object, weights: object) -> object:
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(logits.logits(x) * weights)
            return tape.gradient(total, x)

        return lambda x, weights: gradient(
            tf.convert_to_tensor(x, dtype=tf.float32), tf.convert_to_tensor(weights, dtype=tf.float32)
        ).numpy()
    if backend == "jax":
        import jax

        gradient = jax.jit(jax.grad(lambda x, weights: (logits.logits(x) * weights).sum()))
        return lambda x, weights: np.asarray(gradient(x.astype(np.float32), weights.astype(np.float32)))
    if backend == "torch":
        import torch

        def gradient(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
            tensor = torch.tensor(x, dtype=torch.float32, requires_grad=True)
            (logits.logits(tensor) * torch.tensor(weights, dtype=torch.float32)).sum().backward()
            return tensor.grad.detach().cpu().numpy()

        return gradient
    raise ValueError(f"no gradients for Keras backend {backend!r}")


def output_weights(logits: LogitModel, n_items: int, output: Output) -> np.ndarray:
    """Weights over the logits of ``n_items`` items that select ``output``: one-hot on its column (at
    every position of a per-position model), or the given per-item weights."""
    if not isinstance(output, int | np.integer):
        return np.asarray(output, dtype=np.float32)
    shape = (n_items, *logits.body.output.shape[1:-1], logits.kernel.shape[1])
    weights = np.zeros(shape, dtype=np.float32)
    weights[..., int(output)] = 1.0
    return weights


def gradients(
    logits: LogitModel, inputs: np.ndarray, output: Output, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """The gradient of logit ``output`` with respect to every input value, batch by batch."""
    gradient = weighted_gradient_function(logits)
    weights = output_weights(logits, len(inputs), output)
    return np.concatenate(
        [
            gradient(inputs[first : first + batch_size], weights[first : first + batch_size])
            for first in range(0, len(inputs), batch_size)
        ]
    )


def gradient_times_input(logits: LogitModel, inputs: np.ndarray, output: Output) -> np.ndarray:
    """Gradient × input: for a one-hot input, the gradient at each position's own letter."""
    return gradients(logits, inputs, output) * inputs


def uniform_background(inputs: np.ndarray, letters: int | None = None) -> np.ndarray:
    """The usual reference of a one-hot sequence: each of the first ``letters`` channels (the
    canonical letters, without an ambiguity code; all by default) at 1/letters where the item has a
    residue, zeros at its padding (an all-zero sequence would be all padding, which a masking model
    reads as no sequence at all)."""
    letters = letters or inputs.shape[-1]
    background = np.zeros(inputs.shape, dtype=np.float32)
    background[..., :letters] = inputs.sum(axis=-1, keepdims=True) / letters
    return background


def path_gradients(
    logits: LogitModel,
    inputs: np.ndarray,
    output: Output,
    references: np.ndarray,
    *,
    steps: int = 32,
    batch_size: int = BATCH_SIZE,
) -> np.ndarray:
    """The gradient of logit ``output`` averaged over ``steps`` points (midpoint rule) of the straight
    path from each item's reference to the item."""
    gradient = weighted_gradient_function(logits)
    weights = output_weights(logits, len(inputs), output)
    alphas = ((np.arange(steps, dtype=np.float32) + 0.5) / steps).reshape(-1, *([1] * inputs.ndim))
    total = np.zeros(inputs.shape, dtype=np.float32)
    items_per_batch = max(1, batch_size // steps)
    for first in range(0, len(inputs), items_per_batch):
        chunk = slice(first, first + items_per_batch)
        start, end = references[chunk], inputs[chunk].astype(np.float32)
        path = (start[None] + alphas * (end - start)[None]).reshape(-1, *inputs.shape[1:])
        chosen = np.broadcast_to(weights[chunk][None], (steps, *weights[chunk].shape))
        total[chunk] = (
            gradient(path, chosen.reshape(-1, *weights.shape[1:])).reshape(steps, *end.shape).mean(axis=0)
        )
    return total


def integrated_gradients(
    logits: LogitModel,
    inputs: np.ndarray,
    output: Output,
    *,
    baseline: np.ndarray | None = None,
    steps: int = 32,
    batch_size: int = BATCH_SIZE,
) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017) from ``baseline`` (zeros; one reference for
    every item, e.g. the training mean; or one per item, e.g. :func:`uniform_background`).

    The attributions of an item sum to its logit minus the baseline's, up to the midpoint rule's error.
    """
    if baseline is None:
        baseline = np.zeros(inputs.shape[1:], dtype=np.float32)
    references = np.broadcast_to(np.asarray(baseline, dtype=np.float32), inputs.shape)
    averaged = path_gradients(logits, inputs, output, references, steps=steps, batch_size=batch_size)
    return averaged * (inputs - references)


def hypothetical_contributions(
    logits: LogitModel, inputs: np.ndarray, output: Output, *, steps: int = 32, letters: int | None = None
) -> np.ndarray:
    """What each of the first ``letters`` letters (all by default) would contribute at every position
    (item × position × letter), as TF-MoDISco takes them: the path-averaged gradient from the uniform
    background over those letters, centred over them at each position. At an item's own letter this
    is its integrated gradient from that background, so ``hypothetical * one_hot[..., :letters]``
    are the actual contributions (none at an ambiguity code)."""
    letters = letters or inputs.shape[-1]
    references = uniform_background(inputs, letters)
    averaged = path_gradients(logits, inputs, output, references, steps=steps)[..., :letters]
    centred = averaged - averaged.mean(axis=-1, keepdims=True)
    return centred * inputs.sum(axis=-1, keepdims=True)  # nothing at padding


def ism(
    logits: LogitModel,
    tokens: np.ndarray,
    vocabulary_size: int,
    output: int | None,
    *,
    letters: int | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """In-silico mutagenesis: item × position × letter change of logit ``output`` (of every logit, on
    a last axis, when None) when the letter at that position becomes one of the first ``letters``
    letters (all by default); 0 at the item's own letter and at padding.

    Every single substitution of every item is made by broadcasting one-hot arrays and scored in
    batches of ``batch_size`` mutants; no Python loop runs per mutant.
    """
    letters = letters or vocabulary_size
    columns = slice(None) if output is None else output
    reference = one_hot(tokens, vocabulary_size)
    original = logits.predict(reference)[:, columns]
    n_items, width = tokens.shape
    residues = tokens != 0
    item, position, letter = np.nonzero(np.repeat(residues[:, :, None], letters, axis=2))
    mutated = letter + 1 != tokens[item, position]
    item, position, letter = item[mutated], position[mutated], letter[mutated]
    effects = np.zeros((n_items, width, letters, *original.shape[1:]), dtype=np.float32)
    for first in range(0, len(item), batch_size):
        chosen = slice(first, first + batch_size)
        rows = item[chosen]
        batch = reference[rows].copy()
        index = np.arange(len(rows))
        batch[index, position[chosen], :] = 0.0
        batch[index, position[chosen], letter[chosen]] = 1.0
        scores = logits.predict(batch, batch_size=batch_size)[:, columns]
        effects[rows, position[chosen], letter[chosen]] = scores - original[rows]
    return effects


def ism_importance(effects: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """What each item's own letter adds by in-silico mutagenesis (item × position): minus the mean
    change over the substitutions of the ``effects`` (item × position × letter) letters; 0 where the
    item has padding or a letter outside them (an ambiguity code)."""
    letters = effects.shape[2]
    canonical = (tokens > 0) & (tokens <= letters)
    return np.where(canonical, -effects.sum(axis=2) / (letters - 1), 0.0).astype(np.float32)


def profile_agreement(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per item, the Pearson correlation of two attribution profiles (item × position); NaN where
    either is constant (row-wise, and without the warning per constant row of scipy's pearsonr)."""
    first = first - first.mean(axis=1, keepdims=True)
    second = second - second.mean(axis=1, keepdims=True)
    scale = np.sqrt((first**2).sum(axis=1) * (second**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, (first * second).sum(axis=1) / scale, np.nan)


def position_profile(contributions: np.ndarray) -> np.ndarray:
    """The mean absolute contribution at each position (summed over letters) over the items
    (item × position × letter → position)."""
    return np.abs(contributions).sum(axis=-1).mean(axis=0)
