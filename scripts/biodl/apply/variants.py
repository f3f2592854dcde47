"""Variant effects: every trained model and baseline of a genome-anchored dataset scores the reference
and the alternative window around each variant of a VCF.

The reference window is the genome's ``width`` bp with the variant's first REF base at position
``width // 2``; the alternative window is the same start with REF replaced by ALT, filled on the
right from the genome (an insertion pushes bases out, a deletion pulls them in). A variant whose
window would leave its chromosome is counted and left out. For classifiers the effect is the
difference of log-odds, ``logit(alt) − logit(ref)``, of each class (the positive class alone for a
binary task) or task; for regression the difference of predictions in the target's units. The
seeds (and folds) of one model are averaged as an ensemble, with the spread of the effect across
them. A local in-silico mutagenesis of the reference window gives each variant's attribution: the
mean change in log-odds when the base at each position within ``ism_flank`` bp of the variant is
replaced by each of the other three, at the variant's site and where it is largest.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biodl.alphabets import DNA, complement_table
from biodl.apply.bundle import Bundle, read_bundle
from biodl.apply.predictions import Predictor, check_ensemble, predictor
from biodl.errors import InputError
from biodl.io.genome import GENOME_TOKENS, Genome
from biodl.io.outputs import all_or_nothing, save_json, save_table
from biodl.io.variants import Variant, read_variants
from biodl.train.predict import item_table

PathLike = str | os.PathLike
log = logging.getLogger("biodl.apply.variants")
EPSILON = 1e-7  # probabilities are clipped to [ε, 1 − ε] before log-odds


@dataclass(frozen=True)
class VariantWindows:
    """Reference and alternative windows (tokens) of the variants that fit inside their chromosome."""

    variants: list[Variant]
    ref: np.ndarray
    alt: np.ndarray
    near_end: int


def encode_letters(text: str) -> np.ndarray:
    return GENOME_TOKENS[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]


def variant_windows(genome: Genome, variants: Sequence[Variant], width: int) -> VariantWindows:
    """The windows of every variant whose reference and alternative windows lie inside the chromosome."""
    kept, refs, alts, near_end = [], [], [], 0
    for variant in variants:
        start = variant.start - width // 2
        # a deletion pulls bases in from the right: the alternative window reaches that much further
        reach = start + width + max(0, len(variant.ref) - len(variant.alt))
        if start < 0 or reach > genome.sizes[variant.chromosome]:
            near_end += 1
            continue
        left = genome.slice(variant.chromosome, start, variant.start)
        right = genome.slice(variant.chromosome, variant.start + len(variant.ref), reach)
        refs.append(encode_letters(genome.slice(variant.chromosome, start, start + width)))
        alts.append(encode_letters((left + variant.alt + right)[:width]))
        kept.append(variant)
    empty = np.zeros((0, width), dtype=np.uint8)
    return VariantWindows(
        kept, np.stack(refs) if refs else empty, np.stack(alts) if alts else empty, near_end
    )


def output_scores(member: Bundle, raw: np.ndarray) -> pd.DataFrame:
    """A member's outputs as named scores: the positive class of a binary task (named by its label
    column when the classes are 0 and 1), every class of a multiclass task, every task of a multilabel
    one, predictions in target units for regression."""
    table = item_table(member.task, member.description["encoding"], np.arange(len(raw)), raw)
    columns = [name for name in table.columns if name.startswith(("score:", "pred:"))]
    scores = table[columns].rename(columns=lambda name: name.split(":", 1)[1])
    if member.task == "binary":
        scores = scores.iloc[:, -1:]
        if scores.columns[0] == "1":
            scores.columns = [member.description["label_columns"][0]]
    return scores


def log_odds(probabilities: np.ndarray) -> np.ndarray:
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def strand_scores(predict: Predictor, tokens: np.ndarray, both_strands: bool) -> np.ndarray:
    """Raw outputs of a token matrix, averaged with those of its reverse complements when asked."""
    scores = predict(tokens)
    if not both_strands:
        return scores
    flipped = complement_table(DNA)[tokens[:, ::-1]]
    return (scores + predict(flipped)) / 2


# token → the three bases that replace it in mutagenesis (an N or padding takes A, C and G)
SUBSTITUTES = np.array(
    [[base for base in range(1, 5) if base != token][:3] for token in range(6)], dtype=np.uint8
)


def ism_windows(ref: np.ndarray, centre: int, flank: int) -> tuple[np.ndarray, np.ndarray]:
    """Every single-base substitution of each reference window within ``flank`` of ``centre``.

    Returns the mutated windows (variant-major, then position, then the three substitutes) and the
    positions' offsets from the variant.
    """
    count, width = ref.shape
    offsets = np.arange(max(-flank, -centre), min(flank, width - 1 - centre) + 1)
    positions = centre + offsets
    mutated = np.broadcast_to(ref[:, None, None, :], (count, len(offsets), 3, width)).copy()
    rows, places, choices = np.ix_(np.arange(count), np.arange(len(offsets)), np.arange(3))
    mutated[rows, places, choices, positions[places]] = SUBSTITUTES[ref[:, positions]][rows, places, choices]
    return mutated.reshape(-1, width), offsets


def effect_values(task: str, ref: pd.DataFrame, alt: pd.DataFrame) -> pd.DataFrame:
    """Log-odds differences for classifiers, differences in target units for regression."""
    if task == "regression":
        return alt - ref
    return pd.DataFrame(log_odds(alt.to_numpy()) - log_odds(ref.to_numpy()), columns=ref.columns)


def member_effects(
    member: Bundle, predict: Predictor, windows: VariantWindows, both_strands: bool, flank: int | None
) -> dict[str, pd.DataFrame]:
    """One member's reference and alternative scores, effects and local ISM, each variants × outputs."""
    ref = output_scores(member, strand_scores(predict, windows.ref, both_strands))
    alt = output_scores(member, strand_scores(predict, windows.alt, both_strands))
    found = {"ref": ref, "alt": alt, "effect": effect_values(member.task, ref, alt)}
    if flank is not None:
        centre = windows.ref.shape[1] // 2
        mutated, offsets = ism_windows(windows.ref, centre, flank)
        scores = output_scores(member, strand_scores(predict, mutated, both_strands))
        base = np.repeat(ref.to_numpy(), len(offsets) * 3, axis=0)
        changes = effect_values(member.task, pd.DataFrame(base, columns=ref.columns), scores).to_numpy()
        per_position = changes.reshape(len(ref), len(offsets), 3, -1).mean(
            axis=2
        )  # variants × offsets × outputs
        found["ism"] = per_position
        found["offsets"] = offsets
    return found


