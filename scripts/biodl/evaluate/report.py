"""The self-contained HTML report: the comparison, one section per dataset, software and config.

Figures are embedded as base64 PNGs and the styles are inline, so the file
opens offline and can be mailed or archived alone. Nothing in it depends on
the time of the run, so a re-run writes the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path as FilePath

import numpy as np
import pandas as pd
import yaml

from biodl.families import BASELINE_DESCRIPTIONS, FIGURES
from biodl.io.outputs import all_or_nothing
from biodl.runkey import run_inputs
from biodl.vocabulary import PRIMARY

Path = str | os.PathLike
KEY_METRICS = {
    "binary": ["roc_auc", "average_precision", "accuracy", "balanced_accuracy", "mcc", "log_loss", "brier"],
    "multiclass": ["balanced_accuracy", "accuracy", "roc_auc", "mcc", "f1_macro", "log_loss", "brier"],
    "series_classification": ["balanced_accuracy", "accuracy", "roc_auc", "mcc", "f1_macro", "log_loss"],
    "multilabel": ["roc_auc_macro", "roc_auc_micro", "average_precision_macro", "f1_macro", "hamming_loss"],
    "regression": ["r2", "rmse", "mae", "pearson", "spearman"],
    "per_position": ["accuracy", "balanced_accuracy", "mcc", "f1_macro"],
    "forecasting": ["mse", "mae"],
}
FIGURE_TITLES = {
    "metrics": "Headline metric with 95 % intervals",
    "roc": "ROC curves",
    "pr": "Precision–recall curves",
    "calibration": "Calibration",
    "confusion": "Confusion matrices",
    "scatter": "Predicted vs. observed",
    "learning": "Learning curves",
    "horizon": "Error per horizon step",
    "forecast": "Forecasts against the truth",
}
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.8em 0;font-size:.86em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right}th{background:#f3f3f3}
td.name,th.name{text-align:left}tr.baseline td{background:#fff8ec}tr.control td{background:#f2f2f2;color:#666}
tr.warn td{background:#fde8e8}
tr.reference td{font-weight:600}.worse{color:#b00020}.better{color:#006400}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
figure img{max-width:560px;border:1px solid #eee}figure.wide img{max-width:100%}
figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}
.note{color:#555;font-size:.9em}nav a{margin-right:1em}
"""


def number(value: float, digits: int = 3) -> str:
    """A metric value as text ('–' when undefined); small values keep `digits` significant digits."""
    if value is None or not np.isfinite(value):
        return "–"
    if value != 0 and abs(value) < 0.1:
        return f"{value:.{digits}g}"
    return f"{value:.{digits}f}"


