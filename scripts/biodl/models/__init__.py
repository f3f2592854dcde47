"""Model families: one builder per family, ``build(input_spec, task, **hparams) -> keras.Model``.

Adding a family is one module, one line in ``FAMILIES`` and one in
``biodl.families.CAPABILITIES`` (what it can train on, read while planning).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import keras

from biodl.families import supports
from biodl.models import cnn, cnn_lstm, mlp, recurrent
from biodl.specs import InputSpec, TaskSpec

FAMILIES: dict[str, Callable[..., keras.Model]] = {
    "mlp": mlp.build,
    "cnn": cnn.build,
    "rnn": partial(recurrent.build, cell="rnn"),
    "lstm": partial(recurrent.build, cell="lstm"),
    "gru": partial(recurrent.build, cell="gru"),
    "birnn": partial(recurrent.build, cell="rnn", bidirectional=True),
    "bilstm": partial(recurrent.build, cell="lstm", bidirectional=True),
    "bigru": partial(recurrent.build, cell="gru", bidirectional=True),
    "cnn_lstm": cnn_lstm.build,
}


def build(family: str, spec: InputSpec, task: TaskSpec, **hparams: object) -> keras.Model:
    """Build a model of ``family`` for ``spec`` and ``task`` (see :mod:`biodl.families`)."""
    if not supports(family, spec.kind, task.task):
        raise ValueError(f"family {family!r} does not support {spec.kind} inputs with task {task.task!r}")
    return FAMILIES[family](spec, task, **hparams)
