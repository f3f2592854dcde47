"""`snakemake check`: the per-dataset summary of validated inputs."""

from __future__ import annotations

from biodl.data.check import summarise_inputs
from biodl.data.ingest import ingest_expression, ingest_sequences
from conftest import write

# record e repeats c; f holds an N; g is longer than the fixed length
FASTA = ">a\nACGTAC\n>b\nGGGA\n>c\nTTACG\n>d\nCCCC\n>e\nTTACG\n>f\nACNT\n>g\nACGTACGT\n"
LABELS = "id\tlabel\tfamily\na\tpos\tx\nb\tneg\tx\nc\tpos\ty\nd\tneg\ty\ne\tpos\tz\nf\tneg\tz\ng\tpos\tz\n"
MATRIX = "gene\tS1\tS2\tS3\tS4\ng1\t1\t2\t3\t4\ng2\t0\tNA\t0\t7\ng3\t9\t9\t9\t9\n"
SHEET = "sample\tlabel\nS1\tA\nS2\tB\nS3\tA\nS4\tB\n"


def sequence_dataset(folder, **options):
    folder.mkdir()
    names = {"ids": "ids.tsv", "tokens": "tokens.npy", "lengths": "lengths.npy", "kmers": "kmers.npz"}
    files = {key: folder / name for key, name in {**names, "meta": "meta.json"}.items()}
    ingest_sequences(
        fasta=write(folder / "in.fa", FASTA),
        labels=write(folder / "labels.tsv", LABELS),
        outputs=files,
        alphabet="dna",
        task="binary",
        label_columns=["label"],
        group_column="family",
        allow_ambiguous=True,
        length={"mode": "fixed", "size": 6},
        **options,
    )
    return {key: str(files[key]) for key in ("meta", "ids", "tokens")}


def expression_dataset(folder):
    folder.mkdir()
    files = {key: folder / f"{key}.x" for key in ("ids", "matrix", "genes", "meta")}
    ingest_expression(
        matrix=write(folder / "m.tsv", MATRIX),
        samples=write(folder / "s.tsv", SHEET),
        outputs=files,
        task="binary",
        label_columns=["label"],
        missing="drop_genes",
    )
    return {key: str(files[key]) for key in ("meta", "ids")}


def test_the_summary_counts_items_classes_lengths_and_warns(tmp_path, capsys):
    datasets = {
        "peaks": sequence_dataset(tmp_path / "peaks"),
        "cohort": expression_dataset(tmp_path / "cohort"),
    }
    output = tmp_path / "check.txt"
    summarise_inputs(datasets, {"peaks": False}, output)
    expected = [
        "biodl check: 2 datasets valid, 2 with warnings",
        "peaks (sequences, binary): 7 items",
        "  alphabet DNA (ACGTN), lengths 4–8 (median 5), fixed to 6",
        "  1 record with the ambiguity letter N",
        "  label: neg 3 · pos 4",
        "  3 groups",
        "  warning: 1 record longer than length.size (6) trimmed",
        # g trimmed to six letters is a; e repeats c
        "  warning: 2 records repeat the encoded sequence of another (2 sequences more than once); "
        "they can land in training and test: set split.homology to group them",
        "  warning: label: class 'neg' has 3 items (fewer than 10: its test estimate will be noisy)",
        "  warning: label: class 'pos' has 4 items (fewer than 10: its test estimate will be noisy)",
        "cohort (expression, binary): 4 items",
        "  2 genes, values: counts",
        "  missing values: 1 in 1 gene (policy drop_genes, 1 gene dropped)",
        "  label: A 2 · B 2",
        "  warning: 1 missing values in 1 genes: those genes were dropped (missing: drop_genes)",
        "  warning: label: class 'A' has 2 items (fewer than 10: its test estimate will be noisy)",
        "  warning: label: class 'B' has 2 items (fewer than 10: its test estimate will be noisy)",
    ]
    assert output.read_text().splitlines() == expected
    assert capsys.readouterr().out == output.read_text()


def test_a_homology_split_changes_the_duplicate_advice(tmp_path):
    output = tmp_path / "check.txt"
    summarise_inputs({"peaks": sequence_dataset(tmp_path / "peaks")}, {"peaks": True}, output)
    assert "; the homology split keeps copies in one partition" in output.read_text()
