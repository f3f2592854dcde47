"""What a training job computes on: the GPU it asked for (a warning, or one line when required),
mixed precision only where a GPU is, the backend each config may use."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import yaml
from biodl.errors import InputError
from biodl.train.devices import compute_setup, has_gpu
from conftest import ROOT


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.config.set_dtype_policy("float32")


def test_a_job_that_asked_for_a_gpu_and_found_none_warns_or_stops_when_one_is_required(caplog):
    backend = keras.backend.backend()
    record = compute_setup(gpus=1, devices=["cpu:0"])
    assert record == {
        "backend": backend,
        "devices": ["cpu:0"],
        "gpus_requested": 1,
        "precision": "float32",
        "data_parallel": 1,
        "warning": f"asked for 1 GPU(s), the {backend} backend found none: training on cpu:0",
    }
    assert record["warning"] in caplog.text
    with pytest.raises(
        InputError, match=r"^asked for 2 GPU\(s\), .* found none: training on cpu:0 \(require_gpu is true\)$"
    ):
        compute_setup(gpus=2, require_gpu=True, devices=["cpu:0"])
    assert compute_setup(gpus=0, require_gpu=True, devices=["cpu:0"])["warning"] is None  # asked for none
    assert compute_setup(gpus=1, require_gpu=True, devices=["cpu:0", "gpu:0 (H100)"])["warning"] is None
    assert has_gpu(["cuda:0 (A100)"]) and not has_gpu(["cpu:0"])


def test_a_batch_is_split_over_gpus_only_on_jax_with_more_than_one_asked_for_and_found():
    from biodl.train.devices import data_parallel_devices

    four = [f"gpu:{index}" for index in range(4)]
    assert data_parallel_devices("jax", four, 2) == 2
    assert data_parallel_devices("jax", four, 8) == 4
    assert data_parallel_devices("jax", four, 1) == 1
    assert data_parallel_devices("tensorflow", four, 4) == 1  # MirroredStrategy is not wired in
    assert data_parallel_devices("jax", ["cpu:0"], 4) == 1


def test_mixed_precision_applies_on_a_gpu_only_and_changes_nothing_on_a_cpu():
    inputs = np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32)

    def outputs() -> np.ndarray:
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(1)])
        return keras.ops.convert_to_numpy(model(inputs)), model.layers[0].kernel.dtype

    compute_setup(mixed_precision=False, devices=["cpu:0"])
    plain, plain_dtype = outputs()
    assert compute_setup(mixed_precision=True, devices=["cpu:0"])["precision"] == "float32"
    mixed, mixed_dtype = outputs()
    assert mixed.dtype == np.float32 and mixed_dtype == plain_dtype == "float32"
    np.testing.assert_array_equal(mixed, plain)
    assert compute_setup(mixed_precision=True, devices=["gpu:0"])["precision"] == "mixed_float16"
    assert keras.config.dtype_policy().name == "mixed_float16"


def test_a_gan_on_another_backend_than_tensorflow_is_refused_before_any_job():
    from biodl.workflow.config import check_config

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["backend"] = "jax"
    pytest.importorskip("jax")
    with pytest.raises(
        InputError,
        match=r"^config: models\.gan: family 'gan' trains on the tensorflow backend only, not 'jax'$",
    ):
        check_config(config)
    del config["models"]["gan"]
    check_config(config)
