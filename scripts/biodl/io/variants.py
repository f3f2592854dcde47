"""Variants from a VCF file (plain or gzipped), checked against the reference genome they are scored on.

Only the first five columns are read (CHROM, POS, ID, REF, ALT), so a small reader with a line
number for every error is used here instead of pysam, whose parser stops on a bad record without
saying which line it was. SNVs and short indels with sequence alleles are accepted; a record with
several ALT alleles is refused (split it first, e.g. ``bcftools norm -m -``).
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from biodl.errors import InputError
from biodl.io.genome import Genome

PathLike = str | os.PathLike
ALLELE = re.compile(r"^[ACGTNacgtn]+$")
MAX_ALLELE = 50  # longer alleles are structural variants, not short indels


@dataclass(frozen=True)
class Variant:
    """One variant: 1-based position as in the VCF, its line, and the name it is reported under."""

    chromosome: str
    position: int
    name: str
    ref: str
    alt: str
    line: int

    @property
    def start(self) -> int:
        """0-based position of the first REF base."""
        return self.position - 1


@dataclass
class VariantFile:
    """The variants of a VCF in file order, and the records skipped on request, by reason."""

    path: Path
    variants: list[Variant]
    skipped: dict[str, int] = field(default_factory=dict)


def _open_text(path: Path):
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_variants(path: PathLike, genome: Genome, *, ref_mismatch: str = "error") -> VariantFile:
    """Read a VCF's variants and check each REF against ``genome``.

    ``ref_mismatch``: ``error`` stops at the first REF that differs from the genome, naming the
    variant and the line; ``skip`` leaves such records out and counts them.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: VCF file not found")
    variants: list[Variant] = []
    skipped = {"ref_mismatch": 0}
    seen_header = False
    with _open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("##") or not line.strip():
                continue
            if line.startswith("#"):
                seen_header = True
                continue
            if not seen_header:
                raise InputError(f"{path}: line {number}: a record before the #CHROM header line")
            variant = _variant_of_line(line, number, path, genome)
            found = genome.slice(variant.chromosome, variant.start, variant.start + len(variant.ref))
            if found != variant.ref:
                if ref_mismatch == "skip":
                    skipped["ref_mismatch"] += 1
                    continue
                raise InputError(
                    f"{path}: line {number}: variant {variant.name}: REF {variant.ref!r} does not match the "
                    f"genome, which has {found!r} at {variant.chromosome}:{variant.position}"
                )
            variants.append(variant)
    if not seen_header:
        raise InputError(f"{path}: not a VCF file (no #CHROM header line)")
    return VariantFile(path, variants, skipped)


def _variant_of_line(line: str, number: int, path: Path, genome: Genome) -> Variant:
    """One data line as a variant, every field checked."""
    at = f"{path}: line {number}"
    fields = line.split("\t")
    if len(fields) < 5:
        raise InputError(f"{at}: a VCF record needs CHROM, POS, ID, REF and ALT separated by tabs")
    chromosome, position_text, identifier, ref, alt = (value.strip() for value in fields[:5])
    try:
        position = int(position_text)
    except ValueError:
        raise InputError(f"{at}: POS must be an integer, not {position_text!r}") from None
    name = identifier if identifier not in ("", ".") else f"{chromosome}:{position}:{ref}>{alt}"
    if chromosome not in genome.sizes:
        raise InputError(
            f"{at}: variant {name}: chromosome {chromosome!r} is not in the genome {genome.path}"
        )
    if "," in alt:
        raise InputError(
            f"{at}: variant {name}: multi-allelic record (ALT {alt}) is not supported; split it into one "
            "record per allele (bcftools norm -m -)"
        )
    for allele, what in ((ref, "REF"), (alt, "ALT")):
        if not ALLELE.match(allele):
            raise InputError(
                f"{at}: variant {name}: {what} {allele!r} is not a sequence of A, C, G, T, N "
                "(symbolic and missing alleles are not scored)"
            )
        if len(allele) > MAX_ALLELE:
            raise InputError(
                f"{at}: variant {name}: {what} is {len(allele)} bp; alleles up to {MAX_ALLELE} bp are scored"
            )
    if ref.upper() == alt.upper():
        raise InputError(f"{at}: variant {name}: ALT equals REF")
    if position < 1 or position - 1 + len(ref) > genome.sizes[chromosome]:
        raise InputError(
            f"{at}: variant {name}: {chromosome}:{position} lies outside {chromosome} "
            f"({genome.sizes[chromosome]} bp)"
        )
    return Variant(chromosome, position, name, ref.upper(), alt.upper(), number)
