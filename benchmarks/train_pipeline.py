"""Benchmark: biodl's training input pipeline against a plain ``model.fit`` on a float32 one-hot array.

Four methods train the same CNN (biodl's ``cnn`` family) on the same planted-motif
DNA sequences, each in a fresh subprocess with TensorFlow pinned to one thread:

- plain: ``np.eye(4)[tokens - 1]`` as a float32 array in memory, the CNN built for
  float ``series`` input (no OneHot layer), ``model.fit(x, y, shuffle=True)``;
- control: the same plain fit on the uint8 tokens in memory with the OneHot model,
  which separates the cost of one-hot encoding inside the model from ``Batches``;
- biodl pipeline: ``Batches`` over the uint8 tokens opened with ``mmap_mode="r"``,
  the CNN built for ``tokens`` (OneHot inside), one ``model.fit`` call;
- biodl train(): the whole routine (one fit call per epoch, a small validation
  partition, cosine schedule, checkpoints, history and run.json).

    python benchmarks/train_pipeline.py            # 50,000 × 200 bp, 2 epochs, 3 repeats
    python benchmarks/train_pipeline.py --quick    # 5,000 × 200 bp, smoke run
    python benchmarks/train_pipeline.py --env MALLOC_TOP_PAD_=268435456   # workers with a malloc setting

Peak RSS is VmHWM from /proc/self/status; it is reset (``/proc/self/clear_refs``)
just before training, so "while training" excludes building the input arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"
MB = 1e6
SEED = 7
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
MOTIF = np.array([4, 3, 1, 2, 4], dtype=np.uint8)  # TGACT
METHODS = ("plain", "tokens", "pipeline", "train")
LABELS = {
    "plain": "plain fit, float32 one-hot in memory",
    "tokens": "control: plain fit, uint8 tokens in memory + OneHot",
    "pipeline": "biodl Batches (mmap uint8) + OneHot, one fit",
    "train": "biodl train(), whole call",
    "train_loop": "biodl train(), epoch loop only",
}


@dataclass(frozen=True)
class Setup:
    """What every worker trains on and how."""

    n_train: int
    n_valid: int
    length: int
    epochs: int
    filters: int
    kernel_size: int

    @property
    def folder(self) -> Path:
        """Where the generated dataset lives (git-ignored)."""
        return DATA_DIR / f"train-pipeline-{self.n_train}+{self.n_valid}x{self.length}"

    @property
    def hparams(self) -> dict:
        """Hyper-parameters of the cnn family; the rest keep their defaults."""
        return {"filters": self.filters, "kernel_size": self.kernel_size}


# --------------------------------------------------------------------------- data


def planted_tokens(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random DNA tokens (1..4); even rows ('yes') carry the motif at a random position."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 5, size=(n, length), dtype=np.uint8)
    yes = np.arange(0, n, 2)
    starts = rng.integers(0, length - len(MOTIF), size=len(yes))
    tokens[yes[:, None], starts[:, None] + np.arange(len(MOTIF))] = MOTIF
    return tokens, np.where(np.arange(n) % 2 == 0, "yes", "no")


def ingest_files(folder: Path) -> dict[str, Path]:
    """The files ``load_items`` reads."""
    names = {"ids": "ids.tsv", "meta": "meta.json", "tokens": "tokens.npy", "split": "split.tsv"}
    return {key: folder / name for key, name in names.items()}


def prepare(setup: Setup) -> dict[str, Path]:
    """Write the ingest files (tokens, ids, meta, holdout split) unless they already exist.

    The last ``n_valid`` rows form the validation partition; there is no test partition.
    """
    from biodl.io.outputs import save_array, save_json

    files = ingest_files(setup.folder)
    if all(path.exists() for path in files.values()):
        return files
    setup.folder.mkdir(parents=True, exist_ok=True)
    n = setup.n_train + setup.n_valid
    tokens, labels = planted_tokens(n, setup.length, SEED)
    ids = [f"s{i}" for i in range(n)]
    pd.DataFrame({"id": ids, "label": labels}).to_csv(files["ids"], sep="\t", index=False)
    meta = {"label_columns": ["label"], "classes": {"label": ["no", "yes"]}, "vocabulary": "ACGT"}
    save_json(files["meta"], meta)
    partition = np.where(np.arange(n) < setup.n_train, "train", "valid")
    pd.DataFrame({"id": ids, "partition": partition}).to_csv(files["split"], sep="\t", index=False)
    save_array(files["tokens"], tokens)
    return files


def warm_cache(path: Path) -> None:
    """Read a file once so every worker maps it from the page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


