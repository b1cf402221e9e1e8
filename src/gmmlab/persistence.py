"""Save and load fitted models without pickle: arrays in a ``.npz`` file plus JSON metadata.

A saved file holds a fitted :class:`gmmlab.mixture.GaussianMixture`, optionally with the PCA it was fitted in
(a fitted :class:`sklearn.decomposition.PCA`, or the PCA of a :class:`gmmlab.generative.GMMImageGenerator`), or a
fitted :class:`gmmlab.mixture.MixtureOfFactorAnalyzers` (alone or as an MFA-route generator; see
:mod:`gmmlab._persistence_mfa`).
The arrays are stored with :func:`numpy.savez`; the metadata (format version, gmmlab version, model class,
covariance type, sizes, the estimator's parameters, a SHA-256 of every array) is a JSON string stored inside the
same archive. Loading never unpickles (``allow_pickle=False``), checks every array's presence, dtype and shape
against the metadata and the covariance type, and verifies the checksums, so a damaged, tampered or mismatched
file is rejected with a :class:`ModelFileError` (a :class:`ValueError`) that names the file and the problem.

Every file is written to a temporary name in the destination folder and renamed when complete, so an
interrupted save never leaves a half-written model behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import numbers
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import numpy as np
from sklearn.decomposition import PCA

from gmmlab.mixture import ALL_COVARIANCE_TYPES, GaussianMixture, get_structure

__all__ = ["FORMAT_VERSION", "LoadedModel", "ModelFileError", "atomic_path", "load_model", "save_model"]

FORMAT_VERSION = 1
"""Version of the file layout; files with another version are rejected."""

_METADATA_KEY = "metadata_json"
_GMM_ARRAYS = ("weights", "means", "covariances", "precisions", "precisions_cholesky", "lower_bounds")
_PCA_ARRAYS = ("pca_components", "pca_mean", "pca_explained_variance", "pca_explained_variance_ratio",
               "pca_singular_values")
# Constructor parameters that are saved; the array-valued ones (weights_init, ...) describe how a fit started,
# not the fitted model, and are not kept.
_GMM_PARAMS = ("n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init", "init_params",
               "random_state", "warm_start", "verbose", "verbose_interval")
_MODEL_CLASSES = ("GaussianMixture", "GMMImageGenerator")


class ModelFileError(ValueError):
    """A model file is missing, is not a gmmlab model, or does not match its own metadata.

    Parameters
    ----------
    path : str or Path
        The offending file.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class LoadedModel(NamedTuple):
    """What :func:`load_model` returns.

    Attributes
    ----------
    model : GaussianMixture or GMMImageGenerator
        The fitted model, ready to ``predict``, ``score_samples`` and ``sample``.
    pca : sklearn.decomposition.PCA or None
        The fitted PCA the mixture lives in, or None when the mixture was fitted on the raw features.
    metadata : dict
        The JSON metadata stored with the arrays (format and gmmlab versions, sizes, parameters).
    """

    model: Any
    pca: PCA | None
    metadata: dict


