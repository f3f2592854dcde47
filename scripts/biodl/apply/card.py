"""The model card of a bundle: what the model is, what it was trained and tested on, how well it
did (with intervals), what input it accepts, its limits, the software and the config that made it.

Written twice, as ``card.json`` (for programs) and ``card.md`` (for people), from one dictionary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path as FilePath

from biodl.io.outputs import save_json

Path = str | os.PathLike
INPUT_FILE_KEYS = ("fasta", "labels", "matrix", "samples")


def accepted_input(description: dict) -> list[str]:
    """What new input the bundle accepts and what it refuses, in sentences."""
    preparation = description["preparation"]
    if description["kind"] == "sequences":
        length = preparation["length"]
        width = length["width"]
        lines = [
            f"{preparation['alphabet'].upper()} sequences in FASTA (plain or gzipped), read with the "
            f"validator of training: letters outside {preparation['vocabulary']!r} are refused"
            + ("" if preparation["allow_ambiguous"] else ", ambiguity codes included")
            + ".",
        ]
        if length["mode"] == "fixed":
            lines.append(
                f"Sequences are laid out as in training: {width} positions, longer ones trimmed at the "
                f"{length['trim']} end, shorter ones padded at the {length['pad']} end."
            )
        else:
            lines.append(
                f"The model reads {width} positions (the longest training sequence): longer sequences "
                f"are refused, shorter ones padded at the {length['pad']} end."
            )
        if not description["input"]["padded"]:
            lines.append("The model never saw padding: sequences shorter than the width are refused.")
        if description["task"] == "per_position":
            lines.append(
                f"One prediction per residue (classes {preparation['position_classes']}); label strings "
                "given with --labels must have one class per residue."
            )
        return lines
    genes = preparation["genes"]
    normalisation = preparation["normalisation"]
    if description["kind"] == "timecourse":
        resample = preparation["resample"]
        return [
            "Time courses as a long table (series, time, gene, value) read with the validator of "
            f"training; missing values: {preparation['missing']}"
            + (f"; each series resampled with step {resample:g}." if resample else "."),
            f"The series must be sampled on the model's time grid ({len(preparation['times'])} points from "
            f"{preparation['times'][0]:g} to {preparation['times'][-1]:g}); another grid is refused.",
            f"Genes are matched by name to the {len(genes)} genes of training; extra genes are ignored "
            "(and counted), missing genes are refused.",
            "Each gene z-scored with the mean and sd of the training series.",
            *forecast_windows(preparation.get("windows")),
        ]
    return [
        f"An expression matrix ({preparation['values']}, {preparation['orientation'].replace('_', ' ')}, "
        "or AnnData) read with the validator of training.",
        f"Its genes are matched by name to the {len(genes)} genes of training; extra genes are "
        "ignored (and counted); missing genes are refused unless filling them with their training "
        "medians is asked for (then counted).",
        f"Normalised with the parameters fitted on the training partition: library size "
        f"{'scaled' if normalisation['library_size'] else 'not scaled'}, "
        f"{'log1p, ' if normalisation['log1p'] else ''}{len(normalisation['genes'])} selected genes"
        f"{', z-scored' if normalisation['zscore'] else ''}.",
    ]


def forecast_windows(windows: dict | None) -> list[str]:
    """How a forecasting model cuts new series into windows, in a sentence (none for other tasks)."""
    if windows is None:
        return []
    reads = "each gene on its own" if windows["univariate"] else "all genes together"
    return [
        f"Forecasts {windows['horizon']} steps from the last {windows['lookback']} time points ({reads}): "
        f"every window on a stride of {windows['stride']} whose horizon lies in the data, with that future "
        "as truth, then one from the end of each series; in z-scored units."
    ]


def model_section(key: dict, run: dict) -> dict:
    """What the model is: a Keras family and its training, or a baseline and the setting it chose."""
    if "method" in run:
        return {
            "name": key["model"],
            "method": run["method"],
            "hparams": run["hparams"],
            "chosen": run["chosen"],
            "validation_loss": run["valid_loss"],
            "seed": key["seed"],
        }
    return {
        "name": key["model"],
        "family": run["family"],
        "parameters": run["parameters"],
        "hparams": run["hparams"],
        "training": run["training"],
        "epochs_run": run["epochs_run"],
        "best_epoch": run["best_epoch"],
        "seed": key["seed"],
    }


def model_lines(model: dict) -> list[str]:
    """The card's model section in Markdown."""
    if "method" in model:
        return [
            f"- baseline {model['method']} (scikit-learn), seed {model['seed']}",
            f"- hyper-parameters: `{json.dumps(model['hparams'], sort_keys=True)}`; chosen on the "
            f"validation partition: `{json.dumps(model['chosen'], sort_keys=True)}`",
        ]
    return [
        f"- family: {model['family']}, {model['parameters']:,} parameters, seed {model['seed']}",
        f"- hyper-parameters: `{json.dumps(model['hparams'], sort_keys=True)}`",
        f"- training: `{json.dumps(model['training'], sort_keys=True)}`; "
        f"best epoch {model['best_epoch']} of {model['epochs_run']}",
    ]


