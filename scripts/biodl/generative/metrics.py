"""Metrics that tell good generated sequences from bad, and latent-space metrics of expression VAEs.

Sequences are uint8 token matrices (N × L, letters 1..A, 0 = padding at the
right). A generated set is judged against held-out real sequences, next to
references that bracket the score: the training set (the floor: real data of
the same kind), and two ceilings that keep only part of the structure — each
training sequence shuffled (composition kept, order destroyed) and i.i.d.
background letters at the training frequencies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp
from sklearn.metrics import mean_squared_error, silhouette_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from biodl.alphabets import ALPHABETS, PAD, Alphabet
from biodl.data.encode import ROW_BLOCK, kmer_counts, token_matrix
from biodl.errors import InputError
from biodl.io.fasta import read_fasta
from biodl.io.outputs import all_or_nothing, save_json, save_table
from biodl.io.tables import read_text_table
from biodl.runkey import run_inputs

DEFAULT_KS = (1, 2, 3, 4, 5, 6)
NUCLEOTIDES = "ACGTU"
BLOCK_BYTES = 32 << 20
MAX_CHUNK_ROWS = 2048
SILHOUETTE_SAMPLE = 5000
MAX_FOLDS = 5


# --- k-mer spectra ---------------------------------------------------------------------------


def kmer_spectrum(tokens: np.ndarray, k: int, alphabet_size: int) -> np.ndarray:
    """Frequencies (summing to one) of the ``alphabet_size**k`` k-mers over all sequences."""
    counts = kmer_counts(tokens, k, alphabet_size)
    # bincount accumulates in float64; summing the float32 counts would lose counts past 2**24
    totals = np.bincount(counts.indices, weights=counts.data, minlength=alphabet_size**k)
    if totals.sum() == 0:
        raise ValueError(f"no {k}-mers: every sequence is shorter than {k} letters")
    return totals / totals.sum()


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon divergence in bits (in [0, 1]) between two distributions."""
    distance = jensenshannon(p, q, base=2)
    # rounding can make the divergence a tiny negative number, whose square root is NaN
    return float(np.nan_to_num(distance) ** 2)


def spectrum_divergence(
    a: np.ndarray, b: np.ndarray, ks: Sequence[int] = DEFAULT_KS, alphabet_size: int = 4
) -> dict[int, float]:
    """Jensen–Shannon divergence between the k-mer spectra of two sets, per k."""
    return {
        int(k): jensen_shannon(kmer_spectrum(a, k, alphabet_size), kmer_spectrum(b, k, alphabet_size))
        for k in ks
    }


# --- reference sets ----------------------------------------------------------------------------


def sequence_lengths(tokens: np.ndarray) -> np.ndarray:
    """Number of non-padding tokens per row."""
    return np.count_nonzero(tokens != PAD, axis=1)


def shuffled_control(tokens: np.ndarray, seed: int) -> np.ndarray:
    """Each sequence's letters permuted independently: composition kept, order destroyed.

    Padding ends up at the right.
    """
    rng = np.random.default_rng(seed)
    result = np.zeros_like(tokens)
    for first in range(0, len(tokens), ROW_BLOCK):
        block = tokens[first : first + ROW_BLOCK]
        keys = rng.random(block.shape)
        keys[block == PAD] = np.inf  # padding sorts after every letter
        order = np.argsort(keys, axis=1, kind="stable")
        result[first : first + ROW_BLOCK] = np.take_along_axis(block, order, axis=1)
    return result


def letter_frequencies(tokens: np.ndarray, alphabet_size: int) -> np.ndarray:
    """Frequencies of letters 1..alphabet_size (padding and ambiguity tokens left out)."""
    counts = np.bincount(tokens.ravel(), minlength=alphabet_size + 1)[1 : alphabet_size + 1]
    return counts / counts.sum()


