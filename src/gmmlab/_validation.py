"""Validation at the public boundary: messages that name the bad value and the fix."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import validate_data

__all__ = [
    "check_data",
    "check_int",
    "check_float",
    "check_choice",
    "check_covariance_types",
    "check_n_components_grid",
    "check_images",
    "check_n_jobs",
    "as_float_pixels",
    "check_sample_weight",
]


def check_data(estimator, X, *, reset: bool, ensure_min_samples: int = 1, dtype=(np.float64, np.float32)):
    """Validate a data matrix the scikit-learn way, with clearer messages for the common mistakes.

    Returns a float array of shape (n_samples, n_features); records ``n_features_in_`` when ``reset``.
    """
    name = type(estimator).__name__
    try:
        return validate_data(estimator, X, reset=reset, dtype=list(dtype), ensure_min_samples=ensure_min_samples)
    except TypeError as error:
        if "sparse" in str(error).lower():
            raise TypeError(
                f"{name} needs a dense array but got a sparse matrix; convert it with X.toarray() "
                "(or reduce it first, e.g. with TruncatedSVD)."
            ) from None
        raise
    except ValueError as error:
        message = str(error)
        if "could not convert" in message or "dtype='numeric'" in message or "Unable to convert" in message:
            raise ValueError(
                f"{name} needs numeric data, but X holds values that are not numbers ({message.splitlines()[0]}). "
                "Fix: keep only numeric columns, or encode categories as numbers before fitting."
            ) from None
        if "NaN" in message or "infinity" in message:
            bad = _first_non_finite(X)
            where = f" (first at row {bad[0]}, column {bad[1]})" if bad is not None else ""
            raise ValueError(
                f"{name} cannot use X: it contains NaN or infinity{where}. "
                "Fix: drop or impute those values (e.g. sklearn.impute.SimpleImputer) before fitting."
            ) from None
        if "Expected 2D array" in message:
            raise ValueError(
                f"{name} needs a 2-D array of shape (n_samples, n_features), but got a 1-D array. "
                "Fix: Reshape your data with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a "
                f"single sample. ({message.splitlines()[0]})"
            ) from None
        raise


def _first_non_finite(X):
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.ndim != 2:
        return None
    rows, cols = np.nonzero(~np.isfinite(array))
    return (int(rows[0]), int(cols[0])) if rows.size else None


def check_int(name: str, value, minimum: int, owner: str = ""):
    """An integer ``>= minimum``; bools are rejected."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        prefix = f"{owner}: " if owner else ""
        raise ValueError(f"{prefix}{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_float(name: str, value, minimum: float, owner: str = "", strict: bool = False):
    """A real number ``>= minimum`` (``> minimum`` when ``strict``)."""
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value)
    bad = bad or (value <= minimum if strict else value < minimum)
    if bad:
        relation = ">" if strict else ">="
        prefix = f"{owner}: " if owner else ""
        raise ValueError(f"{prefix}{name} must be a finite number {relation} {minimum}, got {value!r}.")
    return float(value)


def check_reg_covar(value, owner: str = ""):
    """``"auto"`` or a finite number >= 0."""
    if isinstance(value, str):
        if value != "auto":
            prefix = f"{owner}: " if owner else ""
            raise ValueError(f"{prefix}reg_covar must be 'auto' or a finite number >= 0, got {value!r}.")
        return value
    return check_float("reg_covar", value, 0.0, owner)


def check_choice(name: str, value, choices, owner: str = ""):
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        prefix = f"{owner}: " if owner else ""
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{prefix}{name} must be one of {valid}; got {value!r}.")
    return value


def check_n_jobs(n_jobs, owner: str = ""):
    """None or a non-zero integer (-1: all cores)."""
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0):
        prefix = f"{owner}: " if owner else ""
        raise ValueError(f"{prefix}n_jobs must be a non-zero integer (-1 = all cores) or None, got {n_jobs!r}.")
    return n_jobs


def check_covariance_types(covariance_types, owner: str = "", name: str = "covariance_types") -> list[str]:
    """One covariance type or a sequence of them -> the distinct names, in order.

    The accepted names are :data:`gmmlab.mixture.ALL_COVARIANCE_TYPES` (scikit-learn's four and mclust's 14
    models; looked up when called, so the list grows with the engine).
    """
    from gmmlab.mixture import ALL_COVARIANCE_TYPES as COVARIANCE_TYPES  # at call time: the engine imports this

    prefix = f"{owner}: " if owner else ""
    valid = ", ".join(repr(c) for c in COVARIANCE_TYPES)
    values = [covariance_types] if isinstance(covariance_types, str) else covariance_types
    try:
        values = list(values)
    except TypeError:
        values = [covariance_types]
    if not values:
        raise ValueError(f"{prefix}{name} is empty; pass at least one of {valid}.")
    for value in values:
        if not isinstance(value, str) or value not in COVARIANCE_TYPES:
            raise ValueError(f"{prefix}unknown covariance type {value!r} in {name}; choose from {valid}.")
    return list(dict.fromkeys(values))


