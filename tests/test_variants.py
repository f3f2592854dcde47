"""Variant effects: VCF records checked against the genome, reference and alternative windows built
exactly, and the sign of an effect right on a planted motif, through the workflow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from biodl.alphabets import DNA, decode
from biodl.apply.variants import ism_windows, variant_windows
from biodl.errors import InputError
from biodl.io.genome import Genome
from biodl.io.variants import read_variants
from conftest import write
from test_intervals import MOTIF, planted_genome, random_genome, write_bed, write_genome
from test_workflow import copy_workflow, snakemake

HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def vcf(path: Path, records: list[str]) -> Path:
    """A VCF of ``records`` (CHROM … ALT; QUAL, FILTER and INFO are added to complete ones)."""
    lines = [record + ("\t.\t.\t." if record.count("\t") == 4 else "") + "\n" for record in records]
    return write(path, HEADER + "".join(lines))


@pytest.fixture
def genome(tmp_path):
    sequences = random_genome(np.random.default_rng(4), {"chr1": 3000, "chr2": 2000})
    return sequences, Genome(write_genome(tmp_path, sequences))


def test_reference_and_alternative_windows_of_snvs_and_indels(tmp_path, genome):
    sequences, reference = genome
    chr1 = sequences["chr1"].upper()
    base = chr1[999]
    other = "A" if base != "A" else "C"
    records = [
        f"chr1\t1000\tsnv\t{base}\t{other}",
        f"chr1\t1500\tins\t{chr1[1499]}\t{chr1[1499]}GGT",
        f"chr1\t2000\tdel\t{chr1[1999:2004]}\t{chr1[1999]}",
        f"chr1\t20\tedge\t{chr1[19]}\t{other}",  # its 100 bp window would start before chr1
        f"chr2\t1990\tend\t{sequences['chr2'][1989].upper()}\t{other}",
    ]
    found = read_variants(vcf(tmp_path / "v.vcf", records), reference)
    windows = variant_windows(reference, found.variants, 100)
    assert [v.name for v in windows.variants] == ["snv", "ins", "del"] and windows.near_end == 2
    ref = [decode(row, DNA) for row in windows.ref]
    alt = [decode(row, DNA) for row in windows.alt]
    assert ref[0] == chr1[949:1049] and ref[0][50] == base
    assert alt[0] == chr1[949:999] + other + chr1[1000:1049]
    assert alt[1] == (chr1[1449:1499] + chr1[1499] + "GGT" + chr1[1500:])[:100]
    assert alt[2] == chr1[1949:1999] + chr1[1999] + chr1[2004:2053]
    assert all(len(text) == 100 for text in ref + alt)


def test_local_mutagenesis_changes_one_base_to_each_other_base():
    ref = np.array([[1, 2, 3, 4, 5, 1, 2]], dtype=np.uint8)
    mutated, offsets = ism_windows(ref, 3, 2)
    assert offsets.tolist() == [-2, -1, 0, 1, 2]
    assert mutated.shape == (15, 7)
    differing = (mutated != ref).sum(axis=1)
    assert (differing == 1).all()
    at_centre = mutated[6:9, 3]  # the reference T (4) replaced by A, C and G
    assert sorted(at_centre.tolist()) == [1, 2, 3]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("chr1\t1000\trs1\tX\tA", "line 3: variant rs1: REF 'X' is not a sequence of A, C, G, T, N"),
        ("chr1\t1000\trs1\tA\tC,G", "line 3: variant rs1: multi-allelic record (ALT C,G) is not supported"),
        ("chr1\t1000\trs1\tA\t<DEL>", "line 3: variant rs1: ALT '<DEL>' is not a sequence of A, C, G, T, N"),
        ("chr9\t1000\trs1\tA\tC", "line 3: variant rs1: chromosome 'chr9' is not in the genome"),
        ("chr1\tten\trs1\tA\tC", "line 3: POS must be an integer, not 'ten'"),
        ("chr1\t1000", "line 3: a VCF record needs CHROM, POS, ID, REF and ALT separated by tabs"),
        ("chr2\t2001\t.\tA\tC", "line 3: variant chr2:2001:A>C: chr2:2001 lies outside chr2 (2000 bp)"),
    ],
)
def test_bad_records_stop_with_one_line_naming_file_line_and_variant(tmp_path, genome, record, message):
    _, reference = genome
    path = vcf(tmp_path / "bad.vcf", [record])
    with pytest.raises(InputError) as error:
        read_variants(path, reference)
    assert str(error.value).startswith(f"{path}: {message}")


def test_a_ref_mismatch_is_an_error_or_on_request_a_counted_skip(tmp_path, genome):
    sequences, reference = genome
    base = sequences["chr1"][999].upper()
    wrong = "A" if base != "A" else "C"
    path = vcf(
        tmp_path / "v.vcf.gz", [f"chr1\t1000\tgood\t{base}\t{wrong}", f"chr1\t1000\tbad\t{wrong}\t{base}"]
    )
    with pytest.raises(InputError) as error:
        read_variants(path, reference)
    assert str(error.value) == (
        f"{path}: line 4: variant bad: REF {wrong!r} does not match the genome, "
        f"which has {base!r} at chr1:1000"
    )
    found = read_variants(path, reference, ref_mismatch="skip")
    assert [v.name for v in found.variants] == ["good"] and found.skipped == {"ref_mismatch": 1}


@pytest.mark.slow
def test_variants_that_destroy_a_planted_motif_score_large_negative_effects_and_others_near_zero(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    sequences, rows = planted_genome(
        np.random.default_rng(1), {"chr1": 60000, "chr2": 60000, "chr3": 60000}, sites=100
    )
    write_genome(workdir, sequences)
    write_bed(workdir / "sites.bed", rows)
    records = []
    for chromosome, start, _ in rows[:5]:  # the C of TGACTCA
        records.append(f"{chromosome}\t{start + 24}\tin{len(records)}\tC\tA")
    for chromosome, start, _ in rows[5:10]:  # 250 bp from the site, between two sites
        base = sequences[chromosome][start + 269].upper()
        records.append(
            f"{chromosome}\t{start + 270}\tout{len(records)}\t{base}\t{'A' if base != 'A' else 'G'}"
        )
    first = sequences["chr1"][2].upper()
    records.append(f"chr1\t3\tnear_end\t{first}\t{'A' if first != 'A' else 'G'}")
    records.append(f"chr2\t5000\tmismatch\t{'A' if sequences['chr2'][4999].upper() != 'A' else 'C'}\tT")
    vcf(workdir / "variants.vcf", records)
    config = {
        "results": "results",
        "seeds": [1],
        "models": {
            "cnn": {
                "family": "cnn",
                "hparams": {"filters": 16},
                "training": {"epochs": 15, "learning_rate": 0.005},
            }
        },
        "baselines": {"onehot_logistic": {"method": "onehot_logistic"}},
        "datasets": {
            "sites": {
                "kind": "intervals",
                "task": "binary",
                "genome": "genome.fa",
                "regions": {"ap1": "sites.bed"},
                "window": 100,
                "negatives": {"method": "gc_matched", "per_positive": 2},
                "split": {"chromosomes": {"test": ["chr3"]}},
                "variants": {"vcf": "variants.vcf", "ref_mismatch": "skip"},
            }
        },
        "interpret": {"enabled": False},
    }
    (workdir / "config/config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    folder = workdir / "results/sites"
    effects = pd.read_csv(folder / "variants/effects.tsv", sep="\t")
    summary = json.loads((folder / "variants/summary.json").read_text())
    assert summary["scored"] == 10 and summary["skipped"] == {"ref_mismatch": 1, "near_chromosome_end": 1}
    cnn = effects[effects.model == "cnn"].set_index("variant")
    assert set(cnn.output) == {"ap1"} and (cnn.members == 1).all()
    inside, outside = cnn.loc[[f"in{i}" for i in range(5)]], cnn.loc[[f"out{i}" for i in range(5, 10)]]
    assert (inside.ref_score > 0.9).all() and (inside.effect < -3).all()  # log-odds
    assert (outside.effect.abs() < 1).all()
    assert (inside.ism_site < -1).all()  # the variant's base matters where the model reads the motif
    assert (inside.ism_peak_offset.abs() <= len(MOTIF)).all()
    assert set(effects.model) == {"cnn", "onehot_logistic"}
    report = (workdir / "results/report.html").read_text(encoding="utf-8")
    assert "<h3>Genome windows</h3>" in report and "<h3>Variant effects</h3>" in report
    assert "genome windows overlapping another partition&#x27;s" in report
    split = pd.read_csv(folder / "split/split.tsv", sep="\t").merge(
        pd.read_csv(folder / "ingest/ids.tsv", sep="\t"), on="id"
    )
    assert set(split.loc[split.chromosome == "chr3", "partition"]) == {"test"}
    assert "chr3" not in set(split.loc[split.partition != "test", "chromosome"])
