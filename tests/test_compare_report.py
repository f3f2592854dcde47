"""Comparison tables, figures and the HTML report, from prediction files with a known ranking."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.evaluate.compare import compare_dataset, fold_test_train_ratios, summarise
from biodl.evaluate.metrics import evaluate_run
from biodl.evaluate.plots import plot_dataset
from biodl.evaluate.report import mean_sd, write_report
from biodl.evaluate.results import markdown_table, results_markdown
from biodl.families import FIGURES
from biodl.runkey import RunKey
from scipy import stats

CLASSES = ["no", "yes"]
# model → how strongly its scores lean towards the truth (the control gets no signal)
SIGNAL = {"deep": 2.0, "logistic": 1.0, "forest": 0.5, "shuffled": 0.0}
BASELINES = ["logistic", "forest", "shuffled"]


def write_predictions(path, seed: int, signal: float, n: int = 300) -> None:
    truth = np.arange(n) % 2
    rng = np.random.default_rng(seed * 100 + int(signal * 10))
    logit = signal * (truth - 0.5) * 2 + rng.normal(size=n)
    score = 1 / (1 + np.exp(-logit))
    table = pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "truth": np.array(CLASSES)[truth],
            "score:no": 1 - score,
            "score:yes": score,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False)


def write_run(path, model: str) -> None:
    versions = {"python": "3.11.7", "numpy": "2.4.6", "biodl": "0.1.0"}
    path.write_text(json.dumps({"family": model, "versions": versions}))


@pytest.fixture
def runs(tmp_path):
    """Prediction, metrics and history files of four models × two seeds, as the workflow lays them out."""
    files = {}
    for model, signal in SIGNAL.items():
        for seed in (1, 2):
            folder = tmp_path / model / f"holdout-s{seed}"
            write_predictions(folder / "predictions.tsv", seed, signal)
            evaluate_run(folder / "predictions.tsv", folder / "metrics.json", "binary", 0, resamples=200)
            write_run(folder / "run.json", model)
            files[RunKey("toy", model, "holdout", seed).input_name("predictions")] = (
                folder / "predictions.tsv"
            )
            files[RunKey("toy", model, "holdout", seed).input_name("metrics")] = folder / "metrics.json"
            if model == "deep":
                history = pd.DataFrame(
                    {"epoch": [1, 2, 3], "loss": [0.7, 0.5, 0.4], "val_loss": [0.7, 0.6, 0.62]}
                )
                history.to_csv(folder / "history.tsv", sep="\t", index=False)
                files[RunKey("toy", "deep", "holdout", seed).input_name("history")] = folder / "history.tsv"
    return tmp_path, files


def compare(folder, files, tuned=None):
    outputs = {name: folder / "compare" / f"{name}.tsv" for name in ("metrics", "summary", "paired", "tuned")}
    compare_files = {k: v for k, v in files.items() if not k.startswith("history")}
    ids = [f"i{k}" for k in range(300)]
    pd.DataFrame({"id": ids, "partition": "test"}).to_csv(folder / "split.tsv", sep="\t", index=False)
    compare_files["split"] = folder / "split.tsv"
    compare_dataset(
        files=compare_files,
        outputs=outputs,
        task="binary",
        baselines=BASELINES,
        controls=["shuffled"],
        seed=0,
        resamples=500,
        tuned=tuned,
    )
    return {name: pd.read_csv(path, sep="\t") for name, path in outputs.items()}, outputs


def test_a_tuned_model_is_tested_against_its_hand_set_model_on_the_same_items(runs):
    from biodl.evaluate.compare import paired_comparisons
    from biodl.evaluate.report import paired_verdict
    from biodl.runkey import run_inputs

    folder, files = runs
    tables, outputs = compare(folder, files, tuned={"deep": "logistic"})
    assert tables["paired"]["reference"].eq("logistic").all()  # the best baseline, as before
    (row,) = tables["tuned"].to_dict("records")
    predictions = run_inputs({k: v for k, v in files.items() if k.startswith("predictions")}, "predictions")
    expected = paired_comparisons(
        predictions, {"deep": "model", "logistic": "baseline"}, "logistic", "binary", 0, 500
    )
    assert row["model"] == "deep" and row["reference"] == "logistic" and row["pairs"] == 2
    assert row["difference"] == pytest.approx(expected["difference"].iat[0]) and row["difference"] > 0
    assert row["q_value"] == pytest.approx(row["p_value"])  # one test: q is p
    text = paired_verdict(outputs["tuned"], "deep", higher=True)
    assert text.startswith("; paired over the same test items and seeds Δ +0.") and text.endswith(": better")
    assert compare(folder, files)[0]["tuned"].empty  # no tuned model: an empty table


def test_summary_is_mean_sd_and_t_interval_over_runs(runs):
    folder, files = runs
    tables, _ = compare(folder, files)
    values = [
        json.loads((folder / "deep" / f"holdout-s{seed}" / "metrics.json").read_text())["metrics"]["roc_auc"][
            "value"
        ]
        for seed in (1, 2)
    ]
    row = tables["summary"].query("model == 'deep' and metric == 'roc_auc'").iloc[0]
    assert row["runs"] == 2
    assert row["mean"] == pytest.approx(np.mean(values))
    assert row["sd"] == pytest.approx(np.std(values, ddof=1))
    low, high = stats.t.interval(0.95, 1, loc=np.mean(values), scale=np.std(values, ddof=1) / np.sqrt(2))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((max(low, 0), min(high, 1)))
    assert row["ci_method"] == "t over 2 seeds of one split unit"
    tidy = tables["metrics"]
    assert len(tidy.query("model == 'deep' and metric == 'roc_auc'")) == 2
    assert set(tidy["role"]) == {"model", "baseline", "control"}


def test_equal_values_over_runs_have_an_sd_of_exactly_zero():
    value = 0.7  # three equal floats whose plain mean is off in the last bit
    tidy = pd.DataFrame(
        {
            "model": "logistic",
            "role": "baseline",
            "unit": "holdout",
            "seed": [1, 2, 3],
            "metric": "roc_auc",
            "value": value,
            "ci_low": 0.8,
            "ci_high": 0.95,
        }
    )
    row = summarise(tidy).iloc[0]
    assert row["sd"] == 0.0 and row["mean"] == value and row["ci_low"] == row["ci_high"] == value


def fold_runs(values: dict[str, list[float]], metric: str = "roc_auc") -> pd.DataFrame:
    """Tidy metrics of one model: unit → its seeds' values."""
    rows = [
        {"model": "cnn", "role": "model", "unit": unit, "seed": seed, "metric": metric, "value": value}
        for unit, seeds in values.items()
        for seed, value in enumerate(seeds, start=1)
    ]
    return pd.DataFrame(rows).assign(ci_low=np.nan, ci_high=np.nan)


