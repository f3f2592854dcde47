"""Where every file of the workflow lands, computed once from the config.

The Snakefile asks this class for output patterns and targets, so paths are
spelled in one place and input functions never read data files.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from biodl.apply.files import CONTROL_METHODS, bundle_file_names, can_bundle
from biodl.data.units import unit_names
from biodl.errors import InputError
from biodl.families import FIGURES, baseline_supports, generative_supports, is_generative, supports
from biodl.runkey import RUN_FOLDER, RunKey
from biodl.vocabulary import INPUT_KINDS, INTERPRETED_TASKS
from biodl.workflow.config import resolve_config

NEVER_MATCHES = "(?!x)x"
INTERPRET_FILES = {
    "motifs": {
        "matches": "matches.tsv",
        "methods": "methods.tsv",
        "motifs": "motifs.meme",
        "attributions": "attributions.npz",
        "logos": "logos.png",
        "tracks": "tracks.png",
    },
    "genes": {
        "rankings": "rankings.tsv",
        "agreement": "agreement.tsv",
        "attributions": "attributions.npz",
        "figure": "genes.png",
    },
    "context": {"context": "context.tsv", "attributions": "attributions.npz", "figure": "context.png"},
    "residues": {
        "residues": "residues.tsv",
        "windows": "windows.tsv",
        "profile": "profile.tsv",
        "methods": "methods.tsv",
        "attributions": "attributions.npz",
        "figure": "residues.png",
        "tracks": "tracks.png",
    },
}
INTERPRET_FILES["courses"] = {**INTERPRET_FILES["genes"], "times": "times.tsv", "time_figure": "times.png"}
SEARCH_FILES = {
    "journal": "study.journal",
    "best": "best.json",
    "trials": "trials.tsv",
    "importance": "importance.tsv",
    "figure": "trials.png",
}
LOGS = "logs"  # every rule's log; its benchmark: file goes under logs/bench/ by the same path


def benchmark_of(log: str) -> str:
    """The ``benchmark:`` file that goes with the log file ``log``."""
    return f"{LOGS}/bench/{log.removeprefix(LOGS + '/').removesuffix('.log')}.tsv"


def interpretation_of(settings: dict) -> str | None:
    """What interpreting a model of a dataset shows: the motifs of a DNA or RNA model that scores
    whole sequences, the amino acids and stretches a model of whole protein chains reads (residues),
    the genes a model of expression profiles uses, the genes and time points a
    model of time-course classes uses (courses), the context a per-position model reads; None for
    other datasets (forecasts, generation)."""
    kind, task = settings["kind"], settings["task"]
    if kind == "sequences" and task == "per_position":
        return "context"
    if kind == "sequences" and task in INTERPRETED_TASKS:
        return "residues" if settings["alphabet"] == "protein" else "motifs"
    if kind == "expression" and task in INTERPRETED_TASKS:
        return "genes"
    if task == "series_classification":
        return "courses"
    return None


def exact_names(names: Iterable[str]) -> str:
    """Wildcard regex matching exactly the given names (nothing when there are none)."""
    return "|".join(re.escape(name) for name in names) or NEVER_MATCHES


INGEST_FILES = {
    "sequences": {
        "ids": "ids.tsv",
        "tokens": "tokens.npy",
        "lengths": "lengths.npy",
        "kmers": "kmers.npz",
        "meta": "meta.json",
    },
    "expression": {"ids": "ids.tsv", "matrix": "matrix.npy", "genes": "genes.tsv", "meta": "meta.json"},
    "timecourse": {
        "ids": "ids.tsv",
        "values": "values.npy",
        "times": "times.tsv",
        "genes": "genes.tsv",
        "meta": "meta.json",
    },
}
SPLIT_FILES = {"split": "split.tsv", "balance": "balance.tsv", "report": "report.json"}
HOMOLOGY_FILE = "homology.npz"  # pairs, identities and groups of a homology split, kept across split re-runs
GENERATIVE_FILES = {
    "model": "model.keras",
    "history": "history.tsv",
    "run": "run.json",
    "latent": "latent.tsv",
    "reconstruction": "reconstruction.tsv",
    "sequences": "samples.fa",
    "profiles": "samples.tsv",
    "metrics": "metrics.json",
}
# figures of a dataset's generative models, by input kind (file stems under generative/figures/)
GENERATIVE_FIGURES = {"tokens": ("kmers", "gc", "losses"), "vector": ("latent", "losses")}
FEATURE_FILES = {
    "expression": {"features": "features.npy", "genes": "genes.tsv", "params": "params.json"},
    "timecourse": {"values": "values.npy", "params": "params.json"},
}


class Layout:
    """Paths and targets of the data stages for one config."""

    def __init__(self, config: dict):
        self.config = resolve_config(copy.deepcopy(config))
        self.results = self.config["results"]

    def datasets(self, kind: str | None = None, task: str | None = None) -> list[str]:
        """Dataset names, optionally only those of one kind and/or task."""
        return [
            name
            for name, settings in self.config["datasets"].items()
            if (kind is None or settings["kind"] == kind) and (task is None or settings["task"] == task)
        ]

    def pattern_for(
        self,
        kind: str | None = None,
        task: str | None = None,
        exclude_task: str | None = None,
        intervals: bool | None = None,
    ) -> str:
        """Wildcard regex matching exactly the chosen dataset names (``intervals``: only those cut from
        a genome, or only those that are not)."""
        names = [
            n
            for n in self.datasets(kind, task)
            if (exclude_task is None or self.config["datasets"][n]["task"] != exclude_task)
            and (intervals is None or ("intervals" in self.config["datasets"][n]) == intervals)
        ]
        return exact_names(names)

    def units(self, dataset: str) -> list[str]:
        """Split units: 'holdout', 'fold0'..'fold{K-1}' for K folds, 'r0fold0'.. for repeated K folds."""
        split = self.config["datasets"][dataset]["split"]
        return unit_names(split.get("folds"), split["repeats"])

    def ingest(self, kind: str, dataset: str = "{dataset}", per_position: bool = False) -> dict[str, str]:
        """Ingest outputs of a dataset of ``kind``."""
        files = dict(INGEST_FILES[kind])
        if per_position:
            files["positions"] = "positions.npy"
        return {key: f"{self.results}/{dataset}/ingest/{name}" for key, name in files.items()}

    def split(self, dataset: str = "{dataset}") -> dict[str, str]:
        """Split outputs of a dataset."""
        return {key: f"{self.results}/{dataset}/split/{name}" for key, name in SPLIT_FILES.items()}

    def homology(self, dataset: str = "{dataset}") -> str:
        """Homology groups of a dataset whose split has ``homology`` set."""
        return f"{self.results}/{dataset}/split/{HOMOLOGY_FILE}"

    def has_homology(self, dataset: str) -> bool:
        """Whether the dataset's split groups sequences by homology."""
        settings = self.config["datasets"][dataset]
        return settings["kind"] == "sequences" and bool(settings["split"].get("homology"))

    def features(self, kind: str, dataset: str = "{dataset}", unit: str = "{unit}") -> dict[str, str]:
        """Feature outputs of one split unit (expression and time courses only)."""
        return {
            key: f"{self.results}/{dataset}/features/{unit}/{name}"
            for key, name in FEATURE_FILES[kind].items()
        }

    def log(self, stage: str, dataset: str = "{dataset}", unit: str | None = None) -> str:
        """Log file of a rule of one dataset (and split unit)."""
        return f"{LOGS}/{dataset}/{stage}{'.' + unit if unit else ''}.log"

    def bench(self, stage: str, dataset: str = "{dataset}", unit: str | None = None) -> str:
        """``benchmark:`` file of a rule of one dataset (and split unit)."""
        return benchmark_of(self.log(stage, dataset, unit))

    def run_log(self, stage: str) -> str:
        """Log file pattern of a rule of one run (training, baseline, sampling, its evaluation)."""
        return f"{LOGS}/{RUN_FOLDER}.{stage}.log"

    def run_bench(self, stage: str) -> str:
        """``benchmark:`` file pattern of a rule of one run."""
        return benchmark_of(self.run_log(stage))

    def workflow_log(self, stage: str) -> str:
        """Log file of a rule over the whole workflow (check, report)."""
        return f"{LOGS}/{stage}.log"

    def workflow_bench(self, stage: str) -> str:
        """``benchmark:`` file of a rule over the whole workflow."""
        return benchmark_of(self.workflow_log(stage))

    def models_for(self, dataset: str) -> list[str]:
        """Model names that train on ``dataset``: listed there, or able to (when no list is given)."""

        settings = self.config["datasets"][dataset]
        names = []
        for name, model in self.config["models"].items():
            wanted = model.get("datasets")
            able = supports(model["family"], INPUT_KINDS[settings["kind"]], settings["task"])
            if able and (wanted is None or dataset in wanted):
                names.append(name)
        return names

    def run_folder(self, dataset: str, model: str, unit: str, seed: str) -> str:
        """The folder of one run (training, baseline or generative) in the results tree."""
        return f"{self.results}/" + RUN_FOLDER.format(dataset=dataset, model=model, unit=unit, seed=seed)

    def run(
        self, dataset: str = "{dataset}", model: str = "{model}", unit: str = "{unit}", seed: str = "{seed}"
    ) -> dict[str, str]:
        """Files of one training run (model, unit, seed) of a dataset."""
        folder = self.run_folder(dataset, model, unit, seed)
        names = {
            "model": "model.keras",
            "estimator": "model.skops",  # a baseline's fitted scikit-learn estimators
            "history": "history.tsv",
            "run": "run.json",
            "predictions": "predictions.tsv",
            "metrics": "metrics.json",
        }
        return {key: f"{folder}/{name}" for key, name in names.items()}

    def bundle(
        self,
        dataset: str = "{dataset}",
        model: str = "{model}",
        unit: str = "{unit}",
        seed: str = "{seed}",
        *,
        baseline: bool | None = None,
    ) -> dict[str, str]:
        """Files of the bundle of one training or baseline run (:mod:`biodl.apply.bundle`); ``baseline``
        says which for a wildcard pattern (known from the name otherwise)."""
        folder = self.run_folder(dataset, model, unit, seed)
        baseline = model in self.config["baselines"] if baseline is None else baseline
        return {key: f"{folder}/bundle/{name}" for key, name in bundle_file_names(baseline=baseline).items()}

    def interpret(
        self,
        dataset: str = "{dataset}",
        model: str = "{model}",
        unit: str = "{unit}",
        seed: str = "{seed}",
        *,
        what: str | None = None,
    ) -> dict[str, str]:
        """Files of the interpretation of one training run (:mod:`biodl.interpret.runs`): ``what``
        names the kind (motifs, residues, genes, courses, context) for a wildcard pattern (known from
        the dataset otherwise)."""
        folder = self.run_folder(dataset, model, unit, seed)
        what = what or interpretation_of(self.config["datasets"][dataset])
        return {key: f"{folder}/interpret/{name}" for key, name in INTERPRET_FILES[what].items()}

    def interpreted_runs(self) -> list[tuple[str, str, str, int]]:
        """The first unit and seed of every Keras model of a dataset that can be interpreted
        (:func:`interpretation_of`), as the config's ``interpret`` section narrows them."""
        settings = self.config["interpret"]
        if not settings["enabled"]:
            return []
        runs = []
        for dataset, dataset_settings in self.config["datasets"].items():
            if interpretation_of(dataset_settings) is None:
                continue
            if settings["datasets"] is not None and dataset not in settings["datasets"]:
                continue
            for model in self.models_for(dataset):
                if settings["models"] is None or model in settings["models"]:
                    runs.append((dataset, model, self.units(dataset)[0], self.config["seeds"][0]))
        return runs

    def interpret_inputs(self, dataset: str, model: str, unit: str, seed: str) -> dict[str, str]:
        """Files an interpretation reads: the run's model and run.json and its training inputs; for
        gene rankings also the gene names and every baseline's (but controls') run.json and
        estimators of the same unit and seed."""
        settings = self.config["datasets"][dataset]
        run = self.run(dataset, model, unit, seed)
        inputs = {"model": run["model"], "run": run["run"], **self.training_inputs(dataset, unit)}
        if interpretation_of(settings) not in ("genes", "courses"):
            return inputs
        if settings["kind"] == "expression":
            inputs["genes"] = self.features("expression", dataset, unit)["genes"]
        for name in self.interpret_baselines(dataset):
            baseline = self.run(dataset, name, unit, seed)
            inputs.update({f"run_{name}": baseline["run"], f"estimator_{name}": baseline["estimator"]})
        return inputs

    def interpret_baselines(self, dataset: str) -> list[str]:
        """The baselines whose gene rankings stand beside a model's: every one of the dataset but the
        controls fitted on shuffled labels."""
        controls = self.controls_for(dataset)
        return [name for name in self.baselines_for(dataset) if name not in controls]

    def interpret_report_inputs(self, dataset: str, model: str, unit: str, seed: int) -> dict[str, str]:
        """The report's inputs from one interpretation, keyed '<kind>|<file>|<run>'
        (:func:`biodl.evaluate.report.interpretation_sections`)."""
        what = interpretation_of(self.config["datasets"][dataset])
        files = self.interpret(dataset, model, unit, str(seed))
        shown = {
            "motifs": ("matches", "methods", "logos", "tracks"),
            "genes": ("agreement", "figure"),
            "courses": ("agreement", "figure", "time_figure"),
            "context": ("context", "figure"),
            "residues": ("windows", "methods", "residues", "figure", "tracks"),
        }
        run = RunKey(dataset, model, unit, seed).path
        return {f"{what}|{key}|{run}": files[key] for key in shown[what]}

    def interpret_targets(self) -> list[str]:
        """Every interpretation file the config asks for."""
        return [path for run in self.interpreted_runs() for path in self.interpret(*run).values()]

    def bundled_runs(self) -> list[tuple[str, str, str, int]]:
        """The training and baseline runs that get a bundle: those whose kind and task can be applied to
        new data (controls fitted on shuffled labels excepted)."""
        datasets = self.config["datasets"]
        baselines = [
            (dataset, name, unit, seed)
            for dataset in datasets
            for name in self.baselines_for(dataset)
            if self.config["baselines"][name]["method"] not in CONTROL_METHODS
            for unit in self.units(dataset)
            for seed in self.config["seeds"]
        ]
        runs = self.runs() + baselines
        return [run for run in runs if can_bundle(datasets[run[0]]["kind"], datasets[run[0]]["task"])]

    def bundle_inputs(self, dataset: str, model: str, unit: str, seed: str) -> dict[str, str]:
        """Files the bundle of a run is made from: the run, its evaluation, and how its data was prepared."""
        run = self.run(dataset, model, unit, seed)
        kind = self.config["datasets"][dataset]["kind"]
        ingest = self.ingest(kind, dataset)
        inputs = {key: run[key] for key in ("model", "run", "metrics")}
        if model in self.config["baselines"]:
            inputs["model"] = run["estimator"]
        inputs["meta"] = ingest["meta"]
        if kind == "expression":
            inputs.update(ids=ingest["ids"], genes=ingest["genes"], matrix=ingest["matrix"])
            inputs.update(
                split=self.split(dataset)["split"], params=self.features(kind, dataset, unit)["params"]
            )
        if kind == "timecourse":
            inputs.update(genes=ingest["genes"], times=ingest["times"])
            inputs["params"] = self.features(kind, dataset, unit)["params"]
        return inputs

    def bundle_targets(self) -> list[str]:
        """Every file of every bundle the config asks for (none with ``bundles: false``)."""
        if not self.config["bundles"]:
            return []
        return [path for run in self.bundled_runs() for path in self.bundle(*run).values()]

    def check_apply(self) -> None:
        """Refuse an ``apply`` entry whose run is not a bundled run of this config (one line)."""
        bundled = sorted(RunKey(*run).path for run in self.bundled_runs()) if self.config["bundles"] else []
        for name in self.config["apply"]:
            for run in self.applied_runs(name):
                if run not in bundled:
                    known = f"e.g. {', '.join(bundled[:3])}" if bundled else "none: bundles is false"
                    raise InputError(
                        f"config: apply.{name}: run {run!r} is not a bundled training run of this "
                        f"config ({known})"
                    )

    def applied_runs(self, name: str) -> list[str]:
        """The runs (path form) whose bundles an ``apply`` entry uses, averaged when several."""
        run = self.config["apply"][name]["run"]
        return [run] if isinstance(run, str) else list(run)

    def apply_bundles(self, name: str) -> list[str]:
        """The bundle folders of an ``apply`` entry."""
        return [f"{self.results}/{run}/bundle" for run in self.applied_runs(name)]

    def apply_output(self, name: str = "{name}") -> str:
        """The predictions of one ``apply`` entry."""
        return f"{self.results}/apply/{name}/predictions.tsv"

    def apply_inputs(self, name: str) -> dict[str, str]:
        """The bundle an ``apply`` entry uses and its new input (and labels)."""
        entry = self.config["apply"][name]
        inputs = {"input": entry["input"]}
        for index, run in enumerate(self.applied_runs(name)):
            key = RunKey.parse(run)
            files = self.bundle(key.dataset, key.model, key.unit, str(key.seed))
            inputs.update({f"{role}{index}": files[role] for role in ("model", "bundle")})
        if entry["labels"]:
            inputs["labels"] = entry["labels"]
        return inputs

    def variant_datasets(self) -> list[str]:
        """Interval datasets with a VCF to score."""
        return [
            name
            for name, settings in self.config["datasets"].items()
            if "variants" in settings.get("intervals", {})
        ]

    def variant_pattern(self) -> str:
        """Wildcard regex matching exactly the datasets with a VCF to score."""
        return exact_names(self.variant_datasets())

    def variants(self, dataset: str = "{dataset}") -> dict[str, str]:
        """The variant effects of a dataset's models and their summary."""
        folder = f"{self.results}/{dataset}/variants"
        return {"effects": f"{folder}/effects.tsv", "summary": f"{folder}/summary.json"}

    def variant_bundles(self, dataset: str) -> dict[str, list[str]]:
        """Every bundled run of ``dataset``, as bundle folders by model (its seeds and units)."""
        found: dict[str, list[str]] = {}
        for run_dataset, model, unit, seed in self.bundled_runs():
            if run_dataset == dataset:
                found.setdefault(model, []).append(f"{self.run_folder(dataset, model, unit, seed)}/bundle")
        return found

    def variant_inputs(self, dataset: str) -> dict[str, str]:
        """The VCF, the genome and the bundle files the variant job of ``dataset`` reads."""
        intervals = self.config["datasets"][dataset]["intervals"]
        inputs = {"vcf": intervals["variants"]["vcf"], "genome": intervals["genome"]}
        runs = [run for run in self.bundled_runs() if run[0] == dataset]
        for index, run in enumerate(runs):
            files = self.bundle(*run)
            inputs.update({f"{role}{index}": files[role] for role in ("model", "bundle")})
        return inputs

    def variant_targets(self) -> list[str]:
        """The variant effects of every dataset with a VCF."""
        return [path for name in self.variant_datasets() for path in self.variants(name).values()]

    def apply_targets(self) -> list[str]:
        """The predictions of every ``apply`` entry."""
        return [self.apply_output(name) for name in self.config["apply"]]

    def runs(self) -> list[tuple[str, str, str, int]]:
        """Every (dataset, model, unit, seed) the config asks for."""
        return [
            (dataset, model, unit, seed)
            for dataset in self.config["datasets"]
            for model in self.models_for(dataset)
            for unit in self.units(dataset)
            for seed in self.config["seeds"]
        ]

    def search(
        self, dataset: str = "{dataset}", model: str = "{model}", unit: str = "{unit}"
    ) -> dict[str, str]:
        """Files of the hyper-parameter search of a model on one split unit (:mod:`biodl.search`):
        the study's journal, and the summary the tuned model trains from."""
        folder = f"{self.results}/{dataset}/{model}/search/{unit}"
        return {key: f"{folder}/{name}" for key, name in SEARCH_FILES.items()}

    def search_round(self, dataset: str, model: str, unit: str, round_index: int | str) -> str:
        """The trials a round of the search proposes (round<r>.json)."""
        return f"{self.results}/{dataset}/{model}/search/{unit}/round{round_index}.json"

    def search_trial(
        self,
        dataset: str = "{dataset}",
        model: str = "{model}",
        unit: str = "{unit}",
        number: str = "{number}",
    ) -> dict[str, str]:
        """Files of one trial of a search: score.json and history.tsv."""
        folder = f"{self.results}/{dataset}/{model}/search/{unit}/trial{number}"
        return {"score": f"{folder}/score.json", "history": f"{folder}/history.tsv"}

    def searched_runs(self) -> list[tuple[str, str, str]]:
        """Every (dataset, model, unit) a search runs on: each split unit of each dataset of a model
        with a ``search`` (nested in the outer folds of a K-fold dataset)."""
        return [
            (dataset, model, unit)
            for dataset in self.config["datasets"]
            for model in self.models_for(dataset)
            if "search" in self.config["models"][model]
            for unit in self.units(dataset)
        ]

    def search_targets(self) -> list[str]:
        """The summary files of every search."""
        return [
            path
            for run in self.searched_runs()
            for key, path in self.search(*run).items()
            if key != "journal"
        ]

    def round_scores(self, dataset: str, model: str, unit: str, round_index: int) -> list[str]:
        """The score.json of every trial of the round before ``round_index`` (none for the first)."""
        from biodl.search.space import rounds

        settings = self.config["models"][model]["search"]
        if round_index == 0:
            return []
        numbers = rounds(settings["trials"], settings["parallel"])[round_index - 1]
        return [self.search_trial(dataset, model, unit, str(number))["score"] for number in numbers]

    def all_scores(self, dataset: str, model: str, unit: str) -> list[str]:
        """The score.json of every trial of a search."""
        trials = self.config["models"][model]["search"]["trials"]
        return [self.search_trial(dataset, model, unit, str(number))["score"] for number in range(trials)]

    def trial_round(self, model: str, number: int | str) -> int:
        """The round trial ``number`` of a model's search belongs to."""
        return int(number) // self.config["models"][model]["search"]["parallel"]

    def tuned_inputs(self, dataset: str, model: str, unit: str) -> dict[str, str]:
        """What training a tuned model reads beyond its data: the best.json of its search."""
        origin = self.config["models"][model].get("tuned_from")
        return {"search": self.search(dataset, origin, unit)["best"]} if origin else {}

    def search_report_inputs(self, dataset: str, model: str, unit: str) -> dict[str, str]:
        """The report's inputs from one search, keyed '<kind>|<dataset>|<model>|<unit>'
        (:func:`biodl.evaluate.report.tuning_sections`)."""
        files = self.search(dataset, model, unit)
        run = f"{dataset}|{model}|{unit}"
        return {
            f"search|{run}": files["best"],
            f"search_importance|{run}": files["importance"],
            f"search_figure|{run}": files["figure"],
        }

    def search_log(self, stage: str) -> str:
        """Log file pattern of a job of a search (``round{round}``, ``trial{number}``, ``best``)."""
        return f"{LOGS}/{{dataset}}/{{model}}/search/{{unit}}/{stage}.log"

    def search_bench(self, stage: str) -> str:
        """``benchmark:`` file pattern of a job of a search."""
        return benchmark_of(self.search_log(stage))

    def searched_pattern(self) -> str:
        """Wildcard regex matching exactly the models with a search."""
        return exact_names(name for name, model in self.config["models"].items() if "search" in model)

    def baselines_for(self, dataset: str) -> list[str]:
        """Baseline names that fit on ``dataset``: listed there, or applicable (when no list is given)."""

        settings = self.config["datasets"][dataset]
        return [
            name
            for name, baseline in self.config["baselines"].items()
            if baseline_supports(baseline["method"], INPUT_KINDS[settings["kind"]], settings["task"])
            and (baseline.get("datasets") is None or dataset in baseline["datasets"])
        ]

    def controls_for(self, dataset: str) -> list[str]:
        """Baselines of ``dataset`` that are controls (fitted on shuffled labels)."""
        baselines = self.config["baselines"]
        return [
            name for name in self.baselines_for(dataset) if baselines[name]["method"] == "shuffled_labels"
        ]

    def evaluated_runs(self, dataset: str) -> list[tuple[str, str, int]]:
        """Every (model or baseline, unit, seed) of a dataset that is evaluated and compared."""
        return [
            (name, unit, seed)
            for name in self.models_for(dataset) + self.baselines_for(dataset)
            for unit in self.units(dataset)
            for seed in self.config["seeds"]
        ]

    def evaluated_datasets(self) -> list[str]:
        """Supervised datasets with at least one model or baseline to evaluate."""
        return [name for name in self.supervised_datasets() if self.evaluated_runs(name)]

    def evaluation(self, dataset: str) -> dict[str, list[str]]:
        """The predictions of every evaluated run of ``dataset`` and the metrics files written from them."""
        runs = [self.run(dataset, *run) for run in self.evaluated_runs(dataset)]
        return {key: [run[key] for run in runs] for key in ("predictions", "metrics")}

    def supervised_datasets(self) -> list[str]:
        """Datasets with a supervised task (everything but generation)."""
        return [name for name, s in self.config["datasets"].items() if s["task"] != "generation"]

    def compare(self, dataset: str = "{dataset}") -> dict[str, str]:
        """Comparison tables of one dataset."""
        names = {
            "metrics": "metrics.tsv",
            "summary": "summary.tsv",
            "paired": "paired.tsv",
            "tuned": "tuned.tsv",
        }
        return {key: f"{self.results}/{dataset}/compare/{name}" for key, name in names.items()}

    def tuned_models(self, dataset: str) -> dict[str, str]:
        """The tuned models of ``dataset``, each with the hand-set model its search started from."""
        return {
            name: model["tuned_from"]
            for name, model in self.config["models"].items()
            if "tuned_from" in model and name in self.models_for(dataset)
        }

    def figure(self, dataset: str = "{dataset}", name: str = "{figure}") -> str:
        """One figure of a dataset's comparison."""
        return f"{self.results}/{dataset}/compare/figures/{name}.png"

    def figure_names_by_task(self) -> dict[str, tuple[str, ...]]:
        """Figure names of every supervised task in the config (one plotting rule per task)."""
        tasks = sorted({self.config["datasets"][name]["task"] for name in self.supervised_datasets()})
        return {task: FIGURES[task] for task in tasks}

    def figures(self, dataset: str) -> dict[str, str]:
        """Every figure of a dataset, by name (which ones depends on the task)."""
        return {
            name: self.figure(dataset, name) for name in FIGURES[self.config["datasets"][dataset]["task"]]
        }

    def report(self) -> str:
        """The self-contained HTML report."""
        return f"{self.results}/report.html"

    def check(self) -> str:
        """The summary of every dataset's validated inputs (``snakemake check``)."""
        return f"{self.results}/check.txt"

    def check_inputs(self) -> dict[str, dict[str, str]]:
        """Per dataset, the ingest files the input summary reads."""
        wanted = ("meta", "ids", "tokens")
        return {
            name: {
                key: path
                for key, path in self.ingest(
                    settings["kind"], name, settings["task"] == "per_position"
                ).items()
                if key in wanted
            }
            for name, settings in self.config["datasets"].items()
        }

    def baseline_pattern(self) -> str:
        """Wildcard regex matching exactly the configured baseline names."""
        return exact_names(self.config["baselines"])

    def model_pattern(self) -> str:
        """Wildcard regex matching exactly the configured supervised model names."""

        names = [n for n, m in self.config["models"].items() if not is_generative(m["family"])]
        return exact_names(names)

    def interpreted_pattern(self, what: str) -> str:
        """Wildcard regex matching exactly the datasets whose models get interpretation ``what``."""
        datasets = self.config["datasets"]
        return exact_names(name for name, settings in datasets.items() if interpretation_of(settings) == what)

    def generative_pattern(self, family: str | None = None) -> str:
        """Wildcard regex matching the generative model names (of one family if given)."""

        names = [
            n
            for n, m in self.config["models"].items()
            if is_generative(m["family"]) and family in (None, m["family"])
        ]
        return exact_names(names)

    def generative_for(self, dataset: str) -> list[str]:
        """Generative model names that train on ``dataset``: listed there, or by default for its task."""

        settings = self.config["datasets"][dataset]
        names = []
        for name, model in self.config["models"].items():
            wanted = model.get("datasets")
            listed = wanted is not None and dataset in wanted
            able = generative_supports(
                model["family"], INPUT_KINDS[settings["kind"]], settings["task"], listed
            )
            if able and (wanted is None or listed):
                names.append(name)
        return names

    def generative_runs(self, dataset: str) -> list[tuple[str, str, int]]:
        """Every (generative model, unit, seed) of a dataset."""
        return [
            (name, unit, seed)
            for name in self.generative_for(dataset)
            for unit in self.units(dataset)
            for seed in self.config["seeds"]
        ]

    def generative_datasets(self) -> list[str]:
        """Datasets with at least one generative model."""
        return [name for name in self.config["datasets"] if self.generative_for(name)]

    def generative_run(
        self, dataset: str = "{dataset}", model: str = "{model}", unit: str = "{unit}", seed: str = "{seed}"
    ) -> dict[str, str]:
        """Every file a generative run may write (which ones it writes: :meth:`generative_outputs`)."""
        folder = self.run_folder(dataset, model, unit, seed)
        return {key: f"{folder}/{name}" for key, name in GENERATIVE_FILES.items()}

    def generative_outputs(self, dataset: str, model: str) -> list[str]:
        """Keys of :meth:`generative_run` that a model writes on a dataset."""
        family = self.config["models"][model]["family"]
        if family == "gan":
            return ["model", "history", "run", "sequences", "metrics"]
        if self.config["datasets"][dataset]["kind"] == "sequences":
            return ["model", "history", "run", "latent", "reconstruction", "sequences", "metrics"]
        return ["model", "history", "run", "latent", "reconstruction", "profiles", "metrics"]

    def generative_targets(self) -> list[str]:
        """Every output of every generative run, the summaries and their figures."""
        targets = []
        for dataset in self.generative_datasets():
            for model, unit, seed in self.generative_runs(dataset):
                run = self.generative_run(dataset, model, unit, seed)
                targets += [run[key] for key in self.generative_outputs(dataset, model)]
            targets.append(self.generative_summary(dataset))
            targets += self.generative_figures(dataset).values()
        return targets

    def generative_summary(self, dataset: str = "{dataset}") -> str:
        """Tidy metrics of every generative run of a dataset."""
        return f"{self.results}/{dataset}/generative/summary.tsv"

    def generative_figure(self, dataset: str = "{dataset}", name: str = "{figure}") -> str:
        """One figure of a dataset's generative models."""
        return f"{self.results}/{dataset}/generative/figures/{name}.png"

    def generative_figures(self, dataset: str) -> dict[str, str]:
        """Every generative figure of a dataset, by name (which ones depends on the input kind)."""
        names = GENERATIVE_FIGURES[self.input_kind(dataset)]
        return {name: self.generative_figure(dataset, name) for name in names}

    def input_kind(self, dataset: str) -> str:
        """What a model of ``dataset`` reads: tokens, vector or series."""
        return INPUT_KINDS[self.config["datasets"][dataset]["kind"]]

    def generative_figure_names_by_kind(self) -> dict[str, tuple[str, ...]]:
        """Generative figure names of every input kind with a generative model (one rule per kind)."""
        kinds = sorted({self.input_kind(name) for name in self.generative_datasets()})
        return {kind: GENERATIVE_FIGURES[kind] for kind in kinds}

    def generative_pattern_for(self, input_kind: str) -> str:
        """Wildcard regex matching exactly the datasets of one input kind with a generative model."""
        names = [name for name in self.generative_datasets() if self.input_kind(name) == input_kind]
        return exact_names(names)

    def split_inputs(self, dataset: str) -> dict[str, str]:
        """Files the split job of ``dataset`` reads: ids, and what the checks and the audit compare."""
        kind = self.config["datasets"][dataset]["kind"]
        ingest = self.ingest(kind, dataset)
        inputs = {"ids": ingest["ids"]}
        # tokens for homology groups and the audit, times for a split by time, profiles for the audit
        extra = {"sequences": "tokens", "timecourse": "times", "expression": "matrix"}[kind]
        inputs[extra] = ingest[extra]
        if self.has_homology(dataset):
            inputs["homology"] = self.homology(dataset)
        return inputs

    def homology_inputs(self, dataset: str) -> dict[str, str]:
        """Files the homology job of a sequence dataset reads."""
        ingest = self.ingest("sequences", dataset)
        return {"ids": ingest["ids"], "tokens": ingest["tokens"]}

    def generative_inputs(self, dataset: str, unit: str, model: str) -> dict[str, str]:
        """Ingest, split and feature files a generative run of ``model`` on ``dataset`` reads."""
        kind = self.config["datasets"][dataset]["kind"]
        ingest = self.ingest(kind, dataset)
        inputs = {"ids": ingest["ids"], "split": self.split(dataset)["split"]}
        if kind == "sequences":
            inputs["tokens"] = ingest["tokens"]
            return inputs
        features = self.features(kind, dataset, unit)
        inputs["features"], inputs["genes"] = features["features"], features["genes"]
        if vae_likelihood(self.config, model) == "negative_binomial":
            inputs["counts"], inputs["genes"] = ingest["matrix"], ingest["genes"]  # every gene, as counts
        return inputs

    def training_inputs(self, dataset: str, unit: str) -> dict[str, str]:
        """Files a training or prediction job of ``dataset`` reads."""
        settings = self.config["datasets"][dataset]
        kind = settings["kind"]
        ingest = self.ingest(kind, dataset, settings["task"] == "per_position")
        inputs = {key: ingest[key] for key in ("ids", "meta", "positions", "times", "genes") if key in ingest}
        inputs["split"] = self.split(dataset)["split"]
        if kind == "sequences":
            inputs["inputs"] = ingest["tokens"]
        elif kind == "expression":
            inputs["inputs"] = self.features(kind, dataset, unit)["features"]
        else:
            inputs["inputs"] = self.features(kind, dataset, unit)["values"]
        return inputs

    def data_targets(self) -> list[str]:
        """Every ingest, split and feature file of every dataset."""
        targets: list[str] = []
        for name, settings in self.config["datasets"].items():
            kind = settings["kind"]
            per_position = settings["task"] == "per_position"
            targets += self.ingest(kind, name, per_position).values()
            targets += self.split(name).values()
            if self.has_homology(name):
                targets.append(self.homology(name))
            if kind in FEATURE_FILES:
                for unit in self.units(name):
                    targets += self.features(kind, name, unit).values()
        return targets


