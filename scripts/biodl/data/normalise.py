"""Normalisation fitted on the training partition only and applied to every partition.

Fitted parameters are plain dictionaries (saved as JSON beside the features),
never hidden state, so a reader can see exactly what was learnt from train.
"""

from __future__ import annotations

import numpy as np


def fit_expression(
    train: np.ndarray,
    genes: list[str],
    library_size: bool = True,
    target_sum: float | None = None,
    log1p: bool = True,
    top_genes: int | None = None,
    zscore: bool = True,
    impute: bool = False,
) -> dict:
    """Fit imputation, library-size scaling, log1p, most-variable-gene selection and z-scores on ``train``.

    ``train`` is samples × genes. With ``impute`` missing values (NaN) are first
    replaced by each gene's median over the training samples (0 for a gene with no
    training value). The library-size target defaults to the median training
    library size; gene variance, means and standard deviations are computed on
    the training samples after the earlier steps.
    """
    params: dict = {"library_size": library_size, "log1p": log1p, "zscore": zscore}
    if impute:
        params["impute_median"], params["genes_without_training_values"] = _fit_medians(train)
        train = _impute(train, params)
    if library_size:
        sums = train.sum(axis=1)
        params["target_sum"] = float(target_sum if target_sum is not None else np.median(sums))
    scaled = _scale_and_log(train, params)
    keep = np.arange(train.shape[1])
    if top_genes is not None and top_genes < train.shape[1]:
        variance = scaled.var(axis=0)
        keep = np.sort(np.argsort(-variance, kind="stable")[:top_genes])
    params["genes"] = [genes[i] for i in keep]
    params["gene_index"] = keep.tolist()
    if zscore:
        chosen = scaled[:, keep]
        params["mean"] = chosen.mean(axis=0).tolist()
        params["sd"] = _safe_sd(chosen.std(axis=0)).tolist()
    return params


def apply_expression(values: np.ndarray, params: dict) -> np.ndarray:
    """Apply fitted expression parameters to samples × genes ``values``."""
    result = _scale_and_log(_impute(values, params), params)[:, params["gene_index"]]
    if params["zscore"]:
        result = (result - np.asarray(params["mean"])) / np.asarray(params["sd"])
    return result.astype(np.float32)


def _fit_medians(train: np.ndarray) -> tuple[list[float], int]:
    """Per-gene medians of the training samples (scikit-learn's SimpleImputer), and the genes without any."""
    from sklearn.impute import SimpleImputer

    imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(train)
    return imputer.statistics_.tolist(), int(np.isnan(train).all(axis=0).sum())


def _impute(values: np.ndarray, params: dict) -> np.ndarray:
    """``values`` with every NaN replaced by its gene's fitted median (unchanged without imputation)."""
    if "impute_median" not in params:
        return values
    medians = np.asarray(params["impute_median"])
    return np.where(np.isnan(values), medians[None, :], values)


def _scale_and_log(values: np.ndarray, params: dict) -> np.ndarray:
    result = np.asarray(values, dtype=np.float64)
    if params["library_size"]:
        sums = result.sum(axis=1, keepdims=True)
        result = result / np.where(sums > 0, sums, 1.0) * params["target_sum"]
    if params["log1p"]:
        result = np.log1p(result)
    return result


def _safe_sd(sd: np.ndarray) -> np.ndarray:
    """Standard deviations with zeros replaced by one (constant genes stay at zero)."""
    return np.where(sd > 0, sd, 1.0)


def fit_gene_zscore(train: np.ndarray) -> dict:
    """Per-gene mean and sd over every leading axis of ``train`` (… × genes)."""
    flat = train.reshape(-1, train.shape[-1]).astype(np.float64)
    return {"mean": flat.mean(axis=0).tolist(), "sd": _safe_sd(flat.std(axis=0)).tolist()}


def apply_gene_zscore(values: np.ndarray, params: dict) -> np.ndarray:
    """Apply per-gene z-scores fitted by :func:`fit_gene_zscore`."""
    return ((values - np.asarray(params["mean"])) / np.asarray(params["sd"])).astype(np.float32)