def test_fold_intervals_are_corrected_resampled_t_over_fold_means():
    values = {
        f"r{r}fold{k}": [0.80 + 0.02 * k + 0.01 * r, 0.82 + 0.02 * k] for r in range(2) for k in range(5)
    }
    ratios = dict.fromkeys(values, 0.25)  # n_test / n_train of every fold
    row = summarise(fold_runs(values), ratios).iloc[0]
    fold_means = np.array([np.mean(seeds) for seeds in values.values()])
    # Nadeau & Bengio's corrected variance: (1/J + n_test/n_train) · s² over the J fold means
    half = stats.t.ppf(0.975, 9) * np.sqrt((1 / 10 + 0.25) * fold_means.var(ddof=1))
    assert row["runs"] == 20
    assert row["mean"] == pytest.approx(fold_means.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (fold_means.mean() - half, fold_means.mean() + half)
    )
    assert row["ci_method"] == "corrected resampled t over 10 folds (Nadeau & Bengio 2003)"
    # wider than the plain t interval over the same fold means, which ignores overlapping training sets
    plain = stats.t.ppf(0.975, 9) * fold_means.std(ddof=1) / np.sqrt(10)
    assert half > 1.8 * plain


@pytest.mark.parametrize(
    ("metric", "values", "expected"),
    [
        ("roc_auc", [0.99, 0.93, 1.0, 0.96, 1.0], (None, 1.0)),  # was 0.979 [0.952, 1.005]-like
        ("mcc", [-0.99, -0.80, -1.0, -0.9, -0.95], (-1.0, None)),
        ("mse", [0.01, 0.3, 0.02, 0.01, 0.4], (0.0, None)),
        ("r2", [-5.0, 0.99, 0.2, 0.97, 0.5], (None, 1.0)),
    ],
)
def test_every_interval_stays_inside_the_metrics_range(metric, values, expected):
    folds = {f"fold{k}": [value] for k, value in enumerate(values)}
    row = summarise(fold_runs(folds, metric), dict.fromkeys(folds, 1 / 3)).iloc[0]
    low, high = expected
    if low is not None:
        assert row["ci_low"] == low
    if high is not None:
        assert row["ci_high"] == high
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_test_to_train_ratios_come_from_the_split_file(tmp_path):
    split = pd.DataFrame({"id": [f"i{k}" for k in range(10)], "fold": [0, 0, 1, 1, 2, 2, 2, 3, 3, 3]})
    split.to_csv(tmp_path / "split.tsv", sep="\t", index=False)
    ratios = fold_test_train_ratios(tmp_path / "split.tsv", {"fold0", "fold2"})
    # fold0: test fold 0 (2 items), valid fold 1 (2), train folds 2, 3 (6); fold2: test 3, valid 3, train 4
    assert ratios == {"fold0": pytest.approx(2 / 6), "fold2": pytest.approx(3 / 4)}


