"""The self-contained HTML report: the comparison, one section per dataset, software and config.

This module gathers what the report shows (tables as headers and rows of
text, figures, notes); the page itself is the Jinja2 template
``templates/report.html.j2``, which escapes every value. Figures are embedded
as base64 PNGs and the styles are inline, so the file opens offline and can be
mailed or archived alone. Nothing in it depends on the time of the run, so a
re-run writes the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path as FilePath

import jinja2
import numpy as np
import pandas as pd
import yaml
from markupsafe import Markup

from biodl.evaluate.metrics import bootstrap_intervals, metrics_for, read_predictions
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
tr.warning td{background:#fdecea}
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


@dataclass(frozen=True)
class Table:
    """A table of the report: headers, rows as (css class of the row, cell texts), and how many
    leading columns hold names (left-aligned)."""

    headers: list[str]
    rows: list[tuple[str, list[str]]]
    name_columns: int = 1


@dataclass(frozen=True)
class Figure:
    """A figure of the report: its title, the PNG as base64 text, and whether it spans the page."""

    title: str
    data: str
    wide: bool = False


def escape(value: object) -> Markup:
    """Every value the template prints, HTML-escaped as :func:`html.escape` does (quotes included);
    markup made by the template's macros passes unchanged."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(FilePath(__file__).with_name("templates")),
    autoescape=True,
    finalize=escape,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


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


def data_notes(meta: dict, split: dict) -> list[str]:
    """What ingest and split did to the data that a reader must know (left-out samples, imputation,
    split warnings); empty when there is nothing to say."""
    return [*meta.get("notes", []), *(f"split: {warning}" for warning in split.get("warnings", []))]


def reference_note(
    summary: pd.DataFrame, paired: pd.DataFrame, metric: str, methods: dict[str, str]
) -> dict | None:
    """Which baseline is the reference, among how many, its mean, and what it sees and how it was
    tuned; None without baselines. ``methods`` maps baseline names to their methods (a name is its
    own method when absent)."""
    if not len(paired):
        return None
    reference = str(paired["reference"].iloc[0])
    baselines = summary[(summary["role"] == "baseline") & (summary["metric"] == metric)]
    mean = baselines.set_index("model")["mean"].get(reference, np.nan)
    description = BASELINE_DESCRIPTIONS.get(methods.get(reference, reference), "a configured baseline")
    return {"name": reference, "baselines": len(baselines), "mean": number(mean), "description": description}


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
    ("overlapping_windows", "genome windows overlapping another partition's", lambda m: str(m["count"])),
    (
        "time_overlap",
        "time points between train and held-out (needed)",
        lambda m: f"{m['closest_gap']} ({m['needed_gap']})",
    ),
)


def audit_summary(audit: dict | None) -> dict | None:
    """The leakage audit of every split unit as a table, with its thresholds; None without an audit."""
    if not audit:
        return None
    units = audit["units"]
    shown = [column for column in AUDIT_COLUMNS if any(column[0] in found for found in units.values())]
    rows = [
        ("warn" if found["findings"] else "", [unit] + [render(found[key]) for key, _, render in shown])
        for unit, found in units.items()
    ]
    settings = audit["settings"]
    return {
        "identity": f"{settings['identity']:g}",
        "correlation": f"{settings['correlation']:g}",
        "outcome": "failure" if settings["on_finding"] == "fail" else "warning",
        "flagged": sum(bool(found["findings"]) for found in units.values()),
        "units": len(units),
        "table": Table(["unit", *(title for _, title, _ in shown)], rows),
    }


def genome_summary(meta: dict) -> dict | None:
    """Where an interval dataset's windows come from, and whether its background matches the regions'
    GC content; None for other datasets."""
    intervals = meta.get("intervals")
    if not intervals:
        return None
    negatives = intervals["negatives"]
    method = {
        "none": "no background windows (the region sets are the classes)",
        "gc_matched": f"background: {negatives['per_positive']} random window(s) per region window, from "
        f"the same chromosome and GC bin (of {negatives['gc_bins']})",
        "flanks": f"background: the windows {negatives['flank']} bp either side of each region window",
        "shuffled": f"background: {negatives['per_positive']} dinucleotide shuffle(s) of each region window",
    }[negatives["method"]]
    notes = [
        f"{intervals['windows']} windows of {intervals['window']} bp from {intervals['genome']}",
        method,
    ]
    if intervals.get("gc_unmatched"):
        notes.append(f"{intervals['gc_unmatched']} region windows found no background window in their GC bin")
    if intervals.get("ambiguous_dropped"):
        notes.append(f"{intervals['ambiguous_dropped']} windows lying in regions of two sets were left out")
    titles = {"regions": "region sets (" + ", ".join(intervals["regions"]) + ")", "background": "background"}
    rows = [
        ("", [titles[name], str(found["n"]), number(found["mean"]), number(found["median"])])
        for name, found in sorted(intervals["gc"].items(), key=lambda item: item[0] != "regions")
    ]
    return {"notes": notes, "table": Table(["windows", "n", "mean GC", "median GC"], rows)}


