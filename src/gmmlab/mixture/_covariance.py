"""Covariance math of a Gaussian mixture, one small pure function per covariance type and task.

Layouts, as in scikit-learn: ``full`` (K, d, d), ``tied`` (d, d), ``diag`` (K, d), ``spherical`` (K,).
``precisions_cholesky`` is the upper-triangular factor U with precision = U U^T (full and tied), or the square
root of the precisions (diag and spherical).

Two families of functions per type:

* the EM loop's: ``prepare`` builds per-fit constants (the centred data, transposed; the Gram matrix for tied),
  ``e_state`` per-iteration constants, ``log_prob`` fills the weighted log-densities of a block of samples in
  (n_components, block) layout and returns the block's feature rows (x, with x^2 or |x|^2 appended for diag and
  spherical) whose responsibility-weighted sums are the M-step's moments, ``accumulate`` (full only) gathers the
  scatter matrices of the block, and ``finalize`` turns the sufficient statistics into covariances. The loop in
  :mod:`._em` walks the samples in blocks: no (n_samples, n_components) array is held and the temporaries stay
  in cache.
* ``estimate``: the M-step from a whole (n_samples, n_components) responsibility matrix, used once per fit for the
  initialisation (scikit-learn's formulas, on the uncentred data).

All functions assume valid input (validation happens at the public boundary). Each covariance type is a
:class:`CovarianceOps` in :data:`COVARIANCE_OPS`; the EM loop picks one and never branches on the type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from scipy import linalg
from threadpoolctl import ThreadpoolController

__all__ = [
    "COVARIANCE_OPS",
    "CovarianceOps",
    "SingularCovarianceError",
    "e_step",
    "estimate_gaussian_parameters",
    "most_probable_component",
    "one_thread",
]

_LOG_2PI = math.log(2.0 * math.pi)

# Smallest exponent a responsibility is computed for, by precision: e^-600 is about 1e-261 (float64), e^-80 about
# 2e-35 (float32), both far from the subnormal range, where products with the data would stay normal too.
_LOG_FLOOR = {"d": -600.0, "f": -80.0}

# A sample whose responsibility for a component is below this fraction of the block's total responsibility for
# it is left out of that component's scatter matrix: its share is under 1e-25 of the block's, far below the
# rounding of the sum itself, so the result is the same to the last digits while the full-covariance M-step skips
# the (typically 70-90 %) samples that lie far from the component.
_NEGLIGIBLE_RESPONSIBILITY = 1e-25


_CONTROLLER: Optional[ThreadpoolController] = None


def one_thread():
    """A context in which BLAS and OpenMP run on one thread: a fit runs on one core.

    The blocked E/M pass makes many small BLAS calls (a few hundred samples each): a multi-threaded BLAS spends
    more on waking and synchronising its threads than on the products. scikit-learn's KMeans (the
    initialisation) synchronises its OpenMP threads at every Lloyd iteration, and when other processes hold the
    cores a descheduled thread stalls the others. Measured on a shared 2-core machine: K = 1..30 KMeans inits on
    5000 x 50 took 22-33 s with two threads and 2 s with one; a 10000 x 84, K = 5 full fit took 31 s with the
    default two threads and 3 s with one. The labels KMeans returns do not depend on the thread count.
    Parallelism belongs one level up: sweeps run one fit per core.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1)


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
# per-fit constants


def _centred_transposed(X, shift):
    """(X - shift)^T, shape (d, n), C-ordered: a block of samples is d contiguous pieces, the layout the blocked
    products read fastest (a transposed view of X would cost no memory but slows the full E-step by 10-20 %)."""
    features = np.empty((X.shape[1], X.shape[0]), dtype=X.dtype)
    if shift is None:
        features[...] = X.T
    else:
        np.subtract(X.T, shift[:, np.newaxis], out=features)
    return features


def _prepare_plain(X, shift=None):
    return {"features": _centred_transposed(X, shift)}


def _prepare_gram(X, shift=None):
    features = _centred_transposed(X, shift)
    return {"features": features, "gram": features @ features.T}


# ---------------------------------------------------------------------------------------------------------
# M-step from a whole responsibility matrix (the initialisation; scikit-learn's formulas)