def test_paired_tests_use_the_best_real_baseline_and_rank_correctly(runs):
    folder, files = runs
    paired = compare(folder, files)[0]["paired"].set_index("model")
    assert set(paired["reference"]) == {"logistic"}  # the best baseline; never the control
    assert "logistic" not in paired.index
    assert paired.loc["deep", "difference"] > 0.05 and paired.loc["deep", "p_value"] < 0.01
    assert paired.loc["shuffled", "difference"] < -0.1 and paired.loc["shuffled", "p_value"] < 0.01
    assert paired.loc["deep", "pairs"] == 2
    assert paired["q_value"].to_numpy() == pytest.approx(stats.false_discovery_control(paired["p_value"]))


def test_compare_tables_are_identical_on_rerun(runs):
    folder, files = runs
    _, outputs = compare(folder, files)
    first = {name: path.read_bytes() for name, path in outputs.items()}
    compare(folder, files)
    assert first == {name: path.read_bytes() for name, path in outputs.items()}


def test_results_markdown_holds_the_comparison_of_each_dataset(runs):
    folder, files = runs
    dataset = folder / "results" / "toy"
    (dataset / "ingest").mkdir(parents=True)
    (dataset / "ingest/meta.json").write_text(json.dumps({"kind": "sequences", "task": "binary"}))
    tables, outputs = compare(folder, files)
    (dataset / "compare").mkdir()
    for name in ("summary", "paired"):
        (dataset / "compare" / f"{name}.tsv").write_bytes(outputs[name].read_bytes())
    lines = results_markdown(folder / "results").splitlines()
    assert lines[0] == "### toy"
    assert lines[2].startswith("| model | role | metric | mean ± sd |") and lines[3].count("---") == 11
    rows = [line.split(" | ") for line in lines[4:]]
    assert [row[0] for row in rows] == ["| deep", "| logistic", "| forest", "| shuffled"]
    deep = tables["summary"].query("model == 'deep' and metric == 'roc_auc'").iloc[0]
    assert rows[0][3] == mean_sd(deep) and rows[0][-1] == "better |"
    assert rows[1][-1] == "best baseline |"
    assert markdown_table(["a|b"], [["1"]]) == "| a\\|b |\n| --- |\n| 1 |"


