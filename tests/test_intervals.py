"""Genome-anchored datasets: windows equal the genome, background matches, chromosomes stay apart."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from Bio.Seq import Seq
from biodl.alphabets import DNA, decode
from biodl.data.audit import overlapping_windows
from biodl.data.intervals import Windows, gc_fraction, ingest_intervals, overlap_groups
from biodl.data.split import write_split
from biodl.errors import InputError
from biodl.io.genome import Genome, read_regions, window_tokens
from conftest import assert_no_outputs, write

SIZES = {"chr1": 6000, "chr2": 5000, "chr3": 4000}
MOTIF = "TGACTCA"


def random_genome(rng: np.random.Generator, sizes: dict[str, int] = SIZES) -> dict[str, str]:
    """Chromosomes whose GC content drifts along them (0.3 → 0.7), with a few N runs and lower case."""
    genome = {}
    for name, size in sizes.items():
        gc = np.linspace(0.3, 0.7, size)
        at = rng.random(size) >= gc
        letters = np.where(
            at, np.where(rng.random(size) < 0.5, "A", "T"), np.where(rng.random(size) < 0.5, "C", "G")
        )
        letters[size // 2 : size // 2 + 30] = "N"
        text = "".join(letters)
        genome[name] = text[:100].lower() + text[100:]
    return genome


def write_genome(folder: Path, genome: dict[str, str]) -> Path:
    lines = []
    for name, text in genome.items():
        lines.append(f">{name} test chromosome")
        lines += [text[i : i + 60] for i in range(0, len(text), 60)]
    return write(folder / "genome.fa", "\n".join(lines) + "\n")


def write_bed(path: Path, rows: list[tuple]) -> Path:
    return write(path, "".join("\t".join(str(v) for v in row) + "\n" for row in rows))


def outputs_in(folder: Path) -> dict[str, Path]:
    """The ingest files of a sequence dataset (the layout's names) under ``folder``."""
    from biodl.workflow.layout import INGEST_FILES

    return {key: folder / name for key, name in INGEST_FILES["sequences"].items()}


@pytest.fixture
def genome_files(tmp_path):
    rng = np.random.default_rng(7)
    genome = random_genome(rng)
    return genome, write_genome(tmp_path, genome)


def test_windows_equal_independent_slices_on_both_strands_and_at_chromosome_ends(tmp_path, genome_files):
    genome, path = genome_files
    regions = write_bed(
        tmp_path / "peaks.bed",
        [
            ("chr1", 0, 40, ".", 0, "+"),  # centre 20: the window starts 80 bp before chr1
            ("chr1", 2500, 2700, ".", 0, "-"),
            ("chr1", 5950, 6000, ".", 0, "-"),  # reaches past the end of chr1
            ("chr2", 1000, 1300, ".", 0, "."),
            ("chr3", 10, 3990, ".", 0, "+"),
        ],
    )
    outputs = outputs_in(tmp_path / "out")
    ingest_intervals(
        genome=path,
        regions={"peaks": regions},
        outputs=outputs,
        task="multilabel",
        window=200,
        centre="middle",
        negatives={"method": "flanks", "flank": 400},
    )
    index = pd.read_csv(outputs["ids"], sep="\t", dtype={"chromosome": str})
    tokens = np.load(outputs["tokens"])
    assert len(index) > 5
    for row, item in index.iterrows():
        size = len(genome[item.chromosome])
        start, end = int(item.start), int(item.end)
        # an independent slice: the FASTA text, N-padded outside the chromosome, upper case
        text = (
            "N" * max(0, -start)
            + genome[item.chromosome][max(start, 0) : min(end, size)]
            + "N" * max(0, end - size)
        ).upper()
        expected = str(Seq(text).reverse_complement()) if item.strand == "-" else text
        row_tokens = tokens[row]
        letters = "".join("ACGTN"[t - 1] if t else "N" for t in row_tokens)
        assert letters == expected, item.id
        outside = max(0, -start) + max(0, end - size)
        assert (row_tokens == 0).sum() == outside  # padding exactly where the chromosome ends
        assert int(item.length) == 200 - outside
    by_id = index.set_index("id")
    assert by_id.loc["chr1:-80-120(+)", "length"] == 120
    assert by_id.loc["chr1:5875-6075(-)", "length"] == 125
    assert (index.loc[index.origin == "background", "strand"] != "").all()
    assert (np.load(outputs["lengths"]) == index["length"].to_numpy()).all()


def test_window_tokens_match_pyfaidx_for_random_windows(genome_files):
    _, path = genome_files
    reference = Genome(path)
    rng = np.random.default_rng(3)
    chromosomes = np.array(rng.choice(list(SIZES), size=300), dtype=object)
    starts = np.array([rng.integers(-50, SIZES[c]) for c in chromosomes])
    tokens = window_tokens(reference, chromosomes, starts, 64)  # whole chromosomes read
    for chromosome, start, row in zip(chromosomes, starts, tokens):
        inside = reference.slice(chromosome, max(start, 0), min(start + 64, SIZES[chromosome]))
        assert decode(row, DNA) == inside
    # few windows on a chromosome: read window by window, the ends padded as when read whole
    few_chromosomes = np.array(["chr3", "chr3", "chr3"], dtype=object)
    few_starts = np.array([-20, 3980, 100])
    assert np.array_equal(
        window_tokens(reference, few_chromosomes, few_starts, 64),
        window_tokens(reference, np.repeat(few_chromosomes, 100), np.repeat(few_starts, 100), 64)[::100],
    )


def test_bgzf_genome_is_read_and_plain_gzip_is_refused_with_one_line(tmp_path, genome_files):
    from Bio import bgzf

    genome, path = genome_files
    with bgzf.BgzfWriter(str(tmp_path / "genome.bgz.fa.gz"), "wb") as handle:
        handle.write(path.read_bytes())
    assert Genome(tmp_path / "genome.bgz.fa.gz").slice("chr2", 100, 120) == genome["chr2"][100:120].upper()
    write(tmp_path / "plain.fa.gz", path.read_text())
    with pytest.raises(InputError, match=r"plain\.fa\.gz: a compressed genome must be BGZF \(bgzip\)"):
        Genome(tmp_path / "plain.fa.gz")


@pytest.mark.parametrize(
    "lines, message",
    [
        ("chr1\t100\t200\nchr1\t50\t150\n", "line 2: not sorted: chr1:50 comes after chr1:100"),
        (
            "chr1\t100\t200\nchr2\t10\t20\nchr1\t300\t400\n",
            "line 3: not sorted: chr1 appears again after chr2",
        ),
        ("chr1\t100\n", "line 1: a BED line needs chromosome, start and end separated by tabs"),
        ("chr1\tten\t200\n", "line 1: start and end must be integers, not 'ten' and '200'"),
        ("track name=x\nchr1\t300\t200\n", "line 2: region chr1:300-200 needs 0 <= start < end"),
        ("chr1\t1\t2\nchrX\t100\t200\n", "line 2: chromosome 'chrX' is not in the genome"),
        ("chr3\t3900\t4100\n", "line 1: region chr3:3900-4100 ends past the end of chr3 (4000 bp in"),
        ("chr1\t1\t50\t.\t0\t*\n", "line 1: strand '*' must be one of + - ."),
        (
            "chr1\t100\t200\tp\t0\t.\t1\t1\t1\t150\n",
            "line 1: summit offset 150 lies outside the region (100 bp)",
        ),
    ],
)
def test_bad_regions_stop_with_one_line_naming_file_and_line(tmp_path, genome_files, lines, message):
    _, path = genome_files
    bed = write(tmp_path / "bad.bed", lines)
    outputs = outputs_in(tmp_path / "out")
    with pytest.raises(InputError) as error:
        ingest_intervals(
            genome=path,
            regions={"peaks": bed},
            outputs=outputs,
            task="binary",
            window=100,
            negatives={"method": "gc_matched"},
        )
    assert str(error.value).startswith(f"{bed}: {message}")
    assert "\n" not in str(error.value)
    assert_no_outputs(outputs)


def test_narrowpeak_summits_centre_the_windows(tmp_path, genome_files):
    _, path = genome_files
    bed = write_bed(
        tmp_path / "p.narrowPeak",
        [("chr2", 1000, 1400, "p", 0, ".", 1, 1, 1, 50), ("chr2", 3000, 3100, "q", 0, ".", 1, 1, 1, -1)],
    )
    regions = read_regions(bed, Genome(path).sizes, path)
    assert regions.centres(use_summit=True).tolist() == [1050, 3050]
    assert regions.centres(use_summit=False).tolist() == [1200, 3050]


def planted_genome(
    rng: np.random.Generator, sizes: dict[str, int] | None = None, sites: int = 60
) -> tuple[dict[str, str], list[tuple]]:
    """A genome with MOTIF planted at ``sites`` places per chromosome; the sites as BED rows."""
    genome, rows = random_genome(rng, sizes or {"chr1": 60000, "chr2": 50000, "chr3": 40000}), []
    for name in list(genome):
        text = list(genome[name])
        starts = np.sort(rng.choice(np.arange(300, len(text) - 300, 500), size=sites, replace=False))
        for site in starts.tolist():
            text[site : site + len(MOTIF)] = MOTIF
            rows.append((name, site - 20, site + 27))
        genome[name] = "".join(text)
    return genome, rows


def ingest_planted(
    folder: Path, seed: int, negatives: dict, out: str = "out"
) -> tuple[dict, list[tuple], Path]:
    """A planted genome's sites (binary task, 100-bp windows) ingested with ``negatives``: the output
    files, the sites and the BED file."""
    genome, rows = planted_genome(np.random.default_rng(seed))
    path = write_genome(folder, genome)
    bed = write_bed(folder / "sites.bed", rows)
    outputs = outputs_in(folder / out)
    ingest_intervals(
        genome=path, regions={"ap1": bed}, outputs=outputs, task="binary", window=100, negatives=negatives
    )
    return outputs, rows, bed


def test_gc_matched_background_matches_gc_per_chromosome_and_avoids_regions(tmp_path):
    negatives = {"method": "gc_matched", "per_positive": 2, "seed": 5}
    outputs, rows, _ = ingest_planted(tmp_path, 11, negatives)
    index = pd.read_csv(outputs["ids"], sep="\t")
    meta = json.loads(outputs["meta"].read_text())
    background = index[index.origin == "background"]
    positives = index[index.origin == "ap1"]
    assert meta["label_columns"] == ["ap1"] and meta["classes"] == {"ap1": ["0", "1"]}
    assert (positives.ap1 == 1).all() and (background.ap1 == 0).all()
    assert len(background) == 2 * len(positives) - meta["intervals"]["gc_unmatched"]
    assert meta["intervals"]["gc_unmatched"] <= 0.05 * len(background)
    for chromosome in ("chr1", "chr2", "chr3"):  # same chromosome mix and GC, per chromosome
        on = index.chromosome == chromosome
        assert (
            abs((on & (index.origin == "background")).sum() - 2 * (on & (index.origin == "ap1")).sum()) <= 6
        )
        assert (
            abs(
                background.gc[background.chromosome == chromosome].mean()
                - positives.gc[positives.chromosome == chromosome].mean()
            )
            < 0.02
        )
    # uniformly random windows would not match: GC rises along each chromosome and the sites do not follow it
    assert (
        abs(meta["intervals"]["gc"]["background"]["mean"] - meta["intervals"]["gc"]["regions"]["mean"]) < 0.02
    )
    starts = {c: np.array([r[1] for r in rows if r[0] == c]) for c in ("chr1", "chr2", "chr3")}
    for item in background.itertuples():  # no background window overlaps a site
        assert not ((starts[item.chromosome] < item.end) & (starts[item.chromosome] + 47 > item.start)).any()
    from biodl.data.check import dataset_summary  # `snakemake check` says where the windows came from

    summary = dataset_summary("sites", {key: str(path) for key, path in outputs.items()})
    at = next(row for row, line in enumerate(summary) if line.startswith("  windows of 100 bp from "))
    assert summary[at].endswith("around regions of ap1")
    regions, drawn = meta["intervals"]["gc"]["regions"], meta["intervals"]["gc"]["background"]
    assert summary[at + 1] == (
        f"  background: gc_matched; regions {regions['n']:,} windows, mean GC {regions['mean']:.3f}; "
        f"background {drawn['n']:,} windows, mean GC {drawn['mean']:.3f}"
    )
    # the same seed gives the same windows again
    again, _, _ = ingest_planted(tmp_path, 11, negatives, out="again")
    for key in outputs:
        assert outputs[key].read_bytes() == again[key].read_bytes(), key


def test_multiclass_drops_windows_of_two_sets_and_counts_them(tmp_path, genome_files):
    _, path = genome_files
    a = write_bed(tmp_path / "a.bed", [("chr1", 1000, 1200), ("chr2", 2000, 2200)])
    b = write_bed(tmp_path / "b.bed", [("chr1", 1050, 1250), ("chr3", 500, 700)])
    outputs = outputs_in(tmp_path / "out")
    ingest_intervals(
        genome=path,
        regions={"a": a, "b": b},
        outputs=outputs,
        task="multiclass",
        window=100,
        negatives={"method": "flanks", "flank": 1000},
    )
    index = pd.read_csv(outputs["ids"], sep="\t")
    meta = json.loads(outputs["meta"].read_text())
    assert meta["intervals"]["ambiguous_dropped"] == 2  # chr1's two windows each cover the other set
    assert sorted(index.label.unique()) == ["a", "b", "background"]
    assert index.loc[index.origin != "background", "id"].tolist() == ["chr2:2050-2150(.)", "chr3:550-650(.)"]


def test_overlapping_windows_share_a_group_and_the_audit_counts_crossings():
    windows = Windows(
        np.array(["chr1", "chr1", "chr1", "chr2", "chr1"], dtype=object),
        np.array([0, 150, 400, 0, 240]),
        np.array(["."] * 5, dtype=object),
        np.array(["a"] * 5, dtype=object),
    )
    groups = overlap_groups(windows, 200)
    assert groups[0] == groups[1] == groups[4] == groups[2]  # 0-200, 150-350, 240-440, 400-600 chain
    assert groups[3] != groups[0]
    ends = windows.starts + 200
    crossing = overlapping_windows(
        windows.chromosomes, windows.starts, ends, np.array(["train", "train", "test", "test", "valid"])
    )
    assert crossing["count"] == 3  # train 150-350 / valid 240-440 / test 400-600 overlap across partitions
    clean = overlapping_windows(
        windows.chromosomes, windows.starts, ends, np.array(["train", "train", "train", "test", "train"])
    )
    assert clean == {"count": 0, "example": None}


def split_settings(**extra) -> dict:
    """The split settings of a dataset as the resolved config has them (schema defaults filled in)."""
    from biodl.workflow.config import resolve_config

    dataset = {"kind": "expression", "task": "binary", "matrix": "m.tsv", "split": extra}
    return resolve_config({"results": "r", "datasets": {"d": dataset}})["datasets"]["d"]["split"]


def test_chromosome_split_keeps_every_test_chromosome_out_of_training(tmp_path):
    # flank windows overlap their positives
    outputs, _, bed = ingest_planted(tmp_path, 2, {"method": "flanks", "flank": 80}, out="ingest")
    files = {
        "split_path": tmp_path / "split.tsv",
        "balance_path": tmp_path / "balance.tsv",
        "report_path": tmp_path / "report.json",
    }

    def split_by(test: list[str]) -> None:
        write_split(
            index_path=outputs["ids"],
            task="binary",
            label_columns=["ap1"],
            source=bed,
            tokens_path=outputs["tokens"],
            vocabulary="ACGTN",
            alphabet_size=4,
            settings=split_settings(chromosomes={"test": test, "valid": []}),
            **files,
        )

    split_by(["chr3"])
    index = pd.read_csv(outputs["ids"], sep="\t").merge(pd.read_csv(files["split_path"], sep="\t"), on="id")
    assert set(index.loc[index.chromosome == "chr3", "partition"]) == {"test"}
    assert set(index.loc[index.chromosome != "chr3", "partition"]) == {"train", "valid"}
    report = json.loads(files["report_path"].read_text())
    assert report["method"] == "by chromosome"
    assert report["audit"]["units"]["holdout"]["overlapping_windows"]["count"] == 0
    # validation drawn from the training chromosomes keeps overlapping windows (site and flanks) together
    for group in index.group.unique():
        assert index.loc[index.group == group, "partition"].nunique() == 1
    with pytest.raises(InputError, match=r"split.chromosomes.test names 'chrY', which holds no window"):
        split_by(["chrY"])


def test_gc_fraction_counts_unambiguous_bases_only():
    tokens = np.array([[1, 2, 3, 4], [2, 3, 5, 0], [5, 5, 0, 0]], dtype=np.uint8)
    gc = gc_fraction(tokens)
    assert gc[0] == 0.5 and gc[1] == 1.0 and np.isnan(gc[2])


def interval_config(**dataset) -> dict:
    settings = {
        "kind": "intervals",
        "task": "binary",
        "genome": "g.fa",
        "regions": {"ap1": "a.bed"},
        "window": 100,
    }
    return {"results": "r", "models": {}, "baselines": {}, "datasets": {"sites": {**settings, **dataset}}}


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ({}, "datasets.sites: a binary task on one region set needs background windows (negatives.method)"),
        (
            {"task": "multiclass", "regions": {"a": "a.bed", "b": "b.bed"}},
            "datasets.sites: a multiclass task needs three classes: region sets, and background when drawn",
        ),
        (
            {
                "negatives": {"method": "flanks"},
                "split": {"chromosomes": {"test": ["chr1"], "valid": ["chr1"]}},
            },
            "datasets.sites: split.chromosomes: 'chr1' is named for both test and valid",
        ),
        ({"window": 4}, "datasets.sites.window: 4 is less than the minimum of 8"),
        (
            {"task": "regression"},
            "datasets.sites: a regression task takes its targets from bigWig tracks (key 'tracks')",
        ),
        (
            {"task": "regression", "tracks": {"s": "s.bw"}, "track_bins": 3},
            "datasets.sites: track_bins: 3 bins do not divide a window of 100 bp",
        ),
        ({"negatives": {"method": "shuffle"}}, "datasets.sites.negatives.method: 'shuffle' is not one of"),
    ],
)
def test_broken_interval_configs_are_refused_naming_the_key(dataset, message):
    from biodl.workflow.config import check_config

    with pytest.raises(InputError) as error:
        check_config(interval_config(**dataset))
    assert str(error.value).startswith(f"config: {message}")