VARIANT_ROWS = 25  # variants shown in the report, those with the largest effect first


def variant_summary(effects_path: Path, summary_path: Path) -> dict:
    """Variant effects of an interval dataset: per variant (and output), each model's effect with its
    spread across seeds; the variants with the largest effect on any model first."""
    effects = pd.read_csv(effects_path, sep="\t", keep_default_na=False, na_values=[""])
    summary = json.loads(FilePath(summary_path).read_text(encoding="utf-8"))
    keys = ["variant", "chromosome", "position", "ref", "alt", "output"]
    models = list(dict.fromkeys(effects["model"]))
    wide = effects.pivot_table(index=keys, columns="model", values="effect", sort=False)
    spread = effects.pivot_table(index=keys, columns="model", values="effect_sd", sort=False, dropna=False)
    spread = spread.reindex(columns=models)
    order = wide.abs().max(axis=1).sort_values(ascending=False, kind="stable").index[:VARIANT_ROWS]
    rows = []
    for key in order:
        cells = [str(key[0]), f"{key[1]}:{key[2]}", f"{key[3]}>{key[4]}", str(key[5])]
        for model in models:
            value, sd = wide.at[key, model], spread.at[key, model]
            cells.append(number(value) + ("" if pd.isna(sd) else f" ± {number(sd)}"))
        rows.append(("", cells))
    skipped = summary["skipped"]
    note = (
        f"{summary['scored']} of {summary['records']} variants of {summary['vcf']} scored in "
        f"{summary['window']} bp windows; left out: {skipped['ref_mismatch']} whose REF differs from "
        f"the genome, {skipped['near_chromosome_end']} too near a chromosome end"
        + ("; scores averaged over both strands" if summary["reverse_complement"] else "")
    )
    return {
        "note": note,
        "table": Table(["variant", "position", "change", "output", *models], rows, name_columns=4),
        "shown": len(rows),
        "total": len(wide),
    }


def interval_methods(summary: pd.DataFrame, metric: str) -> str:
    """The interval methods of the headline metric's rows, e.g. 'corrected resampled t over 5 folds (...)'."""
    methods = summary.loc[summary["metric"] == metric, "ci_method"].dropna().unique()
    return "; ".join(sorted(methods)) or "none"


def metric_table(task: str, summary: pd.DataFrame) -> Table:
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
    return Table(["model", "role", *names], rows, name_columns=2)


def paired_table(paired: pd.DataFrame) -> Table:
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
    return Table(headers, rows, name_columns=3)


WIDE_FIGURES = frozenset({"confusion", "learning", "scatter", "forecast"})  # panels per model: full width


def image(path: Path, title: str, wide: bool = False) -> Figure:
    """A figure with the PNG embedded."""
    return Figure(title, base64.b64encode(FilePath(path).read_bytes()).decode("ascii"), wide)


def versions_table(runs: list[Path]) -> Table:
    """Every software version recorded by the runs, with the runs that used it."""
    seen: dict[tuple[str, str], int] = {}
    for path in runs:
        for package, version in json.loads(FilePath(path).read_text(encoding="utf-8"))["versions"].items():
            seen[(package, version)] = seen.get((package, version), 0) + 1
    rows = [("", [package, version, str(count)]) for (package, version), count in sorted(seen.items())]
    return Table(["package", "version", "runs"], rows, name_columns=2)