def _covariances_full(X, resp, nk, means, reg_covar, cache):
    n_components, n_features = means.shape
    covariances = np.empty((n_components, n_features, n_features), dtype=X.dtype)
    for k in range(n_components):
        # A KMeans start gives one-hot responsibilities: only a component's own samples weigh in (zero weights
        # add exact zeros), so the initial M-step costs one pass over the data, not one per component.
        members = np.flatnonzero(resp[:, k])
        weighted = X[members]  # a copy
        weighted -= means[k]
        weighted *= np.sqrt(resp[members, k])[:, np.newaxis]
        # weighted.T @ weighted is a symmetric rank-k update: half the flops of a general product.
        covariances[k] = weighted.T @ weighted
        covariances[k] /= nk[k]
        covariances[k].flat[:: n_features + 1] += reg_covar
    return covariances


def _covariances_tied(X, resp, nk, means, reg_covar, cache):
    return _tied_from_gram(X.T @ X, nk, means, reg_covar)


def _tied_from_gram(gram, nk, means, reg_covar):
    covariance = gram - (nk * means.T) @ means
    covariance /= nk.sum()
    covariance.flat[:: covariance.shape[0] + 1] += reg_covar
    return covariance


_ROWS_PER_PASS = 4096


def _covariances_diag(X, resp, nk, means, reg_covar, cache):
    second = np.zeros_like(means)
    squares = np.empty((min(len(X), _ROWS_PER_PASS), X.shape[1]), dtype=X.dtype)
    for start in range(0, len(X), _ROWS_PER_PASS):  # X * X by slices: no (n, d) temporary
        stop = min(start + _ROWS_PER_PASS, len(X))
        np.square(X[start:stop], out=squares[: stop - start])
        second += resp[start:stop].T @ squares[: stop - start]
    return second / nk[:, np.newaxis] - means**2 + reg_covar


def _covariances_spherical(X, resp, nk, means, reg_covar, cache):
    # The mean over features of the diagonal estimate, from row norms: n x K work instead of n x K x d.
    row_sq = np.einsum("ij,ij->i", X, X)
    n_features = means.shape[1]
    return (resp.T @ row_sq) / (nk * n_features) - (means**2).mean(axis=1) + reg_covar


# ---------------------------------------------------------------------------------------------------------
# precision Cholesky factors


def _inverse_cholesky(covariance):
    """U = L^-T, the upper-triangular precision factor, from the lower Cholesky factor L of ``covariance``.

    LAPACK directly: scipy.linalg's wrappers spend more on checks than a 50 x 50 factorisation takes.
    """
    potrf, trtri = linalg.lapack.get_lapack_funcs(("potrf", "trtri"), dtype=covariance.dtype)
    cov_chol, info = potrf(covariance, lower=1, clean=1)
    if info == 0:
        inverse, info = trtri(cov_chol, lower=1)
    if info != 0:
        raise SingularCovarianceError(_singular_message(covariance.dtype))
    return inverse.T


def _precision_cholesky_full(covariances):
    return np.stack([_inverse_cholesky(c) for c in covariances])


def _triangular_inverses(upper):
    """U^-1 for a stack of upper-triangular U."""
    trtri = linalg.lapack.get_lapack_funcs("trtri", dtype=upper.dtype)
    return np.stack([trtri(u, lower=0)[0] for u in upper])


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


def _bias(weights, log_det, n_features):
    """The part of log w_k + log N(x | k) that does not depend on x."""
    return np.log(weights) + log_det - 0.5 * n_features * _LOG_2PI


# ---------------------------------------------------------------------------------------------------------
# E-step on a block of samples: ``out`` (K, block) receives log w_k + log N(x | k), up to a per-sample term
# that is the same for every component when ``exact`` is False (its mean over the data is ``state["offset"]``).
#
# The block's columns are ``features[:, start:stop]``; ``work`` holds buffers reused across blocks and iterations.


def _e_state_full(weights, means, precisions_cholesky, cache):
    n_components, n_features = means.shape
    dtype = precisions_cholesky.dtype
    # Whitening of x by component k is y = (x - m_k) U_k. With a leading 1 prepended to x, it is one triangular
    # product: [1, x] @ [[1, -m_k U_k], [0, U_k]] = [1, y]. Stored transposed so that [k].T is Fortran-ordered.
    augmented_t = np.zeros((n_components, n_features + 1, n_features + 1), dtype=dtype)
    augmented_t[:, 0, 0] = 1.0
    augmented_t[:, 1:, 0] = -np.einsum("ki,kij->kj", means, precisions_cholesky)
    augmented_t[:, 1:, 1:] = np.swapaxes(precisions_cholesky, 1, 2)
    log_det = _log_det_full(precisions_cholesky, n_features)
    trmm, syrk = linalg.get_blas_funcs(("trmm", "syrk"), dtype=dtype)
    return {
        "augmented_t": augmented_t,
        "bias": _bias(weights, log_det, n_features),
        "offset": 0.0,
        "means": means,
        "precisions_cholesky": precisions_cholesky,
        "trmm": trmm,
        "syrk": syrk,
    }


