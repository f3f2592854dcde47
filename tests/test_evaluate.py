"""Every metric agrees with scikit-learn or SciPy; bootstrap intervals and paired tests behave."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from biodl.errors import InputError
from biodl.evaluate.metrics import (
    PRIMARY,
    bootstrap_intervals,
    evaluate_run,
    metrics_for,
    paired_bootstrap,
    paired_bootstrap_pooled,
    read_predictions,
)
from scipy import stats
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve


def ids(n, prefix="item"):
    return [f"{prefix}{i}" for i in range(n)]


def class_table(rng, n, classes, signal=2.0, decimals=None):
    """Class predictions: Dirichlet-like scores that lean towards the true class."""
    truth = rng.integers(0, len(classes), size=n)
    logits = rng.normal(size=(n, len(classes)))
    logits[np.arange(n), truth] += signal
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if decimals is not None:  # ties in the scores
        scores = scores.round(decimals)
        scores[:, -1] = 1 - scores[:, :-1].sum(axis=1)
    table = pd.DataFrame({"id": ids(n), "truth": np.asarray(classes, dtype=object)[truth]})
    for index, name in enumerate(classes):
        table[f"score:{name}"] = scores[:, index]
    return table


def binary_table(rng, n, signal=1.5, positive_truth=None):
    truth = rng.integers(0, 2, size=n) if positive_truth is None else np.full(n, positive_truth)
    score = np.clip(rng.normal(0.5 + 0.2 * signal * (truth - 0.5), 0.2), 0, 1).round(2)
    return pd.DataFrame(
        {
            "id": ids(n),
            "truth": np.array(["bound", "unbound"], dtype=object)[truth],
            "score:bound": 1 - score,
            "score:unbound": score,
        }
    )


def multilabel_table(rng, n, labels):
    truth = rng.integers(0, 2, size=(n, len(labels)))
    scores = np.clip(0.3 * truth + rng.uniform(0, 0.7, size=truth.shape), 0, 1).round(2)
    table = pd.DataFrame({"id": ids(n)})
    for index, name in enumerate(labels):
        table[f"truth:{name}"] = truth[:, index]
    for index, name in enumerate(labels):
        table[f"score:{name}"] = scores[:, index]
    return table


def regression_table(rng, n, targets):
    table = pd.DataFrame({"id": ids(n)})
    truth = rng.normal(size=(n, len(targets))).round(1)  # ties for Spearman
    predicted = truth + rng.normal(scale=0.7, size=truth.shape)
    for index, name in enumerate(targets):
        table[f"truth:{name}"] = truth[:, index]
    for index, name in enumerate(targets):
        table[f"pred:{name}"] = predicted[:, index]
    return table


def per_position_table(rng, proteins, classes=("C", "E", "H")):
    frames = []
    for protein in range(proteins):
        length = int(rng.integers(5, 30))
        frame = class_table(rng, length, list(classes), signal=1.0)
        frame["id"] = f"protein{protein}"
        frame.insert(1, "position", np.arange(1, length + 1))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def forecasting_table(rng, windows, horizon=3, genes=("g1", "g2")):
    window, step, gene = np.meshgrid(
        np.arange(windows), np.arange(horizon), np.arange(len(genes)), indexing="ij"
    )
    truth = rng.normal(size=window.size)
    names = np.array([f"series{w % 4}@{w}" for w in window.ravel()], dtype=object)
    return pd.DataFrame(
        {
            "id": names,
            "series": [name.split("@")[0] for name in names],
            "step": step.ravel() + 1,
            "gene": np.asarray(genes, dtype=object)[gene.ravel()],
            "truth": truth,
            "pred": truth + rng.normal(scale=0.5 + 0.3 * step.ravel(), size=window.size),
        }
    )


def scores_of(table):
    return table[[c for c in table.columns if c.startswith("score:")]].to_numpy()


# ---------------------------------------------------------------------------
# Point estimates against reference implementations


def test_binary_metrics_match_sklearn():
    table = binary_table(np.random.default_rng(0), 300)
    values = metrics_for(table, "binary")
    truth = table["truth"].to_numpy()
    positive = (truth == "unbound").astype(int)
    score = table["score:unbound"].to_numpy()
    predicted = np.where(scores_of(table).argmax(axis=1) == 1, "unbound", "bound")
    assert values["accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert values["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(truth, predicted))
    assert values["roc_auc"] == pytest.approx(sk.roc_auc_score(positive, score))
    assert values["average_precision"] == pytest.approx(sk.average_precision_score(positive, score))
    assert values["mcc"] == pytest.approx(sk.matthews_corrcoef(truth, predicted))
    assert values["f1_macro"] == pytest.approx(sk.f1_score(truth, predicted, average="macro"))
    per_class = sk.f1_score(truth, predicted, labels=["bound", "unbound"], average=None)
    assert [values["f1:bound"], values["f1:unbound"]] == pytest.approx(per_class)
    assert values["log_loss"] == pytest.approx(
        sk.log_loss(truth, scores_of(table), labels=["bound", "unbound"])
    )
    assert values["brier"] == pytest.approx(sk.brier_score_loss(positive, score))


@pytest.mark.parametrize("task", ["multiclass", "series_classification"])
def test_multiclass_metrics_match_sklearn(task):
    classes = ["a", "b", "c", "d"]
    table = class_table(np.random.default_rng(1), 400, classes, signal=1.0, decimals=2)
    values = metrics_for(table, task)
    truth = table["truth"].to_numpy()
    scores = scores_of(table)
    predicted = np.asarray(classes)[scores.argmax(axis=1)]
    one_hot = (truth[:, None] == np.asarray(classes)).astype(int)
    assert values["accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert values["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(truth, predicted))
    expected_auc = sk.roc_auc_score(truth, scores, multi_class="ovr", average="macro", labels=classes)
    assert values["roc_auc"] == pytest.approx(expected_auc)
    assert values["average_precision"] == pytest.approx(sk.average_precision_score(one_hot, scores))
    assert values["mcc"] == pytest.approx(sk.matthews_corrcoef(truth, predicted))
    assert values["f1_macro"] == pytest.approx(sk.f1_score(truth, predicted, average="macro"))
    per_class = sk.f1_score(truth, predicted, labels=classes, average=None)
    assert [values[f"f1:{name}"] for name in classes] == pytest.approx(per_class)
    assert values["log_loss"] == pytest.approx(sk.log_loss(truth, scores, labels=classes))
    expected_brier = sk.brier_score_loss(truth, scores, labels=classes, scale_by_half=False)
    assert values["brier"] == pytest.approx(expected_brier)


def test_log_loss_clips_like_sklearn():
    table = pd.DataFrame(
        {"id": ["x", "y"], "truth": ["a", "b"], "score:a": [1.0, 1.0], "score:b": [0.0, 0.0]}
    )
    expected = sk.log_loss(["a", "b"], scores_of(table), labels=["a", "b"])
    assert metrics_for(table, "multiclass")["log_loss"] == pytest.approx(expected)


def test_multilabel_metrics_match_sklearn():
    labels = ["l1", "l2", "l3", "l4"]
    table = multilabel_table(np.random.default_rng(2), 250, labels)
    values = metrics_for(table, "multilabel")
    truth = table[[f"truth:{name}" for name in labels]].to_numpy()
    scores = scores_of(table)
    predicted = (scores >= 0.5).astype(int)
    for index, name in enumerate(labels):
        assert values[f"roc_auc:{name}"] == pytest.approx(sk.roc_auc_score(truth[:, index], scores[:, index]))
        expected_ap = sk.average_precision_score(truth[:, index], scores[:, index])
        assert values[f"average_precision:{name}"] == pytest.approx(expected_ap)
        assert values[f"f1:{name}"] == pytest.approx(sk.f1_score(truth[:, index], predicted[:, index]))
    for average in ("micro", "macro"):
        assert values[f"roc_auc_{average}"] == pytest.approx(sk.roc_auc_score(truth, scores, average=average))
        expected_ap = sk.average_precision_score(truth, scores, average=average)
        assert values[f"average_precision_{average}"] == pytest.approx(expected_ap)
        assert values[f"f1_{average}"] == pytest.approx(sk.f1_score(truth, predicted, average=average))
    assert values["subset_accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert values["hamming_loss"] == pytest.approx(sk.hamming_loss(truth, predicted))


def regression_reference(truth, predicted):
    return {
        "rmse": sk.mean_squared_error(truth, predicted) ** 0.5,
        "mae": sk.mean_absolute_error(truth, predicted),
        "r2": sk.r2_score(truth, predicted),
        "pearson": stats.pearsonr(predicted, truth).statistic,
        "spearman": stats.spearmanr(predicted, truth).statistic,
    }


def test_regression_one_target_has_plain_names():
    table = regression_table(np.random.default_rng(3), 120, ["expression"])
    values = metrics_for(table, "regression")
    expected = regression_reference(table["truth:expression"], table["pred:expression"])
    assert values == pytest.approx(expected)


def test_regression_several_targets_per_target_and_mean():
    targets = ["t1", "t2", "t3"]
    table = regression_table(np.random.default_rng(4), 120, targets)
    values = metrics_for(table, "regression")
    per_target = {
        name: regression_reference(table[f"truth:{name}"], table[f"pred:{name}"]) for name in targets
    }
    for metric in ("rmse", "mae", "r2", "pearson", "spearman"):
        for name in targets:
            assert values[f"{metric}:{name}"] == pytest.approx(per_target[name][metric])
        assert values[metric] == pytest.approx(np.mean([per_target[name][metric] for name in targets]))


def test_per_position_metrics_match_sklearn_on_flattened_residues():
    classes = ["C", "E", "H"]
    table = per_position_table(np.random.default_rng(5), 12, classes)
    values = metrics_for(table, "per_position")
    truth = table["truth"].to_numpy()
    predicted = np.asarray(classes)[scores_of(table).argmax(axis=1)]
    assert values["accuracy"] == pytest.approx(sk.accuracy_score(truth, predicted))
    assert values["q3"] == values["accuracy"]
    assert values["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(truth, predicted))
    recall = sk.recall_score(truth, predicted, labels=classes, average=None)
    assert [values[f"recall:{name}"] for name in classes] == pytest.approx(recall)
    assert values["mcc"] == pytest.approx(sk.matthews_corrcoef(truth, predicted))
    assert values["f1_macro"] == pytest.approx(sk.f1_score(truth, predicted, average="macro"))


def test_forecasting_errors_overall_per_step_and_per_gene():
    table = forecasting_table(np.random.default_rng(6), 20)
    values = metrics_for(table, "forecasting")
    assert values["mse"] == pytest.approx(sk.mean_squared_error(table["truth"], table["pred"]))
    assert values["mae"] == pytest.approx(sk.mean_absolute_error(table["truth"], table["pred"]))
    for step in (1, 2, 3):
        subset = table[table["step"] == step]
        assert values[f"mse:step{step}"] == pytest.approx(
            sk.mean_squared_error(subset["truth"], subset["pred"])
        )
        assert values[f"mae:step{step}"] == pytest.approx(
            sk.mean_absolute_error(subset["truth"], subset["pred"])
        )
    for gene in ("g1", "g2"):
        subset = table[table["gene"] == gene]
        assert values[f"mse:gene:{gene}"] == pytest.approx(
            sk.mean_squared_error(subset["truth"], subset["pred"])
        )


def test_undefined_metrics_are_nan():
    binary = metrics_for(binary_table(np.random.default_rng(7), 30, positive_truth=1), "binary")
    assert np.isnan(binary["roc_auc"])
    assert binary["accuracy"] == binary["accuracy"]  # still defined
    negatives_only = metrics_for(binary_table(np.random.default_rng(7), 30, positive_truth=0), "binary")
    assert np.isnan(negatives_only["average_precision"])

    multilabel = multilabel_table(np.random.default_rng(8), 40, ["l1", "l2", "l3"])
    multilabel["truth:l3"] = 0
    values = metrics_for(multilabel, "multilabel")
    assert np.isnan(values["roc_auc:l3"])
    assert values["roc_auc_macro"] == pytest.approx(np.mean([values["roc_auc:l1"], values["roc_auc:l2"]]))

    regression = regression_table(np.random.default_rng(9), 20, ["y"])
    regression["truth:y"] = 1.0
    values = metrics_for(regression, "regression")
    assert np.isnan(values["r2"]) and np.isnan(values["pearson"]) and np.isnan(values["spearman"])


def test_primary_metric_is_computed_for_every_task():
    for task, table in all_tasks(np.random.default_rng(10)).items():
        assert PRIMARY[task][0] in metrics_for(table, task)


# ---------------------------------------------------------------------------
# Bootstrap intervals


def width(interval):
    return interval[1] - interval[0]


def test_interval_contains_estimate_and_narrows_with_more_items():
    rng = np.random.default_rng(11)
    small, large = binary_table(rng, 100), binary_table(rng, 400)
    small_ci = bootstrap_intervals(small, "binary", seed=0, resamples=400)
    large_ci = bootstrap_intervals(large, "binary", seed=0, resamples=400)
    for metric, value in metrics_for(small, "binary").items():
        assert small_ci[metric][0] <= value <= small_ci[metric][1], metric
    for metric in ("accuracy", "roc_auc", "brier"):
        assert width(large_ci[metric]) < 0.75 * width(small_ci[metric])


def test_same_seed_same_intervals_different_seed_different():
    table = class_table(np.random.default_rng(12), 80, ["a", "b", "c"])
    first = bootstrap_intervals(table, "multiclass", seed=3, resamples=200)
    assert bootstrap_intervals(table, "multiclass", seed=3, resamples=200) == first
    assert bootstrap_intervals(table, "multiclass", seed=4, resamples=200) != first


def test_mostly_undefined_metric_has_no_interval():
    classes = ["a", "b", "c", "d", "e"]
    table = class_table(np.random.default_rng(13), 5, classes)
    table["truth"] = classes  # one item per class: few resamples hold every class
    intervals = bootstrap_intervals(table, "multiclass", seed=0, resamples=200)
    assert np.isnan(intervals["roc_auc"][0]) and np.isnan(intervals["roc_auc"][1])
    assert np.isfinite(intervals["accuracy"][0])


def all_tasks(rng):
    return {
        "binary": binary_table(rng, 40),
        "multiclass": class_table(rng, 40, ["a", "b", "c"], decimals=1),
        "series_classification": class_table(rng, 40, ["a", "b", "c"]),
        "multilabel": multilabel_table(rng, 40, ["l1", "l2", "l3"]),
        "regression": regression_table(rng, 40, ["y1", "y2"]),
        "per_position": per_position_table(rng, 8),
        "forecasting": forecasting_table(rng, 10),
    }


@pytest.mark.parametrize("task", list(PRIMARY))
def test_a_resample_equals_the_table_of_the_drawn_items(task):
    """One resample (an interval of one value) is the metrics of the drawn ids' rows, repeats included."""
    table = all_tasks(np.random.default_rng(27))[task]
    codes, items = pd.factorize(table["id"])
    drawn = np.random.default_rng(9).integers(0, len(items), size=len(items))
    rows = np.concatenate([np.flatnonzero(codes == item) for item in drawn])
    copies = np.concatenate([np.full(np.sum(codes == item), copy) for copy, item in enumerate(drawn)])
    repeated = table.iloc[rows].assign(id=lambda t: t["id"] + "#" + copies.astype(str))
    intervals = bootstrap_intervals(table, task, seed=9, resamples=1)
    for metric, value in metrics_for(repeated, task).items():
        if np.isnan(value):
            assert np.isnan(intervals[metric][0]), metric
        else:
            assert intervals[metric][0] == pytest.approx(value), metric