def compute_table(runs: list[Path]) -> Table | None:
    """The backends and devices the runs trained on (run.json ``compute``), with how many runs each
    and the warning of a run that asked for a GPU and found none."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for path in runs:
        compute = json.loads(FilePath(path).read_text(encoding="utf-8")).get("compute")
        if compute:
            key = (
                compute["backend"],
                ", ".join(compute["devices"]),
                compute["precision"],
                compute["warning"] or "",
            )
            seen[key] = seen.get(key, 0) + 1
    rows = [
        ("warning" if key[3] else "", [*key[:3], str(count), key[3]]) for key, count in sorted(seen.items())
    ]
    return (
        Table(["backend", "devices", "precision", "runs", "warning"], rows, name_columns=3) if rows else None
    )


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


def generative_table(kind: str, summary: pd.DataFrame) -> Table:
    """Key metrics of every generative model of a dataset: mean ± sd over its runs."""
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
    return Table(["model", "runs", *(header for _, header in columns)], rows)


GENERATIVE_NOTES = {
    "sequences": "Samples against the held-out test sequences; the floor is real training sequences and "
    "the ceiling shuffled ones, each as many as the samples. Exact copies are samples identical to a "
    "training sequence.",
    "expression": "Latent k-NN fitted on the training partition and scored on the test partition; the "
    "majority rate is chance. Reconstruction of the test partition beside the training mean profile.",
}


def generative_section(dataset: str, kind: str, summary: pd.DataFrame, figures: dict[str, Path]) -> dict:
    """One dataset's generative models: the note, the metric table and the figures."""
    return {
        "name": dataset,
        "note": GENERATIVE_NOTES[kind],
        "table": generative_table(kind, summary),
        "figures": [
            image(path, GENERATIVE_FIGURE_TITLES[name], name == "losses")
            for name, path in sorted(figures.items())
        ],
    }


def dataset_section(
    dataset: str, task: str, groups: dict[str, dict], baseline_methods: dict[str, str]
) -> dict:
    """One dataset's section: task, headline metric, data notes, metrics, audit, paired tests, figures."""
    metric, higher = PRIMARY[task]
    summary, paired = groups["summary"][dataset], groups["paired"][dataset]
    split = groups["split"].get(dataset, {})
    shown = groups["figure"].get(dataset, {})
    variants = groups["variants"].get(dataset)
    return {
        "genome": genome_summary(groups["data"].get(dataset, {})),
        "variants": variant_summary(variants["effects"], variants["summary"]) if variants else None,
        "name": dataset,
        "task": task,
        "metric": metric,
        "higher": higher,
        "intervals": interval_methods(summary, metric),
        "notes": data_notes(groups["data"].get(dataset, {}), split),
        "metrics": metric_table(task, summary),
        "audit": audit_summary(split.get("audit")),
        "reference": reference_note(summary, paired, metric, baseline_methods),
        "paired": paired_table(paired) if len(paired) else None,
        "figures": [
            image(shown[name], FIGURE_TITLES[name], name in WIDE_FIGURES)
            for name in FIGURES[task]
            if name in shown
        ],
    }


APPLIED_HEADERS = [
    "entry",
    "model",
    "input",
    "items",
    "metric",
    "on the new data (95 % CI)",
    "on its test partition",
]


def applied_table(config: dict, files: dict[str, Path], tasks: dict[str, str]) -> Table | None:
    """Every ``apply`` entry: its model, input and size; with labels, the metric of record on the new
    data (bootstrap interval over its items) beside the bundles' own test value (their mean)."""
    rows = []
    for name, entry in (config.get("apply") or {}).items():
        if f"applied|{name}" not in files:
            continue
        runs = [entry["run"]] if isinstance(entry["run"], str) else list(entry["run"])
        task = tasks[runs[0].split("/")[0]]
        cards = [
            json.loads(FilePath(files[f"card|{name}|{index}"]).read_text(encoding="utf-8"))
            for index in range(len(runs))
        ]
        metric = cards[0]["evaluation"]["metric_of_record"]
        tested = [card["evaluation"]["metrics"][metric]["value"] for card in cards]
        table = pd.read_csv(files[f"applied|{name}"], sep="\t", dtype=str, keep_default_na=False)
        new_value = "no labels given"
        if entry.get("labels"):
            typed = read_predictions(files[f"applied|{name}"], task)
            value = metrics_for(typed, task)[metric]
            evaluation = config["evaluation"]
            low, high = bootstrap_intervals(typed, task, evaluation["seed"], evaluation["resamples"])[metric]
            new_value = f"{number(value)} {interval(low, high)}"
        model = runs[0] if len(runs) == 1 else f"mean of {len(runs)}: " + ", ".join(runs)
        test_value = number(float(np.mean(tested))) if None not in tested else "–"
        rows.append(("", [name, model, str(entry["input"]), str(len(table)), metric, new_value, test_value]))
    return Table(APPLIED_HEADERS, rows, name_columns=3) if rows else None