def make_figures(folder, files):
    _, outputs = compare(folder, files)
    figures = {name: folder / "figures" / f"{name}.png" for name in FIGURES["binary"]}
    plot_inputs = {**files, "summary": outputs["summary"], "metrics": outputs["metrics"]}
    plot_dataset(plot_inputs, figures, "binary", BASELINES, ["shuffled"])
    return figures


def test_every_binary_figure_is_a_png_and_reproducible(runs):
    folder, files = runs
    figures = make_figures(folder, files)
    first = {name: path.read_bytes() for name, path in figures.items()}
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000 for data in first.values())
    make_figures(folder, files)
    assert first == {name: path.read_bytes() for name, path in figures.items()}


def build_report(folder, files):
    figures = make_figures(folder, files)
    notes = ["3 of 40 samples of the matrix are not in the sample sheet and were left out"]
    (folder / "meta.json").write_text(json.dumps({"kind": "expression", "notes": notes}))
    audit = {
        "settings": {"identity": 0.95, "correlation": 0.9, "on_finding": "warn"},
        "units": {
            "holdout": {
                "exact_duplicates": {"count": 2, "example": 7},
                "nearest_training_identity": {"max": 1.0, "at_or_above_threshold": 3, "closest_pair": [7, 1]},
                "findings": ["2 test sequences are exact copies of training sequences"],
            }
        },
    }
    split_report = {"method": "holdout", "audit": audit, "warnings": ["class 'x' has no test item"]}
    (folder / "report.json").write_text(json.dumps(split_report))
    inputs = {
        "data|toy": folder / "meta.json",
        "split|toy": folder / "report.json",
        "summary|toy": folder / "compare" / "summary.tsv",
        "paired|toy": folder / "compare" / "paired.tsv",
        **{f"figure|toy|{name}": path for name, path in figures.items()},
        **{
            RunKey("toy", m, "holdout", s).input_name("run"): folder / m / f"holdout-s{s}" / "run.json"
            for m in SIGNAL
            for s in (1, 2)
        },
    }
    path = folder / "report.html"
    write_report(path, inputs, {"toy": "binary"}, {"seeds": [1, 2], "datasets": {"toy": {"task": "binary"}}})
    return path, figures


def test_every_value_in_the_report_is_escaped_and_a_report_without_results_still_renders(tmp_path):
    config = {"note": '<script>alert("x & y")</script>', "datasets": {}}
    path = tmp_path / "report.html"
    write_report(path, {}, {}, config)
    text = path.read_text()
    assert "<script>" not in text
    assert f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=True))}</pre>" in text
    assert text.endswith("</body></html>\n")


def test_report_is_self_contained_and_puts_the_comparison_first(runs):
    folder, files = runs
    path, figures = build_report(folder, files)
    text = path.read_text()
    assert text.count('src="data:image/png;base64,') == len(figures)
    assert not re.search(r'(src|href)="(http|//|file:)', text)  # nothing outside the file
    assert text.index('id="comparison"') < text.index('id="toy"') < text.index('id="software"')
    first_table = text[text.index('id="comparison"') : text.index('id="toy"')]
    order = [
        first_table.index(f'<td class="name">{m}</td>') for m in ("deep", "logistic", "forest", "shuffled")
    ]
    assert order == sorted(order)  # best first
    assert "better" in first_table and "best baseline" in first_table
    assert "numpy" in text and "2.4.6" in text and "seeds" in text
    assert "Intervals: t over 2 seeds of one split unit." in text
    assert "<h3>Leakage audit</h3>" in text and "1 of 1 units have one" in text
    assert '<tr class="warn"><td class="name">holdout</td><td>2</td><td>1 (3)</td></tr>' in text
    assert "Reference: <b>logistic</b>, the strongest of 2 baselines by mean roc_auc" in text
    assert "logistic regression on k-mer frequencies" in text
    assert (
        "Data: 3 of 40 samples of the matrix are not in the sample sheet and were left out; "
        "split: class &#x27;x&#x27; has no test item." in text
    )
    first = path.read_bytes()
    build_report(folder, files)
    assert path.read_bytes() == first


