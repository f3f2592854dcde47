"""The library as a wheel: every module of scripts/biodl is in it, subpackages included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_wheel_holds_every_module_of_the_library(tmp_path):
    # a copy of the project, so that the build folder setuptools makes stays out of the tree
    source = tmp_path / "source"
    (source / "scripts").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "scripts/biodl", source / "scripts/biodl", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("biodl-*.whl")
    packaged = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    library = {str(path.relative_to(ROOT / "scripts")) for path in (ROOT / "scripts/biodl").rglob("*.py")}
    assert packaged == library
    assert {"biodl/models/__init__.py", "biodl/generative/__init__.py", "biodl/io/__init__.py"} <= packaged
    names = zipfile.ZipFile(wheel).namelist()
    assert "biodl/evaluate/templates/report.html.j2" in names
    (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    commands = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[console_scripts]\nbiodl = biodl.apply.command:main" in commands
