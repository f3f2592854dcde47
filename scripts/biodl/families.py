"""What each model family can train on, without importing Keras (used while planning the DAG)."""

from __future__ import annotations

from biodl.vocabulary import ITEM_CLASSIFICATION, RECURRENT_FAMILIES, SUPERVISED_TASKS

ORDERED = frozenset({"tokens", "series"})

# family → (input kinds, per-position capable, hyper-parameters of its builder)
CAPABILITIES: dict[str, tuple[frozenset[str], bool, frozenset[str]]] = {
    "mlp": (frozenset({"vector", "series"}), False, frozenset({"units", "dropout"})),
    "cnn": (
        ORDERED,
        True,
        frozenset(
            {"filters", "kernel_size", "conv_layers", "dense_units", "dropout", "pooling", "pool_size"}
        ),
    ),
    "cnn_lstm": (
        ORDERED,
        True,
        frozenset({"filters", "kernel_size", "pool_size", "units", "bidirectional", "dropout"}),
    ),
}
RECURRENT = RECURRENT_FAMILIES
CAPABILITIES.update({name: (ORDERED, True, frozenset({"units", "dropout", "pooling"})) for name in RECURRENT})

# hyper-parameters that take one of a few named values: family → {name: allowed values}
HPARAM_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "cnn": {"pooling": ("max", "flatten")},
    **{name: {"pooling": ("max", "last")} for name in RECURRENT},
}


def hparam_choice_problem(family: str, hparams: dict) -> str | None:
    """The first named-value hyper-parameter set to a value the family does not know, or None."""
    for name, allowed in HPARAM_CHOICES.get(family, {}).items():
        if name in hparams and hparams[name] not in allowed:
            return (
                f"hyper-parameter {name!r} of family {family!r} is {hparams[name]!r} "
                f"(allowed: {', '.join(allowed)})"
            )
    return None


def supports(family: str, input_kind: str, task: str) -> bool:
    """Whether ``family`` can be trained on this input kind and task."""
    if family not in CAPABILITIES or task not in SUPERVISED_TASKS:
        return False
    inputs, per_position, _ = CAPABILITIES[family]
    return input_kind in inputs and (per_position or task != "per_position")


# generative family → {input kind: (tasks of the datasets it trains on by default, hyper-parameters)};
# an explicit ``datasets`` list may also name datasets of other tasks with that input kind
GENERATIVE: dict[str, dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "gan": {
        "tokens": (
            frozenset({"generation"}),
            frozenset({"latent_dim", "filters", "kernel_size", "blocks", "critic_steps", "gp_weight"}),
        )
    },
    "vae": {
        "tokens": (
            frozenset({"generation"}),
            frozenset({"latent_dim", "filters", "kernel_size", "units", "warmup_epochs", "beta"}),
        ),
        "vector": (
            frozenset({"binary", "multiclass", "regression"}),
            frozenset({"latent_dim", "units", "likelihood", "warmup_epochs", "beta"}),
        ),
    },
}
SUPERVISED_TRAINING = {
    "epochs": 30,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "patience": 5,
    "min_delta": 0.0,
    "class_weights": "balanced",
    "clipnorm": None,
}
# Recurrent models find sequence motifs after a plateau of several epochs: a larger step, smaller
# batches, clipped gradients and more patience let them leave it; bidirectional ones need half the
# step (measured on the demo tasks: docs/design.md, "Training defaults of recurrent families").
RECURRENT_TRAINING = {
    **SUPERVISED_TRAINING,
    "learning_rate": 0.01,
    "batch_size": 32,
    "clipnorm": 1.0,
    "patience": 10,
}

