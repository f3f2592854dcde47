"""Batches of a partition for Keras, in an order that depends only on (seed, epoch)."""

from __future__ import annotations

import math

import keras
import numpy as np

from biodl.alphabets import PAD, complement_table, get_alphabet
from biodl.train.loaders import Partition


class Augmentation:
    """Random changes of the token rows of training batches: each row is read as its reverse
    complement with probability one half, and shifted by a whole number of positions drawn
    uniformly from ``-shift … shift`` (the positions it leaves are padding, token 0, as at a
    chromosome's end). Validation and test items are never changed.
    """

    def __init__(self, alphabet: str, reverse_complement: bool, shift: int):
        self.complement = complement_table(get_alphabet(alphabet)) if reverse_complement else None
        self.shift = shift

    def apply(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.array(tokens, copy=True)
        if self.complement is not None:
            flip = rng.random(len(out)) < 0.5
            out[flip] = self.complement[out[flip, ::-1]]
        if self.shift:
            moves = rng.integers(-self.shift, self.shift + 1, size=len(out))
            shifted = np.full_like(out, PAD)
            for move in np.unique(moves[moves != 0]).tolist():
                rows = np.flatnonzero(moves == move)
                if move > 0:
                    shifted[rows, move:] = out[rows, :-move]
                else:
                    shifted[rows, :move] = out[rows, -move:]
            still = moves == 0
            shifted[still] = out[still]
            out = shifted
        return out


class Batches(keras.utils.PyDataset):
    """Batches of one partition; shuffled with a generator seeded by (seed, epoch), and changed by
    ``augment`` with one seeded by (seed, epoch, batch).

    The epoch is set by the caller (:meth:`set_epoch`) rather than counted in
    ``on_epoch_end``, which Keras may call after it has started prefetching the
    next epoch; so a run resumed at epoch k sees the same batches as one that
    never stopped.
    """

    def __init__(
        self,
        partition: Partition,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        epoch: int = 0,
        augment: Augmentation | None = None,
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.partition = partition
        self.augment = augment
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = epoch
        self._order = self._order_for(epoch)

    def _order_for(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.partition))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.partition))

    def __len__(self) -> int:
        return math.ceil(len(self.partition) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.partition.gather(np.sort(chosen))
        if self.augment is None:
            return batch
        rng = np.random.default_rng([self.seed, self.epoch, index])  # the same changes on a resumed run
        return (self.augment.apply(batch[0], rng), *batch[1:])

    def set_epoch(self, epoch: int) -> None:
        """Serve the batches of ``epoch``."""
        self.epoch = epoch
        self._order = self._order_for(epoch)