def test_an_interval_dataset_resolves_to_dna_windows_of_its_width():
    from biodl.workflow.config import check_config, resolve_config

    config = resolve_config(interval_config(negatives={"method": "gc_matched"}, window=150))
    dataset = config["datasets"]["sites"]
    assert dataset["kind"] == "sequences" and dataset["alphabet"] == "dna" and dataset["allow_ambiguous"]
    assert dataset["length"] == {"mode": "fixed", "size": 150, "pad": "right", "trim": "right"}
    assert dataset["label_columns"] == ["ap1"]
    assert dataset["intervals"]["negatives"]["per_positive"] == 1
    assert resolve_config(copy.deepcopy(config)) == config  # resolving again changes nothing
    plain = interval_config()
    plain["datasets"]["sites"] = {
        "kind": "sequences",
        "task": "binary",
        "alphabet": "dna",
        "fasta": "x.fa",
        "labels": "x.tsv",
        "split": {"chromosomes": {"test": ["chr1"]}},
    }
    with pytest.raises(InputError, match=r"split\.chromosomes applies to datasets of kind 'intervals' only"):
        check_config(plain)


@pytest.mark.parametrize(
    ("alphabet", "task", "message"),
    [
        ("protein", "binary", "augment.reverse_complement needs a DNA or RNA alphabet"),
        ("dna", "per_position", "augment changes whole sequences: it does not apply to task 'per_position'"),
    ],
)
def test_augmentation_is_refused_where_it_cannot_apply(alphabet, task, message):
    from biodl.workflow.config import check_config

    dataset = {"kind": "sequences", "task": task, "alphabet": alphabet, "fasta": "x.fa", "labels": "x.tsv"}
    dataset.update(
        augment={"reverse_complement": True}, position_classes="HEC" if task == "per_position" else None
    )
    config = {"results": "r", "models": {}, "baselines": {}, "datasets": {"d": dataset}}
    with pytest.raises(InputError) as error:
        check_config(config)
    assert str(error.value) == f"config: datasets.d: {message}"