LABEL_KEYS = ("id_column", "label_columns", "group_column")


def ingest_arguments(settings: dict) -> dict:
    """Keyword arguments of the ingest function for one dataset's config."""
    kind = settings["kind"]
    common = {key: settings[key] for key in LABEL_KEYS if key in settings}
    common["task"] = settings["task"]
    if settings["split"].get("column"):
        common["partition_column"] = settings["split"]["column"]
    if "intervals" in settings:
        intervals = settings["intervals"]
        arguments = {
            "task": settings["task"],
            **{key: intervals[key] for key in ("window", "centre", "negatives")},
            "kmer_k": settings["kmers"].get("k") or 4,
        }
        if settings["task"] == "regression":
            arguments.update(track_summary=intervals["track_summary"], track_bins=intervals["track_bins"])
        return arguments
    if kind == "sequences":
        from biodl.alphabets import get_alphabet

        return {
            **common,
            "alphabet": settings["alphabet"],
            "allow_ambiguous": settings["allow_ambiguous"],
            "length": settings["length"],
            "kmer_k": settings["kmers"].get("k") or get_alphabet(settings["alphabet"]).kmer_k,
            "position_classes": settings.get("position_classes"),
        }
    if kind == "expression":
        return {
            **common,
            "orientation": settings["orientation"],
            "values": settings["values"],
            "layer": settings.get("layer"),
            "missing": settings["missing"],
            "use_samples": settings["use_samples"],
        }
    if kind == "timecourse":
        return {
            **common,
            "missing": settings["missing"],
            "resample": settings.get("resample"),
        }
    return common


