"""Interpretation runs as the workflow calls them: attribute a sample of test sequences, find the
motifs the model uses and match them to JASPAR; rank the genes a model of expression profiles or
time courses uses beside the baselines' rankings."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from biodl.errors import InputError
from biodl.io.outputs import all_or_nothing, save_table
from biodl.train.loaders import partition_rows

PathLike = str | os.PathLike
log = logging.getLogger("biodl.interpret")
LETTERS = 4  # TF-MoDISco and JASPAR read ACGT (ACGU)
NUCLEOTIDES = ("ACGT", "ACGU")
FILTERS = "first-layer filters"  # the output column of filter motifs


def output_names(task: str, encoding: dict) -> list[str]:
    """The name of each model output: the class a binary model scores, every class, label or target."""
    if task == "binary":
        return [encoding["classes"][1]]
    if task in ("multiclass", "series_classification"):
        return list(encoding["classes"])
    if task == "multilabel":
        return list(encoding["labels"])
    return list(encoding["targets"])


def sample_of(rows: np.ndarray, items: int, seed: int) -> np.ndarray:
    """A seeded sample of ``items`` of ``rows`` (all when fewer), in their order."""
    if len(rows) <= items:
        return np.asarray(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=items, replace=False))


def sampled_test_items(
    files: dict[str, PathLike], unit: str, items: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ids and tokens of a seeded sample of ``items`` test sequences of ``unit`` (all when fewer), in
    file order."""
    index = pd.read_csv(files["ids"], sep="\t", dtype=str, keep_default_na=False)
    test_rows = sample_of(partition_rows(index, files["split"], unit)["test"], items, seed)
    tokens = np.load(files["inputs"], mmap_mode="r")
    return index["id"].to_numpy()[test_rows], np.asarray(tokens[test_rows])


def check_letters(meta: dict, model_path: PathLike) -> None:
    """Motifs are read over the four nucleotides (an ambiguity code after them is left out): refuse
    another alphabet."""
    if meta["vocabulary"][:LETTERS] not in NUCLEOTIDES:
        raise InputError(
            f"{model_path}: cannot be interpreted: its input letters ({meta['vocabulary']}) are not "
            f"nucleotides, motifs are read over {' or '.join(NUCLEOTIDES)}"
        )


def load_sequence_model(model_path: PathLike, vocabulary: str, width: int) -> object:
    """The saved Keras model of a sequence run, refused with one line when it is missing or reads
    another alphabet or sequence width than the data it is to be interpreted on."""
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)

    if not Path(model_path).is_file():
        raise InputError(f"{model_path}: no such model (the run has not been trained)")
    model = keras.models.load_model(model_path)
    letters = model.get_layer("one_hot").vocabulary_size
    if letters != len(vocabulary):
        raise InputError(
            f"{model_path}: the model reads {letters} letters, the data {len(vocabulary)} ({vocabulary})"
        )
    expected = model.inputs[0].shape[1]
    if expected is not None and expected != width:
        raise InputError(f"{model_path}: the model reads sequences of {expected} positions, the data {width}")
    return model


def hypothetical_by_output(
    logits: object, inputs: np.ndarray, names: list[str], *, steps: int, letters: int
) -> dict[str, np.ndarray]:
    """Per model output, what each of the first ``letters`` letters would contribute at every
    position (:func:`biodl.interpret.attributions.hypothetical_contributions`, integrated gradients
    from the uniform background over those letters)."""
    from biodl.interpret.attributions import hypothetical_contributions

    return {
        name: hypothetical_contributions(logits, inputs, index, steps=steps, letters=letters)
        for index, name in enumerate(names)
    }


def actual_contributions(hypothetical: dict[str, np.ndarray], inputs: np.ndarray) -> dict[str, np.ndarray]:
    """The contributions of each item's own letters (none at an ambiguity code or padding)."""
    return {
        name: (values * inputs[..., : values.shape[-1]]).astype(np.float32)
        for name, values in hypothetical.items()
    }