def background_control(tokens: np.ndarray, n: int, seed: int, alphabet_size: int = 4) -> np.ndarray:
    """``n`` sequences of i.i.d. letters at the training letter frequencies.

    Lengths are drawn from the training lengths; the width is the training width.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.choice(sequence_lengths(tokens), size=n)
    width = tokens.shape[1]
    letters = rng.choice(alphabet_size, size=(n, width), p=letter_frequencies(tokens, alphabet_size))
    result = (letters + 1).astype(np.uint8)
    result[np.arange(width)[None, :] >= lengths[:, None]] = PAD
    return result


def subsample(tokens: np.ndarray, n: int, seed: int) -> np.ndarray:
    """At most ``n`` rows drawn without replacement, kept in their original order."""
    if len(tokens) <= n:
        return tokens
    chosen = np.random.default_rng(seed).choice(len(tokens), size=n, replace=False)
    return tokens[np.sort(chosen)]


# --- composition and motifs --------------------------------------------------------------------


def token_flags(vocabulary: str, letters: str) -> np.ndarray:
    """256-entry table: True for the tokens of ``vocabulary`` whose letter is in ``letters``."""
    flags = np.zeros(256, dtype=bool)
    for token, letter in enumerate(vocabulary, start=1):
        flags[token] = letter in letters
    return flags


def gc_content(tokens: np.ndarray, vocabulary: str) -> np.ndarray:
    """Fraction of G and C per sequence among its A, C, G, T/U letters (NaN when it has none)."""
    if "G" not in vocabulary or "C" not in vocabulary:
        raise ValueError(f"GC content needs a nucleotide vocabulary, got {vocabulary!r}")
    gc = token_flags(vocabulary, "GC")[tokens].sum(axis=1)
    known = token_flags(vocabulary, NUCLEOTIDES)[tokens].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gc / known


def distribution_summary(values: np.ndarray) -> dict[str, float]:
    """Mean and standard deviation, ignoring NaN."""
    return {"mean": float(np.nanmean(values)), "sd": float(np.nanstd(values))}


def gc_comparison(generated: np.ndarray, heldout: np.ndarray, vocabulary: str) -> dict:
    """GC content of both sets and the two-sample Kolmogorov–Smirnov test between them."""
    gc_generated, gc_heldout = gc_content(generated, vocabulary), gc_content(heldout, vocabulary)
    test = ks_2samp(gc_generated[~np.isnan(gc_generated)], gc_heldout[~np.isnan(gc_heldout)])
    return {
        "generated": distribution_summary(gc_generated),
        "heldout": distribution_summary(gc_heldout),
        "ks_statistic": float(test.statistic),
        "ks_pvalue": float(test.pvalue),
    }


def alphabet_of(vocabulary: str) -> tuple[Alphabet, bool]:
    """The alphabet whose token vocabulary is ``vocabulary``, and whether it includes the ambiguity letter."""
    for alphabet in ALPHABETS.values():
        for allow_ambiguous in (False, True):
            if alphabet.vocabulary(allow_ambiguous) == vocabulary:
                return alphabet, allow_ambiguous
    raise ValueError(f"vocabulary {vocabulary!r} is not that of a known alphabet")


def reverse_complement_text(motif: str, alphabet: Alphabet) -> str:
    """Reverse complement of a motif written in the alphabet's canonical letters."""
    if alphabet.complement is None:
        raise ValueError(f"the {alphabet.name} alphabet has no complement")
    partner = dict(zip(alphabet.letters, alphabet.complement))
    return "".join(partner[letter] for letter in reversed(motif))


def motif_tokens(motif: str, vocabulary: str) -> np.ndarray:
    """Tokens of a motif; every letter must be in the vocabulary."""
    unknown = sorted(set(motif) - set(vocabulary))
    if not motif or unknown:
        raise ValueError(f"motif {motif!r} must be non-empty and use only the letters {vocabulary}")
    return np.array([vocabulary.index(letter) + 1 for letter in motif], dtype=np.uint8)