def model_card(description: dict, run: dict, metrics: dict, checksums: dict[str, str]) -> dict:
    """The card's content from the bundle description, the run record and the run's evaluation."""
    key = description["run"]
    (settings,) = run["config"]["dataset"].values()
    metric = description["metric"]["name"]
    values = metrics["metrics"]
    return {
        "model": model_section(key, run),
        "data": {
            "dataset": key["dataset"],
            "kind": description["kind"],
            "task": description["task"],
            "files": {name: settings[name] for name in INPUT_FILE_KEYS if settings.get(name)},
            "label_columns": description["label_columns"],
            "encoding": {k: v for k, v in description["encoding"].items() if k != "class_weights"},
            "split": {**settings["split"], "unit": key["unit"]},
            "partition_sizes": run["partition_sizes"],
        },
        "evaluation": {
            "partition": "test",
            "items": metrics["items"],
            "metric_of_record": metric,
            "higher_is_better": description["metric"]["higher_is_better"],
            "metrics": values,
            "interval": metrics.get("bootstrap"),
        },
        "intended_use": (
            f"Scoring new {description['kind']} for the {description['task']} task it was trained on "
            f"({key['dataset']}), prepared exactly as its training data by `biodl apply`."
        ),
        "accepted_input": accepted_input(description),
        "limits": [
            f"Its metrics come from the test partition of split unit {key['unit']} "
            f"({run['partition_sizes']['test']} items) of the training data; data from another source, "
            "protocol or population may score lower.",
            "Scores are model outputs; read them as calibrated probabilities only as far as the "
            "calibration figure of the report shows.",
        ],
        "versions": run["versions"],
        "config": run["config"],
        "checksums": checksums,
    }


def card_markdown(card: dict) -> str:
    """The card as Markdown."""
    model, data, evaluation = card["model"], card["data"], card["evaluation"]
    metric = evaluation["metric_of_record"]
    lines = [
        f"# {model['name']} on {data['dataset']} ({data['task']})",
        "",
        card["intended_use"],
        "",
        "## Model",
        "",
        *model_lines(model),
        "",
        "## Data",
        "",
        f"- {data['kind']}, task {data['task']}, labels {', '.join(data['label_columns']) or '–'}",
        *(f"- {name}: `{path}`" for name, path in data["files"].items()),
        f"- split unit {data['split']['unit']}: "
        + ", ".join(f"{name} {size}" for name, size in data["partition_sizes"].items()),
        "",
        "## Evaluation",
        "",
        f"On the test partition ({evaluation['items']} items); metric of record: **{metric}** "
        f"({'higher' if evaluation['higher_is_better'] else 'lower'} is better); 95 % intervals.",
        "",
        "| metric | value | 95 % interval |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {value_text(entry.get('value'))} | "
            f"[{value_text(entry.get('ci_low'))}, {value_text(entry.get('ci_high'))}] |"
            for name, entry in sorted(evaluation["metrics"].items())
            if isinstance(entry, dict)
        ),
        "",
        "## Accepted input",
        "",
        *(f"- {line}" for line in card["accepted_input"]),
        "",
        "## Limits",
        "",
        *(f"- {line}" for line in card["limits"]),
        "",
        "## Software",
        "",
        *(f"- {name} {version}" for name, version in sorted(card["versions"].items())),
        "",
        "## Checksums (SHA-256)",
        "",
        *(f"- {name}: `{digest}`" for name, digest in sorted(card["checksums"].items())),
        "",
        "## Config",
        "",
        "```json",
        json.dumps(card["config"], indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)


def value_text(value: float | None) -> str:
    """A metric value with four significant digits ('–' when undefined)."""
    return "–" if value is None else f"{value:.4g}"


def write_card(json_path: Path, markdown_path: Path, card: dict) -> None:
    """Write the card as JSON and as Markdown."""
    save_json(json_path, card)
    FilePath(markdown_path).write_text(card_markdown(card), encoding="utf-8")
