"""Wasserstein GAN with gradient penalty (WGAN-GP) for fixed-length sequences.

The generator maps Gaussian noise through a Dense layer and residual Conv1D
blocks to an L × A matrix of letter probabilities (a softmax per position).
The critic reads one-hot sequences, or the generator's soft one-hot output,
through a motif-wide Conv1D (``EMBED_WIDTH`` letters) and residual Conv1D
blocks to one unbounded score (from each feature's maximum and mean over
positions). Training follows
Gulrajani et al. (2017): for every batch of real sequences, ``critic_steps``
critic updates (fresh noise and interpolates each time), then one generator
update; the critic minimises E[D(fake)] − E[D(real)] + λ·GP, where GP is the
squared distance of the critic's gradient norm from 1 on random interpolates
of real and generated sequences, and the generator minimises −E[D(fake)].

The training step takes gradients with ``tf.GradientTape``, so the GAN trains
on the TensorFlow backend only; the saved generator is a plain Keras model.

Hyper-parameters (``GAN_DEFAULTS``): latent_dim 64, filters 32, kernel_size 5,
blocks 2 (residual blocks in each network), critic_steps 3, gp_weight 10.
Both networks use Adam with the run's learning_rate, beta_1 and beta_2, and
the generator's optimizer keeps an exponential moving average of its weights
(Yazıcı et al. 2019), which the run saves: the last step's generator swings
from epoch to epoch, the average does not. On DNA of length 64 with a 7-bp
site planted in 70 % of 1400 training sequences, learning_rate 1e-3, beta_1
0.0, beta_2 0.9, batch_size 64, ema 0.99 and 30 epochs (about 3 minutes on
one CPU thread) gave samples with the site in 58–60 % of them (held-out 71 %),
the real GC content, a 6-mer divergence to held-out sequences of 0.054 (train
floor 0.048, shuffled 0.080) and no copies of training sequences; the last
step's generator had 0.064–0.076.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

GAN_DEFAULTS = {
    "latent_dim": 64,
    "filters": 32,
    "kernel_size": 5,
    "blocks": 2,
    "critic_steps": 3,
    "gp_weight": 10.0,
}
EMBED_WIDTH = 7  # letters read by the critic's first convolution (a typical binding-site width)
LOSS_NAMES = ("critic_loss", "generator_loss", "gradient_penalty", "wasserstein")


def residual_block(x: keras.KerasTensor, filters: int, kernel_size: int, name: str) -> keras.KerasTensor:
    """ReLU → Conv1D → ReLU → Conv1D, added to the input with weight 0.3 (as in Gulrajani et al.)."""
    h = layers.Activation("relu", name=f"{name}_relu0")(x)
    h = layers.Conv1D(filters, kernel_size, padding="same", name=f"{name}_conv0")(h)
    h = layers.Activation("relu", name=f"{name}_relu1")(h)
    h = layers.Conv1D(filters, kernel_size, padding="same", name=f"{name}_conv1")(h)
    h = layers.Rescaling(0.3, name=f"{name}_scale")(h)
    return layers.Add(name=f"{name}_add")([x, h])


def build_generator(
    length: int, alphabet_size: int, latent_dim: int, filters: int, kernel_size: int, blocks: int
) -> keras.Model:
    """Noise (latent_dim) → Dense → (length × filters) → residual Conv1D blocks → softmax over letters."""
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = layers.Dense(length * filters, name="project")(noise)
    x = layers.Reshape((length, filters), name="positions")(x)
    for index in range(blocks):
        x = residual_block(x, filters, kernel_size, f"block{index}")
    logits = layers.Conv1D(alphabet_size, 1, name="letters")(x)
    probabilities = layers.Softmax(axis=-1, name="probabilities")(logits)
    return keras.Model(noise, probabilities, name="generator")


def build_critic(
    length: int,
    alphabet_size: int,
    filters: int,
    kernel_size: int,
    blocks: int,
    embed_width: int = EMBED_WIDTH,
) -> keras.Model:
    """(Soft) one-hot sequence → Conv1D → residual Conv1D blocks → one unbounded score.

    The first convolution reads ``embed_width`` letters at once, so a single
    filter can match a whole motif. The score reads each feature's maximum
    over positions (is a motif anywhere?) and its mean over positions
    (composition), so the critic judges what a sequence contains wherever it
    lies. (With a 1-letter first convolution and a flattened, position-specific
    map instead, a WGAN-GP on DNA with a planted site learned the site far
    more slowly.)
    """
    sequences = keras.Input(shape=(length, alphabet_size), name="one_hot")
    x = layers.Conv1D(filters, embed_width, padding="same", name="embed")(sequences)
    for index in range(blocks):
        x = residual_block(x, filters, kernel_size, f"block{index}")
    x = layers.Activation("relu", name="features")(x)
    anywhere = layers.GlobalMaxPooling1D(name="max_over_positions")(x)
    overall = layers.GlobalAveragePooling1D(name="mean_over_positions")(x)
    x = layers.Concatenate(name="max_and_mean")([anywhere, overall])
    score = layers.Dense(1, name="score")(x)
    return keras.Model(sequences, score, name="critic")


def adam(
    learning_rate: float, beta_1: float, beta_2: float, name: str, ema: float = 0.0
) -> keras.optimizers.Adam:
    """The Adam optimizer of one network; with ``ema`` > 0 it also keeps a moving average of the weights."""
    return keras.optimizers.Adam(
        learning_rate, beta_1=beta_1, beta_2=beta_2, use_ema=ema > 0, ema_momentum=ema or 0.99, name=name
    )


class WassersteinGAN:
    """Generator, critic, their optimizers and the compiled WGAN-GP training step.

    Noise and interpolation weights come from stateless generators keyed by a
    per-step seed, so a step depends only on the weights, the optimizer states,
    the real batch and that seed: a resumed run repeats the steps of one that
    never stopped.
    """

    def __init__(
        self,
        generator: keras.Model,
        critic: keras.Model,
        critic_steps: int,
        gp_weight: float,
        learning_rate: float,
        beta_1: float,
        beta_2: float,
        ema: float = 0.0,
    ):
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError("the GAN trains on the TensorFlow backend only (KERAS_BACKEND=tensorflow)")
        import tensorflow as tf

        self.generator = generator
        self.critic = critic
        self.critic_steps = int(critic_steps)
        self.gp_weight = float(gp_weight)
        self.latent_dim = int(generator.input_shape[-1])
        self.generator_optimizer = adam(learning_rate, beta_1, beta_2, "generator_adam", ema)
        self.critic_optimizer = adam(learning_rate, beta_1, beta_2, "critic_adam")
        self.generator_optimizer.build(generator.trainable_variables)
        self.critic_optimizer.build(critic.trainable_variables)
        shape = (None, *generator.output_shape[1:])
        self.step = tf.function(
            self._step,
            input_signature=[tf.TensorSpec(shape, tf.float32), tf.TensorSpec((2,), tf.int64)],
        )

    def variables(self) -> list:
        """Every variable that a checkpoint must hold, in a fixed order."""
        return [
            *self.generator.variables,
            *self.critic.variables,
            *self.generator_optimizer.variables,
            *self.critic_optimizer.variables,
        ]

    def use_average_weights(self) -> None:
        """Give the generator the moving average of its weights over the steps (no-op without ``ema``)."""
        self.generator_optimizer.finalize_variable_values(self.generator.trainable_variables)

    def train_step(self, real: np.ndarray, step_seed: tuple[int, int]) -> dict[str, float]:
        """One generator update after ``critic_steps`` critic updates on the batch ``real`` (one-hot)."""
        values = self.step(real, np.asarray(step_seed, dtype=np.int64))
        return {name: float(value) for name, value in zip(LOSS_NAMES, values)}

    def _step(self, real: object, seed: object) -> tuple:
        import tensorflow as tf

        batch = tf.shape(real)[0]
        totals = [tf.constant(0.0)] * 3
        for index in range(self.critic_steps):
            step_seed = tf.random.experimental.stateless_fold_in(seed, index)
            noise = tf.random.stateless_normal((batch, self.latent_dim), step_seed)
            mixing = tf.random.stateless_uniform(
                (batch, 1, 1), tf.random.experimental.stateless_fold_in(step_seed, 1_000_003)
            )
            losses = self._critic_update(real, noise, mixing)
            totals = [total + value for total, value in zip(totals, losses)]
        noise_seed = tf.random.experimental.stateless_fold_in(seed, self.critic_steps)
        generator_loss = self._generator_update(
            tf.random.stateless_normal((batch, self.latent_dim), noise_seed)
        )
        critic_loss, penalty, distance = (total / self.critic_steps for total in totals)
        return critic_loss, generator_loss, penalty, distance

    def _critic_update(self, real: object, noise: object, mixing: object) -> tuple:
        import tensorflow as tf

        fake = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            real_score = tf.reduce_mean(self.critic(real, training=True))
            fake_score = tf.reduce_mean(self.critic(fake, training=True))
            penalty = self._gradient_penalty(real, fake, mixing)
            distance = real_score - fake_score
            loss = -distance + self.gp_weight * penalty
        weights = self.critic.trainable_variables
        self.critic_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss, penalty, distance

    def _gradient_penalty(self, real: object, fake: object, mixing: object) -> object:
        """Mean of (‖∇ critic(x̂)‖ − 1)² over interpolates x̂ = m·real + (1 − m)·fake."""
        import tensorflow as tf

        mixed = mixing * real + (1.0 - mixing) * fake
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.critic(mixed, training=True)
        gradients = tape.gradient(score, mixed)
        norm = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2]) + 1e-12)
        return tf.reduce_mean(tf.square(norm - 1.0))

    def _generator_update(self, noise: object) -> object:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            loss = -tf.reduce_mean(self.critic(fake, training=True))
        weights = self.generator.trainable_variables
        self.generator_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss


def build_gan(length: int, alphabet_size: int, hparams: dict, training: dict) -> WassersteinGAN:
    """A WGAN-GP with the given hyper-parameters (defaults filled in by the caller)."""
    shape = {key: hparams[key] for key in ("filters", "kernel_size", "blocks")}
    generator = build_generator(length, alphabet_size, hparams["latent_dim"], **shape)
    critic = build_critic(length, alphabet_size, **shape)
    return WassersteinGAN(
        generator,
        critic,
        hparams["critic_steps"],
        hparams["gp_weight"],
        training["learning_rate"],
        training["beta_1"],
        training["beta_2"],
        training["ema"],
    )