# training settings each family (or kind of family) reads, with their defaults (config:
# models.<name>.training; the rest of the schema's training keys are an error for that family)
TRAINING_DEFAULTS: dict[str, dict[str, object]] = {
    "supervised": SUPERVISED_TRAINING,
    **{name: RECURRENT_TRAINING for name in RECURRENT if not name.startswith("bi")},
    **{name: {**RECURRENT_TRAINING, "learning_rate": 0.005} for name in RECURRENT if name.startswith("bi")},
    "cnn_lstm": {**SUPERVISED_TRAINING, "learning_rate": 0.005},
    "gan": {"epochs": 30, "batch_size": 64, "learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.9, "ema": 0.99},
    "vae": {"epochs": 100, "batch_size": 32, "learning_rate": 1e-3, "patience": 10, "min_delta": 0.0},
}
# builder hyper-parameters whose default depends on the family (an LSTM with 32 units stays on the plateau)
HPARAM_DEFAULTS: dict[str, dict[str, object]] = {"lstm": {"units": [64]}, "bilstm": {"units": [64]}}
TRAINING_KEYS: dict[str, frozenset[str]] = {kind: frozenset(keys) for kind, keys in TRAINING_DEFAULTS.items()}


def is_generative(family: str) -> bool:
    """Whether ``family`` is a generative model (trained without labels, judged by its samples)."""
    return family in GENERATIVE


def generative_supports(family: str, input_kind: str, task: str, listed: bool = False) -> bool:
    """Whether generative ``family`` trains on this input kind and task (any task when ``listed``)."""
    if family not in GENERATIVE or input_kind not in GENERATIVE[family]:
        return False
    return listed or task in GENERATIVE[family][input_kind][0]


def training_keys(family: str) -> frozenset[str]:
    """Training settings that ``family`` reads."""
    return TRAINING_KEYS.get(family, TRAINING_KEYS["supervised"])


def training_settings(family: str, given: dict | None = None) -> dict:
    """``given`` training settings over the defaults of ``family``."""
    return {**TRAINING_DEFAULTS.get(family, TRAINING_DEFAULTS["supervised"]), **(given or {})}


def model_hparams(family: str, given: dict | None = None) -> dict:
    """``given`` builder hyper-parameters over the family's own defaults (the builder has the rest)."""
    return {**HPARAM_DEFAULTS.get(family, {}), **(given or {})}


def unknown_hparams(family: str, hparams: dict, input_kind: str | None = None) -> list[str]:
    """Hyper-parameter names the family's builder does not take (for one input kind if given)."""
    return sorted(set(hparams) - known_hparams(family, input_kind))


def known_hparams(family: str, input_kind: str | None = None) -> frozenset[str]:
    """Hyper-parameters of a family (of its builder for ``input_kind``, or of any builder)."""
    if family in CAPABILITIES:
        return CAPABILITIES[family][2]
    builders = GENERATIVE.get(family, {})
    if input_kind is not None:
        return builders[input_kind][1] if input_kind in builders else frozenset()
    return frozenset().union(*(names for _, names in builders.values()))


# baseline method → (input kinds, tasks, hyper-parameters it takes)
SERIES_CLASSIFICATION = frozenset({"series_classification"})
BASELINES: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "logistic": (
        frozenset({"tokens", "vector", "series"}),
        ITEM_CLASSIFICATION | SERIES_CLASSIFICATION,
        frozenset({"k"}),
    ),
    "onehot_logistic": (frozenset({"tokens"}), ITEM_CLASSIFICATION, frozenset()),
    "gkm_logistic": (frozenset({"tokens"}), ITEM_CLASSIFICATION, frozenset({"k", "span"})),
    "elastic_net": (frozenset({"vector"}), ITEM_CLASSIFICATION, frozenset()),
    "random_forest": (
        frozenset({"tokens", "vector", "series"}),
        ITEM_CLASSIFICATION | SERIES_CLASSIFICATION | {"regression"},
        frozenset({"n_estimators", "min_samples_leaf", "max_features"}),
    ),
    "boosted_trees": (
        frozenset({"tokens", "vector", "series"}),
        ITEM_CLASSIFICATION | SERIES_CLASSIFICATION | {"regression", "per_position", "forecasting"},
        frozenset({"max_iter", "min_samples_leaf", "window"}),
    ),
    "linear_svm": (frozenset({"vector"}), frozenset({"binary", "multiclass"}), frozenset()),
    "ridge": (frozenset({"tokens", "vector"}), frozenset({"regression"}), frozenset({"k"})),
    "onehot_ridge": (frozenset({"tokens"}), frozenset({"regression"}), frozenset()),
    "gkm_ridge": (frozenset({"tokens"}), frozenset({"regression"}), frozenset({"k", "span"})),
    "window_logistic": (frozenset({"tokens"}), frozenset({"per_position"}), frozenset({"window"})),
    "persistence": (frozenset({"series"}), frozenset({"forecasting"}), frozenset()),
    "training_mean": (frozenset({"series"}), frozenset({"forecasting"}), frozenset()),
    "ridge_ar": (frozenset({"series"}), frozenset({"forecasting"}), frozenset()),
    "summary_logistic": (frozenset({"series"}), frozenset({"series_classification"}), frozenset()),
    "shuffled_labels": (
        frozenset({"tokens", "vector", "series"}),
        ITEM_CLASSIFICATION | SERIES_CLASSIFICATION | {"regression"},
        frozenset(),
    ),
}
# what each baseline sees and how it is tuned, for the report's choice of reference
BASELINE_DESCRIPTIONS = {
    "logistic": "logistic regression on k-mer frequencies (k chosen on validation), expression "
    "features or the flattened normalised series; C chosen on validation",
    "onehot_logistic": "logistic regression on the position-aware one-hot encoding (flattened); "
    "C chosen on validation",
    "gkm_logistic": "logistic regression on gapped k-mer frequencies (gkm-SVM's features); "
    "C chosen on validation",
    "elastic_net": "elastic-net logistic regression on the expression features; C and the L1 ratio "
    "chosen on validation",
    "random_forest": "random forest on k-mer frequencies, expression features or the flattened series",
    "boosted_trees": "gradient-boosted trees (scikit-learn HistGradientBoosting) on the input's "
    "features; learning rate chosen on validation",
    "linear_svm": "linear SVM with Platt scaling on the expression features; C chosen on validation",
    "ridge": "ridge regression on k-mer frequencies (k chosen on validation) or expression features; "
    "alpha chosen on validation",
    "onehot_ridge": "ridge regression on the position-aware one-hot encoding; alpha chosen on validation",
    "gkm_ridge": "ridge regression on gapped k-mer frequencies; alpha chosen on validation",
    "window_logistic": "logistic regression on a one-hot window around each residue; C chosen on validation",
    "persistence": "the last observed value carried forward",
    "training_mean": "the mean training target of each step and gene",
    "ridge_ar": "ridge autoregression from every gene's look-back window; alpha chosen on validation",
    "summary_logistic": "logistic regression on per-gene summary statistics of each series; "
    "C chosen on validation",
    "shuffled_labels": "a control: logistic (or ridge) regression fitted on permuted training labels",
}