MOTIF_HEADERS = ["output", "motif", "consensus", "seqlets", "best JASPAR match", "family", "p", "q"]
Q_SHOWN = 0.05
AGREEMENT_HEADERS = ["ranking", "beside", "top", "shared", "by chance", "p", "Spearman"]
CONTEXT_HEADERS = ["± residues", "share of attribution within"]
RESIDUE_HEADERS = ["output", "most for it", "most against it", "best stretch (chain, residues)", "sum"]
SHOWN_LETTERS = 5
INTERPRETATION_NOTES = {
    "motifs": "Integrated gradients of each model output (its logit, from the uniform background) over a "
    "seeded sample of test sequences; TF-MoDISco motifs found in them (pos: raises the output, neg: "
    "lowers it), with the number of seqlets that make each; the best JASPAR CORE match of each by "
    "Tomtom, with its p-value and q-value over every JASPAR matrix. Matches with q ≥ 0.05 are not "
    "evidence of a known motif. Below them, the first convolution's filters (as matrices of the windows "
    "that activate them) whose best match has q < 0.05, and along the sequence the mean contribution "
    "per position and the contributions to the three items with most evidence.",
    "genes": "Genes ranked by the model's integrated gradients (from the training mean, over a seeded "
    "sample of test items) beside each baseline's ranking on the same items (coefficient size of a "
    "linear baseline, permutation importance of the others): the genes two rankings share among "
    "their top ones, how many two random lists would share, and the chance of sharing as many.",
    "courses": "Genes ranked by the model's integrated gradients (from the training mean, over a seeded "
    "sample of test series) beside each baseline's ranking on the same series, as for expression "
    "profiles; below, each class's attribution at every time point (summed over the genes, over the "
    "sampled series of that class): when in the course the model looks for it.",
    "residues": "Integrated gradients of each model output (its logit, from the uniform background over "
    "the amino acids) over a seeded sample of test chains: per output, the amino acids whose residues "
    "speak most for it and most against it (mean attribution), and the stretch of consecutive residues "
    "that speaks most for it in any chain (windows.tsv lists the best stretch of every chain). "
    "Below, the attribution per amino acid and along the chain, and the contributions to the three "
    "chains with most evidence.",
    "context": "For one residue drawn from each sampled test chain, the integrated gradients of its true "
    "class's logit over the chain, aligned on the offset from the residue: how many residues on "
    "either side hold a given share of the attribution.",
}


def motif_table(path: Path) -> Table | None:
    """Each TF-MoDISco motif of an interpretation with its best JASPAR match, most seqlets first, then
    the first-layer filters whose best match has q < ``Q_SHOWN``."""
    matches = pd.read_csv(path, sep="\t", keep_default_na=False)
    best = matches[
        (matches["rank"] == 1) & ((matches["source"] != "filter") | (matches["q_value"] < Q_SHOWN))
    ]
    best = best.sort_values(["source", "seqlets"], ascending=[False, False], kind="stable")
    rows = [
        (
            "",
            [
                str(row["output"]),
                str(row["motif"]),
                str(row["consensus"]),
                str(row["seqlets"]),
                f"{row['tf']} ({row['matrix_id']})",
                str(row["tf_family"]),
                p_text(float(row["p_value"])),
                p_text(float(row["q_value"])),
            ],
        )
        for _, row in best.iterrows()
    ]
    return Table(MOTIF_HEADERS, rows, name_columns=3) if rows else None


def agreement_table(path: Path) -> Table | None:
    """Every pair of gene rankings: their top-gene overlap against chance and Spearman correlation."""
    agreement = pd.read_csv(path, sep="\t", keep_default_na=False)
    rows = [
        (
            "",
            [
                str(row["first"]),
                str(row["second"]),
                str(row["top"]),
                str(row["overlap"]),
                number(float(row["expected"]), 2),
                p_text(float(row["p_overlap"])),
                number(float(row["spearman"]), 2),
            ],
        )
        for _, row in agreement.iterrows()
    ]
    return Table(AGREEMENT_HEADERS, rows, name_columns=2) if rows else None