def p_text(value: float) -> str:
    """A p- or q-value as text."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else "<0.001"


def cell(text: str, css: str = "") -> str:
    """One escaped table cell."""
    return f'<td class="{css}">{html.escape(text)}</td>' if css else f"<td>{html.escape(text)}</td>"


def table_html(headers: list[str], rows: list[tuple[str, list[str]]], name_columns: int = 1) -> str:
    """An HTML table; each row is (css class of the row, cell texts)."""
    head = "".join(
        f'<th class="name">{html.escape(text)}</th>' if i < name_columns else f"<th>{html.escape(text)}</th>"
        for i, text in enumerate(headers)
    )
    body = []
    for css, cells in rows:
        tds = "".join(cell(text, "name" if i < name_columns else "") for i, text in enumerate(cells))
        body.append(f'<tr class="{css}">{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def mean_sd(row: pd.Series) -> str:
    """'mean ± sd' or just the mean for a single run."""
    if row["runs"] > 1 and np.isfinite(row["sd"]):
        return f"{number(row['mean'])} ± {number(row['sd'])}"
    return number(row["mean"])


def interval(low: float, high: float) -> str:
    """A 95 % interval as '[low, high]'."""
    return f"[{number(low)}, {number(high)}]"


def verdict(paired_row: pd.Series | None, higher: bool) -> tuple[str, str]:
    """Difference to the best baseline and whether it is clearly better, clearly worse or neither."""
    if paired_row is None:
        return "reference", ""
    difference = paired_row["difference"]
    better = difference > 0 if higher else difference < 0
    significant = np.isfinite(paired_row["q_value"]) and paired_row["q_value"] < 0.05
    if significant:
        return ("better" if better else "worse"), ("better" if better else "worse")
    return "not different", ""


def comparison_rows(dataset: str, task: str, summary: pd.DataFrame, paired: pd.DataFrame) -> list:
    """Rows of the first table for one dataset, best first."""
    metric, higher = PRIMARY[task]
    reference = paired["reference"].iloc[0] if len(paired) else None
    headline = summary[summary["metric"] == metric].sort_values(
        ["mean", "model"], ascending=[not higher, True]
    )
    rows = []
    for _, row in headline.iterrows():
        match = paired[paired["model"] == row["model"]]
        pair = match.iloc[0] if len(match) else None
        word, _ = verdict(pair, higher) if row["model"] != reference else ("best baseline", "")
        css = "reference" if row["model"] == reference else row["role"]
        rows.append(
            (
                css,
                [
                    dataset,
                    row["model"],
                    row["role"],
                    metric,
                    mean_sd(row),
                    interval(row["ci_low"], row["ci_high"]),
                    str(int(row["runs"])),
                    "–" if pair is None else f"{pair['difference']:+.3f}",
                    "–" if pair is None else interval(pair["ci_low"], pair["ci_high"]),
                    "–" if pair is None else p_text(pair["p_value"]),
                    "–" if pair is None else p_text(pair["q_value"]),
                    word,
                ],
            )
        )
    return rows


COMPARISON_HEADERS = [
    "dataset",
    "model",
    "role",
    "metric",
    "mean ± sd",
    "95 % interval",
    "runs",
    "Δ vs best baseline",
    "Δ 95 % interval",
    "p",
    "q (BH)",
    "verdict",
]


def data_notes(meta: dict, split: dict) -> str:
    """What ingest and split did to the data that a reader must know (left-out samples, imputation,
    split warnings), as a paragraph; empty when there is nothing to say."""
    notes = [*meta.get("notes", []), *(f"split: {warning}" for warning in split.get("warnings", []))]
    if not notes:
        return ""
    return '<p class="note">Data: ' + "; ".join(html.escape(note) for note in notes) + ".</p>"


def reference_note(summary: pd.DataFrame, paired: pd.DataFrame, metric: str, methods: dict[str, str]) -> str:
    """Which baseline is the reference, what it sees and how it was tuned, and what Δ means.

    ``methods`` maps baseline names to their methods (a name is its own method when absent).
    """
    if not len(paired):
        return ""
    reference = str(paired["reference"].iloc[0])
    baselines = summary[(summary["role"] == "baseline") & (summary["metric"] == metric)]
    mean = baselines.set_index("model")["mean"].get(reference, np.nan)
    description = BASELINE_DESCRIPTIONS.get(methods.get(reference, reference), "a configured baseline")
    return (
        f'<p class="note">Reference: <b>{html.escape(reference)}</b>, the strongest of '
        f"{len(baselines)} baselines by mean {html.escape(metric)} ({number(mean)}): "
        f"{html.escape(description)}. Δ is in {html.escape(metric)} units, model minus reference.</p>"
    )


AUDIT_COLUMNS = (
    ("exact_duplicates", "test copies of training items", lambda m: str(m["count"])),
    (
        "nearest_training_identity",
        "highest test–train identity (test items ≥ threshold)",
        lambda m: "–" if m["max"] is None else f"{m['max']:.3g} ({m['at_or_above_threshold']})",
    ),
    ("shared_groups", "groups in train and test", str),
    (
        "near_duplicate_samples",
        "highest test–train correlation (test samples ≥ threshold)",
        lambda m: "–" if m["max"] is None else f"{m['max']:.3g} ({m['at_or_above_threshold']})",
    ),
    (
        "time_overlap",
        "time points between train and held-out (needed)",
        lambda m: f"{m['closest_gap']} ({m['needed_gap']})",
    ),
)


def audit_section(audit: dict | None) -> str:
    """The leakage audit of every split unit as a table, with its thresholds."""
    if not audit:
        return ""
    units = audit["units"]
    shown = [column for column in AUDIT_COLUMNS if any(column[0] in found for found in units.values())]
    rows = [
        ("warn" if found["findings"] else "", [unit] + [render(found[key]) for key, _, render in shown])
        for unit, found in units.items()
    ]
    settings = audit["settings"]
    outcome = "failure" if settings["on_finding"] == "fail" else "warning"
    flagged = sum(bool(found["findings"]) for found in units.values())
    note = (
        f'<p class="note">Identity threshold {settings["identity"]:g}, correlation threshold '
        f"{settings['correlation']:g}; a finding is a {outcome} "
        f"({flagged} of {len(units)} units have one).</p>"
    )
    return "<h3>Leakage audit</h3>" + note + table_html(["unit", *(title for _, title, _ in shown)], rows)


def interval_methods(summary: pd.DataFrame, metric: str) -> str:
    """The interval methods of the headline metric's rows, e.g. 'corrected resampled t over 5 folds (...)'."""
    methods = summary.loc[summary["metric"] == metric, "ci_method"].dropna().unique()
    return "; ".join(sorted(methods)) or "none"


