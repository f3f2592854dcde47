"""What a training job computes on: the Keras backend's devices, whether the GPU it asked for is
there (a warning, or a one-line failure when the config requires one), and mixed precision where
a GPU is found. Every run records the outcome in its run.json (``compute``)."""

from __future__ import annotations

import logging

from biodl.errors import InputError

log = logging.getLogger("biodl.train.devices")
GPU_KINDS = ("gpu", "cuda", "rocm", "tpu")


def backend_devices() -> list[str]:
    """The devices the Keras backend in use computes on, as '<kind>:<index>' (with the device's
    name where the backend gives one)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [
            f"{device.device_type.lower()}:{device.name.rsplit(':', 1)[-1]}"
            for device in tf.config.list_logical_devices()
        ]
    if backend == "jax":
        import jax

        return [f"{device.platform}:{device.id} ({device.device_kind})" for device in jax.devices()]
    if backend == "torch":
        import torch

        gpus = [
            f"cuda:{index} ({torch.cuda.get_device_name(index)})"
            for index in range(torch.cuda.device_count())
        ]
        return gpus or ["cpu:0"]
    return [f"{backend}: unknown devices"]


def has_gpu(devices: list[str]) -> bool:
    """Whether any of ``devices`` is an accelerator."""
    return any(device.split(":", 1)[0] in GPU_KINDS for device in devices)


def compute_setup(
    gpus: int = 0, require_gpu: bool = False, mixed_precision: bool = False, devices: list[str] | None = None
) -> dict:
    """Check the job's devices against the ``gpus`` it asked for and set the dtype policy; return
    what run.json records: backend, devices, gpus_requested, precision and a warning (or None).

    A job that asked for a GPU and found none trains on the CPU with a warning in its log, or stops
    with one line when ``require_gpu``; mixed precision applies only where a GPU is found."""
    import keras

    devices = backend_devices() if devices is None else devices
    backend = keras.backend.backend()
    warning = None
    if gpus > 0 and not has_gpu(devices):
        warning = (
            f"asked for {gpus} GPU(s), the {backend} backend found none: training on {', '.join(devices)}"
        )
        if require_gpu:
            raise InputError(f"{warning} (require_gpu is true)")
        log.warning(warning)
    precision = "mixed_float16" if mixed_precision and has_gpu(devices) else "float32"
    keras.config.set_dtype_policy(precision)
    if mixed_precision and precision == "float32":
        log.info("mixed precision asked for, no GPU found: float32")
    shards = data_parallel_devices(backend, devices, gpus)
    if shards > 1:
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=keras.distribution.list_devices("gpu")[:shards])
        )
        log.info("data parallel over %d GPUs", shards)
    return {
        "backend": backend,
        "devices": devices,
        "gpus_requested": gpus,
        "precision": precision,
        "data_parallel": shards,
        "warning": warning,
    }


def data_parallel_devices(backend: str, devices: list[str], gpus: int) -> int:
    """Over how many GPUs a job splits each batch: Keras' data-parallel distribution (the JAX
    backend only) when it asked for more than one and found them; 1 otherwise."""
    found = sum(device.split(":", 1)[0] in GPU_KINDS for device in devices)
    return min(gpus, found) if backend == "jax" and gpus > 1 and found > 1 else 1