def label_source(settings: dict) -> str:
    """The user's file that holds the labels, named in split errors."""
    kind = settings["kind"]
    if "intervals" in settings:
        return next(iter(settings["intervals"]["regions"].values()))
    key = {"sequences": "labels", "expression": "samples", "timecourse": "series"}[kind]
    return settings.get(key) or settings.get(
        {"sequences": "fasta", "expression": "matrix", "timecourse": "values"}[kind]
    )


def split_arguments(settings: dict) -> dict:
    """Keyword arguments of :func:`biodl.data.split.write_split` and `write_homology` besides the paths."""
    from biodl.alphabets import get_alphabet

    arguments = {
        "task": settings["task"],
        "label_columns": settings["label_columns"]
        if settings["task"] not in {"generation", "forecasting"}
        else [],
        "settings": settings["split"],
        "source": label_source(settings),
        "windows": settings.get("windows"),
    }
    if settings["kind"] == "sequences":
        arguments["vocabulary"] = dataset_vocabulary(settings)
        arguments["alphabet_size"] = get_alphabet(settings["alphabet"]).size
    return arguments


HOMOLOGY_SPLIT_KEYS = ("valid", "test", "folds", "column", "stratify", "by", "homology")


def homology_arguments(settings: dict) -> dict:
    """Keyword arguments of :func:`biodl.data.split.write_homology` besides the paths.

    Only the split settings its checks and alignment read: a new seed, more
    repeats or ``empty_partitions`` leave the rule's parameters, and so its
    output, as they are.
    """
    arguments = split_arguments(settings)
    split = arguments.pop("settings")
    arguments.pop("windows")
    arguments["settings"] = {key: split[key] for key in HOMOLOGY_SPLIT_KEYS if key in split}
    return arguments