# ----------------------------------------------------------------------- measuring


def proc_status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024 / MB


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Stopwatch:
    """Wall seconds of every call of wrapped callables, by label."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}

    def wrap(self, owner: object, name: str, label: str) -> None:
        """Replace ``owner.name`` by a version that records its run time under ``label``."""
        original = getattr(owner, name)
        calls = self.calls.setdefault(label, [])

        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                calls.append(time.perf_counter() - start)

        setattr(owner, name, timed)

    def totals(self) -> dict[str, float]:
        """Summed seconds per label."""
        return {label: sum(calls) for label, calls in self.calls.items()}


class FitClock:
    """Times every ``keras.Model.fit`` call: its set-up, each epoch and its tear-down.

    Set-up runs from the call to ``on_train_begin`` (data adapter, iterators),
    tear-down from ``on_train_end`` to the return. The clock's callback comes last,
    so an epoch includes validation and the other callbacks' ``on_epoch_end``.
    """

    def __init__(self) -> None:
        self.setup: list[float] = []
        self.epochs: list[float] = []
        self.teardown: list[float] = []

    def install(self) -> None:
        """Wrap ``keras.Model.fit`` for this process."""
        import keras

        original = keras.Model.fit

        def fit(model: keras.Model, *args: object, **kwargs: object) -> object:
            marks: dict[str, float] = {}
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), self.callback(marks)]
            start = time.perf_counter()
            try:
                return original(model, *args, **kwargs)
            finally:
                self.setup.append(marks["train_begin"] - start)
                self.teardown.append(time.perf_counter() - marks["train_end"])

        keras.Model.fit = fit

    def callback(self, marks: dict[str, float]) -> object:
        """A callback that stamps train begin/end into ``marks`` and appends epoch seconds."""
        import keras

        epochs = self.epochs

        class Clock(keras.callbacks.Callback):
            def on_train_begin(self, logs: dict | None = None) -> None:
                marks["train_begin"] = time.perf_counter()

            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                marks["epoch_begin"] = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                epochs.append(time.perf_counter() - marks["epoch_begin"])

            def on_train_end(self, logs: dict | None = None) -> None:
                marks["train_end"] = time.perf_counter()

        return Clock()

    def summary(self) -> dict:
        """Seconds per part, for the worker's result."""
        return {
            "fit_calls": len(self.setup),
            "fit_setup_seconds": sum(self.setup),
            "fit_teardown_seconds": sum(self.teardown),
            "epoch_seconds": self.epochs,
        }


def timed(run: Callable[[], object]) -> dict:
    """Wall and CPU seconds of ``run()`` and the RSS before and at its peak."""
    before = proc_status_mb("VmRSS")
    peak_before = proc_status_mb("VmHWM")
    reset = reset_peak_rss()
    usage, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    run()
    seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    peak = proc_status_mb("VmHWM")
    return {
        "seconds": seconds,
        "user_seconds": after.ru_utime - usage.ru_utime,
        "system_seconds": after.ru_stime - usage.ru_stime,
        "minor_faults": after.ru_minflt - usage.ru_minflt,
        "rss_before_mb": before,
        "peak_rss_mb": max(peak, peak_before),
        "peak_rss_training_mb": peak if reset else float("nan"),
    }


# -------------------------------------------------------------------------- methods


def compiled(model: object) -> object:
    """The model compiled as ``biodl.train.loop.train`` compiles it (Adam, task loss)."""
    import keras
    from biodl.models.layers import loss_for
    from biodl.specs import TaskSpec

    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=loss_for(TaskSpec("binary", 1)))
    return model


def load(files: dict[str, Path]) -> object:
    """biodl's partitions over the mmap'ed tokens (class weights off, as in the plain fit)."""
    from biodl.train.loaders import load_items

    return load_items(
        "sequences",
        "binary",
        files,
        inputs_path=files["tokens"],
        split_path=files["split"],
        unit="holdout",
        balance_classes=False,
    )