def context_summary(path: Path) -> Table:
    """The share of attribution within ±k residues for k = 0, 1, 2, 4, 8, … up to the chain width."""
    table = pd.read_csv(path, sep="\t").set_index("offset")
    distances = [0] + [2**power for power in range(int(np.log2(max(table.index.max(), 1))) + 1)]
    rows = [("", [str(k), f"{table.loc[k, 'within']:.1%}"]) for k in distances]
    return Table(CONTEXT_HEADERS, rows)


def residue_summary(path: Path) -> Table:
    """Per output of a protein model: the amino acids with the highest and lowest mean attribution
    and its best stretch (residues.tsv beside windows.tsv)."""
    letters = pd.read_csv(path, sep="\t", keep_default_na=False)  # an output or a letter may read NA
    letters["mean"] = pd.to_numeric(letters["mean"], errors="coerce")
    windows = pd.read_csv(FilePath(path).with_name("windows.tsv"), sep="\t", keep_default_na=False)
    rows = []
    for output, table in letters.groupby("output", sort=False):
        ranked = table.dropna(subset=["mean"]).sort_values("mean", ascending=False, kind="stable")
        best = windows[windows["output"].astype(str) == str(output)].head(1)
        stretch, value = "–", "–"
        if len(best):
            row = best.iloc[0]
            stretch = f"{row['residues']} ({row['id']}, {row['first']}–{row['last']})"
            value = number(float(row["attribution"]), 2)
        rows.append(
            (
                "",
                [
                    str(output),
                    " ".join(ranked["letter"].head(SHOWN_LETTERS)),
                    " ".join(ranked["letter"].tail(SHOWN_LETTERS).iloc[::-1]),
                    stretch,
                    value,
                ],
            )
        )
    return Table(RESIDUE_HEADERS, rows)


def method_summary(path: Path) -> str:
    """One sentence: how gradient × input and in-silico mutagenesis agree with the integrated
    gradients, per output (median per-item Pearson r)."""
    methods = pd.read_csv(path, sep="\t", keep_default_na=False)
    outputs = [
        f"{output}: "
        + ", ".join(f"{row['method']} {number(float(row['median_r']), 2)}" for _, row in rows.iterrows())
        for output, rows in methods.groupby("output", sort=False)
    ]
    return (
        "Beside the integrated gradients, the median per-sequence Pearson r of the per-position "
        f"attributions by {'; '.join(outputs)}."
    )


# kind → (file with the table, how it is read, figures and their titles, text without a table)
INTERPRETATION_VIEWS = {
    "motifs": (
        "matches",
        motif_table,
        {"logos": "motif logos", "tracks": "attribution tracks"},
        "No motif found.",
    ),
    "genes": (
        "agreement",
        agreement_table,
        {"figure": "top genes"},
        "No baseline ranks the genes beside it.",
    ),
    "courses": (
        "agreement",
        agreement_table,
        {"figure": "top genes", "time_figure": "attribution over time"},
        "No baseline ranks the genes beside it.",
    ),
    "context": ("context", context_summary, {"figure": "context"}, ""),
    "residues": (
        "residues",
        residue_summary,
        {"figure": "residues read", "tracks": "attribution tracks"},
        "",
    ),
}


def interpretation_sections(files: dict[str, Path]) -> list[dict]:
    """Per interpreted run, keyed '<kind>|<file>|<run>': motifs ('matches', 'methods', 'logos',
    'tracks'), gene rankings ('agreement', 'figure'; of courses also 'time_figure') or the context a
    per-position model reads ('context', 'figure')."""
    sections = []
    for key in sorted(files):
        what, name, *run = key.split("|")
        if what not in INTERPRETATION_VIEWS or name != INTERPRETATION_VIEWS[what][0]:
            continue
        run = run[0]
        _, read, figures, empty = INTERPRETATION_VIEWS[what]
        sections.append(
            {
                "name": run,
                "note": INTERPRETATION_NOTES[what],
                "table": read(files[key]),
                "summary": method_summary(files[methods])
                if (methods := f"{what}|methods|{run}") in files
                else "",
                "empty": empty,
                "figures": [
                    image(files[f"{what}|{figure}|{run}"], f"{run}: {title}", wide=True)
                    for figure, title in figures.items()
                ],
            }
        )
    return sections


