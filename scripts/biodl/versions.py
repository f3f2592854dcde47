"""Versions of the software a run used, read from package metadata (nothing is imported to ask)."""

from __future__ import annotations

import platform
from importlib import metadata

import biodl

CLASSICAL = ("numpy", "scipy", "pandas", "scikit-learn", "snakemake")


def package_versions(packages: tuple[str, ...] = CLASSICAL) -> dict[str, str]:
    """Python, biodl and the installed version of each named distribution."""
    versions = {"python": platform.python_version(), "biodl": biodl.__version__}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