def run_plain(setup: Setup, files: dict[str, Path]) -> dict:
    """Float32 one-hot array in memory, CNN on float input, plain fit."""
    from biodl.models import build
    from biodl.specs import InputSpec, TaskSpec

    tokens = np.load(files["tokens"])[: setup.n_train]
    x = np.eye(4, dtype=np.float32)[tokens - 1]
    labels = pd.read_csv(files["ids"], sep="\t")["label"].to_numpy()[: setup.n_train]
    y = (labels == "yes").astype(np.float32)
    del tokens, labels
    start = time.perf_counter()
    model = compiled(
        build("cnn", InputSpec("series", (setup.length, 4)), TaskSpec("binary", 1), **setup.hparams)
    )
    build_seconds = time.perf_counter() - start
    fit = lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=setup.epochs, shuffle=True, verbose=0)  # noqa: E731
    return {**timed(fit), "build_seconds": build_seconds, "input_mb": x.nbytes / MB}


def run_tokens(setup: Setup, files: dict[str, Path]) -> dict:
    """uint8 tokens fully in memory, CNN with OneHot inside, plain fit."""
    from biodl.models import build
    from biodl.specs import InputSpec, TaskSpec

    x = np.load(files["tokens"])[: setup.n_train]
    labels = pd.read_csv(files["ids"], sep="\t")["label"].to_numpy()[: setup.n_train]
    y = (labels == "yes").astype(np.float32)
    start = time.perf_counter()
    model = compiled(
        build("cnn", InputSpec("tokens", (setup.length,), 4), TaskSpec("binary", 1), **setup.hparams)
    )
    build_seconds = time.perf_counter() - start
    fit = lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=setup.epochs, shuffle=True, verbose=0)  # noqa: E731
    return {**timed(fit), "build_seconds": build_seconds, "input_mb": x.nbytes / MB}


def run_pipeline(setup: Setup, files: dict[str, Path]) -> dict:
    """``Batches`` over mmap'ed uint8 tokens, CNN with OneHot inside, one fit call."""
    from biodl.models import build
    from biodl.train.batches import Batches

    data = load(files)
    batches = Batches(data.partitions["train"], BATCH_SIZE, shuffle=True, seed=SEED)
    start = time.perf_counter()
    model = compiled(build("cnn", data.spec, data.task, **setup.hparams))
    build_seconds = time.perf_counter() - start
    fit = lambda: model.fit(batches, epochs=setup.epochs, shuffle=False, verbose=0)  # noqa: E731
    mapped = np.load(files["tokens"], mmap_mode="r")
    return {**timed(fit), "build_seconds": build_seconds, "input_mb": mapped.nbytes / MB}


def run_train(setup: Setup, files: dict[str, Path]) -> dict:
    """``biodl.train.loop.train`` end to end; its parts are timed by wrapping them."""
    import biodl.train.loop as training
    import keras

    data = load(files)
    out = setup.folder / f"run-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    watch = Stopwatch()
    watch.wrap(training, "build", "build_seconds")
    watch.wrap(training, "_fit", "loop_seconds")
    watch.wrap(keras.Model, "evaluate", "validation_seconds")
    watch.wrap(training.RunState, "on_epoch_end", "epoch_end_seconds")
    settings = {"epochs": setup.epochs, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE}

    def run() -> None:
        training.train(
            data,
            "cnn",
            hparams=setup.hparams,
            training=settings,
            seed=SEED,
            threads=1,
            model_path=out / "model.keras",
            history_path=out / "history.tsv",
            run_path=out / "run.json",
        )

    result = timed(run)
    shutil.rmtree(out)
    mapped = np.load(files["tokens"], mmap_mode="r")
    return {
        **result,
        **watch.totals(),
        "input_mb": mapped.nbytes / MB,
    }


RUNNERS: dict[str, Callable[[Setup, dict[str, Path]], dict]] = {
    "plain": run_plain,
    "tokens": run_tokens,
    "pipeline": run_pipeline,
    "train": run_train,
}


