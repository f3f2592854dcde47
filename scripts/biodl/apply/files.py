"""What a bundle holds and which runs get one; light, so that the workflow's layout can import it."""

from __future__ import annotations

from biodl.vocabulary import ITEM_CLASSIFICATION

FILE_NAMES = {"model": "model.keras", "bundle": "bundle.json", "card": "card.json", "card_md": "card.md"}
ESTIMATOR_FILE = "model.skops"  # a baseline's bundle holds its fitted scikit-learn estimators instead
# tasks whose runs are bundled, by dataset kind: every supervised task
APPLICABLE = {
    "sequences": ITEM_CLASSIFICATION | {"regression", "per_position"},
    "expression": ITEM_CLASSIFICATION | {"regression"},
    "timecourse": frozenset({"series_classification", "forecasting"}),
}
CONTROL_METHODS = ("shuffled_labels",)  # fitted to show chance, not to be applied


def can_bundle(kind: str, task: str) -> bool:
    """Whether runs of this dataset kind and task can be bundled and applied to new data."""
    return task in APPLICABLE.get(kind, ())


def bundle_file_names(*, baseline: bool) -> dict[str, str]:
    """The files of a bundle of a Keras model, or of a baseline."""
    return {**FILE_NAMES, "model": ESTIMATOR_FILE} if baseline else dict(FILE_NAMES)