def output_motifs(hypothetical: dict[str, np.ndarray], inputs: np.ndarray) -> list:
    """The TF-MoDISco motifs found in each output's hypothetical contributions, named
    ``<output>.pos_0`` when the model has several outputs."""
    from biodl.interpret.motifs import discover_motifs

    nucleotides, motifs = inputs[..., :LETTERS], []
    for name, values in hypothetical.items():
        found = discover_motifs(nucleotides, values)
        log.info("%s: %d motifs from %d sequences", name, len(found), len(inputs))
        for motif in found:
            if len(hypothetical) > 1:
                motif.name = f"{name}.{motif.name}"
            motif.output = name
        motifs += found
    return motifs


def method_attributions(
    logits: object,
    inputs: np.ndarray,
    tokens: np.ndarray,
    names: list[str],
    *,
    letters: int,
    ism_rows: np.ndarray,
) -> dict[str, np.ndarray]:
    """Two more attributions of every output (output × item × position × letter) beside the
    integrated gradients: gradient × input of every item, and in-silico mutagenesis (the change of
    each logit for every substitution by one of the first ``letters`` letters) of the items at
    ``ism_rows`` (kept as ``ism_rows``)."""
    from biodl.interpret.attributions import gradient_times_input, ism

    return {
        "gradient_x_input": np.stack(
            [gradient_times_input(logits, inputs, index)[..., :letters] for index in range(len(names))]
        ),
        "ism": np.moveaxis(ism(logits, tokens[ism_rows], inputs.shape[-1], None, letters=letters), -1, 0),
        "ism_rows": np.asarray(ism_rows),
    }


def method_agreement(
    contributions: dict[str, np.ndarray], methods: dict[str, np.ndarray], tokens: np.ndarray
) -> pd.DataFrame:
    """Per output, how each other method's per-position attributions agree with the integrated
    gradients' on the same items: the median, over items, of their Pearson correlation (the signed
    attribution of each item's own letter; by ISM, minus the mean change of its substitutions, over
    the items it was run on)."""
    from biodl.interpret.attributions import ism_importance, profile_agreement

    rows = []
    ism_rows = methods["ism_rows"]
    for index, (name, integrated) in enumerate(contributions.items()):
        reference = integrated.sum(axis=-1)
        others = {
            "gradient × input": (reference, methods["gradient_x_input"][index].sum(axis=-1)),
            "in-silico mutagenesis": (
                reference[ism_rows],
                ism_importance(methods["ism"][index], tokens[ism_rows]),
            ),
        }
        for method, (compared, profile) in others.items():
            agreement = profile_agreement(compared, profile)
            rows.append(
                {
                    "output": name,
                    "method": method,
                    "beside": "integrated gradients",
                    "items": int(np.isfinite(agreement).sum()),
                    "median_r": float(np.nanmedian(agreement)) if np.isfinite(agreement).any() else np.nan,
                }
            )
    return pd.DataFrame(rows)


def first_layer_motifs(model: object, tokens: np.ndarray) -> list:
    """The first convolution's filters as motifs (:func:`biodl.interpret.motifs.filter_motifs`) when
    the model convolves its one-hot input directly (CNN, CNN+LSTM); none otherwise."""
    import keras

    from biodl.interpret.motifs import filter_motifs

    after = model.layers[model.layers.index(model.get_layer("one_hot")) + 1 :]
    first = next((layer for layer in after if layer.weights), None)
    return filter_motifs(model, tokens) if isinstance(first, keras.layers.Conv1D) else []


@dataclass
class SequenceSample:
    """A seeded sample of a run's test sequences, one-hot, with the logits of the model that reads
    them and the names of its outputs."""

    ids: np.ndarray
    tokens: np.ndarray
    inputs: np.ndarray
    names: list[str]
    model: object
    logits: object


def sequence_sample(
    files: dict[str, PathLike], meta: dict, unit: str, items: int, seed: int
) -> SequenceSample:
    """The run's model (refused with one line when missing or made for other data) and a seeded
    sample of ``items`` of its test sequences."""
    from biodl.data.encode import one_hot
    from biodl.interpret.attributions import logit_model

    run = json.loads(Path(files["run"]).read_text(encoding="utf-8"))
    ids, tokens = sampled_test_items(files, unit, items, seed)
    model = load_sequence_model(files["model"], meta["vocabulary"], tokens.shape[1])
    names = output_names(run["task"]["task"], run["encoding"])
    return SequenceSample(
        ids, tokens, one_hot(tokens, len(meta["vocabulary"])), names, model, logit_model(model)
    )