TUNING_HEADERS = ["parameter", "hand-set", "chosen", "importance"]
TUNING_NOTE = (
    "Optuna searched the parameters below on the validation partition only: each trial trained on the "
    "training partition with the search's seed and was scored by its best validation loss (median "
    "pruning stops a trial whose loss is worse than the finished trials' at the same epoch). The best "
    "trial's settings trained <model>_tuned with every seed; both stand in the comparison above, on the "
    "same test items. Importance: each parameter's share of the variance of the validation loss over "
    "the finished trials (fANOVA)."
)


def tuning_sections(
    files: dict[str, Path], config: dict, summaries: dict[str, pd.DataFrame], tasks: dict
) -> list:
    """Per search ('search|<dataset>|<model>|<unit>' → best.json, with its 'search_importance' and
    'search_figure'): the chosen settings beside the hand-set ones, the validation loss of both, and
    what happened on test (the headline metric of the model and its tuned copy)."""
    from biodl.families import model_hparams, training_settings

    sections = []
    for key in sorted(k for k in files if k.startswith("search|")):
        _, dataset, model, unit = key.split("|")
        best = json.loads(FilePath(files[key]).read_text(encoding="utf-8"))
        settings = config["models"][model]
        hand = {
            "hparams": model_hparams(settings["family"], settings["hparams"]),
            "training": training_settings(settings["family"], settings["training"]),
        }
        importance = pd.read_csv(files[f"search_importance|{dataset}|{model}|{unit}"], sep="\t")
        shares = dict(zip(importance["parameter"], importance["importance"]))
        rows = []
        for name, value in best["params"].items():
            section, _, setting = name.partition(".")
            rows.append(
                (
                    "",
                    [
                        name,
                        str(hand[section].get(setting, "family default")),
                        number(value, 3) if isinstance(value, float) else str(value),
                        number(shares[name], 2) if name in shares else "–",
                    ],
                )
            )
        sections.append(
            {
                "name": f"{dataset} / {model} ({unit})",
                "note": TUNING_NOTE,
                "table": Table(TUNING_HEADERS, rows),
                "summary": tuning_summary(
                    best, files, summaries.get(dataset), tasks.get(dataset), (dataset, model, unit)
                ),
                "figures": [image(files[f"search_figure|{dataset}|{model}|{unit}"], "trials", wide=True)],
            }
        )
    return sections


def tuning_summary(
    best: dict, files: dict, summary: pd.DataFrame | None, task: str | None, run: tuple
) -> str:
    """One paragraph: trials run and the best trial's validation loss; the mean best validation loss
    of the hand-set and the tuned model over their seeds (the best of many trials is partly luck:
    retrained, the tuned settings may lose their edge); both models' headline test metric."""
    dataset, model, unit = run
    counts = ", ".join(f"{count} {state}" for state, count in sorted(best["trials"].items()))
    text = (
        f"{sum(best['trials'].values())} trials ({counts}); best: trial {best['trial']}, "
        f"validation loss {number(best['value'], 4)}"
    )
    losses = validation_losses(files, dataset, unit)
    tuned = f"{model}_tuned"
    if model in losses and tuned in losses:
        text += (
            f". Retrained with {len(losses[tuned])} seed(s), mean best validation loss "
            f"{number(float(np.mean(losses[tuned])), 4)} tuned against "
            f"{number(float(np.mean(losses[model])), 4)} hand-set"
        )
    budgets = baseline_budgets(files, dataset, unit)
    if budgets:
        text += ". The baselines chose on the same validation partition among " + ", ".join(
            f"{tried} settings ({name})" for name, tried in budgets.items()
        )
    if summary is not None and task in PRIMARY:
        metric, higher = PRIMARY[task]
        means = summary[summary["metric"] == metric].set_index("model")["mean"]
        if model in means.index and tuned in means.index:
            text += (
                f". On test, {metric} {number(means[tuned], 3)} tuned against {number(means[model], 3)} "
                f"hand-set ({'higher' if higher else 'lower'} is better)"
            )
            text += paired_verdict(files.get(f"tuned|{dataset}"), tuned, higher)
    return text + "."


