"""Regenerate the bundled demo datasets in resources/demo/ bit for bit.

Every dataset has a known answer planted by a documented rule (see
resources/README.md). Run: ``python resources/make_demo.py [outdir]``.
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

DNA = np.array(list("ACGT"))
SEED = 20261123
NEW_SEED = 20261205  # the new data of `new/`, drawn from the same planted answers
AP1 = "TGACTCA"
MOTIFS = {"motif_a": "TGACTCA", "motif_b": "CACGTG", "motif_c": "GGAATTCC"}
HELIX, STRAND, COIL = "AELMQKRH", "VIYFWTC", "GNPSDT"


def write_text(path: Path, text: str) -> None:
    """Write text; ``.gz`` files get a fixed timestamp so the bytes never change."""
    data = text.encode("utf-8")
    if path.suffix == ".gz":
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
            handle.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)


def fasta(records: list[tuple[str, str]], width: int = 60) -> str:
    """FASTA text with sequence lines wrapped at ``width``."""
    lines = []
    for name, sequence in records:
        lines.append(f">{name}")
        lines += [sequence[i : i + width] for i in range(0, len(sequence), width)]
    return "\n".join(lines) + "\n"


def background(rng: np.random.Generator, length: int, gc: float = 0.5) -> list[str]:
    """Random DNA with the given GC content."""
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return list(DNA[rng.choice(4, size=length, p=p)])


def plant(rng: np.random.Generator, sequence: list[str], motif: str) -> None:
    """Write ``motif`` at a random position."""
    start = rng.integers(0, len(sequence) - len(motif) + 1)
    sequence[start : start + len(motif)] = list(motif)


def mutate(rng: np.random.Generator, sequence: str, rate: float, letters: str = "ACGT") -> str:
    """Substitute each position with probability ``rate``."""
    chars = list(sequence)
    for i in np.flatnonzero(rng.random(len(chars)) < rate):
        chars[i] = rng.choice([c for c in letters if c != chars[i]])
    return "".join(chars)


def dna_binary(
    rng: np.random.Generator, out: Path, n: int = 2400, length: int = 100, prefix: str = "seq"
) -> None:
    """AP-1 motif planted in positives; 5 % are 97 %-identical copies of other records."""
    out.mkdir(parents=True, exist_ok=True)
    records, rows = [], ["id\tlabel"]
    for i in range(n):
        if i >= 20 and rng.random() < 0.05:
            source = int(rng.integers(0, i))
            name, sequence = f"{prefix}{i:05d}", mutate(rng, records[source][1], 0.03)
            label = rows[source + 1].split("\t")[1]
        else:
            label = "bound" if rng.random() < 0.5 else "unbound"
            chars = background(rng, length)
            if label == "bound":
                plant(rng, chars, AP1)
            name, sequence = f"{prefix}{i:05d}", "".join(chars)
        records.append((name, sequence))
        rows.append(f"{name}\t{label}")
    write_text(out / "dna_binary.fa.gz", fasta(records))
    write_text(out / "dna_binary.labels.tsv", "\n".join(rows) + "\n")


def dna_multiclass(rng: np.random.Generator, out: Path, n: int = 1800, length: int = 100) -> None:
    """Class is which motif is planted (motif_a, motif_b) or none."""
    records, rows = [], ["id\tlabel"]
    for i in range(n):
        label = ["motif_a", "motif_b", "none"][i % 3]
        chars = background(rng, length)
        if label != "none":
            plant(rng, chars, MOTIFS[label])
        records.append((f"mc{i:04d}", "".join(chars)))
        rows.append(f"mc{i:04d}\t{label}")
    write_text(out / "dna_multiclass.fa", fasta(records))
    write_text(out / "dna_multiclass.labels.tsv", "\n".join(rows) + "\n")


def dna_multilabel(rng: np.random.Generator, out: Path, n: int = 1800, length: int = 100) -> None:
    """Each of three motifs present independently (p = 0.4); one 0/1 column per motif."""
    records, rows = [], ["id\t" + "\t".join(MOTIFS)]
    for i in range(n):
        present = rng.random(3) < 0.4
        chars = background(rng, length)
        for motif, on in zip(MOTIFS.values(), present):
            if on:
                plant(rng, chars, motif)
        records.append((f"ml{i:04d}", "".join(chars)))
        rows.append(f"ml{i:04d}\t" + "\t".join(str(int(x)) for x in present))
    write_text(out / "dna_multilabel.fa", fasta(records))
    write_text(out / "dna_multilabel.labels.tsv", "\n".join(rows) + "\n")


def dna_regression(rng: np.random.Generator, out: Path, n: int = 1600, length: int = 100) -> None:
    """Score = number of planted motif copies (0–4) + Gaussian noise (sd 0.3)."""
    records, rows = [], ["id\tscore"]
    for i in range(n):
        copies = int(rng.integers(0, 5))
        chars = background(rng, length)
        for slot in range(copies):
            start = slot * 25 + int(rng.integers(0, 25 - len(AP1)))
            chars[start : start + len(AP1)] = list(AP1)
        score = copies + rng.normal(0, 0.3)
        records.append((f"rg{i:04d}", "".join(chars)))
        rows.append(f"rg{i:04d}\t{score:.4f}")
    write_text(out / "dna_regression.fa", fasta(records))
    write_text(out / "dna_regression.labels.tsv", "\n".join(rows) + "\n")


def protein_chain(rng: np.random.Generator) -> tuple[str, str]:
    """Segments of helix (H), strand (E) and coil (C) drawn from state-specific residues."""
    sequence, states = [], []
    target = rng.integers(60, 121)
    while len(sequence) < target:
        state = rng.choice(["H", "E", "C"], p=[0.4, 0.25, 0.35])
        size = {"H": rng.integers(8, 16), "E": rng.integers(4, 9), "C": rng.integers(3, 9)}[state]
        pool = {"H": HELIX, "E": STRAND, "C": COIL}[state]
        for _ in range(size):
            if rng.random() < 0.15:
                sequence.append(rng.choice(list("ACDEFGHIKLMNPQRSTVWY")))
            else:
                sequence.append(rng.choice(list(pool)))
            states.append(state)
    return "".join(sequence), "".join(states)


def protein_ss(rng: np.random.Generator, out: Path, families: int = 75, members: int = 4) -> None:
    """Per-residue 3-state labels; families of 4 chains at about 80 % identity."""
    records, rows = [], ["id\tstates\tfamily"]
    for f in range(families):
        parent, states = protein_chain(rng)
        for m in range(members):
            chars = list(parent)
            for i in np.flatnonzero(rng.random(len(chars)) < 0.2):
                pool = {"H": HELIX, "E": STRAND, "C": COIL}[states[i]]
                chars[i] = rng.choice(list(pool))
            name = f"prot{f:03d}_{m}"
            records.append((name, "".join(chars)))
            rows.append(f"{name}\t{states}\tfam{f:03d}")
    write_text(out / "protein_ss.fa", fasta(records))
    write_text(out / "protein_ss.labels.tsv", "\n".join(rows) + "\n")


def expression(
    rng: np.random.Generator, out: Path, patients: int = 80, per: int = 3, genes: int = 1000
) -> None:
    """Negative-binomial counts; 3 subtypes shift 40 marker genes; 3 samples per patient.

    ``new/`` gets a new cohort of the same subtypes (its own seed): 30 patients, genes in another
    order, as a matrix to apply the trained models to.
    """
    base = rng.lognormal(mean=3.0, sigma=1.2, size=genes)
    markers = {c: rng.choice(genes, size=40, replace=False) for c in range(3)}
    gene_ids = [f"GENE{g:04d}" for g in range(genes)]
    columns, sheet = cohort(rng, base, markers, range(patients), per)
    write_cohort(out, gene_ids, columns, sheet)
    new_rng = np.random.default_rng(NEW_SEED)
    columns, sheet = cohort(new_rng, base, markers, range(patients, patients + 30), per)
    write_cohort(out / "new", gene_ids, columns, sheet, order=new_rng.permutation(genes))


def cohort(
    rng: np.random.Generator, base: np.ndarray, markers: dict, patients: range, per: int
) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """Samples (name, counts) of the patients, subtype by patient number, and their sheet lines."""
    columns, sheet = [], ["sample\tlabel\tpatient"]
    for p in patients:
        subtype = p % 3
        mean = base.copy()
        mean[markers[subtype]] *= 3.0
        patient_effect = rng.lognormal(0, 0.2, size=len(base))
        for s in range(per):
            depth = rng.uniform(0.5, 2.0)
            mu = mean * patient_effect * depth
            dispersion = 5.0
            counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
            name = f"P{p:03d}_S{s}"
            columns.append((name, counts))
            sheet.append(f"{name}\tsubtype_{'ABC'[subtype]}\tpatient{p:03d}")
    return columns, sheet


def write_cohort(
    out: Path,
    gene_ids: list[str],
    columns: list[tuple[str, np.ndarray]],
    sheet: list[str],
    order: np.ndarray | None = None,
) -> None:
    """The counts matrix (genes × samples, genes in ``order``) and the sample sheet."""
    out.mkdir(parents=True, exist_ok=True)
    header = "gene\t" + "\t".join(name for name, _ in columns)
    matrix = np.stack([counts for _, counts in columns], axis=1)
    rows = range(len(gene_ids)) if order is None else order
    lines = [header] + [gene_ids[g] + "\t" + "\t".join(map(str, matrix[g])) for g in rows]
    write_text(out / "expression.counts.tsv.gz", "\n".join(lines) + "\n")
    write_text(out / "expression.samples.tsv", "\n".join(sheet) + "\n")


def repressilator(
    t: float, y: np.ndarray, alpha: float = 216.0, n: float = 2.0, beta: float = 5.0
) -> list[float]:
    """Elowitz & Leibler (2000) repressilator: three mRNAs and their proteins."""
    m, p = y[:3], y[3:]
    repressor = p[[2, 0, 1]]
    dm = -m + alpha / (1 + repressor**n) + 0.2
    dp = -beta * (p - m)
    return [*dm, *dp]


def timecourse_forecast(rng: np.random.Generator, out: Path, series: int = 3, points: int = 300) -> None:
    """Repressilator trajectories from random starts, sampled every 0.5 time units with noise."""
    genes = ["m_lacI", "m_tetR", "m_cI", "p_lacI", "p_tetR", "p_cI"]
    times = np.arange(points) * 0.5
    rows = ["series\ttime\tgene\tvalue"]
    for s in range(series):
        start = rng.uniform(0, 20, size=6)
        solution = solve_ivp(repressilator, (0, times[-1]), start, t_eval=times, rtol=1e-8, atol=1e-8)
        values = np.log1p(solution.y) + rng.normal(0, 0.05, size=solution.y.shape)
        for g, gene in enumerate(genes):
            rows += [f"run{s}\t{t:g}\t{gene}\t{v:.5f}" for t, v in zip(times, values[g])]
    write_text(out / "timecourse_forecast.tsv", "\n".join(rows) + "\n")


def timecourse_classes(rng: np.random.Generator, out: Path, series: int = 120, points: int = 40) -> None:
    """Damped oscillators read out by 4 genes; the class is the frequency (slow / fast)."""
    rows, sheet = ["series\ttime\tgene\tvalue"], ["series\tlabel\tdonor"]
    times = np.arange(points, dtype=float)
    loadings = rng.normal(size=(4, 2))
    for s in range(series):
        label = "fast" if s % 2 else "slow"
        omega = (0.55 if label == "fast" else 0.3) * rng.uniform(0.9, 1.1)
        phase, amplitude = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 1.5)
        decay = np.exp(-0.03 * times)
        latent = amplitude * decay * np.stack([np.cos(omega * times + phase), np.sin(omega * times + phase)])
        values = loadings @ latent + rng.normal(0, 0.15, size=(4, points))
        for g in range(4):
            rows += [f"ts{s:03d}\t{t:g}\tgene{g}\t{v:.5f}" for t, v in zip(times, values[g])]
        sheet.append(f"ts{s:03d}\t{label}\tdonor{s // 4:02d}")
    write_text(out / "timecourse_classes.tsv", "\n".join(rows) + "\n")
    write_text(out / "timecourse_classes.series.tsv", "\n".join(sheet) + "\n")


def dna_generation(rng: np.random.Generator, out: Path, n: int = 2000, length: int = 64) -> None:
    """GC-rich background (GC 0.6) with the AP-1 site of dna_binary planted in 70 % of sequences.

    The motif is the one that separates dna_binary's classes, so the classifier
    trained there scores generated sequences.
    """
    records = []
    for i in range(n):
        chars = background(rng, length, gc=0.6)
        if rng.random() < 0.7:
            plant(rng, chars, AP1)
        records.append((f"gen{i:04d}", "".join(chars)))
    write_text(out / "dna_generation.fa", fasta(records))


def main(out: Path) -> None:
    """Write every demo dataset into ``out`` from one fixed seed."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for make in (
        dna_binary,
        dna_multiclass,
        dna_multilabel,
        dna_regression,
        protein_ss,
        expression,
        timecourse_forecast,
        timecourse_classes,
        dna_generation,
    ):
        make(rng, out)
    dna_binary(np.random.default_rng(NEW_SEED), out / "new", n=500, prefix="new")  # to apply models to


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "demo")
