"""Markdown tables of a finished run (the report's tables), for documents such as docs/results.md.

``python -m biodl.evaluate.results results/real/splice`` prints, for every dataset of
that results folder, the comparison table (mean ± sd over runs, the paired
difference to the best baseline) and, for generative runs, the generative
metrics.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

from biodl.evaluate.report import COMPARISON_HEADERS, comparison_rows, generative_table


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table; '|' inside cells is escaped."""
    escape = [[str(cell).replace("|", "\\|") for cell in row] for row in [headers, *rows]]
    lines = ["| " + " | ".join(escape[0]) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in escape[1:]]
    return "\n".join(lines)


def comparison_markdown(dataset_dir: Path) -> str:
    """The comparison table of one dataset's compare/ folder (without the dataset column)."""
    task = json.loads((dataset_dir / "ingest/meta.json").read_text())["task"]
    summary = pd.read_csv(dataset_dir / "compare/summary.tsv", sep="\t")
    paired = pd.read_csv(dataset_dir / "compare/paired.tsv", sep="\t")
    rows = [cells[1:] for _, cells in comparison_rows(dataset_dir.name, task, summary, paired)]
    return markdown_table(COMPARISON_HEADERS[1:], rows)


def generative_markdown(dataset_dir: Path) -> str:
    """The generative metrics of one dataset (mean ± sd over runs)."""
    kind = json.loads((dataset_dir / "ingest/meta.json").read_text())["kind"]
    summary = pd.read_csv(dataset_dir / "generative/summary.tsv", sep="\t")
    table = generative_table(kind, summary)
    return markdown_table(table.headers, [cells for _, cells in table.rows])


def results_markdown(results: str | os.PathLike) -> str:
    """Every dataset's tables under a results folder, one section each."""
    sections = []
    for dataset_dir in sorted(path.parent.parent for path in Path(results).glob("*/ingest/meta.json")):
        parts = [f"### {dataset_dir.name}"]
        if (dataset_dir / "compare/summary.tsv").is_file():
            parts.append(comparison_markdown(dataset_dir))
        if (dataset_dir / "generative/summary.tsv").is_file():
            parts.append(generative_markdown(dataset_dir))
        sections.append("\n\n".join(parts))
    return "\n\n".join(sections) + "\n"


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        sys.stdout.write(results_markdown(folder))