def worker(method: str, setup: Setup) -> dict:
    """Run one method once in this process (TensorFlow pinned to one thread first)."""
    from biodl.train.loop import configure_runtime

    configure_runtime(SEED, 1)
    clock = FitClock()
    clock.install()
    return {**RUNNERS[method](setup, ingest_files(setup.folder)), **clock.summary()}


# ---------------------------------------------------------------------- orchestration


def spawn(method: str, setup: Setup, extra_env: dict[str, str]) -> dict:
    """Run one method in a fresh interpreter and return its measurements."""
    command = [sys.executable, __file__, "--worker", method, "--setup", json.dumps(asdict(setup))]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **extra_env}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        sys.exit(f"worker {method} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(setup: Setup, repeats: int, extra_env: dict[str, str]) -> dict[str, list[dict]]:
    """Repeats of every method, interleaved, each in its own subprocess."""
    runs: dict[str, list[dict]] = {method: [] for method in METHODS}
    for rep in range(repeats):
        for method in METHODS:
            runs[method].append(spawn(method, setup, extra_env))
            print(f"  repeat {rep + 1}, {method}: {runs[method][-1]['seconds']:.1f} s", file=sys.stderr)
    runs["train_loop"] = [{**run, "seconds": run["loop_seconds"]} for run in runs["train"]]
    return runs


def median(runs: list[dict], key: str) -> float:
    """Median of one measurement over runs."""
    return statistics.median(run[key] for run in runs)


def rate(runs: list[dict], setup: Setup) -> float:
    """Training samples per second: n_train × epochs / median seconds."""
    return setup.n_train * setup.epochs / median(runs, "seconds")


def main_rows(runs: dict[str, list[dict]], setup: Setup) -> Iterator[str]:
    """Markdown rows of the main table, one per method (medians over runs; peaks are maxima)."""
    plain = rate(runs["plain"], setup)
    for method, done in runs.items():
        seconds = [run["seconds"] for run in done]
        speed = rate(done, setup)
        yield (
            f"| {LABELS[method]} | {len(done)} | {statistics.median(seconds):.1f} "
            f"| {min(seconds):.1f}–{max(seconds):.1f} | {speed:,.0f} | {speed / plain:.2f}× "
            f"| {median(done, 'user_seconds'):.1f} | {median(done, 'system_seconds'):.1f} "
            f"| {median(done, 'minor_faults') / 1000:,.0f} | {done[0]['input_mb']:.0f} "
            f"| {median(done, 'rss_before_mb'):.0f} | {max(r['peak_rss_training_mb'] for r in done):.0f} "
            f"| {max(r['peak_rss_mb'] for r in done):.0f} |"
        )


MAIN_HEADER = (
    "| method | runs | median s | spread s (min–max) | samples/s | vs plain | user CPU s | system CPU s "
    "| minor page faults (k) | input array MB | RSS before MB | peak RSS while training MB | peak RSS MB |\n"
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def fit_rows(runs: dict[str, list[dict]]) -> Iterator[str]:
    """Markdown rows: model build, fit set-up, each epoch and tear-down (medians over runs)."""
    for method in METHODS:
        done = runs[method]
        per_epoch = [statistics.median(values) for values in zip(*(run["epoch_seconds"] for run in done))]
        cells = ", ".join(f"{value:.1f}" for value in per_epoch)
        setup, teardown = median(done, "fit_setup_seconds"), median(done, "fit_teardown_seconds")
        yield (
            f"| {LABELS[method]} | {median(done, 'build_seconds'):.2f} | {done[0]['fit_calls']} "
            f"| {setup:.2f} | {cells} | {teardown:.2f} |"
        )


def train_parts(run: dict) -> dict[str, float]:
    """One train() call split into parts that add up to its wall time."""
    epochs = sum(run["epoch_seconds"])
    fit = run["fit_setup_seconds"] + epochs + run["fit_teardown_seconds"]
    training = epochs - run["validation_seconds"] - run["epoch_end_seconds"]
    return {
        "model build + compile": run["build_seconds"],
        "fit set-up and tear-down (one fit call per epoch)": fit - epochs,
        "epochs: training steps (incl. the schedule and NaN-guard callbacks)": training,
        "epochs: validation (Model.evaluate)": run["validation_seconds"],
        "epochs: RunState.on_epoch_end (save best and last .keras, history, state)": run["epoch_end_seconds"],
        "between fit calls (set_epoch, loop)": run["loop_seconds"] - fit,
        "after the loop (final model file, history, run.json, remove checkpoint)": (
            run["seconds"] - run["build_seconds"] - run["loop_seconds"]
        ),
    }


def breakdown_rows(runs: list[dict]) -> Iterator[str]:
    """Markdown rows splitting a train() call into its parts (median of each part over runs)."""
    parts = [train_parts(run) for run in runs]
    total = median(runs, "seconds")
    yield f"| whole train() call | {total:.2f} | 100.0% |"
    for name in parts[0]:
        seconds = statistics.median(part[name] for part in parts)
        yield f"| {name} | {seconds:.2f} | {100 * seconds / total:.1f}% |"


def package_version(*names: str) -> str:
    """Installed version of the first of ``names`` that is installed."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(extra_env: dict[str, str]) -> str:
    """One line describing the machine, library versions and the workers' malloc settings."""
    with open("/proc/cpuinfo") as handle:
        models = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
    env = {**os.environ, **extra_env}
    malloc = {key: value for key, value in env.items() if key.startswith(("MALLOC_", "GLIBC_"))}
    return (
        f"{os.cpu_count()} cores, {models[0] if models else platform.processor()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"TensorFlow {package_version('tensorflow-cpu', 'tensorflow')}, "
        f"Keras {package_version('keras')}; glibc malloc: "
        f"{malloc or 'default (no MALLOC_*/GLIBC_TUNABLES set)'}; load average before: {load_average()}"
    )


def report(setup: Setup, runs: dict[str, list[dict]]) -> None:
    """Print the three markdown tables."""
    print(f"\n{MAIN_HEADER}")
    for row in main_rows(runs, setup):
        print(row)
    print("\nModel build and each fit call's parts, median seconds (train(): one fit call per epoch):\n")
    print(
        "| method | build + compile s | fit calls | fit set-up s (all calls) | epoch s (1st, 2nd, …) "
        "| fit tear-down s (all calls) |\n|---|--:|--:|--:|---|--:|"
    )
    for row in fit_rows(runs):
        print(row)
    print(f"\nWhere a biodl train() call spends its time ({setup.n_valid:,} validation rows):\n")
    print("| part | median s | share |\n|---|--:|--:|")
    for row in breakdown_rows(runs["train"]):
        print(row)


def parse() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 sequences, 1 repeat: a smoke run")
    parser.add_argument("--n", type=int, default=50_000, help="training sequences")
    parser.add_argument("--valid", type=int, default=640, help="validation sequences (train() only)")
    parser.add_argument("--length", type=int, default=200, help="sequence length")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--filters", type=int, default=16, help="cnn filters")
    parser.add_argument("--kernel-size", type=int, default=9, help="cnn kernel size")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="environment variable for the workers"
    )
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    """Entry point: worker mode with --worker, otherwise the whole benchmark."""
    args = parse()
    if args.worker:
        print(json.dumps(worker(args.worker, Setup(**json.loads(args.setup)))))
        return
    if args.quick:
        args.n, args.valid, args.repeats = 5_000, 128, 1
    setup = Setup(args.n, args.valid, args.length, args.epochs, args.filters, args.kernel_size)
    extra_env = dict(item.split("=", 1) for item in args.env)
    files = prepare(setup)
    warm_cache(files["tokens"])
    print(f"Machine: {machine(extra_env)}")
    print(
        f"Setup: {setup.n_train:,} train + {setup.n_valid:,} valid sequences × {setup.length} bp, "
        f"{setup.epochs} epochs, batch {BATCH_SIZE}, cnn {setup.hparams}, seed {SEED}, 1 TensorFlow thread; "
        f"{args.repeats} repeats, methods interleaved, each run a fresh subprocess.",
        flush=True,
    )
    runs = measure(setup, args.repeats, extra_env)
    print(f"Load average after: {load_average()}")
    report(setup, runs)


if __name__ == "__main__":
    main()