def test_cluster_bootstrap_resamples_whole_proteins():
    rng = np.random.default_rng(14)
    proteins, length = 40, 50
    correct = rng.random(proteins) < 0.6
    truth = np.where(np.repeat(correct, length), "H", "E")
    residues = pd.DataFrame(
        {
            "id": np.repeat(ids(proteins, "protein"), length),
            "position": np.tile(np.arange(1, length + 1), proteins),
            "truth": truth,
            "score:E": 0.1,
            "score:H": 0.9,
        }
    )
    one_per_protein = residues.groupby("id", sort=False).head(1)
    clustered = bootstrap_intervals(residues, "per_position", seed=0, resamples=300)["accuracy"]
    protein_level = bootstrap_intervals(one_per_protein, "per_position", seed=0, resamples=300)["accuracy"]
    assert clustered == pytest.approx(protein_level)
    independent = residues.assign(id=ids(len(residues), "residue"))
    residue_level = bootstrap_intervals(independent, "per_position", seed=0, resamples=300)["accuracy"]
    assert width(clustered) > 4 * width(residue_level)


def test_forecasting_bootstrap_keeps_windows_whole():
    table = forecasting_table(np.random.default_rng(15), 30)
    intervals = bootstrap_intervals(table, "forecasting", seed=0, resamples=100)
    assert set(intervals) == set(metrics_for(table, "forecasting"))
    assert all(np.isfinite(low) and low <= high for low, high in intervals.values())