def training_arguments(config: dict, dataset: str, model: str) -> dict:
    """Keyword arguments of :func:`biodl.train.runs.train_run` for one dataset and model."""
    settings = config["datasets"][dataset]
    model_settings = config["models"][model]
    return {
        "kind": settings["kind"],
        "task": settings["task"],
        "family": model_settings["family"],
        "hparams": model_settings["hparams"],
        "training": model_settings["training"],
        "windows": settings.get("windows"),
        "split_by": settings["split"]["by"],
        "run_config": {
            "dataset": {dataset: settings},
            "model": {model: model_settings},
            "seeds": config.get("seeds"),
        },
        "compute": compute_arguments(config, model),
        "augment": augment_arguments(settings),
    }


def augment_arguments(settings: dict) -> dict | None:
    """How a sequence dataset's training batches are changed (with its alphabet), or None."""
    augment = settings.get("augment")
    if not augment or not (augment["reverse_complement"] or augment["shift"]):
        return None
    return {**augment, "alphabet": settings["alphabet"]}


def compute_arguments(config: dict, model: str) -> dict:
    """What a training job of ``model`` asks of its devices (:func:`biodl.train.devices.compute_setup`)."""
    return {
        "gpus": model_resources(config, model)["gpu"],
        "require_gpu": config["require_gpu"],
        "mixed_precision": config["mixed_precision"],
    }


