"""The ``biodl`` console command: ``biodl apply BUNDLE INPUT -o OUTPUT``.

It needs the package's own requirements only (no Snakemake, no results tree). Bad input ends with
one line on stderr (``biodl: error: ...``), exit status 1 and no output file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from biodl.cli import ERROR_PREFIX
from biodl.errors import UserError


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand, ``apply``."""
    main = argparse.ArgumentParser(prog="biodl", description="Use models trained by the biodl workflow.")
    commands = main.add_subparsers(dest="command", required=True)
    apply = commands.add_parser(
        "apply",
        help="predict new data with a bundle",
        description="Prepare INPUT exactly as the bundle's training data was prepared (same validators, "
        "encoding and normalisation), predict every item and write the predictions as a TSV.",
    )
    apply.add_argument(
        "bundle",
        nargs="+",
        help="a bundle folder (<run>/bundle in the results); several (seeds or folds of one model) are "
        "averaged, with their spread in sd: columns",
    )
    apply.add_argument("input", help="FASTA (sequence models), or expression matrix or .h5ad")
    apply.add_argument("-o", "--output", required=True, help="predictions TSV to write")
    apply.add_argument(
        "--labels", help="a sheet with the training data's id and label columns: adds the truth columns"
    )
    apply.add_argument(
        "--fill-missing-genes",
        action="store_true",
        help="fill genes of the model that the matrix lacks with their training medians (counted in the log)",
    )
    apply.add_argument(
        "--reverse-complement",
        action="store_true",
        help="average each DNA or RNA model's scores over both strands",
    )
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    arguments = parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes would bury the output
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from biodl.apply.predictions import apply_bundle

    try:
        apply_bundle(
            arguments.bundle,
            arguments.input,
            arguments.output,
            labels=arguments.labels,
            fill_missing_genes=arguments.fill_missing_genes,
            reverse_complement_average=arguments.reverse_complement,
        )
    except UserError as error:
        print(f"{ERROR_PREFIX}{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
