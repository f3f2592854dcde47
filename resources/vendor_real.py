"""Convert the published datasets into biodl's input formats under resources/real/.

Run: ``python resources/vendor_real.py [source_dir] [out_dir]`` (defaults:
``../shared/real-data`` beside the project and ``resources/real``). The
source files are read as given; every record that is dropped or changed is
counted in ``resources/real/<name>/conversion.json`` with the reason, so the
conversion can be checked and repeated bit for bit (``tests/test_real_data.py``).
Provenance and licences are in ``resources/real/README.md``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from make_demo import fasta, write_text  # the demo data's writers (same folder)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "real-data"
DEFAULT_OUT = ROOT / "resources" / "real"
HAIRPIN_LENGTHS = (60, 80)  # the length-bounded miRBase subset: short animal-like precursors
ALPHA_TIME = re.compile(r"^alpha(\d+)$")
PDB_CODE = re.compile(r"([0-9][a-z0-9]{3})")


def write_table(path: Path, table: pd.DataFrame) -> None:
    """Tab-separated, header line, ``\\n`` line ends, missing values as empty cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, table.to_csv(sep="\t", index=False, lineterminator="\n"))


def write_fasta(path: Path, ids: list[str], sequences: list[str]) -> None:
    """FASTA with sequence lines wrapped at 60."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, fasta(list(zip(ids, sequences))))


def write_record(path: Path, record: dict) -> None:
    """conversion.json: source file, counts kept and dropped, and why."""
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def conflicting_sequences(table: pd.DataFrame, sequence: str, label: str) -> pd.Series:
    """Rows whose exact sequence occurs elsewhere with a different label."""
    labels_per_sequence = table.groupby(sequence)[label].transform("nunique")
    return labels_per_sequence > 1


def vendor_splice(source: Path, out: Path) -> dict:
    """UCI primate splice junctions: 60 nt, classes ei / ie / n; ids are source row numbers."""
    table = pd.read_csv(source / "splice_primate_60nt.csv", dtype=str)
    table["id"] = [f"splice{row:04d}" for row in range(1, len(table) + 1)]
    conflicting = conflicting_sequences(table, "seq", "label")
    kept = table[~conflicting]
    write_fasta(out / "splice.fa.gz", kept["id"].tolist(), kept["seq"].tolist())
    write_table(out / "splice.labels.tsv", kept[["id", "label"]])
    return {
        "source": "splice_primate_60nt.csv",
        "records": len(table),
        "kept": len(kept),
        "dropped_conflicting_labels": int(conflicting.sum()),
        "exact_duplicates_kept": int(kept["seq"].duplicated().sum()),
        "classes": kept["label"].value_counts().sort_index().to_dict(),
    }


def vendor_tfbs(source: Path, out: Path) -> dict:
    """Oct4 vs MafK ChIP-seq peak centres (200 bp); id = mm10 region, with chromosome and package split."""
    table = pd.read_csv(source / "tfbs_oct4_vs_mafk_200bp.csv", dtype=str)
    table["id"] = table["region"]
    table["chromosome"] = table["region"].str.split(":").str[0]
    table = table.rename(columns={"split": "package_split"})
    write_fasta(out / "tfbs.fa.gz", table["id"].tolist(), table["seq"].str.upper().tolist())
    write_table(out / "tfbs.labels.tsv", table[["id", "label", "chromosome", "package_split"]])
    return {
        "source": "tfbs_oct4_vs_mafk_200bp.csv",
        "records": len(table),
        "kept": len(table),
        "classes": table["label"].value_counts().sort_index().to_dict(),
        "package_split": table["package_split"].value_counts().sort_index().to_dict(),
        "chromosomes": int(table["chromosome"].nunique()),
    }


def vendor_golub(source: Path, out: Path) -> dict:
    """Golub leukaemia microarray: genes × samples as given; samples with ALL/AML and cell type."""
    matrix = pd.read_csv(source / "golub_esGolub_exprs.csv.gz", index_col=0)
    pheno = pd.read_csv(source / "golub_esGolub_pheno.csv", index_col=0, dtype=str)
    if list(pheno.index) != list(matrix.columns):
        raise ValueError("golub: phenotype rows and matrix columns differ")
    matrix.index.name = "gene"
    write_table(out / "golub.exprs.tsv.gz", matrix.reset_index())
    samples = pd.DataFrame(
        {"sample": pheno.index, "label": pheno["ALL.AML"].to_numpy(), "cell": pheno["Cell"].to_numpy()}
    )
    write_table(out / "golub.samples.tsv", samples)
    return {
        "source": ["golub_esGolub_exprs.csv.gz", "golub_esGolub_pheno.csv"],
        "genes": int(matrix.shape[0]),
        "samples": int(matrix.shape[1]),
        "classes": samples["label"].value_counts().sort_index().to_dict(),
        "value_range": [int(matrix.min().min()), int(matrix.max().max())],
    }


def vendor_yeast(source: Path, out: Path) -> dict:
    """Spellman alpha-factor time course (18 points, minutes): one series per gene, phase as label.

    Missing values stay missing (empty cells): the config chooses how they are
    handled. Genes with no value at all in the alpha experiment are dropped.
    """
    table = pd.read_csv(source / "yeast_cellcycle_spellman800.csv", index_col=0)
    alpha = table[[column for column in table.columns if ALPHA_TIME.match(column)]]
    times = [int(ALPHA_TIME.match(column).group(1)) for column in alpha.columns]
    empty = alpha.isna().all(axis=1)
    alpha = alpha[~empty]
    long = alpha.set_axis(times, axis=1).rename_axis(index="series", columns="time").stack(future_stack=True)
    values = long.rename("value").reset_index()
    values.insert(2, "gene", "log_ratio")
    write_table(out / "alpha.tsv.gz", values)
    series = pd.DataFrame({"series": alpha.index, "phase": table.loc[alpha.index, "phase_class"]})
    write_table(out / "alpha.series.tsv", series)
    return {
        "source": "yeast_cellcycle_spellman800.csv",
        "experiment": "alpha",
        "genes": len(table),
        "kept": len(alpha),
        "dropped_no_alpha_values": int(empty.sum()),
        "time_points": len(times),
        "missing_values_kept": int(alpha.isna().sum().sum()),
        "genes_with_missing_values": int(alpha.isna().any(axis=1).sum()),
        "classes": series["phase"].value_counts().sort_index().to_dict(),
    }


def read_chains(path: Path) -> pd.DataFrame:
    """Three lines per chain (header, sequence, states) into a table in file order."""
    lines = path.read_text().splitlines()
    if len(lines) % 3:
        raise ValueError(f"{path}: {len(lines)} lines is not three per chain")
    headers, sequences, states = lines[0::3], lines[1::3], lines[2::3]
    return pd.DataFrame(
        {"header": [h.removeprefix(">") for h in headers], "seq": sequences, "states": states}
    )


def chain_id(header: str) -> tuple[str, str]:
    """'pdb1r19_dssp.pdb|A' → ('1r19_dssp_A', '1r19'): file stem and chain, and the PDB code as group.

    Files without a PDB code in their name ('struc1.pdb.gz') are their own group;
    a blank chain name is written as '_'.
    """
    entry, chain = header.split("|")
    stem = entry.split(".")[0].lower().removeprefix("mmcif_").removeprefix("pdb")
    code = PDB_CODE.match(stem)
    return f"{stem}_{chain.strip() or '_'}", code.group(1) if code else stem


def vendor_chains(source: Path, out: Path) -> dict:
    """Protein chains with DSSP 3-state strings ('-' written as C, coil); group = PDB entry.

    A chain shipped by two packages appears twice: the second copy of an
    identical (chain, sequence, states) record is dropped; a different record
    under the same name (a fragment of the chain) is kept as '<id>.2', in the
    same group.
    """
    chains = read_chains(source / "pdb_ss3.txt")
    named = chains["header"].map(chain_id)
    chains["id"], chains["entry"] = named.str[0], named.str[1]
    chains["states"] = chains["states"].str.replace("-", "C")
    mismatched = chains["seq"].str.len() != chains["states"].str.len()
    if mismatched.any():
        raise ValueError(
            f"pdb_ss3.txt: chain {chains['header'][mismatched].iloc[0]} has states of another length"
        )
    repeated = chains.duplicated(["id", "seq", "states"])
    kept = chains[~repeated].copy()
    copy = kept.groupby("id").cumcount()
    kept.loc[copy > 0, "id"] += "." + (copy[copy > 0] + 1).astype(str)
    write_fasta(out / "chains.fa", kept["id"].tolist(), kept["seq"].tolist())
    write_table(out / "chains.labels.tsv", kept[["id", "states", "entry"]])
    return {
        "source": "pdb_ss3.txt",
        "records": len(chains),
        "kept": len(kept),
        "dropped_repeated_chains": int(repeated.sum()),
        "renamed_second_records": int((copy > 0).sum()),
        "entries": int(kept["entry"].nunique()),
        "residues": int(kept["seq"].str.len().sum()),
        "states": {s: int(kept["states"].str.count(s).sum()) for s in "HEC"},
        "length_range": [int(kept["seq"].str.len().min()), int(kept["seq"].str.len().max())],
    }


def vendor_hairpins(source: Path, out: Path, lengths: tuple[int, int] = HAIRPIN_LENGTHS) -> dict:
    """miRBase hairpins of lengths[0]…lengths[1] nt written only of A, C, G, U (RNA as given)."""
    table = pd.read_csv(source / "mirbase_hairpin.csv", dtype=str)
    size = table["seq"].str.len()
    in_range = size.between(*lengths)
    plain = table["seq"].str.fullmatch("[ACGU]+")
    kept = table[in_range & plain]
    write_fasta(out / "hairpins.fa.gz", kept["id"].tolist(), kept["seq"].tolist())
    write_table(
        out / "hairpins.species.tsv", kept[["id", "species_code"]].rename(columns={"species_code": "species"})
    )
    return {
        "source": "mirbase_hairpin.csv",
        "records": len(table),
        "kept": len(kept),
        "length_bounds": list(lengths),
        "dropped_length": int((~in_range).sum()),
        "dropped_ambiguous_letters": int((in_range & ~plain).sum()),
        "exact_duplicates_kept": int(kept["seq"].duplicated().sum()),
        "species": int(kept["species_code"].nunique()),
    }


VENDORS: dict[str, Callable[[Path, Path], dict]] = {
    "splice": vendor_splice,
    "tfbs": vendor_tfbs,
    "golub": vendor_golub,
    "yeast": vendor_yeast,
    "chains": vendor_chains,
    "hairpins": vendor_hairpins,
}


def vendor_all(
    source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT, names: list[str] | None = None
) -> None:
    """Convert every dataset (or ``names``) into ``out/<name>/`` with its conversion.json."""
    for name in names or list(VENDORS):
        record = VENDORS[name](source, out / name)
        write_record(out / name / "conversion.json", record)
        print(f"{name}: {json.dumps(record, sort_keys=True)}")


if __name__ == "__main__":
    arguments = [Path(argument) for argument in sys.argv[1:3]]
    vendor_all(*arguments)
