"""Covariance math of a Gaussian mixture, one small pure function per covariance type and task.

Layouts, as in scikit-learn: ``full`` (K, d, d), ``tied`` (d, d), ``diag`` (K, d), ``spherical`` (K,).
``precisions_cholesky`` is the upper-triangular factor U with precision = U U^T (full and tied), or the square
root of the precisions (diag and spherical).

All functions assume valid input (validation happens at the public boundary). Each covariance type is a
:class:`CovarianceOps` in :data:`COVARIANCE_OPS`; the EM loop picks one and never branches on the type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import linalg

__all__ = ["COVARIANCE_OPS", "CovarianceOps", "SingularCovarianceError"]

# Largest number of floats the batched full-covariance E-step may hold in one temporary; bounds peak memory
# to about what scikit-learn's per-component loop uses while letting BLAS work on wide products.
_FULL_BATCH_FLOATS = 4_000_000


class SingularCovarianceError(ValueError):
    """A component's covariance is not positive definite (a collapsed or singleton component)."""


def _singular_message(dtype) -> str:
    message = (
        "Fitting the mixture model failed because some components have an ill-defined (singular) covariance, "
        "for instance a component that collapsed onto one point or a few duplicated samples. "
        "Fix: increase reg_covar (for example reg_covar=1e-4), decrease n_components, or scale the input data."
    )
    if np.dtype(dtype) == np.float32:
        message += " Passing float64 data instead of float32 also improves the numerical accuracy."
    return message


# ---------------------------------------------------------------------------------------------------------
# constants computed once per fit


def _prepare_none(X):
    return {}


def _prepare_squares(X):
    return {"X2": X * X}


def _prepare_row_norms(X):
    return {"row_sq": np.einsum("ij,ij->i", X, X)}


def _prepare_gram(X):
    return {"gram": X.T @ X}


# ---------------------------------------------------------------------------------------------------------
# M-step: covariances from responsibilities


def _covariances_full(X, resp, nk, means, reg_covar, cache):
    n_components, n_features = means.shape
    covariances = np.empty((n_components, n_features, n_features), dtype=X.dtype)
    sqrt_resp = np.sqrt(resp)
    for k in range(n_components):
        weighted = X - means[k]
        weighted *= sqrt_resp[:, k : k + 1]
        # weighted.T @ weighted is a symmetric rank-k update: half the flops of a general product.
        covariances[k] = weighted.T @ weighted
        covariances[k] /= nk[k]
        covariances[k].flat[:: n_features + 1] += reg_covar
    return covariances


def _covariances_tied(X, resp, nk, means, reg_covar, cache):
    gram = cache["gram"] if "gram" in cache else X.T @ X
    covariance = gram - (nk * means.T) @ means
    covariance /= nk.sum()
    covariance.flat[:: covariance.shape[0] + 1] += reg_covar
    return covariance


def _covariances_diag(X, resp, nk, means, reg_covar, cache):
    X2 = cache["X2"] if "X2" in cache else X * X
    return (resp.T @ X2) / nk[:, np.newaxis] - means**2 + reg_covar


def _covariances_spherical(X, resp, nk, means, reg_covar, cache):
    # The mean over features of the diagonal estimate, from row norms: n x K work instead of n x K x d.
    row_sq = cache["row_sq"] if "row_sq" in cache else np.einsum("ij,ij->i", X, X)
    n_features = means.shape[1]
    return (resp.T @ row_sq) / (nk * n_features) - (means**2).mean(axis=1) + reg_covar


# ---------------------------------------------------------------------------------------------------------
# precision Cholesky factors