def search_arguments(config: dict, dataset: str, model: str, unit: str) -> dict:
    """What every job of a model's search on one dataset and unit shares: its settings, the study's
    journal and name (with a digest of the model's settings and search)."""
    import hashlib
    import json

    settings = config["models"][model]
    searched = {key: settings[key] for key in ("family", "hparams", "training", "search")}
    digest = hashlib.sha256(json.dumps(searched, sort_keys=True).encode("utf-8")).hexdigest()[:10]
    return {
        "settings": settings["search"],
        "journal": Layout(config).search(dataset, model, unit)["journal"],
        "study_name": f"{dataset}.{model}.{unit}.{digest}",  # a changed search starts a study of its own
    }


def trial_arguments(config: dict, dataset: str, model: str, unit: str) -> dict:
    """Keyword arguments of :func:`biodl.search.runs.trial_run` beyond its files and trial number."""
    training = {
        key: value for key, value in training_arguments(config, dataset, model).items() if key != "run_config"
    }
    return {**training, **search_arguments(config, dataset, model, unit), "unit": unit}


def best_arguments(config: dict, dataset: str, model: str, unit: str) -> dict:
    """Keyword arguments of :func:`biodl.search.runs.best_run` beyond its files."""
    settings = config["models"][model]
    return {
        **search_arguments(config, dataset, model, unit),
        "hparams": settings["hparams"],
        "training": settings["training"],
    }