def attribute_sample(
    sample: SequenceSample, *, letters: int, steps: int, ism_items: int, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The three attributions of a sample over the first ``letters`` letters: per output the
    hypothetical and actual integrated-gradient contributions, and gradient × input and in-silico
    mutagenesis (on a seeded sub-sample of ``ism_items``)."""
    hypothetical = hypothetical_by_output(
        sample.logits, sample.inputs, sample.names, steps=steps, letters=letters
    )
    ism_rows = sample_of(np.arange(len(sample.tokens)), ism_items, seed)
    methods = method_attributions(
        sample.logits, sample.inputs, sample.tokens, sample.names, letters=letters, ism_rows=ism_rows
    )
    return hypothetical, actual_contributions(hypothetical, sample.inputs), methods


def save_attributions(path: PathLike, sample: SequenceSample, stacked: np.ndarray, methods: dict) -> None:
    """attributions.npz: the sampled ids and tokens, the output names, the integrated-gradient
    contributions (output × item × position × letter) and the other methods' attributions."""
    np.savez_compressed(
        path,
        ids=sample.ids.astype(str),
        tokens=sample.tokens,
        outputs=np.asarray(sample.names, dtype=str),
        contributions=stacked,
        **{
            name: values if name == "ism_rows" else values.astype(np.float32)
            for name, values in methods.items()
        },
    )


def find_motifs_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
    unit: str,
    items: int,
    ism_items: int,
    steps: int,
    seed: int,
    tax_group: str | None,
) -> None:
    """Attribute a sample of the run's test sequences to their letters (integrated gradients from the
    uniform background, per model output), find TF-MoDISco motifs in the attributions, turn the
    first convolution's filters into motifs, and match all of them to JASPAR CORE; attribute the
    same items by gradient × input and in-silico mutagenesis too, and say how the three agree;
    write matches.tsv, methods.tsv, motifs.meme, attributions.npz, logos.png and tracks.png."""
    from biodl.interpret.motifs import jaspar_matrices, match_to_jaspar, meme_text
    from biodl.interpret.plots import plot_logos, plot_tracks

    meta = json.loads(Path(files["meta"]).read_text(encoding="utf-8"))
    check_letters(meta, files["model"])
    sample = sequence_sample(files, meta, unit, items, seed)
    hypothetical, contributions, methods = attribute_sample(
        sample, letters=LETTERS, steps=steps, ism_items=ism_items, seed=seed
    )
    motifs = output_motifs(hypothetical, sample.inputs)
    filters = first_layer_motifs(sample.model, sample.tokens)
    matches = match_to_jaspar(motifs + filters, jaspar_matrices(tax_group=tax_group))
    origin = {motif.name: motif.output for motif in motifs}
    matches.insert(0, "output", matches["motif"].map(origin).fillna(FILTERS))
    matches.insert(1, "source", np.where(matches["output"] == FILTERS, "filter", "tf-modisco"))
    stacked = np.stack([contributions[name] for name in sample.names])
    with all_or_nothing(*outputs.values()):
        save_table(outputs["matches"], matches)
        save_table(outputs["methods"], method_agreement(contributions, methods, sample.tokens))
        Path(outputs["motifs"]).write_text(meme_text(motifs + filters), encoding="utf-8")
        save_attributions(outputs["attributions"], sample, stacked, methods)
        plot_logos(motifs, matches, outputs["logos"])
        plot_tracks(
            stacked, sample.names, sample.ids, sample.logits.predict(sample.inputs), outputs["tracks"]
        )