# --------------------------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file lives in the destination folder (so the rename is atomic on POSIX) and is removed if the
    block raises, so an interrupted write leaves neither a half-written file nor a leftover.

    Parameters
    ----------
    path : str or path-like
        The final destination; its folder must exist.

    Yields
    ------
    pathlib.Path
        Where to write the content.
    """
    final = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------------------------------


def _sha256(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data)
    return digest.hexdigest()


def _split_model(model: Any, pca: Any) -> tuple[GaussianMixture, Any, str]:
    """Return (mixture, pca, model class name) from what the caller passed."""
    if isinstance(model, GaussianMixture):
        return model, pca, "GaussianMixture"
    from gmmlab.generative import GMMImageGenerator

    if isinstance(model, GMMImageGenerator):
        gmm, own_pca = getattr(model, "gmm_", None), getattr(model, "pca_", None)
        if gmm is None or own_pca is None:
            raise ValueError("save_model: the GMMImageGenerator is not fitted; call fit(images) first.")
        if pca is not None:
            raise ValueError("save_model: a GMMImageGenerator carries its own PCA; do not pass pca=.")
        return gmm, own_pca, "GMMImageGenerator"
    raise TypeError(
        f"save_model: model must be a fitted gmmlab GaussianMixture or GMMImageGenerator, got "
        f"{type(model).__name__}."
    )


def _json_param(name: str, value: Any) -> Any:
    if name == "random_state" and not (value is None or isinstance(value, numbers.Integral)):
        return None  # a RandomState object has no faithful JSON form; the fitted arrays do not depend on it
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_model(model: Any, path: str | os.PathLike[str], pca: PCA | None = None) -> Path:
    """Save a fitted Gaussian mixture (and the PCA it lives in, if any) to a ``.npz`` file.

    Parameters
    ----------
    model : GaussianMixture or GMMImageGenerator
        A fitted :class:`gmmlab.mixture.GaussianMixture`, or a fitted
        :class:`gmmlab.generative.GMMImageGenerator` (its PCA and mixture are saved).
    path : str or path-like
        Destination file, written as is (conventionally ending in ``.npz``); its folder must exist. It is
        written to a temporary name and renamed when complete.
    pca : sklearn.decomposition.PCA, optional
        The fitted PCA whose space the mixture was fitted in (only with a GaussianMixture).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    TypeError
        If ``model`` is not a supported model or ``pca`` is not a PCA.
    ValueError
        If the model or the PCA is not fitted, or their sizes disagree.
    """
    from gmmlab._persistence_mfa import is_mfa_model, mfa_payload

    if is_mfa_model(model):
        if pca is not None:
            raise ValueError("save_model: a mixture of factor analysers lives in pixel space; do not pass pca=.")
        arrays, metadata = mfa_payload(model, _json_param, _generator_meta)
        return _write_model(path, arrays, metadata)
    gmm, pca, model_class = _split_model(model, pca)
    if not hasattr(gmm, "precisions_cholesky_"):
        raise ValueError("save_model: the GaussianMixture is not fitted; call fit(X) first.")
    if pca is not None:
        if not isinstance(pca, PCA):
            raise TypeError(f"save_model: pca must be a fitted sklearn.decomposition.PCA, got {type(pca).__name__}.")
        if not hasattr(pca, "components_"):
            raise ValueError("save_model: the PCA is not fitted; call fit(X) first.")
        if pca.components_.shape[0] != gmm.means_.shape[1]:
            raise ValueError(
                f"save_model: the PCA has {pca.components_.shape[0]} components but the mixture was fitted on "
                f"{gmm.means_.shape[1]} features; pass the PCA the mixture was fitted in."
            )

    arrays = {
        "weights": gmm.weights_,
        "means": gmm.means_,
        "covariances": gmm.covariances_,
        "precisions": gmm.precisions_,
        "precisions_cholesky": gmm.precisions_cholesky_,
        "lower_bounds": np.asarray(getattr(gmm, "lower_bounds_", [gmm.lower_bound_]), dtype=np.float64),
    }
    pca_meta = None
    if pca is not None:
        arrays.update(
            pca_components=pca.components_,
            pca_mean=pca.mean_,
            pca_explained_variance=pca.explained_variance_,
            pca_explained_variance_ratio=pca.explained_variance_ratio_,
            pca_singular_values=pca.singular_values_,
        )
        pca_meta = {
            "n_components": int(pca.components_.shape[0]),
            "n_features": int(pca.components_.shape[1]),
            "whiten": bool(pca.whiten),
            "noise_variance": float(pca.noise_variance_),
            "n_samples": int(pca.n_samples_),
        }
    if model_class == "GMMImageGenerator":
        arrays["subsample_indices"] = np.asarray(model.subsample_indices_, dtype=np.int64)
        if getattr(model, "discarded_components_", None) is not None:  # pixel_noise="per_direction"
            arrays["discarded_components"] = model.discarded_components_
            arrays["discarded_variance"] = model.discarded_variance_
    # Layout (C or Fortran order) is kept, so that the reloaded arrays give bit-identical BLAS results.
    arrays = {name: np.asarray(a) for name, a in arrays.items()}

    from gmmlab import __version__

    metadata = {
        "format": "gmmlab-model",
        "format_version": FORMAT_VERSION,
        "gmmlab_version": __version__,
        "model_class": model_class,
        "covariance_type": gmm.covariance_type,
        "n_components": int(gmm.means_.shape[0]),
        "n_features": int(gmm.means_.shape[1]),
        "pca_present": pca is not None,
        "pca": pca_meta,
        "converged": bool(gmm.converged_),
        "n_iter": int(gmm.n_iter_),
        "lower_bound": float(gmm.lower_bound_),
        "params": {name: _json_param(name, getattr(gmm, name)) for name in _GMM_PARAMS},
        "generator": _generator_meta(model) if model_class == "GMMImageGenerator" else None,
        "sha256": {name: _sha256(a) for name, a in arrays.items()},
    }
    final = Path(path)
    with atomic_path(final) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays, **{_METADATA_KEY: np.array(json.dumps(metadata, sort_keys=True))})
    return final


def _write_model(path, arrays: dict, metadata: dict) -> Path:
    """Write arrays and metadata (format fields and checksums added here) atomically to ``path``."""
    from gmmlab import __version__

    metadata = {"format": "gmmlab-model", "format_version": FORMAT_VERSION, "gmmlab_version": __version__,
                **metadata, "sha256": {name: _sha256(a) for name, a in arrays.items()}}
    final = Path(path)
    with atomic_path(final) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays, **{_METADATA_KEY: np.array(json.dumps(metadata, sort_keys=True))})
    return final


def _generator_meta(generator: Any) -> dict:
    """What a GMMImageGenerator needs beyond its PCA and mixture: image shape and constructor parameters.

    The sweep table and the selection (``sweep_results_``, ``selection_``) are not saved.
    """
    return {
        "image_shape": [int(n) for n in generator.image_shape_],
        "explained_variance": float(generator.explained_variance_),
        "params": _generator_params(generator),
    }


def _generator_params(generator: Any) -> dict:
    """The JSON-representable constructor parameters of a GMMImageGenerator."""
    params = {}
    for name, value in generator.get_params(deep=False).items():
        if isinstance(value, range):
            value = {"range": [value.start, value.stop, value.step]}
        value = _json_param(name, value)
        try:
            json.dumps(value)
        except TypeError:
            continue
        params[name] = value
    return params


# --------------------------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------------------------


def _read_archive(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    if not path.exists():
        raise ModelFileError(path, "file not found")
    if path.is_dir():
        raise ModelFileError(path, "is a directory, not a model file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(path, "not a gmmlab model file (not an .npz archive); save one with save_model()")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelFileError(path, "holds pickled (object) data, which gmmlab never loads") from None
        raise ModelFileError(path, f"unreadable .npz archive ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(path, f"unreadable .npz archive ({type(exc).__name__}: {exc})") from None
    raw = arrays.pop(_METADATA_KEY, None)
    if raw is None:
        raise ModelFileError(path, f"no '{_METADATA_KEY}' entry: this .npz was not written by gmmlab's save_model")
    if raw.shape != () or raw.dtype.kind != "U":
        raise ModelFileError(
            path, f"'{_METADATA_KEY}' must be a single string, got dtype {raw.dtype} shape {raw.shape}"
        )
    try:
        metadata = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise ModelFileError(path, f"metadata is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise ModelFileError(path, "metadata is not a JSON object")
    return metadata, arrays


def _check_metadata(path: Path, meta: dict) -> None:
    def fail(problem: str) -> None:
        raise ModelFileError(path, problem)

    if meta.get("format") != "gmmlab-model":
        fail(f"metadata format is {meta.get('format')!r}, expected 'gmmlab-model'")
    if meta.get("format_version") != FORMAT_VERSION:
        fail(
            f"format version {meta.get('format_version')!r} is not supported (this gmmlab reads version "
            f"{FORMAT_VERSION}); re-save the model with this gmmlab"
        )
    if meta.get("model_class") not in _MODEL_CLASSES:
        fail(f"model class {meta.get('model_class')!r} is not one of {_MODEL_CLASSES}")
    if meta.get("covariance_type") not in ALL_COVARIANCE_TYPES:
        fail(f"covariance_type {meta.get('covariance_type')!r} is not one of {ALL_COVARIANCE_TYPES}")
    for key in ("n_components", "n_features", "n_iter"):
        value = meta.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if key == "n_iter" else 1):
            fail(f"metadata {key} must be a positive integer, got {value!r}")
    if not isinstance(meta.get("params"), dict) or meta["params"].get("covariance_type") != meta["covariance_type"]:
        fail("metadata params do not match the stored covariance_type")
    if not isinstance(meta.get("sha256"), dict):
        fail("metadata has no checksums (sha256)")
    if not isinstance(meta.get("pca_present"), bool):
        fail("metadata pca_present must be true or false")
    if meta["pca_present"]:
        pca = meta.get("pca")
        if not isinstance(pca, dict) or not all(k in pca for k in ("n_components", "n_features", "whiten",
                                                                   "noise_variance", "n_samples")):
            fail("metadata says a PCA is present but does not describe it")
        if pca["n_components"] != meta["n_features"]:
            fail(f"the PCA has {pca['n_components']} components but the mixture has {meta['n_features']} features")
    elif meta["model_class"] == "GMMImageGenerator":
        fail("a GMMImageGenerator file must hold its PCA")
    if meta["model_class"] == "GMMImageGenerator":
        generator = meta.get("generator")
        shape = generator.get("image_shape") if isinstance(generator, dict) else None
        if (not isinstance(shape, list) or not shape or not all(isinstance(n, int) and n > 0 for n in shape)
                or int(np.prod(shape)) != meta["pca"]["n_features"]):
            fail(f"generator image_shape {shape!r} does not match the PCA's {meta['pca']['n_features']} pixels")


def _check_arrays(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    k, d, cov = meta["n_components"], meta["n_features"], meta["covariance_type"]
    expected = {
        "weights": (k,),
        "means": (k, d),
        "covariances": get_structure(cov).covariance_shape(k, d),
        "precisions": get_structure(cov).covariance_shape(k, d),
        "precisions_cholesky": get_structure(cov).covariance_shape(k, d),
        "lower_bounds": None,
    }
    if meta["pca_present"]:
        p = meta["pca"]["n_features"]
        expected.update(
            pca_components=(d, p),
            pca_mean=(p,),
            pca_explained_variance=(d,),
            pca_explained_variance_ratio=(d,),
            pca_singular_values=(d,),
        )
    if meta["model_class"] == "GMMImageGenerator":
        expected["subsample_indices"] = None
        params = meta["generator"].get("params") or {}
        n_discarded = meta["pca"]["n_features"] - d
        if params.get("pixel_noise") == "per_direction" and n_discarded > 0:
            expected.update(discarded_components=(n_discarded, meta["pca"]["n_features"]),
                            discarded_variance=(n_discarded,))
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ModelFileError(path, f"missing array(s) {', '.join(missing)}; the file is incomplete or tampered with")
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise ModelFileError(path, f"unexpected array(s) {', '.join(extra)}; the file was tampered with")
    for name, shape in expected.items():
        a = arrays[name]
        kind = "i" if name == "subsample_indices" else "f"
        if a.dtype.kind != kind:
            wanted = "integer" if kind == "i" else "floating point"
            raise ModelFileError(path, f"array {name} has dtype {a.dtype}, expected {wanted}")
        if shape is None:
            if a.ndim != 1:
                raise ModelFileError(path, f"array {name} has shape {a.shape}, expected 1-D")
        elif a.shape != shape:
            hint = f" (covariance_type {cov!r}, {k} components, {d} features)" if "cov" in name or "prec" in name \
                else f" ({k} components, {d} features)"
            raise ModelFileError(path, f"array {name} has shape {a.shape}, expected {shape}{hint}")
        if name == "subsample_indices" and a.size and a.min() < 0:
            raise ModelFileError(path, "array subsample_indices holds negative indices")
        if kind == "f" and name != "lower_bounds" and not np.all(np.isfinite(a)):
            raise ModelFileError(path, f"array {name} contains NaN or infinity")
        if meta["sha256"].get(name) != _sha256(a):
            raise ModelFileError(path, f"array {name} does not match its checksum; the file is damaged or was modified")
    if np.any(arrays["weights"] < 0) or not np.isclose(arrays["weights"].sum(), 1.0, atol=1e-6):
        raise ModelFileError(path, "weights are not a probability vector (non-negative, summing to 1)")
    if "discarded_variance" in expected and np.any(arrays["discarded_variance"] <= 0):
        raise ModelFileError(path, "discarded_variance holds a variance that is not positive")


def _build_gmm(meta: dict, arrays: dict[str, np.ndarray]) -> GaussianMixture:
    params = dict(meta["params"])
    gmm = GaussianMixture(**params)
    gmm.weights_ = arrays["weights"]
    gmm.means_ = arrays["means"]
    gmm.covariances_ = arrays["covariances"]
    gmm.precisions_ = arrays["precisions"]
    gmm.precisions_cholesky_ = arrays["precisions_cholesky"]
    gmm.converged_ = bool(meta["converged"])
    gmm.n_iter_ = int(meta["n_iter"])
    gmm.lower_bound_ = float(meta["lower_bound"])
    gmm.lower_bounds_ = arrays["lower_bounds"].tolist()
    gmm.history_ = None
    gmm.n_features_in_ = int(meta["n_features"])
    return gmm


def _build_pca(meta: dict, arrays: dict[str, np.ndarray]) -> PCA:
    info = meta["pca"]
    pca = PCA(n_components=info["n_components"], whiten=info["whiten"])
    pca.components_ = arrays["pca_components"]
    pca.mean_ = arrays["pca_mean"]
    pca.explained_variance_ = arrays["pca_explained_variance"]
    pca.explained_variance_ratio_ = arrays["pca_explained_variance_ratio"]
    pca.singular_values_ = arrays["pca_singular_values"]
    pca.noise_variance_ = float(info["noise_variance"])
    pca.n_components_ = int(info["n_components"])
    pca.n_samples_ = int(info["n_samples"])
    pca.n_features_in_ = int(info["n_features"])
    return pca


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Load a model written by :func:`save_model`, checking it thoroughly and never unpickling.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    LoadedModel
        ``(model, pca, metadata)``: the fitted :class:`~gmmlab.mixture.GaussianMixture` (or, for a saved
        GMMImageGenerator, the generator rebuilt around it), the PCA it lives in or None, and the metadata.
        Its ``predict``, ``predict_proba`` and ``score_samples`` give exactly the saved model's results.

    Raises
    ------
    ModelFileError
        A :class:`ValueError` naming the file and the problem: missing file, not an ``.npz``, not written by
        gmmlab, unsupported format version, pickled content, missing or unexpected array, a shape or dtype that
        does not match the metadata and the covariance type, a checksum mismatch.
    """
    path = Path(path)
    metadata, arrays = _read_archive(path)
    if metadata.get("format") == "gmmlab-model" and metadata.get("mixture") == "mfa":
        from gmmlab._persistence_mfa import load_mfa

        if metadata.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(path, f"format version {metadata.get('format_version')!r} is not supported (this "
                                 f"gmmlab reads version {FORMAT_VERSION}); re-save the model with this gmmlab")

        def fail(problem: str):
            raise ModelFileError(path, problem)

        return LoadedModel(load_mfa(metadata, arrays, fail, _sha256), None, metadata)
    _check_metadata(path, metadata)
    _check_arrays(path, metadata, arrays)
    try:
        gmm = _build_gmm(metadata, arrays)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(path, f"metadata params cannot rebuild the model ({exc})") from None
    pca = _build_pca(metadata, arrays) if metadata["pca_present"] else None
    model: Any = gmm
    if metadata["model_class"] == "GMMImageGenerator":
        model = _build_generator(path, metadata, gmm, pca, arrays)
    return LoadedModel(model, pca, metadata)


def _build_generator(path: Path, meta: dict, gmm: GaussianMixture, pca: PCA, arrays: dict) -> Any:
    from gmmlab.generative import GMMImageGenerator

    info = meta["generator"]
    params = {}
    for name, value in (info.get("params") or {}).items():
        if isinstance(value, dict) and set(value) == {"range"}:
            value = range(*value["range"])
        params[name] = value
    try:
        generator = GMMImageGenerator(**params)
    except TypeError as exc:
        raise ModelFileError(path, f"generator params do not fit this gmmlab's GMMImageGenerator ({exc})") from None
    generator.pca_ = pca
    generator.gmm_ = gmm
    generator.n_components_ = gmm.n_components
    generator.n_pca_components_ = int(pca.n_components_)
    generator.explained_variance_ = float(info.get("explained_variance", pca.explained_variance_ratio_.sum()))
    generator.image_shape_ = tuple(info["image_shape"])
    generator.n_features_in_ = int(pca.n_features_in_)
    generator.subsample_indices_ = arrays["subsample_indices"]
    generator.discarded_components_ = arrays.get("discarded_components")
    generator.discarded_variance_ = arrays.get("discarded_variance")
    generator.sweep_results_ = None
    generator.selection_ = None
    return generator
