"""Figures of one dataset's comparison: curves, confusion matrices, calibration, learning curves, errors.

Every figure shows all models and baselines of the dataset. Curves and
confusion matrices use the test predictions of each model's first seed,
pooled over split units (for k-fold, the out-of-fold predictions of every
item). Deep models are drawn with solid lines, baselines dashed and the
shuffled-label control dotted.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from biodl.evaluate.compare import model_roles
from biodl.evaluate.metrics import read_predictions
from biodl.families import FIGURES
from biodl.runkey import RunKey, run_inputs
from biodl.vocabulary import PRIMARY

Path = str | os.PathLike
STYLES = {"model": "-", "baseline": "--", "control": ":"}
SAVE = {"dpi": 100, "metadata": {"Software": None}}  # no version stamp: the bytes depend on the data only


def figure_names(task: str) -> tuple[str, ...]:
    """Figures written for a task (file stems)."""
    return FIGURES[task]


def _save(figure: plt.Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, format="png", **SAVE)
    plt.close(figure)


def _grid(count: int, size: float = 3.2) -> tuple[plt.Figure, np.ndarray]:
    columns = min(count, 4)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False)
    for axis in axes.ravel()[count:]:
        axis.set_visible(False)
    return figure, axes.ravel()


def score_columns(table: pd.DataFrame) -> list[str]:
    """The ``score:`` columns of a prediction table, in order."""
    return [c for c in table.columns if c.startswith("score:")]


def class_indicator(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(0/1 truth, scores) with one column per class or label."""
    columns = score_columns(table)
    scores = table[columns].to_numpy(dtype=float)
    if "truth" in table:
        names = [c.removeprefix("score:") for c in columns]
        truth = (table["truth"].to_numpy()[:, None] == np.asarray(names)[None, :]).astype(int)
    else:
        truth = table[[c.replace("score:", "truth:", 1) for c in columns]].to_numpy(dtype=int)
    return truth, scores