def _inverse_cholesky(covariance):
    try:
        cov_chol = linalg.cholesky(covariance, lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise SingularCovarianceError(_singular_message(covariance.dtype)) from None
    eye = np.eye(covariance.shape[0], dtype=covariance.dtype)
    return linalg.solve_triangular(cov_chol, eye, lower=True, check_finite=False).T


def _precision_cholesky_full(covariances):
    return np.stack([_inverse_cholesky(c) for c in covariances])


def _precision_cholesky_diagonal(covariances):
    if np.any(covariances <= 0.0) or not np.all(np.isfinite(covariances)):
        raise SingularCovarianceError(_singular_message(covariances.dtype))
    return 1.0 / np.sqrt(covariances)


def _upper_cholesky_of_precision(precision):
    # precision = U U^T with U upper triangular: the lower Cholesky factor of the row/column-reversed matrix,
    # reversed back.
    try:
        lower = linalg.cholesky(precision[::-1, ::-1], lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise SingularCovarianceError(
            "precisions_init is not positive definite; pass symmetric positive definite precision matrices."
        ) from None
    return lower[::-1, ::-1]


def _precision_cholesky_from_precisions_full(precisions):
    return np.stack([_upper_cholesky_of_precision(p) for p in precisions])


def _precision_cholesky_from_precisions_diagonal(precisions):
    return np.sqrt(precisions)


def _precisions_full(precisions_cholesky):
    return precisions_cholesky @ np.swapaxes(precisions_cholesky, -1, -2)


def _precisions_diagonal(precisions_cholesky):
    return precisions_cholesky**2


def _covariances_from_cholesky_full(precisions_cholesky):
    inverse = np.linalg.inv(precisions_cholesky)
    return np.swapaxes(inverse, -1, -2) @ inverse


def _covariances_from_cholesky_diagonal(precisions_cholesky):
    return 1.0 / precisions_cholesky**2


# ---------------------------------------------------------------------------------------------------------
# log-determinants of the precision Cholesky factors


def _log_det_full(precisions_cholesky, n_features):
    diagonals = precisions_cholesky.reshape(precisions_cholesky.shape[0], -1)[:, :: n_features + 1]
    return np.log(diagonals).sum(axis=1)


def _log_det_tied(precisions_cholesky, n_features):
    return np.log(np.diag(precisions_cholesky)).sum()


def _log_det_diag(precisions_cholesky, n_features):
    return np.log(precisions_cholesky).sum(axis=1)


def _log_det_spherical(precisions_cholesky, n_features):
    return n_features * np.log(precisions_cholesky)


# ---------------------------------------------------------------------------------------------------------
# E-step: squared Mahalanobis distance of every sample to every component, shape (n_samples, n_components)


def _mahalanobis_full(X, means, precisions_cholesky, cache):
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    out = np.empty((n_samples, n_components), dtype=X.dtype)
    # Project X on several components' factors in one wide product, in batches bounded in memory.
    batch = max(1, min(n_components, _FULL_BATCH_FLOATS // max(1, n_samples * n_features)))
    for start in range(0, n_components, batch):
        stop = min(start + batch, n_components)
        factors = precisions_cholesky[start:stop]  # (b, d, d)
        wide = np.ascontiguousarray(factors.transpose(1, 0, 2)).reshape(n_features, -1)
        projected = (X @ wide).reshape(n_samples, stop - start, n_features)
        projected -= np.einsum("bi,bij->bj", means[start:stop], factors)
        np.einsum("nbj,nbj->nb", projected, projected, out=out[:, start:stop])
    return out


def _mahalanobis_tied(X, means, precisions_cholesky, cache):
    # One projection of X per iteration (scikit-learn does one per component), then the expansion
    # |y - m|^2 = |y|^2 - 2 y.m + |m|^2 as a single n x d x K product.
    projected = X @ precisions_cholesky
    projected_means = means @ precisions_cholesky
    out = projected @ (-2.0 * projected_means.T)
    out += np.einsum("ij,ij->i", projected, projected)[:, np.newaxis]
    out += np.einsum("ij,ij->i", projected_means, projected_means)
    np.maximum(out, 0.0, out=out)
    return out


def _mahalanobis_diag(X, means, precisions_cholesky, cache):
    precisions = precisions_cholesky**2
    X2 = cache["X2"] if "X2" in cache else X * X
    out = X2 @ precisions.T
    out -= 2.0 * (X @ (means * precisions).T)
    out += np.sum(means**2 * precisions, axis=1)
    np.maximum(out, 0.0, out=out)
    return out


def _mahalanobis_spherical(X, means, precisions_cholesky, cache):
    precisions = precisions_cholesky**2
    row_sq = cache["row_sq"] if "row_sq" in cache else np.einsum("ij,ij->i", X, X)
    out = X @ (-2.0 * means.T)
    out += row_sq[:, np.newaxis]
    out += np.sum(means**2, axis=1)
    out *= precisions
    np.maximum(out, 0.0, out=out)
    return out


@dataclass(frozen=True)
class CovarianceOps:
    """The covariance math of one covariance type.

    Every attribute is a pure function; see the module docstring for array layouts.
    """

    name: str
    prepare: Callable  # X -> dict of per-fit constants
    estimate: Callable  # (X, resp, nk, means, reg_covar, cache) -> covariances
    precision_cholesky: Callable  # covariances -> precisions_cholesky
    precision_cholesky_from_precisions: Callable
    precisions: Callable  # precisions_cholesky -> precisions
    covariances_from_cholesky: Callable  # precisions_cholesky -> covariances
    log_det: Callable  # (precisions_cholesky, n_features) -> log det of the factor(s)
    mahalanobis: Callable  # (X, means, precisions_cholesky, cache) -> (n, K)
    n_parameters: Callable  # (n_components, n_features) -> number of free covariance parameters
    covariance_shape: Callable  # (n_components, n_features) -> shape of covariances_
    component_covariance: Callable  # (covariances, k, n_features) -> (d, d)


COVARIANCE_OPS: dict[str, CovarianceOps] = {
    "full": CovarianceOps(
        name="full",
        prepare=_prepare_none,
        estimate=_covariances_full,
        precision_cholesky=_precision_cholesky_full,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_full,
        precisions=_precisions_full,
        covariances_from_cholesky=_covariances_from_cholesky_full,
        log_det=_log_det_full,
        mahalanobis=_mahalanobis_full,
        n_parameters=lambda k, d: k * d * (d + 1) // 2,
        covariance_shape=lambda k, d: (k, d, d),
        component_covariance=lambda c, k, d: c[k],
    ),
    "tied": CovarianceOps(
        name="tied",
        prepare=_prepare_gram,
        estimate=_covariances_tied,
        precision_cholesky=_inverse_cholesky,
        precision_cholesky_from_precisions=_upper_cholesky_of_precision,
        precisions=_precisions_full,
        covariances_from_cholesky=_covariances_from_cholesky_full,
        log_det=_log_det_tied,
        mahalanobis=_mahalanobis_tied,
        n_parameters=lambda k, d: d * (d + 1) // 2,
        covariance_shape=lambda k, d: (d, d),
        component_covariance=lambda c, k, d: c,
    ),
    "diag": CovarianceOps(
        name="diag",
        prepare=_prepare_squares,
        estimate=_covariances_diag,
        precision_cholesky=_precision_cholesky_diagonal,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_diagonal,
        precisions=_precisions_diagonal,
        covariances_from_cholesky=_covariances_from_cholesky_diagonal,
        log_det=_log_det_diag,
        mahalanobis=_mahalanobis_diag,
        n_parameters=lambda k, d: k * d,
        covariance_shape=lambda k, d: (k, d),
        component_covariance=lambda c, k, d: np.diag(c[k]),
    ),
    "spherical": CovarianceOps(
        name="spherical",
        prepare=_prepare_row_norms,
        estimate=_covariances_spherical,
        precision_cholesky=_precision_cholesky_diagonal,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_diagonal,
        precisions=_precisions_diagonal,
        covariances_from_cholesky=_covariances_from_cholesky_diagonal,
        log_det=_log_det_spherical,
        mahalanobis=_mahalanobis_spherical,
        n_parameters=lambda k, d: k,
        covariance_shape=lambda k, d: (k,),
        component_covariance=lambda c, k, d: np.eye(d, dtype=c.dtype) * c[k],
    ),
}

_LOG_2PI = math.log(2.0 * math.pi)


def estimate_gaussian_parameters(X, resp, reg_covar, ops: CovarianceOps, cache):
    """M-step on responsibilities: ``(nk, means, covariances)``, ``nk`` unnormalised as in scikit-learn."""
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, np.newaxis]
    covariances = ops.estimate(X, resp, nk, means, reg_covar, cache)
    return nk, means, covariances


def weighted_log_prob(X, weights, means, precisions_cholesky, ops: CovarianceOps, cache):
    """``log w_k + log N(x_i | mu_k, Sigma_k)`` for every sample and component, shape (n, K)."""
    n_features = X.shape[1]
    out = ops.mahalanobis(X, means, precisions_cholesky, cache)
    out *= -0.5
    out += ops.log_det(precisions_cholesky, n_features) - 0.5 * n_features * _LOG_2PI
    out += np.log(weights)
    return out


def e_step(X, weights, means, precisions_cholesky, ops: CovarianceOps, cache):
    """E-step: ``(log_prob_norm, responsibilities)``, the per-sample log-likelihood and the posteriors.

    The exponentials of the log-sum-exp are reused as the responsibilities, so each E-step takes one ``exp``
    pass over the (n, K) array, not two.
    """
    work = weighted_log_prob(X, weights, means, precisions_cholesky, ops, cache)
    row_max = work.max(axis=1, keepdims=True)
    row_max[~np.isfinite(row_max)] = 0.0
    work -= row_max
    np.exp(work, out=work)
    totals = work.sum(axis=1, keepdims=True)
    work /= totals
    log_prob_norm = np.log(totals[:, 0]) + row_max[:, 0]
    return log_prob_norm, work