def baseline_arguments(config: dict, dataset: str, baseline: str) -> dict:
    """Keyword arguments of :func:`biodl.baselines.runs.baseline_run` for one dataset and baseline."""
    settings = config["datasets"][dataset]
    baseline_settings = config["baselines"][baseline]
    return {
        "kind": settings["kind"],
        "task": settings["task"],
        "method": baseline_settings["method"],
        "hparams": baseline_settings["hparams"],
        "search": baseline_settings.get("search"),
        "windows": settings.get("windows"),
        "split_by": settings["split"]["by"],
        "run_config": {
            "dataset": {dataset: settings},
            "baseline": {baseline: baseline_settings},
            "seeds": config.get("seeds"),
        },
    }


def model_resources(config: dict, model: str) -> dict:
    """threads, mem_mb, runtime and gpu of a model's training jobs (gpu 0 when use_gpu is off)."""
    resources = {
        "threads": 1,
        "mem_mb": 4000,
        "runtime": 60,
        "gpu": 1,
        **config["models"][model]["resources"],
    }
    if not config["use_gpu"]:
        resources["gpu"] = 0
    return resources


def dataset_vocabulary(settings: dict) -> str:
    """Letters of a sequence dataset in token order."""
    from biodl.alphabets import get_alphabet

    return get_alphabet(settings["alphabet"]).vocabulary(settings["allow_ambiguous"])


