"""Variational autoencoders for expression profiles and for sequences.

Both encode an item to a Gaussian latent (mean and log-variance), draw
z = mean + exp(log_var / 2)·ε, decode z and minimise reconstruction + β·KL,
where KL is that of the latent from the standard normal prior (summed over
latent dimensions) and the KL weight rises from 0 to ``beta`` over
``warmup_epochs`` (epoch e, counted from 0, weighs β·min(1, e / warmup_epochs)).
Validation losses use the epoch's weight, so once the warm-up is over (when
early stopping starts counting) they are the β-objective, the negative ELBO
for β = 1. A β below 1 lets the latent keep more of each item (less collapse
to the prior) at the cost of samples from the prior that fit less well.

Likelihoods (the reconstruction term, per item, summed over features):

- ``gaussian``: normalised values (e.g. z-scored features) under a Gaussian
  with unit variance, i.e. half the sum of squared errors;
- ``negative_binomial``: raw counts with mean = library size × the decoder's
  softmax proportions and a learned dispersion θ per gene (as in scVI);
- ``categorical`` (sequence VAE): cross-entropy of the letter at every
  non-padding position under the decoder's softmax over the alphabet.

Hyper-parameters (``EXPRESSION_DEFAULTS`` / ``SEQUENCE_DEFAULTS``):
expression: latent_dim 8, units [128, 64] (the decoder mirrors the encoder),
likelihood gaussian, warmup_epochs 10, beta 1; sequences: latent_dim 16,
filters 64, kernel_size 9, units 128, warmup_epochs 10, beta 1.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from biodl.models.layers import OneHot

EXPRESSION_DEFAULTS = {
    "latent_dim": 8,
    "units": [128, 64],
    "likelihood": "gaussian",
    "warmup_epochs": 10,
    "beta": 1.0,
}
SEQUENCE_DEFAULTS = {
    "latent_dim": 16,
    "filters": 64,
    "kernel_size": 9,
    "units": 128,
    "warmup_epochs": 10,
    "beta": 1.0,
}
LIKELIHOODS = ("gaussian", "negative_binomial")
EPSILON = 1e-8


def log_gamma(x: object) -> object:
    """log Γ(x) elementwise, from the backend (Keras ops has no lgamma)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.math.lgamma(x)
    if backend == "jax":
        from jax.scipy.special import gammaln

        return gammaln(x)
    if backend == "torch":
        import torch

        return torch.lgamma(x)
    raise RuntimeError(f"no log-gamma function for the {backend} backend")


def negative_binomial_log_likelihood(counts: object, mean: object, dispersion: object) -> object:
    """log NB(counts | mean, dispersion θ) elementwise (variance = mean + mean²/θ)."""
    log_total = ops.log(dispersion + mean + EPSILON)
    return (
        log_gamma(counts + dispersion)
        - log_gamma(dispersion)
        - log_gamma(counts + 1.0)
        + dispersion * (ops.log(dispersion + EPSILON) - log_total)
        + counts * (ops.log(mean + EPSILON) - log_total)
    )


def kl_weight(epoch: int, warmup_epochs: int, beta: float = 1.0) -> float:
    """KL weight of an epoch (counted from 0): 0 at the start, ``beta`` from epoch ``warmup_epochs`` on."""
    return beta if warmup_epochs <= 0 else beta * min(1.0, epoch / warmup_epochs)


@keras.saving.register_keras_serializable(package="biodl")
class GaussianSample(layers.Layer):
    """z = mean + exp(log_var / 2)·ε with ε from a seeded generator (the reparameterisation)."""

    def __init__(self, seed: int | None = None, **kwargs: object):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: list) -> object:
        mean, log_var = inputs
        noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="biodl")
