"""Saving and loading mixtures of factor analysers (and MFA-route image generators) in gmmlab's model files.

The same file format as :mod:`gmmlab.persistence` (arrays in a ``.npz`` archive, JSON metadata inside it, a SHA-256
of every array, never pickle, written to a temporary name and renamed), with ``"mixture": "mfa"`` in the metadata
and the arrays ``weights``, ``means``, ``loadings``, ``noise_variances``, ``lower_bounds`` (and, for a generator,
``subsample_indices``). :func:`gmmlab.persistence.save_model` and :func:`~gmmlab.persistence.load_model` dispatch
here; this module only builds and checks the MFA-specific content (persistence owns the file, the format fields
and the checksums, and passes its helpers in, so that the two modules do not import each other).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from gmmlab.mixture import MixtureOfFactorAnalyzers
from gmmlab.mixture._factor_structure import NOISE_TYPES

__all__ = ["is_mfa_model", "load_mfa", "mfa_payload"]

_PARAMS = ("n_components", "n_factors", "noise", "tol", "reg_covar", "max_iter", "n_init", "random_state", "verbose")


def is_mfa_model(model: Any) -> bool:
    """True for a MixtureOfFactorAnalyzers or a generator fitted with ``model="mfa"``."""
    return isinstance(model, MixtureOfFactorAnalyzers) or isinstance(getattr(model, "gmm_", None),
                                                                     MixtureOfFactorAnalyzers)


def mfa_payload(model: Any, json_param: Callable, generator_meta: Callable) -> tuple[dict, dict]:
    """The arrays and the MFA-specific metadata of a fitted MixtureOfFactorAnalyzers or MFA-route generator."""
    generator = None if isinstance(model, MixtureOfFactorAnalyzers) else model
    mfa = model if generator is None else model.gmm_
    if not hasattr(mfa, "loadings_"):
        raise ValueError("save_model: the MixtureOfFactorAnalyzers is not fitted; call fit(X) first.")
    arrays = {
        "weights": mfa.weights_,
        "means": mfa.means_,
        "loadings": mfa.loadings_,
        "noise_variances": mfa.noise_variances_,
        "lower_bounds": np.asarray(mfa.lower_bounds_, dtype=np.float64),
    }
    if generator is not None:
        arrays["subsample_indices"] = np.asarray(generator.subsample_indices_, dtype=np.int64)
    metadata = {
        "mixture": "mfa",
        "model_class": "MixtureOfFactorAnalyzers" if generator is None else "GMMImageGenerator",
        "n_components": int(mfa.means_.shape[0]),
        "n_features": int(mfa.means_.shape[1]),
        "n_factors": int(mfa.loadings_.shape[2]),
        "noise": mfa.noise,
        "converged": bool(mfa.converged_),
        "n_iter": int(mfa.n_iter_),
        "lower_bound": float(mfa.lower_bound_),
        "params": {name: json_param(name, getattr(mfa, name)) for name in _PARAMS},
        "generator": None if generator is None else {**generator_meta(generator),
                                                     "n_factors_used": int(generator.n_factors_)},
    }
    return {name: np.asarray(a) for name, a in arrays.items()}, metadata


def load_mfa(meta: dict, arrays: dict, fail: Callable, checksum: Callable):
    """Check and rebuild a saved MFA (or MFA-route generator); ``fail(problem)`` raises the file error."""
    if meta.get("model_class") not in ("MixtureOfFactorAnalyzers", "GMMImageGenerator"):
        fail(f"model class {meta.get('model_class')!r} is not a mixture of factor analysers")
    for key in ("n_components", "n_features", "n_factors", "n_iter"):
        value = meta.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key in ("n_components",
                                                                                          "n_features") else 0):
            fail(f"metadata {key} must be a non-negative integer, got {value!r}")
    if meta.get("noise") not in NOISE_TYPES or not isinstance(meta.get("params"), dict):
        fail(f"metadata noise {meta.get('noise')!r} is not one of {NOISE_TYPES}, or params are missing")
    if not isinstance(meta.get("sha256"), dict):
        fail("metadata has no checksums (sha256)")
    k, d, q = meta["n_components"], meta["n_features"], meta["n_factors"]
    expected = {"weights": (k,), "means": (k, d), "loadings": (k, d, q),
                "noise_variances": (k, d) if meta["noise"] == "diagonal" else (k,), "lower_bounds": None}
    if meta["model_class"] == "GMMImageGenerator":
        expected["subsample_indices"] = None
    if set(arrays) != set(expected):
        fail(f"arrays {sorted(arrays)} do not match the expected {sorted(expected)}; the file is incomplete or "
             "tampered with")
    for name, shape in expected.items():
        a = arrays[name]
        kind = "i" if name == "subsample_indices" else "f"
        if a.dtype.kind != kind or (shape is not None and a.shape != shape) or (shape is None and a.ndim != 1):
            fail(f"array {name} has dtype {a.dtype} and shape {a.shape}, expected {shape or '1-D'}")
        if meta["sha256"].get(name) != checksum(a):
            fail(f"array {name} does not match its checksum; the file is damaged or was modified")
    if np.any(arrays["noise_variances"] <= 0) or not np.isclose(arrays["weights"].sum(), 1.0, atol=1e-5):
        fail("noise variances must be positive and weights sum to 1")
    try:
        mfa = MixtureOfFactorAnalyzers(**meta["params"])
    except TypeError as exc:
        fail(f"metadata params cannot rebuild the model ({exc})")
    mfa.weights_, mfa.means_ = arrays["weights"], arrays["means"]
    mfa.loadings_, mfa.noise_variances_ = arrays["loadings"], arrays["noise_variances"]
    mfa.converged_, mfa.n_iter_ = bool(meta["converged"]), int(meta["n_iter"])
    mfa.lower_bound_, mfa.lower_bounds_ = float(meta["lower_bound"]), arrays["lower_bounds"].tolist()
    mfa.history_, mfa.n_features_in_ = None, d
    if meta["model_class"] == "MixtureOfFactorAnalyzers":
        return mfa
    return _generator(meta, mfa, arrays["subsample_indices"], fail)


def _generator(meta, mfa, indices, fail):
    from gmmlab.generative import GMMImageGenerator

    info = meta.get("generator") or {}
    params = {}
    for name, value in (info.get("params") or {}).items():
        if isinstance(value, dict) and set(value) == {"range"}:
            value = range(*value["range"])
        params[name] = value
    shape = info.get("image_shape")
    if not isinstance(shape, list) or int(np.prod(shape)) != meta["n_features"]:
        fail(f"generator image_shape {shape!r} does not match {meta['n_features']} pixels")
    try:
        generator = GMMImageGenerator(**params)
    except TypeError as exc:
        fail(f"generator params do not fit this gmmlab's GMMImageGenerator ({exc})")
    generator.pca_, generator.gmm_ = None, mfa
    generator.n_components_, generator.n_factors_ = mfa.n_components, int(info.get("n_factors_used", 0))
    generator.n_pca_components_, generator.explained_variance_ = 0, 1.0
    generator.image_shape_, generator.n_features_in_ = tuple(shape), meta["n_features"]
    generator.subsample_indices_ = indices
    generator.sweep_results_ = generator.selection_ = None
    return generator
