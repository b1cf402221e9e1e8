"""Degenerate optima: components that collapsed onto a few points or onto a set of repeated values.

EM's likelihood is unbounded: a component that sits on points sharing one value along some direction (rounded or
repeated data) has a variance of ``reg_covar`` there and a density that grows as ``reg_covar`` shrinks. Such a fit
"wins" on log-likelihood and BIC without describing the data (mclust reports these fits as singular, NA). A fit is
flagged degenerate when one of its components

1. has fewer effective points (``n_samples * weight``) than its covariance needs to be non-singular: d + 1 for
   ``full``, 2 for ``diag`` and ``spherical`` (one variance per component from at least two points), 1 for
   ``tied`` (the covariance is pooled; an empty component is still degenerate); for mclust's names, see
   :func:`min_effective_points`; or
2. has, along some direction u, a variance of its own (the covariance minus ``reg_covar``) below
   :data:`MIN_VARIANCE_SHARE` of the data's variance along u, i.e. the smallest eigenvalue of
   ``S^(-1/2) (Sigma_k - reg_covar I) S^(-1/2)`` (S the data covariance) is below the share. This ratio does not
   change when the data is translated, rescaled or rotated.

Why 1e-6. Measured on scikit-learn ``GaussianMixture(n_init=10)`` fits, K = 1..9, the four covariance types, on
iris, wine, breast cancer (8 raw features) and three rounded synthetic mixtures (``gmmlab.data`` presets): every
collapsed fit has a ratio below 2e-8 (most are 0 to rounding, |ratio| < 1e-14), every other fit has a ratio of at
least 3e-4 (smallest: wine, spherical, K=9). 1e-6 sits in the middle of that gap, on the low side so that a real
but tight cluster (a ratio of 1e-4 is a cluster whose spread is 1 % of the data's along some direction, e.g. next
to far outliers) is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_VARIANCE_SHARE", "Degeneracy", "check_degenerate", "full_covariances", "min_effective_points"]

MIN_VARIANCE_SHARE = 1e-6
"""Smallest share of the data's variance (along any direction) that a component's own variance may have."""

_SKLEARN_NAMES = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


def min_effective_points(covariance_type: str, n_features: int) -> int:
    """Points a component needs for its own covariance parameters, from mclust's name (or scikit-learn's).

    Orientation varying per component (VVV = full, EEV, VEV, EVV): d + 1; otherwise, volume or shape varying per
    component (VII = spherical, VVI = diag, VEI, EVI, VEE, EVE, VVE): 2; everything pooled (EII, EEI, EEE = tied): 1.
    """
    name = _SKLEARN_NAMES.get(covariance_type, covariance_type)
    if len(name) == 3 and name[2] == "V":
        return n_features + 1
    if "V" in name[:2]:
        return 2
    return 1


@dataclass(frozen=True)
class Degeneracy:
    """The verdict on one fit.

    Attributes
    ----------
    degenerate : bool
    reason : str
        Empty when not degenerate; otherwise which components and why, in words with the numbers.
    components : tuple of int
        The degenerate components.
    """

    degenerate: bool
    reason: str
    components: tuple

    def __bool__(self) -> bool:
        return self.degenerate


def full_covariances(covariances, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Covariances of any of scikit-learn's layouts as a (K, d, d) array (a (K, d, d) array is returned as is)."""
    covariances = np.asarray(covariances, dtype=np.float64)
    if covariances.ndim == 3:
        return covariances
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (n_components, n_features, n_features))
    if covariance_type == "diag":
        return covariances[:, :, None] * np.eye(n_features)
    if covariance_type == "spherical":
        return covariances[:, None, None] * np.eye(n_features)
    raise ValueError(f"covariance_type must be 'full', 'tied', 'diag' or 'spherical', got {covariance_type!r}.")