# ---------------------------------------------------------------------------
# Paired comparison


def test_paired_bootstrap_of_a_table_against_itself():
    table = binary_table(np.random.default_rng(16), 100)
    result = paired_bootstrap(
        table, table.sample(frac=1, random_state=0), "binary", "roc_auc", seed=0, resamples=300
    )
    assert result["difference"] == 0
    assert result["ci_low"] == 0 and result["ci_high"] == 0
    assert result["p_value"] == 1
    assert result["a"] == result["b"] == pytest.approx(metrics_for(table, "binary")["roc_auc"])


def test_paired_bootstrap_finds_a_clearly_better_model():
    random_model = binary_table(np.random.default_rng(17), 150, signal=0)
    perfect = random_model.copy()
    perfect["score:unbound"] = (perfect["truth"] == "unbound").astype(float)
    perfect["score:bound"] = 1 - perfect["score:unbound"]
    result = paired_bootstrap(perfect, random_model, "binary", "roc_auc", seed=0, resamples=500)
    assert result["difference"] > 0.3
    assert result["ci_low"] > 0
    assert 0 < result["p_value"] < 0.01


def test_paired_bootstrap_aligns_long_formats():
    table = per_position_table(np.random.default_rng(18), 6)
    shuffled = table.sample(frac=1, random_state=1)
    result = paired_bootstrap(table, shuffled, "per_position", "accuracy", seed=0, resamples=100)
    assert result["difference"] == 0 and result["p_value"] == 1