class VariationalAutoencoder(keras.Model):
    """Encoder → Gaussian latent → decoder, trained on reconstruction + β·KL.

    ``call`` returns (decoded, latent mean, latent log-variance); the decoded
    output is a value per feature (gaussian), proportions per gene
    (negative_binomial) or letter probabilities per position (categorical).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        likelihood: str,
        seed: int | None = None,
        **kwargs: object,
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.seed = seed
        self.sampler = GaussianSample(seed, name="sample")
        self.kl_weight = self.add_weight(shape=(), initializer="zeros", trainable=False, name="kl_weight")
        if likelihood == "negative_binomial":
            genes = decoder.output_shape[-1]
            self.log_dispersion = self.add_weight(shape=(genes,), initializer="zeros", name="log_dispersion")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        if likelihood == "categorical":
            self.accuracy_tracker = keras.metrics.Mean(name="accuracy")
        self.built = True

    def call(self, inputs: object, training: bool = False) -> tuple:
        mean, log_var = self.encoder(inputs, training=training)
        decoded = self.decoder(self.sampler([mean, log_var]), training=training)
        return decoded, mean, log_var

    def compute_loss(
        self,
        x: object = None,
        y: object = None,
        y_pred: object = None,
        sample_weight: object = None,
        training: bool = True,
    ) -> object:
        decoded, mean, log_var = y_pred
        reconstruction = ops.mean(self.reconstruction_error(y, decoded))
        kl = ops.mean(-0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.kl_weight * kl

    def reconstruction_error(self, target: object, decoded: object) -> object:
        """Negative log-likelihood of each item's target under the decoded output."""
        if self.likelihood == "gaussian":
            return 0.5 * ops.sum(ops.square(ops.cast(target, decoded.dtype) - decoded), axis=-1)
        if self.likelihood == "negative_binomial":
            counts = ops.cast(target, decoded.dtype)
            mean = decoded * ops.sum(counts, axis=-1, keepdims=True)
            dispersion = ops.exp(self.log_dispersion)
            return -ops.sum(negative_binomial_log_likelihood(counts, mean, dispersion), axis=-1)
        return self._categorical_error(target, decoded)

    def _categorical_error(self, tokens: object, probabilities: object) -> object:
        """Cross-entropy over non-padding positions; also updates the reconstruction accuracy."""
        letters = ops.shape(probabilities)[-1]
        expected = ops.one_hot(ops.cast(tokens, "int32"), letters + 1, dtype=probabilities.dtype)[..., 1:]
        present = ops.sum(expected, axis=-1)
        log_likelihood = ops.sum(expected * ops.log(probabilities + EPSILON), axis=-1)
        correct = ops.cast(ops.argmax(probabilities, axis=-1) + 1 == ops.cast(tokens, "int32"), present.dtype)
        self.accuracy_tracker.update_state(correct, sample_weight=present)
        return -ops.sum(log_likelihood * present, axis=-1)

    def dispersion(self) -> object:
        """Per-gene dispersion θ of the negative-binomial likelihood."""
        return ops.exp(self.log_dispersion)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "likelihood": self.likelihood,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict) -> VariationalAutoencoder:
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def gaussian_latent(x: keras.KerasTensor, latent_dim: int) -> list[keras.KerasTensor]:
    """Latent mean and log-variance heads."""
    return [layers.Dense(latent_dim, name="z_mean")(x), layers.Dense(latent_dim, name="z_log_var")(x)]


def build_expression_vae(
    n_inputs: int,
    n_genes: int,
    latent_dim: int,
    units: list[int],
    likelihood: str,
    seed: int | None = None,
) -> VariationalAutoencoder:
    """Dense encoder (n_inputs → units → latent) and mirrored decoder (latent → units reversed → n_genes).

    ``n_genes`` is the decoder's width: the modelled features (gaussian) or the count matrix's genes.
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"unknown likelihood {likelihood!r}; choose one of {list(LIKELIHOODS)}")
    inputs = keras.Input(shape=(n_inputs,), name="features")
    x = inputs
    for index, size in enumerate(units):
        x = layers.Dense(size, activation="relu", name=f"encoder_dense{index}")(x)
    encoder = keras.Model(inputs, gaussian_latent(x, latent_dim), name="encoder")
    latent = keras.Input(shape=(latent_dim,), name="z")
    x = latent
    for index, size in enumerate(reversed(units)):
        x = layers.Dense(size, activation="relu", name=f"decoder_dense{index}")(x)
    if likelihood == "gaussian":
        output = layers.Dense(n_genes, name="values")(x)
    else:
        output = layers.Dense(n_genes, activation="softmax", name="proportions")(x)
    decoder = keras.Model(latent, output, name="decoder")
    return VariationalAutoencoder(encoder, decoder, likelihood, seed, name="expression_vae")


def build_sequence_vae(
    length: int,
    alphabet_size: int,
    latent_dim: int,
    filters: int,
    kernel_size: int,
    units: int,
    seed: int | None = None,
) -> VariationalAutoencoder:
    """Conv1D encoder over one-hot tokens and a decoder with a softmax over the alphabet per position.

    Encoder: one-hot → Conv1D × 2 (the second with stride 2) → Dense(units) → latent.
    Decoder: z → Dense(units) → Dense(length × 16) → Conv1D(filters) → Conv1D(alphabet, 1) → softmax.
    """
    tokens = keras.Input(shape=(length,), dtype="uint8", name="tokens")
    x = OneHot(alphabet_size, name="one_hot")(tokens)
    x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name="encoder_conv0")(x)
    x = layers.Conv1D(
        filters, kernel_size, strides=2, padding="same", activation="relu", name="encoder_conv1"
    )(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(units, activation="relu", name="encoder_dense")(x)
    encoder = keras.Model(tokens, gaussian_latent(x, latent_dim), name="encoder")
    latent = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(units, activation="relu", name="decoder_dense")(latent)
    x = layers.Dense(length * 16, activation="relu", name="decoder_positions")(x)
    x = layers.Reshape((length, 16), name="positions")(x)
    x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name="decoder_conv")(x)
    x = layers.Conv1D(alphabet_size, 1, name="letters")(x)
    probabilities = layers.Softmax(axis=-1, name="probabilities")(x)
    decoder = keras.Model(latent, probabilities, name="decoder")
    return VariationalAutoencoder(encoder, decoder, "categorical", seed, name="sequence_vae")
