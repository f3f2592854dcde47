"""The features stage: normalised inputs per split unit, fitted on its training partition."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from biodl.data import normalise
from biodl.data.split import read_partitions
from biodl.io.outputs import all_or_nothing, save_array, save_json, save_table

Path = str | os.PathLike


def _train_mask(index_path: Path, split_path: Path, unit: str) -> tuple[pd.DataFrame, np.ndarray]:
    index = pd.read_csv(index_path, sep="\t", dtype=str, keep_default_na=False)
    partitions = read_partitions(split_path, unit).set_index("id")["partition"]
    return index, partitions.loc[index["id"]].to_numpy() == "train"


def write_expression_features(
    *,
    matrix_path: Path,
    genes_path: Path,
    index_path: Path,
    split_path: Path,
    unit: str,
    features_path: Path,
    genes_out: Path,
    params_path: Path,
    settings: dict,
) -> None:
    """Normalise every sample with parameters fitted on the unit's training samples."""
    values = np.load(matrix_path)
    genes = pd.read_csv(genes_path, sep="\t", dtype=str)["gene"].tolist()
    _, train = _train_mask(index_path, split_path, unit)
    impute = bool(np.isnan(values).any())  # only 'missing: impute' leaves NaN in matrix.npy
    params = normalise.fit_expression(values[train], genes, **settings, impute=impute)
    params["fitted_on"] = {"unit": unit, "partition": "train", "n_samples": int(train.sum())}
    with all_or_nothing(features_path, genes_out, params_path):
        save_array(features_path, normalise.apply_expression(values, params))
        save_table(genes_out, pd.DataFrame({"gene": params["genes"]}))
        save_json(params_path, params)


def write_timecourse_features(
    *,
    values_path: Path,
    index_path: Path,
    times_path: Path,
    split_path: Path,
    unit: str,
    features_path: Path,
    params_path: Path,
    split_by: str,
) -> None:
    """Per-gene z-scores fitted on the training series (or training time range)."""
    values = np.load(values_path)
    if split_by == "time":
        times = pd.read_csv(times_path, sep="\t")["time"].to_numpy()
        partitions = read_partitions(split_path, unit)["partition"].to_numpy()
        train = values[:, partitions == "train"]
        fitted_on = {
            "unit": unit,
            "partition": "train",
            "n_times": int((partitions == "train").sum()),
            "last_train_time": float(times[partitions == "train"].max()),
        }
    else:
        _, mask = _train_mask(index_path, split_path, unit)
        train = values[mask]
        fitted_on = {"unit": unit, "partition": "train", "n_series": int(mask.sum())}
    params = {**normalise.fit_gene_zscore(train), "fitted_on": fitted_on}
    with all_or_nothing(features_path, params_path):
        save_array(features_path, normalise.apply_gene_zscore(values, params))
        save_json(params_path, params)