def residues_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
    unit: str,
    items: int,
    ism_items: int,
    steps: int,
    seed: int,
    window: int,
    top_windows: int,
) -> None:
    """What a model of whole protein chains reads (:mod:`biodl.interpret.residues`): integrated
    gradients of a seeded sample of test chains from the uniform background over the amino acids,
    gradient × input and in-silico mutagenesis beside them; write residues.tsv (attribution per
    amino acid), windows.tsv (the best stretches of ``window`` residues), profile.tsv (attribution
    along the chain), methods.tsv, attributions.npz, residues.png and tracks.png."""
    from biodl.alphabets import get_alphabet
    from biodl.interpret import residues
    from biodl.interpret.plots import plot_residues, plot_tracks

    meta = json.loads(Path(files["meta"]).read_text(encoding="utf-8"))
    letters = get_alphabet(meta["alphabet"]).letters
    sample = sequence_sample(files, meta, unit, items, seed)
    _, contributions, methods = attribute_sample(
        sample, letters=len(letters), steps=steps, ism_items=ism_items, seed=seed
    )
    stacked = np.stack([contributions[name] for name in sample.names])
    profiles = stacked.sum(axis=-1)
    by_letter = residues.letter_table(profiles, sample.tokens, letters, sample.names)
    along = residues.chain_profile(profiles, sample.tokens, sample.names)
    best = residues.top_windows(
        profiles, sample.tokens, sample.ids, letters, sample.names, width=window, count=top_windows
    )
    with all_or_nothing(*outputs.values()):
        save_table(outputs["residues"], by_letter)
        save_table(outputs["windows"], best)
        save_table(outputs["profile"], along)
        save_table(outputs["methods"], method_agreement(contributions, methods, sample.tokens))
        save_attributions(outputs["attributions"], sample, stacked, methods)
        plot_residues(by_letter, along, outputs["figure"])
        plot_tracks(
            stacked,
            sample.names,
            sample.ids,
            sample.logits.predict(sample.inputs),
            outputs["tracks"],
            letters=letters,
        )