def _whiten(block, state, k):
    """``block`` (d + 1, m) holds [1, x]^T for m samples; replace it by [1, y]^T, y = (x - m_k) U_k, in place."""
    state["trmm"](1.0, state["augmented_t"][k].T, block.T, side=1, lower=0, overwrite_b=1)


def _augmented_buffer(work, name, n_rows, size, dtype):
    """A (n_rows, size) buffer whose first row is ones (the trmm keeps it: the augmented factor's first column
    is (1, 0, ..., 0))."""
    view = _buffer(work, name, n_rows * size, dtype).reshape(n_rows, size)
    view[0] = 1.0
    return view


def _log_prob_full(features, start, stop, state, out, work, exact):
    n_features = features.shape[0]
    block = _augmented_buffer(work, "whitened", n_features + 1, stop - start, features.dtype)
    for k in range(out.shape[0]):
        block[1:] = features[:, start:stop]
        _whiten(block, state, k)
        np.einsum("ij,ij->j", block[1:], block[1:], out=out[k])
    out *= -0.5
    out += state["bias"][:, np.newaxis]
    return features[:, start:stop]


def _accumulate_full(features, start, stop, state, resp, resp_sums, work, acc):
    """Add the block's whitened scatter sum_i r_ik [1, y_i][1, y_i]^T to ``acc["scatter"]`` (upper triangles).

    Only the samples with a non-negligible responsibility are whitened again and added (see
    ``_NEGLIGIBLE_RESPONSIBILITY``): usually a small fraction of the block, so the M-step costs much less than the
    E-step.
    """
    n_components, size = resp.shape
    n_rows = features.shape[0] + 1
    scatter = acc.get("scatter")
    if scatter is None:
        scatter = acc["scatter"] = np.zeros((n_components, n_rows, n_rows), dtype=features.dtype)
    keep = resp > (_NEGLIGIBLE_RESPONSIBILITY * resp_sums)[:, np.newaxis]
    counts = np.count_nonzero(keep, axis=1)
    block_features = features[:, start:stop]
    syrk = state["syrk"]
    for k in range(n_components):
        count = counts[k]
        if count == 0:
            continue
        block = _augmented_buffer(work, "gathered", n_rows, count, features.dtype)
        if count == size:
            block[1:] = block_features
            weights = np.sqrt(resp[k])
        else:
            index = np.flatnonzero(keep[k])
            block[1:] = block_features[:, index]  # fancy indexing gathers 4x faster than np.take(axis=1)
            weights = np.sqrt(resp[k, index])
        _whiten(block, state, k)
        block *= weights
        syrk(1.0, block.T, beta=1.0, c=scatter[k].T, trans=1, lower=0, overwrite_c=1)


def _finalize_full(moments, nk, means, acc, state, reg_covar, cache):
    """Covariances from the whitened scatter: Sigma_k = L_k C_k L_k^T / n_k + reg, L_k = U_k^-T the old factor.

    The scatter was gathered around the previous means in the previous whitened coordinates, where it is close
    to n_k times the identity; re-centring it on the new means there is well conditioned, and mapping it back
    costs O(d^3) per component instead of another pass over the data.
    """
    n_components, n_features = means.shape
    dtype = means.dtype
    scatter = acc.get("scatter")
    if scatter is None:
        scatter = np.zeros((n_components, n_features + 1, n_features + 1), dtype=dtype)
    upper = np.triu(np.swapaxes(scatter, 1, 2))  # the Fortran-upper triangles syrk filled
    full = upper + np.swapaxes(np.triu(upper, 1), 1, 2)
    total = full[:, 0, 0]
    first = full[:, 0, 1:]
    second = full[:, 1:, 1:]
    precisions_cholesky = state["precisions_cholesky"]
    moved = np.einsum("ki,kij->kj", means - state["means"], precisions_cholesky)  # new means, whitened
    outer = first[:, :, np.newaxis] * moved[:, np.newaxis, :]
    centred = second - outer - np.swapaxes(outer, 1, 2)
    centred += total[:, np.newaxis, np.newaxis] * (moved[:, :, np.newaxis] * moved[:, np.newaxis, :])
    inverses = _triangular_inverses(precisions_cholesky)  # L_k^T = U_k^-1, so L_k C L_k^T = U_k^-T C U_k^-1
    covariances = np.swapaxes(inverses, 1, 2) @ centred @ inverses
    covariances += np.swapaxes(covariances, 1, 2)
    covariances *= 0.5 / nk[:, np.newaxis, np.newaxis]
    covariances.reshape(n_components, -1)[:, :: n_features + 1] += reg_covar
    return covariances


