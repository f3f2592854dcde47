"""What a bundle holds and which runs get one; light, so that the workflow's layout can import it."""

from __future__ import annotations

from biodl.vocabulary import ITEM_CLASSIFICATION

FILE_NAMES = {"model": "model.keras", "bundle": "bundle.json", "card": "card.json", "card_md": "card.md"}
APPLICABLE_TASKS = ITEM_CLASSIFICATION | {"regression"}  # one prediction per item
APPLICABLE_KINDS = ("sequences", "expression")


def can_bundle(kind: str, task: str) -> bool:
    """Whether runs of this dataset kind and task can be bundled and applied to new data."""
    return kind in APPLICABLE_KINDS and task in APPLICABLE_TASKS