def test_pooled_paired_bootstrap_averages_differences_over_pairs():
    rng = np.random.default_rng(19)
    pairs = []
    for _ in range(3):
        a = binary_table(rng, 60, signal=2)
        b = a.copy()
        b["score:unbound"] = np.clip(b["score:unbound"] + rng.normal(scale=0.3, size=60), 0, 1)
        b["score:bound"] = 1 - b["score:unbound"]
        pairs.append((a, b))
    pooled = paired_bootstrap_pooled(pairs, "binary", "brier", seed=0, resamples=200)
    differences = [metrics_for(a, "binary")["brier"] - metrics_for(b, "binary")["brier"] for a, b in pairs]
    assert pooled["difference"] == pytest.approx(np.mean(differences))
    assert pooled["ci_low"] <= pooled["difference"] <= pooled["ci_high"]
    single = paired_bootstrap(*pairs[0], "binary", "brier", seed=0, resamples=200)
    assert single == paired_bootstrap_pooled(pairs[:1], "binary", "brier", seed=0, resamples=200)


def test_paired_bootstrap_rejects_different_items():
    table = binary_table(np.random.default_rng(20), 20)
    with pytest.raises(
        InputError, match=r"run1\.tsv and run2\.tsv do not hold the same test items.*'item19'"
    ):
        paired_bootstrap(table, table.iloc[:-1], "binary", "roc_auc", seed=0, names=("run1.tsv", "run2.tsv"))