def write_track(path: Path, values: dict[str, np.ndarray]) -> Path:
    """A bigWig of per-base values (pyBigWig), NaN left without data."""
    import pyBigWig

    track = pyBigWig.open(str(path), "w")
    track.addHeader([(name, len(v)) for name, v in values.items()])
    for name, v in values.items():
        covered = np.flatnonzero(~np.isnan(v))
        track.addEntries(name, int(covered[0]), values=v[covered].astype(np.float64), span=1, step=1)
    track.close()
    return path


def test_bigwig_tracks_give_window_means_and_binned_profiles_on_the_window_strand(tmp_path, genome_files):
    _, path = genome_files
    rng = np.random.default_rng(9)
    signal = {name: rng.random(size) * 10 for name, size in SIZES.items()}
    signal["chr3"][:500] = np.nan  # no data there: read as 0
    track = write_track(tmp_path / "signal.bw", signal)
    bed = write_bed(
        tmp_path / "r.bed",
        [("chr1", 1000, 1100, ".", 0, "+"), ("chr2", 2000, 2100, ".", 0, "-"), ("chr3", 0, 60)],
    )
    for bins in (None, 4):
        outputs = outputs_in(tmp_path / f"out{bins}")
        ingest_intervals(
            genome=path,
            regions={"peaks": bed},
            outputs=outputs,
            task="regression",
            window=80,
            centre="middle",
            tracks={"signal": track},
            track_bins=bins,
        )
        index = pd.read_csv(outputs["ids"], sep="\t").set_index("id")
        expected = {
            "chr1:1010-1090(+)": signal["chr1"][1010:1090],
            "chr2:2010-2090(-)": signal["chr2"][2010:2090][::-1],
            "chr3:-10-70(.)": np.concatenate([np.zeros(10), np.nan_to_num(signal["chr3"][0:70])]),
        }
        for name, values in expected.items():
            if bins is None:
                assert index.loc[name, "signal"] == pytest.approx(values.mean(), abs=1e-5)
            else:
                got = [index.loc[name, f"signal.{i}"] for i in range(4)]
                assert got == pytest.approx(values.reshape(4, 20).mean(axis=1), abs=1e-5)
        meta = json.loads(outputs["meta"].read_text())
        assert meta["classes"] == {} and meta["intervals"]["tracks"]["bins"] == bins
    other = write_track(tmp_path / "other.bw", {"1": np.ones(6000)})
    with pytest.raises(
        InputError, match=r"other\.bw: chromosome 'chr1' of the genome is not in the track \(it has 1\)"
    ):
        ingest_intervals(
            genome=path,
            regions={"peaks": bed},
            outputs=outputs_in(tmp_path / "bad"),
            task="regression",
            window=80,
            tracks={"signal": other},
        )


