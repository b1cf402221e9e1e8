"""Validation at the public boundary: messages that name the bad value and the fix."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import validate_data

__all__ = ["check_data", "check_int", "check_float", "check_choice"]


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


def check_choice(name: str, value, choices, owner: str = ""):
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        prefix = f"{owner}: " if owner else ""
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{prefix}{name} must be one of {valid}; got {value!r}.")
    return value