def samples_settings(model_settings: dict) -> dict:
    """How many samples a generative model writes and how letters are chosen."""
    return {"n": 1000, "mode": "sample", **model_settings.get("samples", {})}


def gan_arguments(config: dict, dataset: str, model: str) -> dict:
    """Keyword arguments of :func:`biodl.generative.runs.train_gan_run` besides files, unit and seed."""
    model_settings = config["models"][model]
    return {
        "hparams": model_settings["hparams"],
        "training": model_settings["training"],
        "vocabulary": dataset_vocabulary(config["datasets"][dataset]),
        "compute": compute_arguments(config, model),
    }


def vae_arguments(config: dict, dataset: str, model: str) -> dict:
    """Keyword arguments of :func:`biodl.generative.runs.train_vae_run` besides files, unit and seed."""
    settings, model_settings = config["datasets"][dataset], config["models"][model]
    samples = samples_settings(model_settings)
    arguments = {
        "kind": settings["kind"],
        "hparams": model_settings["hparams"],
        "training": {
            **model_settings["training"],
            "n_samples": samples["n"],
            "sample_mode": samples["mode"],
        },
        "compute": compute_arguments(config, model),
    }
    if settings["kind"] == "sequences":
        arguments["vocabulary"] = dataset_vocabulary(settings)
    return arguments


def vae_likelihood(config: dict, model: str) -> str:
    """The expression VAE's likelihood (its decoder's output scale)."""
    return config["models"][model]["hparams"].get("likelihood", "gaussian")


def sample_arguments(config: dict, dataset: str, model: str) -> dict:
    """Keyword arguments of :func:`biodl.generative.runs.sample_run` besides files and seed."""
    samples = samples_settings(config["models"][model])
    return {
        "n": samples["n"],
        "mode": samples["mode"],
        "vocabulary": dataset_vocabulary(config["datasets"][dataset]),
    }


def generated_arguments(config: dict, dataset: str) -> dict:
    """Arguments of :func:`biodl.generative.metrics.evaluate_generated_run` besides files, unit, seed."""
    settings = config["datasets"][dataset]
    if settings["kind"] != "sequences":
        return {"vocabulary": None, "motifs": []}
    generation = settings.get("generation", {})
    return {"vocabulary": dataset_vocabulary(settings), "motifs": list(generation["motifs"])}
