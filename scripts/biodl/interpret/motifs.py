"""Motifs a sequence model learned: TF-MoDISco on its attributions, matched to JASPAR with Tomtom.

- seqlets and motifs come from ``modisco-lite`` (TF-MoDISco) run on the hypothetical
  contributions of :func:`biodl.interpret.attributions.hypothetical_contributions`;
- each motif is trimmed to the positions that carry at least ``TRIM`` of its largest
  contribution (as the TF-MoDISco reports trim before matching);
- JASPAR CORE comes from the ``pyjaspar`` package (its SQLite copy of the database, offline);
- similarity p-values are Tomtom's (``memelite``'s implementation, both strands), and each
  motif's q-values are Benjamini–Hochberg over its comparisons with every JASPAR matrix, as
  Tomtom reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TRIM = 0.3  # share of a motif's largest per-position contribution that a kept position carries
INFORMATIVE_BITS = 0.5  # a filter matrix is trimmed to the span of positions with this information
MIN_FILTER_WIDTH = 5  # shorter filter matrices are not matched (Tomtom finds chance hits for them),
MIN_FILTER_BITS = 5.0  # nor are diffuse ones (as the filters of a deep CNN's first layer often are)
LETTERS = "ACGT"


@dataclass
class Motif:
    """A discovered motif: name (``pos_0``: raises the output), its letter probabilities and
    contribution weights over the trimmed positions (position × ACGT), and how many seqlets made it."""

    name: str
    ppm: np.ndarray
    cwm: np.ndarray
    seqlets: int
    output: str | None = None  # the model output whose attributions it was found in

    @property
    def consensus(self) -> str:
        return "".join(LETTERS[index] for index in self.ppm.argmax(axis=1))


@dataclass(frozen=True)
class JasparMatrix:
    """A JASPAR matrix: its id, TF name, structural class and family, and probabilities (ACGT × position)."""

    matrix_id: str
    name: str
    tf_class: str
    tf_family: str
    ppm: np.ndarray


def trimmed(ppm: np.ndarray, cwm: np.ndarray, share: float = TRIM) -> tuple[np.ndarray, np.ndarray]:
    """The span of positions from the first to the last whose absolute contribution reaches
    ``share`` of the largest."""
    score = np.abs(cwm).sum(axis=1)
    kept = np.flatnonzero(score >= share * score.max())
    span = slice(int(kept[0]), int(kept[-1]) + 1)
    return ppm[span], cwm[span]


def discover_motifs(one_hot: np.ndarray, hypothetical: np.ndarray, **settings: object) -> list[Motif]:
    """TF-MoDISco motifs of one-hot sequences (item × position × ACGT) and their hypothetical
    contributions; ``settings`` go to ``modiscolite.tfmodisco.TFMoDISco`` (e.g. the seqlet window)."""
    from modiscolite.tfmodisco import TFMoDISco

    positive, negative = TFMoDISco(
        one_hot=one_hot.astype(np.float32), hypothetical_contribs=hypothetical.astype(np.float32), **settings
    )
    motifs = []
    for sign, patterns in (("pos", positive), ("neg", negative)):
        for index, pattern in enumerate(patterns or []):
            ppm, cwm = trimmed(np.asarray(pattern.sequence), np.asarray(pattern.contrib_scores))
            motifs.append(Motif(f"{sign}_{index}", ppm, cwm, len(pattern.seqlets)))
    return motifs


def filter_motifs(
    model: object, tokens: np.ndarray, *, share: float = 0.5, pseudocount: float = 0.1, batch_size: int = 256
) -> list[Motif]:
    """The first convolution layer's filters as motifs, the usual way (Basset, DeepBind): the letters
    of every input window where a filter's activation exceeds ``share`` of its largest activation over
    ``tokens`` (windows that reach past a sequence's ends, into its padding or over an ambiguity
    code left out), counted
    into a probability matrix with ``pseudocount`` per letter, trimmed to its informative span
    (:func:`informative_span`); filters whose span is shorter than ``MIN_FILTER_WIDTH`` or holds
    less than ``MIN_FILTER_BITS`` of information are left out.
    ``cwm`` holds the probabilities minus the uniform 1/4."""
    import keras

    from biodl.data.encode import one_hot
    from biodl.train.predict import predict_in_batches

    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]
    if not convolutions:
        raise ValueError(f"model {model.name!r} has no convolution layer")
    convolution = convolutions[0]
    body = keras.Model(model.get_layer("one_hot").output, convolution.output)
    inputs = one_hot(tokens, model.get_layer("one_hot").vocabulary_size)
    activations = predict_in_batches(body, inputs, batch_size)
    width = int(convolution.kernel_size[0])
    left = (width - 1) // 2 if convolution.padding == "same" else 0
    motifs = []
    for index in range(activations.shape[2]):
        activation = activations[:, :, index]
        if activation.max() <= 0:
            continue
        items, positions = np.nonzero(activation > share * activation.max())
        starts = positions - left
        inside = (starts >= 0) & (starts + width <= tokens.shape[1])
        windows = tokens[items[inside, None], starts[inside, None] + np.arange(width)]
        windows = windows[((windows > 0) & (windows <= len(LETTERS))).all(axis=1)]
        if not len(windows):
            continue
        counts = np.stack([(windows == letter + 1).sum(axis=0) for letter in range(len(LETTERS))], axis=1)
        ppm = informative_span((counts + pseudocount) / (len(windows) + len(LETTERS) * pseudocount))
        if len(ppm) >= MIN_FILTER_WIDTH and information(ppm).sum() >= MIN_FILTER_BITS:
            motifs.append(Motif(f"filter_{index}", ppm, ppm - 1 / len(LETTERS), len(windows)))
    return motifs


def information(ppm: np.ndarray) -> np.ndarray:
    """The information content of every position of a probability matrix: 2 bits minus the entropy
    of its letters."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2.0 + np.where(ppm > 0, ppm * np.log2(ppm), 0.0).sum(axis=1)