def _data_covariance(data_variance, n_features: int) -> np.ndarray:
    variance = np.asarray(data_variance, dtype=np.float64)
    if variance.ndim == 0:  # the total variance: spread evenly over the features
        return np.eye(n_features) * (float(variance) / n_features)
    if variance.shape == (n_features,):
        return np.diag(variance)
    if variance.shape == (n_features, n_features):
        return variance
    raise ValueError(
        f"data_variance must be a scalar (total variance), shape ({n_features},) (per feature) or "
        f"({n_features}, {n_features}) (covariance matrix), got shape {variance.shape}."
    )


def check_degenerate(
    weights,
    covariances,
    n_samples: int,
    data_variance,
    *,
    covariance_type: str = "full",
    reg_covar: float = 1e-6,
    min_variance_share: float = MIN_VARIANCE_SHARE,
) -> Degeneracy:
    """Whether fitted mixture parameters are a degenerate optimum (see the module docstring).

    Parameters
    ----------
    weights : array-like of shape (K,)
    covariances : array-like
        (K, d, d), or scikit-learn's layout of ``covariance_type`` (full, tied, diag, spherical).
    n_samples : int
        Number of samples the mixture was fitted on.
    data_variance : float or array-like of shape (d,) or (d, d)
        The data's covariance matrix (best: ``np.cov(X.T, bias=True)``), its per-feature variances, or its total
        variance. With less than the matrix, "along any direction" becomes "along the axes" (per feature) or
        "against the average variance" (total).
    covariance_type : str, default="full"
        scikit-learn's or mclust's name (it sets how many points a component needs, see
        :func:`min_effective_points`).
    reg_covar : float, default=1e-6
        The regularisation the fit added to every variance; it is taken off before comparing.
    min_variance_share : float, default=MIN_VARIANCE_SHARE

    Returns
    -------
    Degeneracy
    """
    weights = np.asarray(weights, dtype=np.float64)
    n_components = weights.shape[0]
    if np.ndim(data_variance) >= 1:
        n_features = np.shape(data_variance)[0]
    elif covariance_type != "spherical":
        n_features = np.shape(covariances)[-1]
    else:
        raise ValueError("spherical covariances need data_variance per feature or as a matrix (it gives d).")
    covariances = full_covariances(covariances, covariance_type, n_components, n_features)
    n_features = covariances.shape[-1]
    min_points = min_effective_points(covariance_type, n_features)
    reasons, flagged = [], set()

    effective = n_samples * weights
    few = np.flatnonzero(effective < min_points)
    if few.size:
        flagged.update(few.tolist())
        listed = ", ".join(f"{k} ({effective[k]:.3g})" for k in few)
        reasons.append(f"fewer than {min_points} effective points in component(s) {listed}")

    data_cov = _data_covariance(data_variance, n_features)
    # A ridge keeps the Cholesky factor of a rank-deficient data covariance (constant or collinear columns) finite.
    ridge = np.finfo(np.float64).eps * max(float(np.trace(data_cov)), np.finfo(np.float64).tiny) * n_features
    try:
        cholesky = np.linalg.cholesky(data_cov + ridge * np.eye(n_features))
    except np.linalg.LinAlgError:
        raise ValueError("data_variance must be positive (semi-)definite.") from None
    own = covariances - reg_covar * np.eye(n_features)
    half = np.linalg.solve(cholesky, own)  # L^-1 C, batched over components
    ratio = np.linalg.eigvalsh(np.linalg.solve(cholesky, half.transpose(0, 2, 1)))[:, 0]
    thin = np.flatnonzero(ratio < min_variance_share)
    if thin.size:
        flagged.update(thin.tolist())
        listed = ", ".join(f"{k} ({max(ratio[k], 0.0):.2g})" for k in thin)
        reasons.append(
            f"a variance below {min_variance_share:g} of the data's along some direction in component(s) {listed}"
        )
    if not flagged:
        return Degeneracy(False, "", ())
    return Degeneracy(True, "; ".join(reasons), tuple(sorted(flagged)))