# what a baseline's search (baselines.<name>.search.space) may set: the settings its grid chooses on
# validation (biodl.baselines.methods.GRIDS) and hparams.<name> of the tree methods
BASELINE_SEARCH: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("logistic", "onehot_logistic", "gkm_logistic", "linear_svm", "summary_logistic"), frozenset({"C"})
    ),
    "elastic_net": frozenset({"C", "l1_ratio"}),
    **dict.fromkeys(("ridge", "onehot_ridge", "gkm_ridge"), frozenset({"alpha"})),
    "random_forest": frozenset({"hparams.n_estimators", "hparams.min_samples_leaf"}),
    "boosted_trees": frozenset({"learning_rate", "hparams.max_iter", "hparams.min_samples_leaf"}),
}


def baseline_supports(method: str, input_kind: str, task: str) -> bool:
    """Whether baseline ``method`` applies to this input kind and task."""
    if method not in BASELINES:
        return False
    kinds, tasks, _ = BASELINES[method]
    if input_kind == "series" and task in ITEM_CLASSIFICATION | {"regression"}:
        return False
    return input_kind in kinds and task in tasks


# figures of a dataset's comparison, by task (file stems under compare/figures/)
FIGURES: dict[str, tuple[str, ...]] = {
    "binary": ("metrics", "roc", "pr", "calibration", "confusion", "learning"),
    "multiclass": ("metrics", "roc", "pr", "calibration", "confusion", "learning"),
    "series_classification": ("metrics", "roc", "pr", "calibration", "confusion", "learning"),
    "multilabel": ("metrics", "roc", "pr", "learning"),
    "regression": ("metrics", "scatter", "learning"),
    "per_position": ("metrics", "confusion", "learning"),
    "forecasting": ("metrics", "horizon", "forecast", "learning"),
}