def _e_state_tied(weights, means, precisions_cholesky, cache):
    n_features = means.shape[1]
    # |U^T(x - m)|^2 = x^T P x - 2 m^T P x + m^T P m. The first term is the same for every component: it cancels
    # in the responsibilities and only its mean enters the lower bound, trace(P G) / n with G the Gram matrix.
    # So an iteration costs O(n d K), not the O(n d^2) of projecting the data.
    precision = precisions_cholesky @ precisions_cholesky.T
    projected_means = means @ precisions_cholesky
    log_det = _log_det_tied(precisions_cholesky, n_features)
    bias = _bias(weights, log_det, n_features) - 0.5 * np.einsum("ij,ij->i", projected_means, projected_means)
    n_samples = cache["features"].shape[1]
    return {
        "linear": means @ precision,
        "bias": bias,
        "offset": -0.5 * float(np.sum(precision * cache["gram"])) / n_samples,
        "precisions_cholesky": precisions_cholesky,
    }


def _linear_log_prob(block, state, out):
    """log-densities that are linear in the block's feature rows: ``linear @ block + bias``."""
    np.matmul(state["linear"], block, out=out)
    out += state["bias"][:, np.newaxis]
    return block


def _log_prob_tied(features, start, stop, state, out, work, exact):
    block = _linear_log_prob(features[:, start:stop], state, out)
    if exact:
        projected = state["precisions_cholesky"].T @ block
        out -= 0.5 * np.einsum("ij,ij->j", projected, projected)
    return block


def _finalize_tied(moments, nk, means, acc, state, reg_covar, cache):
    return _tied_from_gram(cache["gram"], nk, means, reg_covar)


def _e_state_diag(weights, means, precisions_cholesky, cache):
    n_features = means.shape[1]
    precisions = precisions_cholesky**2
    # -0.5 sum_j p_j (x_j - m_j)^2 = [m p, -0.5 p] . [x, x^2] - 0.5 sum_j p_j m_j^2: one product per block.
    linear = np.concatenate([means * precisions, -0.5 * precisions], axis=1)
    log_det = _log_det_diag(precisions_cholesky, n_features)
    bias = _bias(weights, log_det, n_features) - 0.5 * np.sum(means**2 * precisions, axis=1)
    return {"linear": linear, "bias": bias, "offset": 0.0}


def _squares_block(features, start, stop, work):
    """[x; x^2] for the block, (2d, block), in a reused buffer."""
    n_features, size = features.shape[0], stop - start
    block = _buffer(work, "extended", 2 * n_features * size, features.dtype).reshape(2 * n_features, size)
    block[:n_features] = features[:, start:stop]
    np.square(block[:n_features], out=block[n_features:])
    return block


def _row_norms_block(features, start, stop, work):
    """[x; |x|^2] for the block, (d + 1, block), in a reused buffer."""
    n_features, size = features.shape[0], stop - start
    block = _buffer(work, "extended", (n_features + 1) * size, features.dtype).reshape(n_features + 1, size)
    block[:n_features] = features[:, start:stop]
    np.einsum("ij,ij->j", block[:n_features], block[:n_features], out=block[n_features])
    return block


def _log_prob_diag(features, start, stop, state, out, work, exact):
    return _linear_log_prob(_squares_block(features, start, stop, work), state, out)


def _log_prob_spherical(features, start, stop, state, out, work, exact):
    return _linear_log_prob(_row_norms_block(features, start, stop, work), state, out)


def _finalize_diag(moments, nk, means, acc, state, reg_covar, cache):
    n_features = means.shape[1]
    return moments[:, n_features:] / nk[:, np.newaxis] - means**2 + reg_covar


def _e_state_spherical(weights, means, precisions_cholesky, cache):
    n_features = means.shape[1]
    precisions = precisions_cholesky**2
    # -0.5 p (|x|^2 - 2 m.x + |m|^2) = [p m, -0.5 p] . [x, |x|^2] - 0.5 p |m|^2
    linear = np.concatenate([means * precisions[:, np.newaxis], -0.5 * precisions[:, np.newaxis]], axis=1)
    log_det = _log_det_spherical(precisions_cholesky, n_features)
    bias = _bias(weights, log_det, n_features) - 0.5 * precisions * np.sum(means**2, axis=1)
    return {"linear": linear, "bias": bias, "offset": 0.0}


