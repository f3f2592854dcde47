"""Convert janggu's pseudo-genome of Oct4 and MafK peaks into a genome-anchored dataset under resources/real/.

Run: ``python resources/vendor_genome.py JANGGU_RESOURCES [out_dir]``, where JANGGU_RESOURCES is the
``janggu/resources`` folder of the janggu 0.10.2 wheel (``pip download --no-deps janggu==0.10.2``,
then unzip it); out_dir defaults to ``resources/real/tfbs_genome``.

The package builds ``pseudo_genome.fa`` by laying its 200-bp ChIP-seq peak centres end to end:
``pseudo1`` holds the training peaks (Oct4 from ``sample.fa``, then MafK from ``sample2.fa``),
``pseudo2`` the test peaks (``sample_test.fa``, then ``sample2_test.fa``). This script finds every
peak of those four files in the pseudo-genome (and stops if one is not where the layout puts it),
writes one BED file per factor whose name column is the peak's mm10 region, copies the package's
``pseudo_snps.vcf`` (six SNVs in and beside an octamer of the third Oct4 peak) and compresses the
genome with BGZF so that it is read through its index. The counts are in ``conversion.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "resources" / "real" / "tfbs_genome"
PEAK = 200
LAYOUT = (  # chromosome, then the peak files laid end to end on it, with the factor of each
    ("pseudo1", (("sample.fa", "Oct4"), ("sample2.fa", "MafK"))),
    ("pseudo2", (("sample_test.fa", "Oct4"), ("sample2_test.fa", "MafK"))),
)


def read_fasta(path: Path) -> list[tuple[str, str]]:
    """(first word of the header, sequence) of every record."""
    records: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.startswith(">"):
            records.append((line[1:].split()[0], []))
        elif line.strip():
            records[-1][1].append(line.strip())
    return [(name, "".join(parts)) for name, parts in records]


def peak_rows(source: Path, genome: dict[str, str]) -> dict[str, list[str]]:
    """BED lines per factor, checking that every peak lies where the pseudo-genome's layout puts it."""
    rows: dict[str, list[str]] = {"Oct4": [], "MafK": []}
    for chromosome, files in LAYOUT:
        offset = 0
        for file_name, factor in files:
            for region, sequence in read_fasta(source / file_name):
                if len(sequence) != PEAK or genome[chromosome][offset : offset + PEAK] != sequence:
                    raise SystemExit(f"{source / file_name}: peak {region} is not at {chromosome}:{offset}")
                rows[factor].append(f"{chromosome}\t{offset}\t{offset + PEAK}\t{region}\t0\t.")
                offset += PEAK
        if offset != len(genome[chromosome]):
            raise SystemExit(
                f"{chromosome}: {len(genome[chromosome]) - offset} bp are not peaks of the layout"
            )
    return rows


def write_bgzf(text: str, path: Path) -> None:
    """BGZF-compressed text (Biopython's writer: every block header fixed, so the bytes repeat)."""
    from Bio import bgzf

    with bgzf.BgzfWriter(str(path), "wb") as handle:
        handle.write(text.encode("ascii"))


def vendor_tfbs_genome(source: Path, out: Path) -> dict:
    """Write genome.fa.gz, Oct4.bed, MafK.bed, variants.vcf and conversion.json under ``out``."""
    genome = dict(read_fasta(source / "pseudo_genome.fa"))
    rows = peak_rows(source, genome)
    out.mkdir(parents=True, exist_ok=True)
    write_bgzf((source / "pseudo_genome.fa").read_text(encoding="ascii"), out / "genome.fa.gz")
    for factor, lines in rows.items():
        (out / f"{factor}.bed").write_text("\n".join(lines) + "\n", encoding="ascii")
    (out / "variants.vcf").write_bytes((source / "pseudo_snps.vcf").read_bytes())
    record = {
        "source": "janggu 0.10.2 wheel, janggu/resources: pseudo_genome.fa, sample.fa, sample2.fa, "
        "sample_test.fa, sample2_test.fa, pseudo_snps.vcf",
        "chromosomes": {name: len(sequence) for name, sequence in genome.items()},
        "peaks": {
            factor: {name: sum(line.startswith(name + "\t") for line in lines) for name, _ in LAYOUT}
            for factor, lines in rows.items()
        },
        "variants": sum(
            1 for line in (out / "variants.vcf").read_text().splitlines() if line and not line.startswith("#")
        ),
    }
    (out / "conversion.json").write_text(
        json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="ascii"
    )
    return record


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    print(
        json.dumps(
            vendor_tfbs_genome(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT),
            indent=2,
        )
    )