def metric_table(task: str, summary: pd.DataFrame) -> str:
    """Key metrics of every model of one dataset (mean ± sd, or the value of a single run)."""
    metric, higher = PRIMARY[task]
    names = list(KEY_METRICS[task])
    names += sorted(m for m in summary["metric"].unique() if m.startswith(("recall:", "mse:step")))
    names = [m for m in names if m in set(summary["metric"])]
    wide = summary.set_index(["model", "metric"])
    order = summary[summary["metric"] == metric].sort_values(["mean", "model"], ascending=[not higher, True])
    rows = []
    for _, head in order.iterrows():
        cells = [head["model"], head["role"]]
        cells += [mean_sd(wide.loc[(head["model"], name)]) if (head["model"], name) in wide.index else "–"
                  for name in names]  # fmt: skip
        rows.append((head["role"], cells))
    return table_html(["model", "role", *names], rows, name_columns=2)


def paired_table(paired: pd.DataFrame) -> str:
    """The paired tests of one dataset."""
    rows = [
        (
            row["role"],
            [
                row["model"],
                row["reference"],
                row["metric"],
                str(int(row["pairs"])),
                number(row["model_mean"]),
                number(row["reference_mean"]),
                f"{row['difference']:+.3f}",
                interval(row["ci_low"], row["ci_high"]),
                p_text(row["p_value"]),
                p_text(row["q_value"]),
            ],
        )
        for _, row in paired.iterrows()
    ]
    headers = [
        "model",
        "reference",
        "metric",
        "pairs",
        "model",
        "reference",
        "Δ",
        "Δ 95 % interval",
        "p",
        "q",
    ]
    return table_html(headers, rows, name_columns=3)


WIDE_FIGURES = frozenset({"confusion", "learning", "scatter", "forecast"})  # panels per model: full width


def image(path: Path, title: str, wide: bool = False) -> str:
    """A figure with the PNG embedded."""
    data = base64.b64encode(FilePath(path).read_bytes()).decode("ascii")
    css = ' class="wide"' if wide else ""
    return (
        f'<figure{css}><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
    )


def versions_table(runs: list[Path]) -> str:
    """Every software version recorded by the runs, with the runs that used it."""
    seen: dict[tuple[str, str], int] = {}
    for path in runs:
        for package, version in json.loads(FilePath(path).read_text(encoding="utf-8"))["versions"].items():
            seen[(package, version)] = seen.get((package, version), 0) + 1
    rows = [("", [package, version, str(count)]) for (package, version), count in sorted(seen.items())]
    return table_html(["package", "version", "runs"], rows, name_columns=2)