def _finalize_spherical(moments, nk, means, acc, state, reg_covar, cache):
    n_features = means.shape[1]
    return moments[:, n_features] / (nk * n_features) - (means**2).mean(axis=1) + reg_covar


def _accumulate_nothing(features, start, stop, state, resp, resp_sums, work, acc):
    return None


def _buffer(work, name, size, dtype):
    """A flat buffer of at least ``size`` elements kept in ``work`` across blocks and iterations."""
    buffer = work.get(name)
    if buffer is None or buffer.size < size or buffer.dtype != dtype:
        buffer = np.empty(size, dtype=dtype)
        work[name] = buffer
    return buffer[:size]


@dataclass(frozen=True)
class CovarianceOps:
    """The covariance math of one covariance type.

    Every attribute is a pure function; see the module docstring for array layouts.
    """

    name: str
    prepare: Callable  # (X, shift=None) -> per-fit constants; cache["features"] is X - shift, transposed (d, n)
    estimate: Callable  # (X, resp, nk, means, reg_covar, cache) -> covariances, from a whole (n, K) resp
    precision_cholesky: Callable  # covariances -> precisions_cholesky
    precision_cholesky_from_precisions: Callable
    precisions: Callable  # precisions_cholesky -> precisions
    covariances_from_cholesky: Callable  # precisions_cholesky -> covariances
    log_det: Callable  # (precisions_cholesky, n_features) -> log det of the factor(s)
    e_state: Callable  # (weights, means, precisions_cholesky, cache) -> per-iteration E-step constants
    log_prob: Callable  # (features, start, stop, state, out, work, exact) -> the block's features; fills out
    accumulate: Callable  # (features, start, stop, state, resp, resp_sums, work, acc) -> None
    finalize: Callable  # (moments, nk, means, acc, state, reg_covar, cache) -> covariances
    block_rows: Callable  # (n_components, n_features) -> floats held per sample of a block
    n_parameters: Callable  # (n_components, n_features) -> number of free covariance parameters
    covariance_shape: Callable  # (n_components, n_features) -> shape of covariances_
    component_covariance: Callable  # (covariances, k, n_features) -> (d, d)


COVARIANCE_OPS: dict[str, CovarianceOps] = {
    "full": CovarianceOps(
        name="full",
        prepare=_prepare_plain,
        estimate=_covariances_full,
        precision_cholesky=_precision_cholesky_full,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_full,
        precisions=_precisions_full,
        covariances_from_cholesky=_covariances_from_cholesky_full,
        log_det=_log_det_full,
        e_state=_e_state_full,
        log_prob=_log_prob_full,
        accumulate=_accumulate_full,
        finalize=_finalize_full,
        block_rows=lambda k, d: k + d + 1,
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
        e_state=_e_state_tied,
        log_prob=_log_prob_tied,
        accumulate=_accumulate_nothing,
        finalize=_finalize_tied,
        block_rows=lambda k, d: k,
        n_parameters=lambda k, d: d * (d + 1) // 2,
        covariance_shape=lambda k, d: (d, d),
        component_covariance=lambda c, k, d: c,
    ),
    "diag": CovarianceOps(
        name="diag",
        prepare=_prepare_plain,
        estimate=_covariances_diag,
        precision_cholesky=_precision_cholesky_diagonal,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_diagonal,
        precisions=_precisions_diagonal,
        covariances_from_cholesky=_covariances_from_cholesky_diagonal,
        log_det=_log_det_diag,
        e_state=_e_state_diag,
        log_prob=_log_prob_diag,
        accumulate=_accumulate_nothing,
        finalize=_finalize_diag,
        block_rows=lambda k, d: k + 2 * d,
        n_parameters=lambda k, d: k * d,
        covariance_shape=lambda k, d: (k, d),
        component_covariance=lambda c, k, d: np.diag(c[k]),
    ),
    "spherical": CovarianceOps(
        name="spherical",
        prepare=_prepare_plain,
        estimate=_covariances_spherical,
        precision_cholesky=_precision_cholesky_diagonal,
        precision_cholesky_from_precisions=_precision_cholesky_from_precisions_diagonal,
        precisions=_precisions_diagonal,
        covariances_from_cholesky=_covariances_from_cholesky_diagonal,
        log_det=_log_det_spherical,
        e_state=_e_state_spherical,
        log_prob=_log_prob_spherical,
        accumulate=_accumulate_nothing,
        finalize=_finalize_spherical,
        block_rows=lambda k, d: k + d + 1,
        n_parameters=lambda k, d: k,
        covariance_shape=lambda k, d: (k,),
        component_covariance=lambda c, k, d: np.eye(d, dtype=c.dtype) * c[k],
    ),
}