def curve_inputs(table: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Truth and score vectors for one ROC / PR curve, and how they were formed."""
    truth, scores = class_indicator(table)
    if task == "binary":
        return truth[:, -1], scores[:, -1], f"positive class {score_columns(table)[-1][6:]}"
    return (
        truth.ravel(),
        scores.ravel(),
        "micro-average over " + ("labels" if task == "multilabel" else "classes"),
    )


def plot_roc(tables: dict[str, pd.DataFrame], roles: dict[str, str], task: str, path: Path) -> None:
    """ROC curve of every model with its AUC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    figure, axis = plt.subplots(figsize=(5.5, 5))
    note = ""
    for model, table in tables.items():
        truth, scores, note = curve_inputs(table, task)
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = roc_curve(truth, scores)
        label = f"{model} (AUC {roc_auc_score(truth, scores):.3f})"
        axis.plot(fpr, tpr, STYLES[roles[model]], label=label)
    axis.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    axis.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC ({note})")
    axis.legend(fontsize=7, loc="lower right")
    _save(figure, path)


def plot_pr(tables: dict[str, pd.DataFrame], roles: dict[str, str], task: str, path: Path) -> None:
    """Precision–recall curve of every model with its average precision in the legend."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    figure, axis = plt.subplots(figsize=(5.5, 5))
    note, prevalence = "", 0.0
    for model, table in tables.items():
        truth, scores, note = curve_inputs(table, task)
        if truth.max() == 0:
            continue
        precision, recall, _ = precision_recall_curve(truth, scores)
        label = f"{model} (AP {average_precision_score(truth, scores):.3f})"
        axis.plot(recall, precision, STYLES[roles[model]], label=label)
        prevalence = truth.mean()
    axis.axhline(prevalence, color="grey", linewidth=0.8)
    axis.set(xlabel="recall", ylabel="precision", title=f"Precision–recall ({note})", ylim=(0, 1.02))
    axis.legend(fontsize=7, loc="lower left")
    _save(figure, path)


def plot_calibration(tables: dict[str, pd.DataFrame], roles: dict[str, str], task: str, path: Path) -> None:
    """Reliability diagram: mean predicted probability against observed frequency, 10 equal bins."""
    from sklearn.calibration import calibration_curve

    figure, axis = plt.subplots(figsize=(5.5, 5))
    for model, table in tables.items():
        truth, scores = class_indicator(table)
        if task == "binary":
            observed, predicted = truth[:, -1], scores[:, -1]
        else:  # confidence of the predicted class against whether it was right
            chosen = scores.argmax(axis=1)
            observed = truth[np.arange(len(truth)), chosen]
            predicted = scores[np.arange(len(scores)), chosen]
        fraction, mean = calibration_curve(observed, predicted, n_bins=10, strategy="uniform")
        axis.plot(mean, fraction, STYLES[roles[model]], marker="o", markersize=3, label=model)
    axis.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    what = "positive class" if task == "binary" else "predicted class (confidence vs accuracy)"
    axis.set(xlabel="mean predicted probability", ylabel="observed frequency", title=f"Calibration, {what}")
    axis.legend(fontsize=7, loc="upper left")
    _save(figure, path)


def plot_confusion(tables: dict[str, pd.DataFrame], task: str, path: Path) -> None:
    """Row-normalised confusion matrix of every model (rows: truth, columns: predicted)."""
    from sklearn.metrics import confusion_matrix

    figure, axes = _grid(len(tables))
    for axis, (model, table) in zip(axes, tables.items()):
        classes = [c.removeprefix("score:") for c in score_columns(table)]
        predicted = np.asarray(classes)[table[score_columns(table)].to_numpy(dtype=float).argmax(axis=1)]
        matrix = confusion_matrix(table["truth"].astype(str), predicted, labels=classes, normalize="true")
        axis.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
        for (row, column), value in np.ndenumerate(matrix):
            axis.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7,
                      color="white" if value > 0.6 else "black")  # fmt: skip
        axis.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=7)
        axis.set_yticks(range(len(classes)), classes, fontsize=7)
        axis.set_title(model, fontsize=9)
        axis.set_xlabel("predicted", fontsize=8)
        axis.set_ylabel("true", fontsize=8)
    _save(figure, path)


def plot_scatter(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Predicted against observed values of the first target, one panel per model."""
    figure, axes = _grid(len(tables))
    for axis, (model, table) in zip(axes, tables.items()):
        target = next(c for c in table.columns if c.startswith("truth:"))
        truth = table[target].to_numpy(dtype=float)
        predicted = table[target.replace("truth:", "pred:", 1)].to_numpy(dtype=float)
        axis.scatter(truth, predicted, s=5, alpha=0.5)
        low, high = min(truth.min(), predicted.min()), max(truth.max(), predicted.max())
        axis.plot([low, high], [low, high], color="grey", linewidth=0.8)
        r = np.corrcoef(truth, predicted)[0, 1] if truth.std() and predicted.std() else np.nan
        axis.set_title(f"{model} (r = {r:.3f})", fontsize=9)
        axis.set_xlabel(f"observed {target[6:]}", fontsize=8)
        axis.set_ylabel("predicted", fontsize=8)
    _save(figure, path)


def plot_learning(histories: dict[str, pd.DataFrame], path: Path) -> None:
    """Training and validation loss per epoch of every deep model (first unit and seed)."""
    figure, axes = _grid(max(len(histories), 1))
    if not histories:
        axes[0].text(0.5, 0.5, "no deep models on this dataset", ha="center", va="center")
        axes[0].set_axis_off()
    for axis, (model, history) in zip(axes, histories.items()):
        axis.plot(history["epoch"], history["loss"], "--", label="training")
        if "val_loss" in history:
            axis.plot(history["epoch"], history["val_loss"], "-", label="validation")
            best = history["val_loss"].idxmin()
            axis.axvline(history["epoch"][best], color="grey", linewidth=0.8)
        axis.set_title(model, fontsize=9)
        axis.set_xlabel("epoch", fontsize=8)
        axis.set_ylabel("loss", fontsize=8)
        axis.legend(fontsize=7)
    _save(figure, path)


def plot_metrics(summary: pd.DataFrame, task: str, path: Path) -> None:
    """The headline metric of every model: mean with its 95 % interval."""
    metric, higher = PRIMARY[task]
    rows = summary[summary["metric"] == metric].sort_values("mean", ascending=not higher)
    figure, axis = plt.subplots(figsize=(6, 0.45 * len(rows) + 1.2))
    colours = {"model": "tab:blue", "baseline": "tab:orange", "control": "tab:grey"}
    positions = np.arange(len(rows))[::-1]
    means = rows["mean"].to_numpy(dtype=float)
    errors = np.abs(np.vstack([means - rows["ci_low"], rows["ci_high"] - means]).astype(float))
    axis.barh(positions, means, color=[colours[r] for r in rows["role"]])
    axis.errorbar(means, positions, xerr=np.nan_to_num(errors), fmt="none", ecolor="black", capsize=3)
    axis.set_yticks(positions, rows["model"], fontsize=8)
    direction = "higher" if higher else "lower"
    axis.set(xlabel=f"{metric} ({direction} is better; bars: 95 % interval)")
    _save(figure, path)


def plot_horizon(tidy: pd.DataFrame, roles: dict[str, str], path: Path) -> None:
    """Test MSE per horizon step of every model (mean over runs)."""
    steps = tidy[tidy["metric"].str.fullmatch(r"mse:step\d+")].copy()
    steps["step"] = steps["metric"].str.removeprefix("mse:step").astype(int)
    figure, axis = plt.subplots(figsize=(6, 4.5))
    for model, group in steps.groupby("model", sort=True):
        mean = group.groupby("step")["value"].mean()
        axis.plot(mean.index, mean.to_numpy(), STYLES[roles[model]], marker="o", markersize=3, label=model)
    axis.set(xlabel="horizon step", ylabel="test MSE (normalised units)", title="Error per horizon step")
    axis.legend(fontsize=7)
    _save(figure, path)


def plot_forecast(tables: dict[str, pd.DataFrame], roles: dict[str, str], path: Path, genes: int = 3) -> None:
    """One-step-ahead forecasts against the truth over the test range of the first series, for a few genes."""
    first = next(iter(tables.values()))
    series = sorted(first["series"].unique())[0]
    names = sorted(first["gene"].unique())[:genes]
    figure, axes = plt.subplots(len(names), 1, figsize=(8, 2.4 * len(names)), squeeze=False)
    for axis, gene in zip(axes[:, 0], names):
        truth_drawn = False
        for model, table in tables.items():
            rows = table[(table["series"] == series) & (table["gene"] == gene) & (table["step"] == 1)]
            origin = rows["id"].str.rsplit("@", n=1).str[1].astype(float).to_numpy()
            if not truth_drawn:
                axis.plot(origin, rows["truth"].astype(float), color="black", linewidth=2, label="truth")
                truth_drawn = True
            axis.plot(origin, rows["pred"].astype(float), STYLES[roles[model]], linewidth=1, label=model)
        axis.set_title(f"{series}, {gene}: one step ahead", fontsize=9)
        axis.set_xlabel("time of the last input", fontsize=8)
        axis.set_ylabel("normalised value", fontsize=8)
    axes[0, 0].legend(fontsize=7, ncol=3)
    _save(figure, path)


def pooled_tables(predictions: dict[RunKey, Path], task: str) -> dict[str, pd.DataFrame]:
    """Each model's test predictions of its first seed, concatenated over split units."""
    tables: dict[str, list[pd.DataFrame]] = {}
    for run in sorted(predictions):
        first_seed = min(other.seed for other in predictions if other.model == run.model)
        if run.seed == first_seed:
            tables.setdefault(run.model, []).append(read_predictions(predictions[run], task))
    return {model: pd.concat(parts, ignore_index=True) for model, parts in tables.items()}


def plot_dataset(
    files: dict[str, Path],
    figures: dict[str, Path],
    task: str,
    baselines: list[str],
    controls: list[str] = (),
) -> None:
    """Write every figure of one dataset.

    ``files`` holds 'summary' and 'metrics' (the compare tables) and entries
    'predictions|<run>' and 'history|<run>' (:class:`biodl.runkey.RunKey`); ``figures``
    maps figure names (see :data:`FIGURES`) to PNG paths.
    """
    predictions, histories = run_inputs(files, "predictions"), run_inputs(files, "history")
    roles = model_roles(predictions, baselines, controls)
    tables = pooled_tables(predictions, task)
    first_histories = {
        run.model: pd.read_csv(histories[run], sep="\t")
        for run in sorted(histories)
        if run == min(other for other in histories if other.model == run.model)
    }
    summary = pd.read_csv(files["summary"], sep="\t")
    draw = {
        "metrics": lambda path: plot_metrics(summary, task, path),
        "roc": lambda path: plot_roc(tables, roles, task, path),
        "pr": lambda path: plot_pr(tables, roles, task, path),
        "calibration": lambda path: plot_calibration(tables, roles, task, path),
        "confusion": lambda path: plot_confusion(tables, task, path),
        "scatter": lambda path: plot_scatter(tables, path),
        "learning": lambda path: plot_learning(first_histories, path),
        "horizon": lambda path: plot_horizon(pd.read_csv(files["metrics"], sep="\t"), roles, path),
        "forecast": lambda path: plot_forecast(tables, roles, path),
    }
    from biodl.io.outputs import all_or_nothing

    with all_or_nothing(*figures.values()):
        for name, path in figures.items():
            draw[name](path)