CHECK = """<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const loaded = images.filter(i => i.complete && i.naturalWidth > 0).length;
  const tables = [...document.querySelectorAll('table')].filter(t => t.getBoundingClientRect().height > 0);
  const out = document.createElement('div');
  out.id = 'render-check';
  out.textContent = `images=${images.length} loaded=${loaded} tables=${tables.length}`;
  document.body.appendChild(out);
});
</script></body>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(chromium() is None, reason="needs a Chromium browser (Debian package chromium)")
def test_report_renders_its_tables_and_images_in_headless_chromium(runs, tmp_path):
    folder, files = runs
    path, figures = build_report(folder, files)
    checked = tmp_path / "checked.html"
    checked.write_text(path.read_text().replace("</body>", CHECK))
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000"]
    result = subprocess.run(
        [*command, "--dump-dom", checked.as_uri()], capture_output=True, text=True, timeout=120
    )
    found = re.search(r'id="render-check">images=(\d+) loaded=(\d+) tables=(\d+)<', result.stdout)
    assert found, result.stderr[-2000:]
    images, loaded, tables = map(int, found.groups())
    assert images == loaded == len(figures)
    assert tables == 5  # comparison, metrics, leakage audit, paired, software


def test_the_applied_section_states_the_metric_on_new_data_with_an_interval_beside_the_test_value(tmp_path):
    from biodl.evaluate.report import applied_table
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, size=200)
    score = np.clip(truth * 0.3 + rng.random(200) * 0.7, 0, 1)
    table = pd.DataFrame(
        {
            "id": [f"n{i}" for i in range(200)],
            "truth": np.where(truth == 1, "yes", "no"),
            "score:no": 1 - score,
            "score:yes": score,
        }
    )
    table.to_csv(tmp_path / "labelled.tsv", sep="\t", index=False)
    table.drop(columns="truth").to_csv(tmp_path / "unlabelled.tsv", sep="\t", index=False)
    card = {"evaluation": {"metric_of_record": "roc_auc", "metrics": {"roc_auc": {"value": 0.9}}}}
    (tmp_path / "card.json").write_text(json.dumps(card))
    config = {
        "apply": {
            "labelled": {"run": "d/cnn/holdout-s1", "input": "new.fa", "labels": "new.tsv"},
            "unlabelled": {"run": ["d/cnn/holdout-s1", "d/cnn/holdout-s2"], "input": "other.fa"},
        },
        "evaluation": {"seed": 0, "resamples": 200},
    }
    files = {
        "applied|labelled": tmp_path / "labelled.tsv",
        "card|labelled|0": tmp_path / "card.json",
        "applied|unlabelled": tmp_path / "unlabelled.tsv",
        "card|unlabelled|0": tmp_path / "card.json",
        "card|unlabelled|1": tmp_path / "card.json",
    }
    result = applied_table(config, files, {"d": "binary"})
    (_, labelled), (_, unlabelled) = result.rows
    expected = f"{roc_auc_score(truth, score):.3f}"
    assert labelled[:5] == ["labelled", "d/cnn/holdout-s1", "new.fa", "200", "roc_auc"]
    assert labelled[5].startswith(f"{expected} [") and labelled[6] == "0.900"
    low, high = map(float, labelled[5].split("[")[1].rstrip("]").split(", "))
    assert low < float(expected) < high
    assert unlabelled[1] == "mean of 2: d/cnn/holdout-s1, d/cnn/holdout-s2"
    assert unlabelled[5] == "no labels given"