GENERATIVE_COLUMNS = {
    "sequences": [
        ("kmer_jsd.generated.6", "6-mer JSD"),
        ("kmer_jsd.train_floor.6", "floor (real)"),
        ("kmer_jsd.shuffled_ceiling.6", "shuffled"),
        ("gc.generated.mean", "GC"),
        ("gc.heldout.mean", "GC held-out"),
        ("motifs.*.generated", "{} in samples"),
        ("motifs.*.heldout", "{} held-out"),
        ("nearest_identity.exact_copies", "exact copies"),
        ("nearest_identity.mean", "nearest identity"),
        ("classifier.generated.mean", "classifier P, samples"),
        ("classifier.heldout.mean", "classifier P, held-out"),
        ("reconstruction.accuracy", "reconstruction acc."),
        ("reconstruction.chance", "chance"),
    ],
    "expression": [
        ("latent.knn_accuracy", "latent k-NN acc."),
        ("latent.chance", "majority rate"),
        ("latent.silhouette", "silhouette"),
        ("reconstruction.mse", "reconstruction MSE"),
        ("mean_profile.mse", "mean-profile MSE"),
    ],
}
GENERATIVE_FIGURE_TITLES = {
    "kmers": "k-mer divergence to held-out sequences, with floor and ceilings",
    "gc": "GC content per sequence",
    "losses": "training losses",
    "latent": "latent means, test items coloured by label",
}


def generative_columns(kind: str, metrics: set[str]) -> list[tuple[str, str]]:
    """(metric, header) pairs of the generative table that the summary holds; motif patterns expanded."""
    columns = []
    for metric, header in GENERATIVE_COLUMNS[kind]:
        if "*" in metric:
            prefix, suffix = metric.split("*")
            names = sorted(m for m in metrics if m.startswith(prefix) and m.endswith(suffix))
            columns += [(name, header.format(name[len(prefix) : -len(suffix)])) for name in names]
        elif metric in metrics:
            columns.append((metric, header))
    return columns


def generative_table(kind: str, summary: pd.DataFrame) -> str:
    """Key metrics of every generative model of a dataset: mean ± sd over its runs."""
    return table_html(*generative_rows(kind, summary))


def generative_rows(kind: str, summary: pd.DataFrame) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Headers and (css, cells) rows of the generative table."""
    columns = generative_columns(kind, set(summary["metric"]))
    grouped = summary.groupby(["model", "metric"])["value"].agg(["mean", "std", "count"])
    rows = []
    for model in sorted(summary["model"].unique()):
        cells = [str(int(grouped.loc[model]["count"].max()))]
        for metric, _ in columns:
            if (model, metric) not in grouped.index:
                cells.append("–")
                continue
            row = grouped.loc[(model, metric)]
            cells.append(mean_sd(pd.Series({"mean": row["mean"], "sd": row["std"], "runs": row["count"]})))
        rows.append(("model", [model, *cells]))
    return ["model", "runs", *(header for _, header in columns)], rows


def generative_section(dataset: str, kind: str, summary: pd.DataFrame, figures: dict[str, Path]) -> list[str]:
    """HTML of one dataset's generative models: the metric table and the figures."""
    note = (
        "Samples against the held-out test sequences; the floor is real training sequences and the "
        "ceiling shuffled ones, each as many as the samples. Exact copies are samples identical to a "
        "training sequence."
        if kind == "sequences"
        else "Latent k-NN fitted on the training partition and scored on the test partition; the "
        "majority rate is chance. Reconstruction of the test partition beside the training mean profile."
    )
    return [
        f'<h3 id="generative-{html.escape(dataset)}">{html.escape(dataset)}</h3>',
        f'<p class="note">{note}</p>',
        generative_table(kind, summary),
        "".join(
            image(path, GENERATIVE_FIGURE_TITLES[name], name == "losses")
            for name, path in sorted(figures.items())
        ),
    ]


def group_files(files: dict[str, Path]) -> dict[str, dict]:
    """Split the report's inputs by kind: summary, paired, figure, generative, generative_figure, run,
    data (ingest meta.json) and split (split report.json)."""
    kinds = ("summary", "paired", "figure", "generative", "generative_figure", "run", "data", "split")
    groups: dict[str, dict] = {kind: {} for kind in kinds}
    for key, path in sorted(files.items()):
        kind, dataset, *rest = key.split("|")
        if kind == "run":
            continue
        if kind in ("summary", "paired", "generative"):
            groups[kind][dataset] = pd.read_csv(path, sep="\t")
        elif kind in ("data", "split"):
            groups[kind][dataset] = json.loads(FilePath(path).read_text(encoding="utf-8"))
        elif kind in ("figure", "generative_figure"):
            groups[kind].setdefault(dataset, {})[rest[0]] = path
    groups["run"] = run_inputs(files, "run")
    return groups