def paired_verdict(path: Path | None, tuned: str, higher: bool) -> str:
    """The tuned model against its hand-set model, paired over the same test items and seeds, in
    words (compare/tuned.tsv); empty when the test was not run."""
    if path is None:
        return ""
    table = pd.read_csv(path, sep="\t")
    row = table[table["model"] == tuned]
    if row.empty or not np.isfinite(row["p_value"].iat[0]):
        return ""
    row = row.iloc[0]
    word, _ = verdict(row, higher)
    p = p_text(row["p_value"])
    return (
        f"; paired over the same test items and seeds Δ {row['difference']:+.4f} "
        f"{interval(row['ci_low'], row['ci_high'])}, p {p if p.startswith('<') else '= ' + p}: {word}"
    )


def baseline_budgets(files: dict, dataset: str, unit: str) -> dict[str, int]:
    """How many settings each baseline of ``dataset`` scored on the validation partition of ``unit``
    (its first run's run.json; baselines that record none are left out)."""
    budgets: dict[str, int] = {}
    for key, path in sorted(run_inputs(files, "run").items(), key=lambda item: item[0].seed):
        if key.dataset == dataset and key.unit == unit and key.model not in budgets:
            run = json.loads(FilePath(path).read_text(encoding="utf-8"))
            if "settings_tried" in run:
                budgets[key.model] = int(run["settings_tried"])
    return budgets


def validation_losses(files: dict, dataset: str, unit: str) -> dict[str, list[float]]:
    """The best validation loss of every run of ``dataset`` on ``unit``, by model (from run.json)."""
    losses: dict[str, list[float]] = {}
    for key, path in sorted(run_inputs(files, "run").items(), key=lambda item: item[0].seed):
        if key.dataset == dataset and key.unit == unit:
            run = json.loads(FilePath(path).read_text(encoding="utf-8"))
            if "best_val_loss" in run:
                losses.setdefault(key.model, []).append(float(run["best_val_loss"]))
    return losses


def group_files(files: dict[str, Path]) -> dict[str, dict]:
    """Split the report's inputs by kind: summary, paired, figure, generative, generative_figure, run,
    data (ingest meta.json) and split (split report.json)."""
    kinds = (
        "summary",
        "paired",
        "figure",
        "generative",
        "generative_figure",
        "run",
        "data",
        "split",
        "variants",
    )
    groups: dict[str, dict] = {kind: {} for kind in kinds}
    for key, path in sorted(files.items()):
        kind, dataset, *rest = key.split("|")
        if kind in (
            "run",
            "applied",
            "card",
            "search",
            "search_importance",
            "search_figure",
            *INTERPRETATION_NOTES,
        ):
            continue
        if kind in ("summary", "paired", "generative"):
            groups[kind][dataset] = pd.read_csv(path, sep="\t")
        elif kind in ("data", "split"):
            groups[kind][dataset] = json.loads(FilePath(path).read_text(encoding="utf-8"))
        elif kind in ("figure", "generative_figure", "variants"):
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
    'generative_figure|<dataset>|<name>', 'run|<run>' (:class:`biodl.runkey.RunKey`), and per
    ``apply`` entry 'applied|<entry>' (its predictions) and 'card|<entry>|<i>' (its bundles' cards),
    and per interpreted run '<kind>|<file>|<run>' (:func:`interpretation_sections`).
    ``kinds`` maps datasets to their input kind (default: sequences).
    """
    groups = group_files(files)
    baseline_methods = {name: entry["method"] for name, entry in (config.get("baselines") or {}).items()}
    summaries, paired = groups["summary"], groups["paired"]
    datasets = [name for name in tasks if name in summaries]
    page = TEMPLATES.get_template("report.html.j2").render(
        style=Markup(STYLE),
        comparison=Table(
            COMPARISON_HEADERS,
            [row for d in datasets for row in comparison_rows(d, tasks[d], summaries[d], paired[d])],
            name_columns=3,
        ),
        datasets=[dataset_section(d, tasks[d], groups, baseline_methods) for d in datasets],
        generative=[
            generative_section(
                d,
                (kinds or {}).get(d, "sequences"),
                groups["generative"][d],
                groups["generative_figure"].get(d, {}),
            )
            for d in tasks
            if d in groups["generative"]
        ],
        applied=applied_table(config, files, tasks),
        interpretation=interpretation_sections(files),
        tuning=tuning_sections(files, config, summaries, tasks),
        versions=versions_table(list(groups["run"].values())),
        compute=compute_table(list(groups["run"].values())),
        config=yaml.safe_dump(config, sort_keys=True),
    )
    with all_or_nothing(path):
        FilePath(path).write_text(page, encoding="utf-8")
