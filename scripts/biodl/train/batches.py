"""Batches of a partition for Keras, in an order that depends only on (seed, epoch)."""

from __future__ import annotations

import math

import keras
import numpy as np

from biodl.train.loaders import Partition


class Batches(keras.utils.PyDataset):
    """Batches of one partition; shuffled with a generator seeded by (seed, epoch).

    The epoch is set by the caller (:meth:`set_epoch`) rather than counted in
    ``on_epoch_end``, which Keras may call after it has started prefetching the
    next epoch; so a run resumed at epoch k sees the same batches as one that
    never stopped.
    """

    def __init__(
        self, partition: Partition, batch_size: int, shuffle: bool = False, seed: int = 0, epoch: int = 0
    ):
        super().__init__(workers=1, use_multiprocessing=False)
        self.partition = partition
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
        return self.partition.gather(np.sort(chosen))

    def set_epoch(self, epoch: int) -> None:
        """Serve the batches of ``epoch``."""
        self.epoch = epoch
        self._order = self._order_for(epoch)
