"""Names of split units, shared by the split files and the workflow's layout (no heavy imports)."""

from __future__ import annotations

import re

UNIT = re.compile(r"^(?:r(\d+))?fold(\d+)$")


def unit_names(folds: int | None, repeats: int = 1) -> list[str]:
    """Split units: 'holdout'; 'fold0'..'fold{K-1}'; or 'r0fold0'.. for R > 1 repeats of K folds."""
    if not folds:
        return ["holdout"]
    if repeats == 1:
        return [f"fold{k}" for k in range(folds)]
    return [f"r{r}fold{k}" for r in range(repeats) for k in range(folds)]


def parse_unit(unit: str) -> tuple[int, int]:
    """'r2fold3' → (2, 3); 'fold3' → (0, 3)."""
    match = UNIT.match(unit)
    if match is None:
        raise ValueError(f"not a fold unit: {unit!r}")
    return int(match.group(1) or 0), int(match.group(2))