def write_report(
    path: Path,
    files: dict[str, Path],
    tasks: dict[str, str],
    config: dict,
    kinds: dict[str, str] | None = None,
) -> None:
    """Write the HTML report from the compare tables, figures and run records.

    ``files`` keys: 'summary|<dataset>', 'paired|<dataset>',
    'figure|<dataset>|<name>', 'generative|<dataset>' (a generative summary),
    'generative_figure|<dataset>|<name>' and 'run|<run>' (:class:`biodl.runkey.RunKey`).
    ``kinds`` maps datasets to their input kind (default: sequences).
    """
    groups = group_files(files)
    baseline_methods = {name: entry["method"] for name, entry in (config.get("baselines") or {}).items()}
    summaries, paired, figures = groups["summary"], groups["paired"], groups["figure"]
    runs = list(groups["run"].values())
    datasets = [name for name in tasks if name in summaries]
    generative = [name for name in tasks if name in groups["generative"]]
    comparison = [row for d in datasets for row in comparison_rows(d, tasks[d], summaries[d], paired[d])]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>biodl report</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>biodl report</h1>",
        '<nav><a href="#comparison">Comparison</a>'
        + "".join(f'<a href="#{html.escape(d)}">{html.escape(d)}</a>' for d in datasets)
        + ('<a href="#generative">Generative models</a>' if generative else "")
        + '<a href="#software">Software</a><a href="#config">Config</a></nav>',
        '<h2 id="comparison">Comparison</h2>',
        '<p class="note">Every model and baseline on the test partition of every dataset, best first by the '
        "dataset's headline metric. Intervals are 95 %, clipped to the metric's range: a bootstrap over test "
        "items for a single run, a t interval over seeds of one split unit, and for folds the corrected "
        "resampled t interval over fold means (Nadeau &amp; Bengio 2003), which widens the plain t interval "
        "because folds share training items; each dataset's section names its method. Δ is the model "
        "minus the best baseline on the same test items (paired bootstrap), with Benjamini–Hochberg "
        "q-values per dataset; the verdict says "
        "better or worse only when q &lt; 0.05.</p>",
        table_html(COMPARISON_HEADERS, comparison, name_columns=3),
    ]
    for dataset in datasets:
        task = tasks[dataset]
        metric, higher = PRIMARY[task]
        parts += [
            f'<h2 id="{html.escape(dataset)}">{html.escape(dataset)}</h2>',
            f'<p class="note">Task: {html.escape(task)}. Headline metric: {html.escape(metric)} '
            f"({'higher' if higher else 'lower'} is better). "
            f"Intervals: {html.escape(interval_methods(summaries[dataset], metric))}.</p>",
            data_notes(groups["data"].get(dataset, {}), groups["split"].get(dataset, {})),
            "<h3>Metrics</h3>",
            metric_table(task, summaries[dataset]),
            audit_section(groups["split"].get(dataset, {}).get("audit")),
            "<h3>Paired comparisons with the best baseline</h3>",
            reference_note(summaries[dataset], paired[dataset], metric, baseline_methods),
            paired_table(paired[dataset]) if len(paired[dataset]) else "<p>No baseline to compare with.</p>",
            "<h3>Figures</h3>",
            "".join(
                image(shown[name], FIGURE_TITLES[name], name in WIDE_FIGURES)
                for name in FIGURES[task]
                if name in (shown := figures.get(dataset, {}))
            ),
        ]
    if generative:
        parts.append('<h2 id="generative">Generative models</h2>')
    for dataset in generative:
        kind = (kinds or {}).get(dataset, "sequences")
        parts += generative_section(
            dataset, kind, groups["generative"][dataset], groups["generative_figure"].get(dataset, {})
        )
    parts += [
        '<h2 id="software">Software</h2>',
        versions_table(runs),
        '<h2 id="config">Config</h2>',
        f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=True))}</pre>",
        "</body></html>",
    ]
    with all_or_nothing(path):
        FilePath(path).write_text("\n".join(parts) + "\n", encoding="utf-8")