def rank_genes_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
    model: str,
    unit: str,
    baselines: list[str],
    items: int,
    steps: int,
    seed: int,
    top_genes: int,
    repeats: int,
) -> None:
    """Rank the genes a model of expression profiles or time courses uses (integrated gradients of a
    seeded sample of test items from the training mean) beside each baseline's own ranking on the
    same items: coefficient sizes of a linear baseline, permutation importance of the others; write
    rankings.tsv, agreement.tsv (top-``top_genes`` overlaps, Spearman), attributions.npz and the figure;
    for time-course classes (``outputs`` has ``times``) also each class's attribution per time point
    (:func:`biodl.interpret.genes.time_profile`), times.tsv and its figure.

    ``files``: the run's ``model``, ``run`` and training inputs, ``genes``, and per baseline name
    ``run_<name>`` and ``estimator_<name>`` of the same unit and seed."""
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)
    from biodl.interpret.attributions import logit_model
    from biodl.interpret.genes import attribution_importance, rank_agreement, ranking_table, time_profile
    from biodl.interpret.plots import plot_gene_rankings, plot_time_profile
    from biodl.train.loaders import load_run_data

    meta = json.loads(Path(files["meta"]).read_text(encoding="utf-8"))
    run = json.loads(Path(files["run"]).read_text(encoding="utf-8"))
    data = load_run_data(meta["kind"], meta["task"], files, unit=unit)
    train, test = data.partitions["train"], data.partitions["test"]
    chosen = sample_of(np.arange(len(test)), items, seed)
    inputs, truth = test.gather(chosen)[:2]
    reference = train.gather(np.arange(len(train)))[0].mean(axis=0)
    genes = pd.read_csv(files["genes"], sep="\t", dtype=str, keep_default_na=False)["gene"].tolist()
    names = output_names(meta["task"], run["encoding"])
    logits = logit_model(keras.models.load_model(files["model"]))
    attributions, importance = attribution_importance(logits, inputs, reference, len(names), steps=steps)
    rankings = {f"{model} (integrated gradients)": importance}
    for name in baselines:
        method, values = baseline_ranking(files, name, meta, inputs, truth, repeats=repeats, seed=seed)
        rankings[f"{name} ({method})"] = values
    count = max(1, min(top_genes, len(genes) // 2))
    with all_or_nothing(*outputs.values()):
        save_table(outputs["rankings"], ranking_table(rankings, genes))
        save_table(outputs["agreement"], rank_agreement(rankings, genes, count))
        np.savez_compressed(
            outputs["attributions"],
            ids=np.asarray(test.ids, dtype=str)[chosen],
            genes=np.asarray(genes, dtype=str),
            outputs=np.asarray(names, dtype=str),
            attributions=attributions.astype(np.float32),
        )
        plot_gene_rankings(rankings, genes, outputs["figure"])
        if "times" in outputs:
            times = pd.read_csv(files["times"], sep="\t")["time"].to_numpy()
            profile = time_profile(attributions, class_indices(truth), names, times)
            save_table(outputs["times"], profile)
            plot_time_profile(profile, outputs["time_figure"])


def class_indices(truth: np.ndarray) -> np.ndarray:
    """The class index of each item from its targets (indices, or one-hot rows)."""
    truth = np.asarray(truth)
    return truth.argmax(axis=-1) if truth.ndim > 1 else truth.astype(np.int64)


def baseline_ranking(
    files: dict[str, PathLike],
    name: str,
    meta: dict,
    inputs: np.ndarray,
    truth: np.ndarray,
    *,
    repeats: int,
    seed: int,
) -> tuple[str, np.ndarray]:
    """How a baseline ranks the genes: by coefficient size when it is linear, by permutation
    importance on the items otherwise; returns the method's name and the importances."""
    from biodl.baselines.predict import baseline_settings, fitted_predictor
    from biodl.interpret.genes import coefficient_importance, is_linear, permutation_importance_by_gene
    from biodl.io.outputs import load_estimators

    run = json.loads(Path(files[f"run_{name}"]).read_text(encoding="utf-8"))
    state = load_estimators(files[f"estimator_{name}"])
    if is_linear(state["estimator"]):
        return "coefficients", coefficient_importance(state["estimator"], inputs.shape[-1])
    description = {
        "kind": meta["kind"],
        "task": meta["task"],
        "input": run["input"],
        "output": run["task"],
        "encoding": run["encoding"],
    }
    predict = fitted_predictor(baseline_settings(run, meta), description, state)
    return "permutation", permutation_importance_by_gene(
        predict, inputs, truth, meta["task"], repeats=repeats, seed=seed
    )


def context_run(
    *,
    files: dict[str, PathLike],
    outputs: dict[str, PathLike],
    unit: str,
    items: int,
    steps: int,
    seed: int,
) -> None:
    """How wide a context a per-position model reads (:mod:`biodl.interpret.context`) on a seeded
    sample of test chains; write context.tsv (share of attribution per offset and within ±offset),
    attributions.npz and context.png."""
    from biodl.data.encode import one_hot
    from biodl.interpret.attributions import logit_model
    from biodl.interpret.context import (
        context_table,
        context_width,
        drawn_residues,
        offset_profile,
        residue_attributions,
    )
    from biodl.interpret.plots import plot_context

    meta = json.loads(Path(files["meta"]).read_text(encoding="utf-8"))
    index = pd.read_csv(files["ids"], sep="\t", dtype=str, keep_default_na=False)
    rows = sample_of(partition_rows(index, files["split"], unit)["test"], items, seed)
    tokens = np.asarray(np.load(files["inputs"], mmap_mode="r")[rows])
    labels = np.asarray(np.load(files["positions"], mmap_mode="r")[rows])
    rows, tokens, labels = rows[labels.any(axis=1)], tokens[labels.any(axis=1)], labels[labels.any(axis=1)]
    positions = drawn_residues(labels, seed)
    logits = logit_model(load_sequence_model(files["model"], meta["vocabulary"], tokens.shape[1]))
    attributions = residue_attributions(
        logits, one_hot(tokens, len(meta["vocabulary"])), labels, positions, steps=steps
    )
    table = context_table(offset_profile(attributions, positions))
    log.info("%d chains: 90%% of the attribution within ±%d residues", len(rows), context_width(table))
    with all_or_nothing(*outputs.values()):
        save_table(outputs["context"], table)
        np.savez_compressed(
            outputs["attributions"],
            ids=index["id"].to_numpy()[rows].astype(str),
            tokens=tokens,
            positions=positions,
            attributions=attributions.astype(np.float32),
        )
        plot_context(table, outputs["figure"])