def informative_span(ppm: np.ndarray, bits: float = INFORMATIVE_BITS) -> np.ndarray:
    """The positions from the first to the last whose information content reaches ``bits``; none
    when no position does."""
    kept = np.flatnonzero(information(ppm) >= bits)
    return ppm[kept[0] : kept[-1] + 1] if len(kept) else ppm[:0]


def jaspar_matrices(collection: str = "CORE", tax_group: str | None = "vertebrates") -> list[JasparMatrix]:
    """Every JASPAR matrix of a collection (and taxonomic group) from the database ``pyjaspar`` ships."""
    from pyjaspar import jaspardb

    matrices = []
    for motif in jaspardb().fetch_motifs(collection=collection, tax_group=[tax_group] if tax_group else None):
        counts = np.array([motif.counts[letter] for letter in LETTERS], dtype=np.float64)
        matrices.append(
            JasparMatrix(
                motif.matrix_id,
                motif.name,
                "; ".join(motif.tf_class or []),
                "; ".join(motif.tf_family or []),
                counts / counts.sum(axis=0, keepdims=True),
            )
        )
    return matrices


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """q-values of the p-values in each row (Benjamini–Hochberg, monotone)."""
    order = np.argsort(p_values, axis=1)
    ranked = np.take_along_axis(p_values, order, axis=1)
    n = p_values.shape[1]
    adjusted = ranked * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(adjusted[:, ::-1], axis=1)[:, ::-1]
    q_values = np.empty_like(adjusted)
    np.put_along_axis(q_values, order, np.minimum(adjusted, 1.0), axis=1)
    return q_values


def match_to_jaspar(motifs: list[Motif], matrices: list[JasparMatrix], best: int = 3) -> pd.DataFrame:
    """The ``best`` JASPAR matches of each motif by Tomtom p-value, with q-values, offset and strand."""
    from memelite import tomtom

    if not motifs:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    queries = [motif.ppm.T.astype(np.float64) for motif in motifs]
    targets = [matrix.ppm for matrix in matrices]
    p_values, _, offsets, _, strands = tomtom(queries, targets)[:5]
    p_values = np.asarray(p_values, dtype=np.float64)
    q_values = benjamini_hochberg(p_values)
    rows = []
    for row, motif in enumerate(motifs):
        for rank, column in enumerate(np.argsort(p_values[row], kind="stable")[:best], start=1):
            matrix = matrices[column]
            rows.append(
                {
                    "motif": motif.name,
                    "consensus": motif.consensus,
                    "seqlets": motif.seqlets,
                    "rank": rank,
                    "matrix_id": matrix.matrix_id,
                    "tf": matrix.name,
                    "tf_class": matrix.tf_class,
                    "tf_family": matrix.tf_family,
                    "p_value": float(p_values[row, column]),
                    "q_value": float(q_values[row, column]),
                    "offset": int(offsets[row, column]),
                    "strand": "-" if strands[row, column] else "+",
                }
            )
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


MATCH_COLUMNS = [
    "motif",
    "consensus",
    "seqlets",
    "rank",
    "matrix_id",
    "tf",
    "tf_class",
    "tf_family",
    "p_value",
    "q_value",
    "offset",
    "strand",
]


def meme_text(motifs: list[Motif], background: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)) -> str:
    """The motifs as a MEME-format (version 4) text, letter-probability matrices."""
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "", "Background letter frequencies"]
    lines.append(" ".join(f"{letter} {value:.3f}" for letter, value in zip(LETTERS, background)))
    for motif in motifs:
        lines += ["", f"MOTIF {motif.name} {motif.consensus}"]
        lines.append(
            f"letter-probability matrix: alength= 4 w= {len(motif.ppm)} nsites= {motif.seqlets} E= 0"
        )
        lines += [" ".join(f"{value:.6f}" for value in row) for row in motif.ppm]
    return "\n".join(lines) + "\n"