def test_paired_bootstrap_rejects_an_unknown_metric():
    table = binary_table(np.random.default_rng(21), 20)
    with pytest.raises(InputError, match="no metric 'r2'"):
        paired_bootstrap(table, table, "binary", "r2", seed=0)


# ---------------------------------------------------------------------------
# Evaluation files


def test_evaluate_run_is_reproducible_and_writes_null_for_undefined(tmp_path):
    table = binary_table(np.random.default_rng(22), 40, positive_truth=1)
    predictions = tmp_path / "predictions.tsv"
    table.to_csv(predictions, sep="\t", index=False)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    evaluate_run(predictions, first, "binary", seed=5, resamples=100)
    evaluate_run(predictions, second, "binary", seed=5, resamples=100)
    assert first.read_bytes() == second.read_bytes()
    record = json.loads(first.read_text())
    assert record["metrics"]["roc_auc"] == {"value": None, "ci_low": None, "ci_high": None}
    assert record["items"] == 40
    assert record["primary"] == {"metric": "roc_auc", "higher_is_better": True}
    assert record["bootstrap"] == {"resamples": 100, "level": 0.95, "seed": 5, "unit": "id"}
    assert record["positive_class"] == "unbound"
    assert "NaN" not in first.read_text()


def test_calibration_bins_match_sklearn(tmp_path):
    table = binary_table(np.random.default_rng(23), 300)
    predictions, output = tmp_path / "predictions.tsv", tmp_path / "metrics.json"
    table.to_csv(predictions, sep="\t", index=False)
    evaluate_run(predictions, output, "binary", seed=0, resamples=20)
    bins = json.loads(output.read_text())["calibration"]
    assert len(bins) == 10 and sum(b["count"] for b in bins) == 300
    filled = [b for b in bins if b["count"]]
    positive = (table["truth"] == "unbound").astype(int)
    fraction, mean_score = calibration_curve(positive, table["score:unbound"], n_bins=10)
    assert [b["fraction_positive"] for b in filled] == pytest.approx(fraction)
    assert [b["mean_score"] for b in filled] == pytest.approx(mean_score)