# Largest number of floats the E-step's per-block temporaries may hold: about 1 MiB, so that a block's
# whitened data and log-densities stay in the core's cache between the E- and M-step products.
_BLOCK_FLOATS = 1 << 17
_MIN_BLOCK = 64


def block_size(ops: CovarianceOps, n_samples: int, n_components: int, n_features: int) -> int:
    """Samples per block of the blocked E-step."""
    per_sample = max(1, ops.block_rows(n_components, n_features))
    return int(min(n_samples, max(_MIN_BLOCK, _BLOCK_FLOATS // per_sample)))


def estimate_gaussian_parameters(X, resp, reg_covar, ops: CovarianceOps, cache):
    """M-step on a whole responsibility matrix: ``(nk, means, covariances)``, ``nk`` unnormalised as in scikit-learn."""
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, np.newaxis]
    covariances = ops.estimate(X, resp, nk, means, reg_covar, cache)
    return nk, means, covariances


def normalize_block(log_prob):
    """Turn a (K, block) block of weighted log-densities into responsibilities in place.

    Returns the per-sample log-likelihoods (up to the per-sample term a type may have left out). The exponentials
    of the log-sum-exp are reused as the responsibilities: one ``exp`` pass per E-step.
    """
    row_max = log_prob.max(axis=0)
    row_max[~np.isfinite(row_max)] = 0.0
    log_prob -= row_max
    # exp of very negative numbers returns subnormals (or underflows) through a microcode path 20-100 times slower
    # than the normal one; a responsibility below e^-600 (1e-261) weighs nothing next to the 1 of the row's
    # largest, so it is clipped there instead.
    np.maximum(log_prob, _LOG_FLOOR[log_prob.dtype.char], out=log_prob)
    np.exp(log_prob, out=log_prob)
    totals = log_prob.sum(axis=0)
    log_prob *= 1.0 / totals  # one division per sample, then multiplications
    return np.log(totals) + row_max


def _blocks(X, weights, means, precisions_cholesky, ops: CovarianceOps, cache: Optional[dict], exact: bool):
    """Yield ``(start, stop, log_prob)`` over blocks of samples; log_prob (K, block) is reused between blocks."""
    if not cache or "features" not in cache:
        cache = ops.prepare(X)
    features = cache["features"]
    n_samples = features.shape[1]
    n_components, n_features = means.shape
    state = ops.e_state(weights, means, precisions_cholesky, cache)
    step = block_size(ops, n_samples, n_components, n_features)
    work = {}
    with one_thread():
        for start in range(0, n_samples, step):
            stop = min(start + step, n_samples)
            block = _buffer(work, "log_prob", n_components * (stop - start), features.dtype).reshape(n_components, -1)
            ops.log_prob(features, start, stop, state, block, work, exact)
            yield start, stop, block


def e_step(X, weights, means, precisions_cholesky, ops: CovarianceOps, cache: Optional[dict]):
    """E-step on centred data: ``(log_prob_norm, responsibilities)``, shapes (n,) and (n, K).

    ``cache`` is ``ops.prepare(X)`` or empty (then it is built here). This is the exact per-sample version used
    outside the EM loop (scoring, prediction); the loop itself works block by block without (n, K) arrays.
    """
    n_samples, n_components = X.shape[0], means.shape[0]
    resp = np.empty((n_samples, n_components), dtype=X.dtype)
    log_prob_norm = np.empty(n_samples, dtype=X.dtype)
    for start, stop, block in _blocks(X, weights, means, precisions_cholesky, ops, cache, True):
        log_prob_norm[start:stop] = normalize_block(block)
        resp[start:stop] = block.T
    return log_prob_norm, resp


def most_probable_component(X, weights, means, precisions_cholesky, ops: CovarianceOps, cache: Optional[dict]):
    """The most probable component of every sample of centred ``X``, without building the responsibilities."""
    labels = np.empty(X.shape[0], dtype=np.intp)
    for start, stop, block in _blocks(X, weights, means, precisions_cholesky, ops, cache, False):
        labels[start:stop] = block.argmax(axis=0)
    return labels
