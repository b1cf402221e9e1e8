"""``full``: every component has its own general covariance (mclust's VVV).

Layouts as scikit-learn: ``covariances`` (K, d, d); ``precisions_cholesky`` (K, d, d), upper triangular U_k with
precision_k = U_k U_k^T. The second-moment statistics are each component's scatter in the previous iteration's
whitened coordinates, augmented with a leading 1: ``sum_i w_i r_ik [1, y_i][1, y_i]^T``, y = (x - m_k) U_k,
shape (K, d + 1, d + 1) (upper triangles filled).
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

import numpy as np

from ._structure import (
    CovarianceStructure,
    MixtureParams,
    Scratch,
    SufficientStatistics,
    covariances_from_upper_factors,
    inverse_cholesky,
    lapack,
    mixture_bias,
    triangular_inverses,
    upper_cholesky_of_precision,
)

__all__ = ["FullCovariance", "FullState"]

# A sample whose responsibility for a component is below this fraction of the block's total responsibility for
# it is left out of that component's scatter matrix: its share is under 1e-25 of the block's, far below the
# rounding of the sum itself, so the result is the same to the last digits while the M-step skips the
# (typically 70-90 %) samples that lie far from the component.
NEGLIGIBLE_RESPONSIBILITY = 1e-25


@dataclass(frozen=True)
class FullState:
    """E-step constants of a full-covariance iteration.

    ``augmented_t[k]`` (d + 1, d + 1) is the transpose of [[1, -m_k U_k], [0, U_k]]: with a leading 1 prepended to
    x, whitening is one triangular product, [1, x] @ [[1, -m_k U_k], [0, U_k]] = [1, (x - m_k) U_k].
    """

    augmented_t: np.ndarray
    bias: np.ndarray
    means: np.ndarray
    precisions_cholesky: np.ndarray


def _log_det(precisions_cholesky):
    """log det U_k for a stack of triangular factors, shape (K,)."""
    return np.log(np.diagonal(precisions_cholesky, axis1=-2, axis2=-1)).sum(axis=-1)


def _augmented(scratch: Scratch, purpose: str, n_rows: int, size: int, dtype) -> np.ndarray:
    """A (n_rows, size) scratch array whose first row is ones (the triangular product keeps it)."""
    view = scratch.take(purpose, (n_rows, size), dtype)
    view[0] = 1.0
    return view


# Below this many floats in a (K, d + 1, m) array, the E- and M-step whiten every component in one batched
# product instead of one triangular product per component: on small data (hundreds to a few thousand samples,
# d <= 10) the per-component calls, not the arithmetic, are the cost (measured with benchmarks/bench_selection.py:
# the model search runs hundreds of short EMs there). The batched M-step adds the negligible responsibilities
# that the per-component path skips: the same sums to rounding.
_BATCHED_FLOATS = 1 << 18


def _batched(n_components: int, n_features: int, size: int) -> bool:
    return n_components > 1 and n_components * (n_features + 1) * size <= _BATCHED_FLOATS


def _whitened_batch(state: FullState, block, scratch: Scratch) -> np.ndarray:
    """[1, (x - m_k) U_k]^T for every component at once, shape (K, d + 1, m)."""
    n_features, size = block.shape
    augmented = _augmented(scratch, "block", n_features + 1, size, block.dtype)
    augmented[1:] = block
    return np.matmul(state.augmented_t, augmented)


@functools.lru_cache(maxsize=None)
def _upper_mask(size: int) -> np.ndarray:
    return np.triu(np.ones((size, size), dtype=bool))


def _whiten(block, state: FullState, k: int) -> None:
    """``block`` (d + 1, m) holds [1, x]^T; replace it by [1, (x - m_k) U_k]^T in place."""
    (trmm,) = lapack(("trmm",), block.dtype.char)
    trmm(1.0, state.augmented_t[k].T, block.T, side=1, lower=0, overwrite_b=1)


class FullCovariance(CovarianceStructure):
    """Each component has its own general covariance matrix."""

    name = "full"
    aliases = ("VVV",)

    def covariance_shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

    def n_parameters(self, n_components, n_features):
        return n_components * n_features * (n_features + 1) // 2

    def component_covariance(self, covariances, k, n_features):
        return covariances[k]

    def full_covariances(self, covariances, n_components, n_features):
        return np.array(covariances, copy=True)

    def precision_cholesky(self, covariances):
        return np.stack([inverse_cholesky(c) for c in covariances])

    def precision_cholesky_from_precisions(self, precisions):
        return np.stack([upper_cholesky_of_precision(p) for p in precisions])

    def precisions(self, precisions_cholesky):
        return precisions_cholesky @ np.swapaxes(precisions_cholesky, -1, -2)

    def covariances_from_cholesky(self, precisions_cholesky):
        return covariances_from_upper_factors(precisions_cholesky)

    # -- the EM pass ------------------------------------------------------------------------------------------

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        n_components, n_features = means.shape
        covariances = np.empty((n_components, n_features, n_features), dtype=X_centred.dtype)
        for k in range(n_components):
            # A KMeans start gives one-hot responsibilities: only a component's own samples weigh in (zero
            # weights add exact zeros), so the initial M-step costs one pass over the data, not one per component.
            members = np.flatnonzero(resp[:, k])
            weighted = X_centred[members]  # a copy
            weighted -= means[k]
            weighted *= np.sqrt(resp[members, k])[:, np.newaxis]
            covariances[k] = weighted.T @ weighted
            covariances[k] /= nk[k]
            covariances[k].flat[:: n_features + 1] += reg_covar
        return covariances

    def e_state(self, params: MixtureParams) -> FullState:
        means, factors = params.means, params.precisions_cholesky
        n_components, n_features = means.shape
        augmented_t = np.zeros((n_components, n_features + 1, n_features + 1), dtype=factors.dtype)
        augmented_t[:, 0, 0] = 1.0
        augmented_t[:, 1:, 0] = -np.einsum("ki,kij->kj", means, factors)
        augmented_t[:, 1:, 1:] = np.swapaxes(factors, 1, 2)
        bias = mixture_bias(params.weights, _log_det(factors), n_features)
        return FullState(augmented_t, bias, means, factors)

    def log_prob(self, state, block, out, scratch, exact):
        n_features, size = block.shape
        if _batched(out.shape[0], n_features, size):
            whitened = _whitened_batch(state, block, scratch)[:, 1:]
            np.einsum("kim,kim->km", whitened, whitened, out=out)
            out *= -0.5
            out += state.bias[:, np.newaxis]
            return
        whitened = _augmented(scratch, "block", n_features + 1, size, block.dtype)
        for k in range(out.shape[0]):
            whitened[1:] = block
            _whiten(whitened, state, k)
            np.einsum("ij,ij->j", whitened[1:], whitened[1:], out=out[k])
        out *= -0.5
        out += state.bias[:, np.newaxis]

    def new_second(self, n_components, n_features, dtype):
        return np.zeros((n_components, n_features + 1, n_features + 1), dtype=dtype)

    def accumulate(self, state, block, resp, stats: SufficientStatistics, scratch):
        """Add the block's first moments and whitened scatter.

        Only the samples with a non-negligible responsibility are whitened again and added (see
        ``NEGLIGIBLE_RESPONSIBILITY``): usually a small fraction of the block, so the M-step costs much less than
        the E-step.
        """
        stats.first += resp @ block.T
        n_components, size = resp.shape
        n_rows = block.shape[0] + 1
        if _batched(n_components, block.shape[0], size):
            gathered = _whitened_batch(state, block, scratch)
            gathered *= np.sqrt(resp)[:, np.newaxis, :]
            stats.second += gathered @ np.swapaxes(gathered, 1, 2)  # both triangles; scatter_matrices reads one
            return
        sums = resp.sum(axis=1)
        keep = resp > (NEGLIGIBLE_RESPONSIBILITY * sums)[:, np.newaxis]
        counts = np.count_nonzero(keep, axis=1)
        (syrk,) = lapack(("syrk",), block.dtype.char)
        scatter = stats.second
        for k in range(n_components):
            count = counts[k]
            if count == 0:
                continue
            gathered = _augmented(scratch, "gathered", n_rows, count, block.dtype)
            if count == size:
                gathered[1:] = block
                root = np.sqrt(resp[k])
            else:
                index = np.flatnonzero(keep[k])
                gathered[1:] = block[:, index]  # fancy indexing gathers 4x faster than np.take(axis=1)
                root = np.sqrt(resp[k, index])
            _whiten(gathered, state, k)
            gathered *= root
            syrk(1.0, gathered.T, beta=1.0, c=scatter[k].T, trans=1, lower=0, overwrite_c=1)

    def scatter_matrices(self, stats: SufficientStatistics, means, state: FullState) -> np.ndarray:
        """``W_k = sum_i w_i r_ik (x_i - m_k)(x_i - m_k)^T`` around the new means, shape (K, d, d).

        The scatter was gathered around the previous means in the previous whitened coordinates, where it is
        close to n_k times the identity; re-centring it on the new means there is well conditioned, and mapping
        it back costs O(d^3) per component instead of another pass over the data.
        """
        # syrk filled the Fortran-upper triangles: the upper triangles of the transposes; mirror them
        transposed = np.swapaxes(stats.second, 1, 2)
        full = np.where(_upper_mask(transposed.shape[-1]), transposed, stats.second)
        total = full[:, 0, 0]
        first = full[:, 0, 1:]
        second = full[:, 1:, 1:]
        factors = state.precisions_cholesky
        moved = np.einsum("ki,kij->kj", means - state.means, factors)  # the new means, whitened
        outer = first[:, :, np.newaxis] * moved[:, np.newaxis, :]
        centred = second - outer - np.swapaxes(outer, 1, 2)
        centred += total[:, np.newaxis, np.newaxis] * (moved[:, :, np.newaxis] * moved[:, np.newaxis, :])
        inverses = triangular_inverses(factors)  # L_k^T = U_k^-1, so L_k C L_k^T = U_k^-T C U_k^-1
        scatter = np.swapaxes(inverses, 1, 2) @ centred @ inverses
        scatter += np.swapaxes(scatter, 1, 2)
        scatter *= 0.5
        return scatter

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        n_components, n_features = means.shape
        covariances = self.scatter_matrices(stats, means, state)
        covariances /= stats.nk[:, np.newaxis, np.newaxis]
        covariances.reshape(n_components, -1)[:, :: n_features + 1] += reg_covar
        return covariances