def test_a_class_named_na_stays_a_class(tmp_path):
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text(
        "id\ttruth\tscore:NA\tscore:bound\nx\tNA\t0.8\t0.2\ny\tbound\t0.3\t0.7\nz\tNA\t0.4\t0.6\n"
    )
    table = read_predictions(predictions, "binary")
    assert table["truth"].tolist() == ["NA", "bound", "NA"]
    output = tmp_path / "metrics.json"
    evaluate_run(predictions, output, "binary", seed=0, resamples=20)
    record = json.loads(output.read_text())
    assert record["positive_class"] == "bound"
    assert record["metrics"]["accuracy"]["value"] == pytest.approx(2 / 3)
    assert record["metrics"]["roc_auc"]["value"] == 1.0


def test_columns_that_do_not_fit_the_task_are_named(tmp_path):
    predictions = tmp_path / "predictions.tsv"
    regression_table(np.random.default_rng(24), 5, ["y"]).to_csv(predictions, sep="\t", index=False)
    output = tmp_path / "metrics.json"
    with pytest.raises(InputError, match=r"predictions\.tsv: missing column 'truth' for task 'binary'"):
        evaluate_run(predictions, output, "binary", seed=0)
    assert not output.exists()
    class_table(np.random.default_rng(25), 5, ["a", "b", "c"]).to_csv(predictions, sep="\t", index=False)
    with pytest.raises(InputError, match="needs exactly two 'score:<class>' columns"):
        evaluate_run(predictions, output, "binary", seed=0)
    multilabel = multilabel_table(np.random.default_rng(26), 5, ["l1", "l2"]).drop(columns="score:l2")
    with pytest.raises(InputError, match="missing column 'score:l2'"):
        metrics_for(multilabel, "multilabel")


def test_bad_values_name_their_line(tmp_path):
    predictions = tmp_path / "predictions.tsv"
    predictions.write_text("id\ttruth\tscore:a\tscore:b\nx\ta\t0.5\t0.5\ny\tc\t0.5\t0.5\n")
    with pytest.raises(InputError, match=r"line 3: truth 'c' has no 'score:' column"):
        read_predictions(predictions, "binary")
    predictions.write_text("id\ttruth\tscore:a\tscore:b\nx\ta\t0.5\t0.2\n")
    with pytest.raises(InputError, match="line 2: class scores are not probabilities summing to one"):
        read_predictions(predictions, "binary")
    predictions.write_text("id\ttruth\tscore:a\tscore:b\nx\ta\tNA\t0.5\n")
    with pytest.raises(InputError, match=r"line 2: score:a 'NA' is not a finite number"):
        read_predictions(predictions, "binary")
    predictions.write_text("id\ttruth\tscore:a\tscore:b\nx\ta\t0.5\t0.5\nx\tb\t0.5\t0.5\n")
    with pytest.raises(InputError, match="line 3: second row for id 'x'"):
        read_predictions(predictions, "binary")