def check_n_components_grid(
    n_components, owner: str = "", name: str = "n_components", n_samples: int | None = None
) -> list[int]:
    """An int or an iterable of ints -> the sorted distinct values, each >= 1 (and <= ``n_samples`` when given)."""
    prefix = f"{owner}: " if owner else ""
    values = [n_components] if isinstance(n_components, numbers.Number) else n_components
    try:
        if isinstance(values, str):
            raise TypeError
        values = list(values)
    except TypeError:
        raise ValueError(
            f"{prefix}{name} must be an integer or an iterable of integers such as range(1, 21), "
            f"got {n_components!r}."
        ) from None
    if not values:
        raise ValueError(f"{prefix}{name} is empty; pass at least one K, e.g. range(1, 21).")
    for k in values:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise ValueError(f"{prefix}every {name} must be an integer, got {k!r}; pass e.g. range(1, 21).")
        if k < 1:
            raise ValueError(f"{prefix}every {name} must be >= 1, got {int(k)}; start the grid at 1.")
        if n_samples is not None and k > n_samples:
            raise ValueError(
                f"{prefix}{name}={int(k)} is more than the {n_samples} samples to fit (each component needs at "
                f"least one sample); keep every K <= {n_samples}."
            )
    return sorted({int(k) for k in values})


def check_images(
    images,
    owner: str = "",
    name: str = "images",
    *,
    square: bool = False,
    unit_range: bool = False,
    min_images: int = 1,
    dtype=np.float64,
    convert: bool = True,
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Images as (n, height, width) or (n, n_pixels) -> finite float pixels (n, n_pixels) and one image's shape.

    uint8 pixels are divided by 255; float pixels are used as given (their dtype kept); other integer or boolean
    pixels are converted to ``dtype`` as given. ``square`` requires flat images to have a square number of pixels
    (their shape is then (side, side); otherwise (n_pixels,)); ``unit_range`` requires values in [0, 1].
    ``convert=False`` returns the validated pixels in their own dtype (convert a subsample later with
    :func:`as_float_pixels`, without a float copy of every image).
    """
    prefix = f"{owner}: " if owner else ""
    try:
        X = np.asarray(images)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{prefix}{name} must be a numeric array, got {type(images).__name__} ({error}).") from None
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{prefix}{name} must hold numeric pixel values, got dtype {X.dtype}.")
    if X.ndim not in (2, 3):
        raise ValueError(
            f"{prefix}{name} must have shape (n, height, width) or (n, n_pixels), e.g. (n, 28, 28) or (n, 784); "
            f"got shape {X.shape}."
        )
    if X.shape[0] < min_images or 0 in X.shape[1:]:
        raise ValueError(
            f"{prefix}{name} must hold n >= {min_images} images of at least one pixel each; got shape {X.shape}."
        )
    if X.ndim == 3:
        shape = tuple(int(s) for s in X.shape[1:])
    else:
        side = int(round(np.sqrt(X.shape[1])))
        if square and side * side != X.shape[1]:
            raise ValueError(
                f"{prefix}flat {name} must have a square number of pixels (e.g. 784 = 28 x 28), got {X.shape[1]}. "
                "Fix: pass them as (n, height, width)."
            )
        shape = (side, side) if side * side == X.shape[1] else (int(X.shape[1]),)
    X = X.reshape(X.shape[0], -1)
    if X.dtype.kind == "f":
        finite = np.isfinite(X).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"{prefix}{name} contain NaN or infinity (first in image {int(np.argmin(finite))}). "
                "Fix: drop or repair those images."
            )
    if unit_range and X.dtype != np.uint8:  # uint8 becomes [0, 1] by construction
        low, high = float(X.min()), float(X.max())
        if low < 0.0 or high > 1.0:
            hint = " They look like raw 0..255 pixels: divide by 255." if 1.0 < high <= 255.0 else ""
            raise ValueError(f"{prefix}pixel values must lie in [0, 1], got values in [{low:g}, {high:g}].{hint}")
    if convert:
        X = as_float_pixels(X, dtype)
    return X, shape


def as_float_pixels(X: np.ndarray, dtype=np.float64) -> np.ndarray:
    """Pixels as floats: uint8 divided by 255, float kept as given, other integers converted as given."""
    if X.dtype == np.uint8:
        return X.astype(dtype) / dtype(255)
    if X.dtype.kind != "f":
        return X.astype(dtype)
    return X
def check_sample_weight(sample_weight, n_samples: int, dtype, owner: str = "", n_components: int = 1):
    """Sample weights as a float array of shape (n_samples,), or None (every sample weighs 1).

    Weights must be finite and non-negative; at least ``n_components`` samples must weigh more than zero.
    """
    if sample_weight is None:
        return None
    prefix = f"{owner}: " if owner else ""
    try:
        weights = np.asarray(sample_weight, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(
            f"{prefix}sample_weight must be numeric, got {type(sample_weight).__name__}. "
            "Fix: pass a 1-D array of non-negative numbers, one per sample."
        ) from None
    if weights.ndim == 0:
        weights = np.full(n_samples, weights, dtype=dtype)
    if weights.shape != (n_samples,):
        raise ValueError(
            f"{prefix}sample_weight must have shape ({n_samples},), one weight per sample of X, got shape "
            f"{weights.shape}. Fix: pass a 1-D array with as many weights as X has rows."
        )
    if not np.all(np.isfinite(weights)):
        bad = int(np.flatnonzero(~np.isfinite(weights))[0])
        raise ValueError(
            f"{prefix}sample_weight contains NaN or infinity (first at index {bad}). "
            "Fix: replace them with finite non-negative weights (0 ignores a sample)."
        )
    if np.any(weights < 0):
        bad = int(np.flatnonzero(weights < 0)[0])
        raise ValueError(
            f"{prefix}sample_weight must be non-negative, got {weights[bad]!r} at index {bad}. "
            "Fix: use weights >= 0 (0 ignores a sample)."
        )
    n_positive = int(np.count_nonzero(weights))
    if n_positive < n_components:
        raise ValueError(
            f"{prefix}only {n_positive} samples have a positive sample_weight (the others weigh zero) but "
            f"n_components = {n_components}. Fix: give at least n_components samples a weight > 0, or decrease "
            "n_components."
        )
    return weights