def model_rows(
    name: str,
    role: str,
    members: list[Bundle],
    windows: VariantWindows,
    both_strands: bool,
    flank: int | None,
) -> pd.DataFrame:
    """The rows of one model (an ensemble of its bundles): one per variant and output."""
    results = [member_effects(m, predictor(m), windows, both_strands, flank) for m in members]
    outputs = list(results[0]["ref"].columns)
    rows = []
    for column, output in enumerate(outputs):
        effects = np.stack([r["effect"][output].to_numpy() for r in results])
        frame = pd.DataFrame(
            {
                "variant": [v.name for v in windows.variants],
                "chromosome": [v.chromosome for v in windows.variants],
                "position": [v.position for v in windows.variants],
                "ref": [v.ref for v in windows.variants],
                "alt": [v.alt for v in windows.variants],
                "line": [v.line for v in windows.variants],
                "model": name,
                "role": role,
                "output": output,
                "ref_score": np.mean([r["ref"][output].to_numpy() for r in results], axis=0),
                "alt_score": np.mean([r["alt"][output].to_numpy() for r in results], axis=0),
                "effect": effects.mean(axis=0),
                "effect_sd": effects.std(axis=0, ddof=1) if len(results) > 1 else np.nan,
                "members": len(results),
            }
        )
        if flank is not None:
            ism = np.mean([r["ism"][:, :, column] for r in results], axis=0)  # variants × offsets
            offsets = results[0]["offsets"]
            peak = np.abs(ism).argmax(axis=1)
            frame["ism_site"] = ism[:, int(np.flatnonzero(offsets == 0)[0])]
            frame["ism_peak_offset"] = offsets[peak]
            frame["ism_peak"] = ism[np.arange(len(ism)), peak]
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def score_variants(
    *,
    vcf: PathLike,
    genome: PathLike,
    bundles: dict[str, list[PathLike]],
    outputs: dict[str, PathLike],
    ref_mismatch: str = "error",
    reverse_complement: bool = False,
    ism_flank: int | None = 10,
) -> None:
    """Score every variant of ``vcf`` with every model of ``bundles`` (model name → its bundle folders);
    write ``effects`` (TSV, one row per variant, model and output) and ``summary`` (JSON)."""
    reference = Genome(genome)
    found = read_variants(vcf, reference, ref_mismatch=ref_mismatch)
    models = {name: [read_bundle(folder) for folder in folders] for name, folders in bundles.items()}
    for members in models.values():
        check_ensemble(members)
    width = _window_width(models)
    windows = variant_windows(reference, found.variants, width)
    if not windows.variants:
        raise InputError(
            f"{vcf}: no variant can be scored ({len(found.variants)} read, "
            f"{windows.near_end} too near a chromosome end)"
        )
    if windows.near_end:
        log.warning(
            "%d variants lie too near a chromosome end for a %d bp window and are left out",
            windows.near_end,
            width,
        )
    tables = [
        model_rows(
            name,
            "baseline" if members[0].is_baseline else "model",
            members,
            windows,
            reverse_complement,
            ism_flank,
        )
        for name, members in models.items()
    ]
    effects = pd.concat(tables, ignore_index=True)
    summary = {
        "vcf": str(vcf),
        "records": len(found.variants) + sum(found.skipped.values()),
        "scored": len(windows.variants),
        "skipped": {**found.skipped, "near_chromosome_end": windows.near_end},
        "window": width,
        "reverse_complement": reverse_complement,
        "ism_flank": ism_flank,
        "models": {name: len(members) for name, members in models.items()},
    }
    with all_or_nothing(*outputs.values()):
        save_table(outputs["effects"], effects)
        save_json(outputs["summary"], summary)


def _window_width(models: dict[str, list[Bundle]]) -> int:
    """The one window width every bundle was trained on."""
    widths = {int(m.preparation["length"]["width"]) for members in models.values() for m in members}
    if len(widths) != 1:
        raise InputError(f"the bundles were trained on windows of different widths: {sorted(widths)}")
    return widths.pop()
