"""The workflow on SLURM: profiles/slurm on a one-node cluster started by .ci/slurm.sh.

The training rule goes through SLURM as a GPU job: the slice keeps ``use_gpu: true``, so
``train`` asks for ``gpu=1``, which the plugin submits as ``--gpus=1``; the cluster's node
has one fake GPU (a GRES backed by /dev/null), and TensorFlow (CPU build) trains on the CPU
as it does in the local run. Training runs with 2 threads, so the test also checks that
SLURM gives the job 2 CPUs: TensorFlow's thread count follows the rule's threads, and the
weights are only bit-identical to the local run's when it is the same.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from test_workflow import SNAKEMAKE, copy_workflow, digests, edit_config, snakemake

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("sbatch") is None,
        reason="SLURM is not installed (sbatch not on PATH); `bash .ci/slurm.sh install` installs it",
    ),
]

CLUSTER_SCRIPT = str(ROOT / ".ci/slurm.sh")
CLUSTER_DIR = Path(os.environ.get("BIODL_SLURM_DIR", "/tmp/biodl-slurm"))
TRAIN_THREADS = 2
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")


def cluster(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", CLUSTER_SCRIPT, command], capture_output=True, text=True, timeout=300)


@pytest.fixture
def slurm_cluster(monkeypatch):
    """A running one-node cluster; stopped afterwards unless it was already running."""
    already_up = cluster("status").returncode == 0
    if not already_up and os.geteuid() != 0:
        pytest.skip("starting the test cluster needs root: run `sudo bash .ci/slurm.sh up` first")
    if not already_up:
        started = cluster("up")
        if started.returncode != 0:
            cluster("down")
            pytest.fail(f"could not start the test cluster:\n{started.stdout}{started.stderr}")
    # talk to this cluster even when /etc/slurm/slurm.conf describes another one
    monkeypatch.setenv("SLURM_CONF", str(CLUSTER_DIR / "slurm.conf"))
    try:
        yield CLUSTER_DIR
    finally:
        if not already_up:
            stopped = cluster("down")
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def small_slice(config: dict) -> None:
    """Two datasets, one short GPU-tagged training run with a two-trial search, and two baselines."""
    config["datasets"] = {name: config["datasets"][name] for name in ("dna_binary", "timecourse_classes")}
    config["models"] = {
        "cnn": {
            "family": "cnn",
            "datasets": ["dna_binary"],
            "training": {"epochs": 1},
            "resources": {"threads": TRAIN_THREADS},
            "search": {  # two trials in one round, then cnn_tuned
                "trials": 2,
                "parallel": 2,
                "startup_trials": 1,
                "space": {"training.learning_rate": {"type": "loguniform", "low": 1e-3, "high": 1e-2}},
            },
        }
    }
    config["baselines"] = {
        "logistic": {"method": "logistic", "datasets": ["dna_binary"]},
        "summary_logistic": {"method": "summary_logistic", "datasets": ["timecourse_classes"]},
    }
    config["evaluation"] = {"resamples": 100, "paired_resamples": 100}
    config["use_gpu"] = True


# Everything up to the comparison tables; the figures and the report add a dozen
# one-figure jobs that test nothing more about the executor.
UNTIL = ["--until", "compare"]


def test_slurm_profile_runs_every_job_on_slurm_with_local_results(tmp_path, slurm_cluster):
    local = copy_workflow(tmp_path / "local")
    cluster_run = copy_workflow(tmp_path / "slurm")
    for workdir in (local, cluster_run):
        edit_config(workdir, small_slice)

    result = snakemake(local, "--cores", "2", *UNTIL)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # The plugin asks sacct for job states by default, and sacct waits forever without an
    # accounting database: poll with squeue (the cluster keeps finished jobs for 10 minutes).
    # Snakemake ignores SIGTERM while it waits on jobs; SIGINT makes it cancel them and stop.
    command = [
        "timeout", "-s", "INT", "-k", "30", "600",
        SNAKEMAKE,
        "--workflow-profile", "profiles/slurm",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-no-account",
        "--slurm-keep-successful-logs",
        "--retries", "0",
        *UNTIL,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=cluster_run, capture_output=True, text=True, timeout=700)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]

    # every job of the run was submitted with sbatch, and left its SLURM log
    planned = int(re.search(r"^total\s+(\d+)\s*$", output, re.MULTILINE).group(1))
    local_jobs = len(re.findall(r"^localrule \w+:", output, re.MULTILINE))
    submitted = SUBMITTED.findall(output)
    assert planned > 10 and len(submitted) == planned - local_jobs, output[-6000:]
    by_rule: dict[str, list[str]] = {}
    for _, slurm_id, log in submitted:
        log = Path(log)
        assert log.is_file() and log.name == f"{slurm_id}.log", log
        rule = log.relative_to(cluster_run / ".snakemake/slurm_logs").parts[0]
        by_rule.setdefault(rule.removeprefix("rule_"), []).append(slurm_id)
    expected = {"train", "ingest_sequences", "split", "baseline", "evaluate_dna_binary", "compare"}
    assert expected <= set(by_rule)
    assert len(by_rule["search_trial"]) == 2 and len(by_rule["search_best"]) == 1

    # the training job asked SLURM for a GPU and got the rule's threads as CPUs
    train_id, _ = by_rule["train"]  # cnn and cnn_tuned
    job = subprocess.run(
        ["scontrol", "show", "job", train_id], capture_output=True, text=True, check=True
    ).stdout
    assert "JobState=COMPLETED" in job, job
    assert re.search(r"TresPerJob=\S*gres:gpu:1\b", job), job
    assert f"NumCPUs={TRAIN_THREADS} " in job and f"CPUs/Task={TRAIN_THREADS} " in job, job
    trial = subprocess.run(
        ["scontrol", "show", "job", by_rule["search_trial"][0]], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"TresPerJob=\S*gres:gpu:1\b", trial), trial  # a trial trains as the model does
    # a CPU rule asked for no GPU
    (ingest_id,) = by_rule["ingest_sequences"]
    ingest = subprocess.run(
        ["scontrol", "show", "job", ingest_id], capture_output=True, text=True, check=True
    ).stdout
    assert "JobState=COMPLETED" in ingest and "gres:gpu" not in ingest, ingest

    run = json.loads((cluster_run / "results/dna_binary/cnn/holdout-s1/run.json").read_text())
    assert run["threads"] == TRAIN_THREADS
    # it asked for a GPU, found none on this node, and says so: the device it really used, a warning
    compute = run["compute"]
    assert compute["gpus_requested"] == 1 and compute["devices"] == ["cpu:0"], compute
    assert compute["warning"] == "asked for 1 GPU(s), the tensorflow backend found none: training on cpu:0"
    tuned = json.loads((cluster_run / "results/dna_binary/cnn_tuned/holdout-s1/run.json").read_text())
    best = json.loads((cluster_run / "results/dna_binary/cnn/search/holdout/best.json").read_text())
    assert (
        tuned["training"]["learning_rate"]
        == best["training"]["learning_rate"]
        == best["params"]["training.learning_rate"]
    )
    assert tuned["config"]["search"]["trial"] == best["trial"]
    journal = "dna_binary/cnn/search/holdout/study.journal"  # the study's log: it holds wall times
    made = {path: digest for path, digest in digests(cluster_run / "results").items() if path != journal}
    assert made == {path: digest for path, digest in digests(local / "results").items() if path != journal}