def contains_motif(tokens: np.ndarray, motif: np.ndarray) -> np.ndarray:
    """Whether each row contains ``motif`` exactly (rows processed in blocks to bound memory)."""
    n_windows = tokens.shape[1] - len(motif) + 1
    if n_windows <= 0:
        return np.zeros(len(tokens), dtype=bool)
    rows = max(1, BLOCK_BYTES // (n_windows * len(motif)))
    found = np.zeros(len(tokens), dtype=bool)
    for first in range(0, len(tokens), rows):
        windows = np.lib.stride_tricks.sliding_window_view(tokens[first : first + rows], len(motif), axis=1)
        found[first : first + rows] = (windows == motif).all(axis=2).any(axis=1)
    return found


def motif_fraction(tokens: np.ndarray, vocabulary: str, motif: str, both_strands: bool = True) -> float:
    """Fraction of sequences that contain ``motif`` exactly (on either strand with ``both_strands``)."""
    motif = motif.upper()
    found = contains_motif(tokens, motif_tokens(motif, vocabulary))
    if both_strands:
        alphabet, _ = alphabet_of(vocabulary)
        reverse = motif_tokens(reverse_complement_text(motif, alphabet), vocabulary)
        found |= contains_motif(tokens, reverse)
    return float(found.mean())


# --- memorisation ------------------------------------------------------------------------------


@dataclass
class NearestIdentity:
    """Per generated sequence: highest identity to any training sequence, and whether it is a copy."""

    identity: np.ndarray
    exact: np.ndarray

    def summary(self) -> dict[str, float]:
        """Mean, median and maximum identity and the fraction of exact copies."""
        return {
            "mean": float(self.identity.mean()),
            "median": float(np.median(self.identity)),
            "max": float(self.identity.max()),
            "exact_copies": float(self.exact.mean()),
        }


def one_hot_positions(tokens: np.ndarray, width: int, n_tokens: int) -> np.ndarray:
    """(N × width·n_tokens) float32 one-hot of the letters; padding rows of zeros."""
    result = np.zeros((len(tokens), width, n_tokens), dtype=np.float32)
    rows, columns = np.nonzero(tokens != PAD)
    result[rows, columns, tokens[rows, columns].astype(np.int64) - 1] = 1
    return result.reshape(len(tokens), -1)


def exact_copies(generated: np.ndarray, training: np.ndarray) -> np.ndarray:
    """Whether each generated sequence equals a training sequence letter for letter."""
    known = {row[:length].tobytes() for row, length in zip(training, sequence_lengths(training))}
    return np.array(
        [row[:length].tobytes() in known for row, length in zip(generated, sequence_lengths(generated))],
        dtype=bool,
    )


def nearest_identity(
    generated: np.ndarray, training: np.ndarray, chunk_rows: int | None = None
) -> NearestIdentity:
    """Highest identity of each generated sequence to any training sequence.

    Identity is the number of equal letters over the positions both sequences
    share, left ends aligned, divided by the longer length: for equal lengths
    the Hamming identity, and a length difference counts as mismatches. The
    pairs are compared in blocks of ``chunk_rows`` rows per set (by default as
    many as fit in about 32 MB of one-hot letters, at most 2048).
    """
    # Equal letters of all pairs in a block are one matrix product of one-hot
    # encodings (BLAS), which also handles padding and unequal lengths; SciPy's
    # Hamming distance counts padding as matches and needs equal lengths.
    width = max(generated.shape[1], training.shape[1])
    n_tokens = max(int(generated.max(initial=1)), int(training.max(initial=1)))
    if chunk_rows is None:
        chunk_rows = int(np.clip(BLOCK_BYTES // (width * n_tokens * 4), 1, MAX_CHUNK_ROWS))
    generated_lengths, training_lengths = sequence_lengths(generated), sequence_lengths(training)
    best = np.zeros(len(generated))
    for first in range(0, len(generated), chunk_rows):
        rows = slice(first, first + chunk_rows)
        left = one_hot_positions(generated[rows], width, n_tokens)
        for start in range(0, len(training), chunk_rows):
            columns = slice(start, start + chunk_rows)
            matches = left @ one_hot_positions(training[columns], width, n_tokens).T
            longer = np.maximum(generated_lengths[rows, None], training_lengths[None, columns])
            identity = matches / np.maximum(longer, 1)
            best[rows] = np.maximum(best[rows], identity.max(axis=1))
    return NearestIdentity(best, exact_copies(generated, training))


# --- classifier --------------------------------------------------------------------------------


def fit_width(tokens: np.ndarray, width: int | None) -> np.ndarray:
    """Pad with zeros or cut at the right to ``width`` columns (unchanged when ``width`` is None)."""
    if width is None or width == tokens.shape[1]:
        return tokens
    result = np.zeros((len(tokens), width), dtype=tokens.dtype)
    kept = min(width, tokens.shape[1])
    result[:, :kept] = tokens[:, :kept]
    return result


def class_probability(
    outputs: np.ndarray, class_name: str | None, classes: Sequence[str] | None
) -> np.ndarray:
    """Probability of one class from model outputs.

    A binary model has one sigmoid column, the probability of ``classes[1]``
    (the positive class, used when ``class_name`` is None); a multiclass model
    has one softmax column per class in ``classes``.
    """
    if outputs.shape[1] == 1:
        positive = outputs[:, 0]
        if class_name is not None and classes is not None and class_name == classes[0]:
            return 1 - positive
        return positive
    if class_name is None or classes is None:
        raise ValueError("a multiclass classifier needs class_name and classes")
    return outputs[:, list(classes).index(class_name)]


def score_summary(probabilities: np.ndarray) -> dict[str, float]:
    """Mean, spread and quantiles of predicted probabilities."""
    quantiles = np.quantile(probabilities, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "mean": float(probabilities.mean()),
        "sd": float(probabilities.std()),
        **{name: float(value) for name, value in zip(["q05", "q25", "median", "q75", "q95"], quantiles)},
        "fraction_above_half": float((probabilities > 0.5).mean()),
    }


def classifier_scores(
    model_path: str | os.PathLike | None,
    tokens: np.ndarray,
    class_name: str | None = None,
    classes: Sequence[str] | None = None,
) -> dict | None:
    """Summary of a trained biodl classifier's probability for one class; None without a model."""
    if model_path is None:
        return None
    import keras

    import biodl.models.layers  # noqa: F401  (registers the custom layers the saved model uses)

    model = keras.models.load_model(model_path)
    inputs = fit_width(tokens, model.input_shape[1])
    outputs = np.asarray(model.predict(inputs, batch_size=256, verbose=0), dtype=np.float64)
    summary = score_summary(class_probability(outputs.reshape(len(tokens), -1), class_name, classes))
    return {"class": class_name, **summary}


# --- evaluation of a generated set -------------------------------------------------------------


def read_samples(path: str | os.PathLike, vocabulary: str) -> np.ndarray:
    """Generated sequences from FASTA as a right-padded token matrix."""
    alphabet, allow_ambiguous = alphabet_of(vocabulary)
    records = read_fasta(path, alphabet, allow_ambiguous)
    tokens, _ = token_matrix(records.tokens, records.offsets)
    return tokens


def kmer_report(
    generated: np.ndarray,
    train: np.ndarray,
    heldout: np.ndarray,
    ks: Sequence[int],
    alphabet_size: int,
    seed: int,
) -> dict[str, dict[int, float]]:
    """Spectrum divergence to the held-out set of the generated set and of the three references.

    The references have as many sequences as the generated set, so their
    sampling noise is the same.
    """
    n = len(generated)
    reference = subsample(train, n, seed)
    references = {
        "generated": generated,
        "train_floor": reference,
        "shuffled_ceiling": shuffled_control(reference, seed + 1),
        "background_ceiling": background_control(train, n, seed + 2, alphabet_size),
    }
    return {
        name: spectrum_divergence(tokens, heldout, ks, alphabet_size) for name, tokens in references.items()
    }


def motif_report(
    sets: Mapping[str, np.ndarray], vocabulary: str, motifs: Sequence[str], both_strands: bool
) -> dict[str, dict[str, float]]:
    """Fraction of sequences with each motif, per set."""
    return {
        motif: {
            name: motif_fraction(tokens, vocabulary, motif, both_strands) for name, tokens in sets.items()
        }
        for motif in motifs
    }


def classifier_report(
    classifier: Mapping[str, object] | None, generated: np.ndarray, heldout: np.ndarray
) -> dict | None:
    """Classifier summaries on generated and held-out sequences.

    ``classifier`` has ``model`` (path) and optionally ``class_name`` and ``classes``.
    """
    if classifier is None or classifier.get("model") is None:
        return None
    options = {"class_name": classifier.get("class_name"), "classes": classifier.get("classes")}
    return {
        "generated": classifier_scores(classifier["model"], generated, **options),
        "heldout": classifier_scores(classifier["model"], heldout, **options),
    }


def evaluate_generated(
    samples_fasta: str | os.PathLike,
    train_tokens: np.ndarray,
    heldout_tokens: np.ndarray,
    vocabulary: str,
    output_json: str | os.PathLike,
    seed: int,
    motifs: Sequence[str] = (),
    ks: Sequence[int] = DEFAULT_KS,
    classifier: Mapping[str, object] | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict:
    """Score generated sequences against held-out and reference sets and write the JSON report.

    ``extra`` entries (e.g. a VAE's reconstruction accuracy) are added to the report.

    GC content is reported for nucleotide alphabets (null for protein), and
    motifs are searched on both strands where the alphabet has a complement.
    """
    with all_or_nothing(output_json):
        alphabet, _ = alphabet_of(vocabulary)
        generated = read_samples(samples_fasta, vocabulary)
        nucleotide = alphabet.complement is not None
        payload = {
            "samples": len(generated),
            "reference_size": min(len(generated), len(train_tokens)),
            "kmer_jsd": kmer_report(generated, train_tokens, heldout_tokens, ks, alphabet.size, seed),
            "gc": gc_comparison(generated, heldout_tokens, vocabulary) if nucleotide else None,
            "motifs": motif_report(
                {"generated": generated, "heldout": heldout_tokens, "train": train_tokens},
                vocabulary,
                motifs,
                both_strands=nucleotide,
            ),
            "nearest_identity": nearest_identity(generated, train_tokens).summary(),
            "classifier": classifier_report(classifier, generated, heldout_tokens),
            **(extra or {}),
        }
        save_json(output_json, payload)
    return payload


# --- expression VAE latent space ---------------------------------------------------------------


def knn_accuracy(latent: np.ndarray, labels: np.ndarray, seed: int, neighbours: int) -> dict:
    """k-NN accuracy under stratified cross-validation (up to 5 folds, fewer when a class is small).

    Accuracy is None when a class has a single member or there is a single class.
    """
    _, counts = np.unique(labels, return_counts=True)
    folds = int(min(MAX_FOLDS, counts.min()))
    if len(counts) < 2 or folds < 2:
        return {"knn_accuracy": None, "knn_accuracy_sd": None, "knn_folds": None}
    smallest_training_fold = len(labels) - int(np.ceil(counts / folds).sum())
    model = KNeighborsClassifier(n_neighbors=min(neighbours, smallest_training_fold))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_score(model, latent, labels, cv=splitter)
    return {"knn_accuracy": float(scores.mean()), "knn_accuracy_sd": float(scores.std()), "knn_folds": folds}


def silhouette(latent: np.ndarray, labels: np.ndarray, seed: int) -> float | None:
    """Silhouette score of the labels in the latent space (on at most 5,000 samples); None if undefined."""
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= len(labels) - 1:
        return None
    sample_size = SILHOUETTE_SAMPLE if len(labels) > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(latent, labels, sample_size=sample_size, random_state=seed))


def latent_metrics(latent: np.ndarray, labels: np.ndarray, seed: int, neighbours: int = 5) -> dict:
    """How well the latent space separates the labels: k-NN accuracy, chance level and silhouette."""
    labels = np.asarray(labels)
    _, counts = np.unique(labels, return_counts=True)
    return {
        "samples": len(labels),
        "classes": len(counts),
        "neighbours": neighbours,
        **knn_accuracy(latent, labels, seed, neighbours),
        "chance": float(counts.max() / counts.sum()),
        "silhouette": silhouette(latent, labels, seed),
    }


def reconstruction_error(truth: np.ndarray, reconstructed: np.ndarray) -> dict[str, float]:
    """Mean squared error over all values and the median of the per-gene (per-column) errors."""
    per_gene = mean_squared_error(truth, reconstructed, multioutput="raw_values")
    return {"mse": float(per_gene.mean()), "per_gene_mse_median": float(np.median(per_gene))}


def read_latent(latent_tsv: str | os.PathLike) -> pd.DataFrame:
    """latent.tsv: ``id``, ``partition`` and the latent coordinates ``z1..zK`` as numbers."""
    table = read_text_table(latent_tsv, ["id", "partition"])
    dimensions = [column for column in table.columns if column.startswith("z") and column[1:].isdigit()]
    if not dimensions:
        raise InputError(f"{latent_tsv}: no latent columns z1..zK")
    dimensions.sort(key=lambda column: int(column[1:]))
    try:
        values = table[dimensions].astype(float)
    except ValueError as error:
        raise InputError(f"{latent_tsv}: latent values must be numbers ({error})") from None
    return pd.concat([table[["id", "partition"]], values], axis=1)


def labels_for(ids: pd.Series, ids_tsv: str | os.PathLike, label_column: str) -> np.ndarray:
    """Labels of ``ids`` from the ingest ids.tsv; every id must be there."""
    index = read_text_table(ids_tsv, ["id", label_column]).set_index("id")[label_column]
    missing = ids[~ids.isin(index.index)]
    if len(missing):
        raise InputError(f"{ids_tsv}: id {missing.iloc[0]!r} of the latent table has no row")
    return index.loc[ids].to_numpy()


def evaluate_latent(
    latent_tsv: str | os.PathLike,
    ids_tsv: str | os.PathLike,
    label_column: str,
    output_json: str | os.PathLike,
    seed: int,
    neighbours: int = 5,
    truth_npy: str | os.PathLike | None = None,
    reconstructed_npy: str | os.PathLike | None = None,
) -> dict:
    """Latent metrics over all rows and per partition, plus the reconstruction error; writes the JSON.

    ``truth_npy`` and ``reconstructed_npy`` are row-aligned (samples × genes) arrays.
    """
    with all_or_nothing(output_json):
        table = read_latent(latent_tsv)
        labels = labels_for(table["id"], ids_tsv, label_column)
        latent = table.drop(columns=["id", "partition"]).to_numpy()
        partitions = {
            name: (table["partition"] == name).to_numpy() for name in sorted(table["partition"].unique())
        }
        reconstruction = None
        if truth_npy is not None and reconstructed_npy is not None:
            reconstruction = reconstruction_error(np.load(truth_npy), np.load(reconstructed_npy))
        payload = {
            "label_column": label_column,
            "latent_dimensions": latent.shape[1],
            "latent": latent_metrics(latent, labels, seed, neighbours),
            "latent_by_partition": {
                name: latent_metrics(latent[rows], labels[rows], seed, neighbours)
                for name, rows in partitions.items()
            },
            "reconstruction": reconstruction,
        }
        save_json(output_json, payload)
    return payload


# --- the workflow's evaluation of one generative run -------------------------------------------


def partition_tokens(
    tokens: str | os.PathLike, ids: str | os.PathLike, split: str | os.PathLike, unit: str
) -> tuple[np.ndarray, np.ndarray]:
    """Training and test (held-out) rows of a token matrix."""
    from biodl.data.split import read_items

    items = read_items(ids, split, unit)
    matrix = np.load(tokens, mmap_mode="r")
    return np.asarray(matrix[items.rows("train")]), np.asarray(matrix[items.rows("test")])


def letter_chance(train_tokens: np.ndarray) -> float:
    """Accuracy of always writing the training set's most frequent letter: a reconstruction's chance level."""
    letters = train_tokens[train_tokens != PAD]
    return float(np.bincount(letters).max() / len(letters))


def sequence_reconstruction_report(reconstruction: str | os.PathLike, train_tokens: np.ndarray) -> dict:
    """Mean per-sequence reconstruction accuracy on the test partition beside the chance level."""
    table = read_text_table(reconstruction, ["id", "sequence", "accuracy"])
    return {
        "accuracy": float(table["accuracy"].astype(float).mean()),
        "chance": letter_chance(train_tokens),
        "sequences": len(table),
    }


def evaluate_generated_run(
    *,
    samples: str | os.PathLike,
    tokens: str | os.PathLike,
    ids: str | os.PathLike,
    split: str | os.PathLike,
    unit: str,
    vocabulary: str,
    output: str | os.PathLike,
    seed: int,
    motifs: Sequence[str] = (),
    classifier: Mapping[str, object] | None = None,
    reconstruction: str | os.PathLike | None = None,
) -> dict:
    """Judge a generated FASTA against the test partition of the data the model was trained on.

    The training partition gives the floor references and the memorisation
    check; a sequence VAE's ``reconstruction`` table adds its test accuracy.
    ``classifier`` holds ``model`` (path), ``meta`` (its dataset's meta.json)
    and ``class_name``.
    """
    train_tokens, heldout_tokens = partition_tokens(tokens, ids, split, unit)
    if not len(heldout_tokens):
        raise InputError(f"{split}: the test partition of {unit} is empty; nothing to compare samples with")
    options = None
    if classifier:
        classes = read_classes(classifier["meta"])
        if classifier["class_name"] not in classes:
            wanted = classifier["class_name"]
            raise InputError(f"{classifier['meta']}: class {wanted!r} is not one of {classes}")
        options = {"model": classifier["model"], "class_name": classifier["class_name"], "classes": classes}
    extra = None
    if reconstruction is not None:
        extra = {"reconstruction": sequence_reconstruction_report(reconstruction, train_tokens)}
    return evaluate_generated(
        samples,
        train_tokens,
        heldout_tokens,
        vocabulary,
        output,
        seed,
        motifs,
        classifier=options,
        extra=extra,
    )


def read_classes(meta: str | os.PathLike) -> list[str]:
    """Class names of a classification dataset, in the order of its model's outputs."""
    import json

    with open(meta, encoding="utf-8") as handle:
        classes = json.load(handle).get("classes", {})
    if len(classes) != 1:
        raise InputError(f"{meta}: expected the classes of one label column, found {sorted(classes)}")
    return list(next(iter(classes.values())))


def transfer_knn(
    train: np.ndarray, train_labels: np.ndarray, test: np.ndarray, test_labels: np.ndarray, neighbours: int
) -> dict:
    """k-NN fitted on the training partition's latent means, scored on the test partition's."""
    model = KNeighborsClassifier(n_neighbors=min(neighbours, len(train)))
    model.fit(train, train_labels)
    values, counts = np.unique(train_labels, return_counts=True)
    majority = values[counts.argmax()]
    return {
        "knn_accuracy": float((model.predict(test) == test_labels).mean()),
        "chance": float((test_labels == majority).mean()),
        "neighbours": int(model.n_neighbors),
        "train": len(train),
        "test": len(test),
    }


def evaluate_vae_run(
    *,
    latent: str | os.PathLike,
    reconstruction: str | os.PathLike,
    truth: str | os.PathLike,
    ids: str | os.PathLike,
    label_column: str | None,
    output: str | os.PathLike,
    seed: int,
    neighbours: int = 5,
    log_scale: bool = False,
) -> dict:
    """Latent space and reconstruction of an expression VAE, judged on the test partition.

    ``truth`` is the samples × genes matrix the decoder reconstructs (rows in
    ids.tsv order); the test reconstruction error stands beside that of the
    training partition's mean profile. ``log_scale`` compares log(1 + x)
    (for count likelihoods). Labels, when there are classes, give the k-NN
    accuracy (fitted on train, scored on test) and the test silhouette.
    """
    with all_or_nothing(output):
        table = read_latent(latent)
        order = read_text_table(ids, ["id"])["id"]
        position = pd.Series(np.arange(len(order)), index=order.to_numpy())
        values = np.load(truth, mmap_mode="r")
        train_rows = position.loc[table.loc[table["partition"] == "train", "id"]].to_numpy()
        decoded = read_text_table(reconstruction, ["id"])
        unknown = decoded.loc[~decoded["id"].isin(position.index), "id"]
        if len(unknown):
            raise InputError(f"{reconstruction}: id {unknown.iloc[0]!r} is not in {ids}")
        test_rows = position.loc[decoded["id"]].to_numpy()
        predicted = decoded.drop(columns=["id"]).to_numpy(dtype=np.float64)
        observed = np.asarray(values[test_rows], dtype=np.float64)
        reference = np.asarray(values[np.sort(train_rows)], dtype=np.float64).mean(axis=0, keepdims=True)
        if log_scale:
            observed, predicted, reference = np.log1p(observed), np.log1p(predicted), np.log1p(reference)
        payload = {
            "reconstruction": reconstruction_error(observed, predicted),
            "mean_profile": reconstruction_error(observed, np.repeat(reference, len(observed), axis=0)),
            "latent_dimensions": int(table.shape[1] - 2),
            "label_column": label_column,
            "latent": None,
        }
        if label_column:
            labels = labels_for(table["id"], ids, label_column)
            coordinates = table.drop(columns=["id", "partition"]).to_numpy()
            train = (table["partition"] == "train").to_numpy()
            test = (table["partition"] == "test").to_numpy()
            payload["latent"] = {
                **transfer_knn(
                    coordinates[train], labels[train], coordinates[test], labels[test], neighbours
                ),
                "silhouette": silhouette(coordinates[test], labels[test], seed),
            }
        save_json(output, payload)
    return payload


# --- every run of a dataset in one table -------------------------------------------------------


def flatten(values: Mapping, prefix: str = "") -> dict[str, float]:
    """Numbers of a nested metrics JSON as ``a.b.c → value`` (text and missing values left out)."""
    flat: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def summarise_runs(files: Mapping[str, str | os.PathLike], output: str | os.PathLike) -> pd.DataFrame:
    """Tidy table of every generative run's metrics: model, unit, seed, metric, value."""
    import json

    rows = []
    for run, path in sorted(run_inputs(files, "metrics").items()):
        model, unit, seed = run.model, run.unit, run.seed
        with open(path, encoding="utf-8") as handle:
            metrics = flatten(json.load(handle))
        rows += [(model, unit, seed, name, value) for name, value in metrics.items()]
    table = pd.DataFrame(rows, columns=["model", "unit", "seed", "metric", "value"])
    with all_or_nothing(output):
        save_table(output, table)
    return table