def test_shuffled_background_keeps_dinucleotides_and_stays_with_its_window(tmp_path):
    outputs, _, _ = ingest_planted(tmp_path, 4, {"method": "shuffled", "per_positive": 2, "seed": 1})
    index = pd.read_csv(outputs["ids"], sep="\t")
    tokens = np.load(outputs["tokens"])
    shuffled = index[index.id.str.contains("~shuffle")]
    assert len(shuffled) == 2 * (index.origin == "ap1").sum() and (shuffled.ap1 == 0).all()
    by_id = {name: row for row, name in enumerate(index.id)}
    destroyed = 0
    for item in shuffled.itertuples():
        source = by_id[item.id.split("~")[0]]
        original, copy = tokens[source], tokens[item.Index]
        pairs = lambda row: sorted(zip(row[:-1].tolist(), row[1:].tolist()))  # noqa: E731
        assert pairs(copy) == pairs(original) and copy[0] == original[0] and copy[-1] == original[-1]
        assert item.group == index.group[source] and item.gc == index.gc[source]
        destroyed += MOTIF not in decode(copy, DNA)
    assert destroyed >= 0.9 * len(shuffled)
    assert len(set(map(bytes, tokens[shuffled.index]))) == len(shuffled)  # two different copies per window


def test_dinucleotide_shuffle_keeps_every_dinucleotide_count_and_both_ends():
    from biodl.data.encode import dinucleotide_shuffle

    rng = np.random.default_rng(0)
    for length in (3, 4, 30, 300):
        for draw in range(50):
            tokens = rng.integers(1, 6, size=length).astype(np.uint8)
            shuffled = dinucleotide_shuffle(tokens, np.random.default_rng(draw))
            assert np.array_equal(np.sort(shuffled), np.sort(tokens))
            assert sorted(itertools.pairwise(tokens)) == sorted(itertools.pairwise(shuffled))
            assert shuffled[0] == tokens[0] and shuffled[-1] == tokens[-1]
    long = rng.integers(1, 5, size=1000).astype(np.uint8)
    assert np.mean(dinucleotide_shuffle(long, np.random.default_rng(1)) != long) > 0.6
    assert np.array_equal(
        dinucleotide_shuffle(long, np.random.default_rng(1)),
        dinucleotide_shuffle(long, np.random.default_rng(1)),
    )
