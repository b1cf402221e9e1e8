"""``diag`` and ``spherical``: axis-aligned covariances (mclust's VVI and VII).

Layouts as scikit-learn: ``covariances`` (K, d) for diag, (K,) for spherical; ``precisions_cholesky`` is the
square root of the precisions in the same layout. Both log-densities are linear in extended feature rows,
[x; x^2] (diag) or [x; |x|^2] (spherical), so one product per block gives the E-step, and one more the first and
second moments of the M-step.
"""

from __future__ import annotations

import numpy as np

from ._structure import (
    CovarianceStructure,
    LinearState,
    MixtureParams,
    SingularCovarianceError,
    linear_log_prob,
    mixture_bias,
    singular_message,
)

__all__ = ["DiagonalCovariance", "SphericalCovariance"]

_ROWS_PER_PASS = 4096


class _AxisAligned(CovarianceStructure):
    """What diag and spherical share: square-root precision factors and an extended-feature E-step.

    ``log_prob`` leaves the block's extended features in ``scratch.block``; ``accumulate`` multiplies them by the
    responsibilities, which gives the first moments and the second moments in one product.
    """

    def precision_cholesky(self, covariances):
        if np.any(covariances <= 0.0) or not np.all(np.isfinite(covariances)):
            raise SingularCovarianceError(singular_message(covariances.dtype))
        return 1.0 / np.sqrt(covariances)

    def precision_cholesky_from_precisions(self, precisions):
        return np.sqrt(precisions)

    def precisions(self, precisions_cholesky):
        return precisions_cholesky**2

    def covariances_from_cholesky(self, precisions_cholesky):
        return 1.0 / precisions_cholesky**2

    def _extended(self, block, scratch):
        """The block's extended feature rows, (d + extra, m), in ``scratch.block``."""
        raise NotImplementedError

    def log_prob(self, state, block, out, scratch, exact):
        linear_log_prob(state, self._extended(block, scratch), out)

    def accumulate(self, state, block, resp, stats, scratch):
        n_features, size = block.shape
        extended = scratch.take("block", (self.second_rows(n_features) + n_features, size), block.dtype)
        moments = resp @ extended.T
        stats.first += moments[:, :n_features]
        stats.second += moments[:, n_features:].reshape(stats.second.shape)

    def second_rows(self, n_features: int) -> int:
        raise NotImplementedError


class DiagonalCovariance(_AxisAligned):
    """Each component has its own diagonal covariance."""

    name = "diag"
    aliases = ("VVI",)

    def covariance_shape(self, n_components, n_features):
        return (n_components, n_features)

    def n_parameters(self, n_components, n_features):
        return n_components * n_features

    def component_covariance(self, covariances, k, n_features):
        return np.diag(covariances[k])

    def block_rows(self, n_components, n_features):
        return n_components + 2 * n_features

    def second_rows(self, n_features):
        return n_features

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        second = np.zeros_like(means)
        squares = np.empty((min(len(X_centred), _ROWS_PER_PASS), X_centred.shape[1]), dtype=X_centred.dtype)
        for start in range(0, len(X_centred), _ROWS_PER_PASS):  # X * X by slices: no (n, d) temporary
            stop = min(start + _ROWS_PER_PASS, len(X_centred))
            np.square(X_centred[start:stop], out=squares[: stop - start])
            second += resp[start:stop].T @ squares[: stop - start]
        return second / nk[:, np.newaxis] - means**2 + reg_covar

    def e_state(self, params: MixtureParams) -> LinearState:
        means, factors = params.means, params.precisions_cholesky
        precisions = factors**2
        # -0.5 sum_j p_j (x_j - m_j)^2 = [m p, -0.5 p] . [x, x^2] - 0.5 sum_j p_j m_j^2: one product per block.
        linear = np.concatenate([means * precisions, -0.5 * precisions], axis=1)
        bias = mixture_bias(params.weights, np.log(factors).sum(axis=1), means.shape[1])
        bias = bias - 0.5 * np.sum(means**2 * precisions, axis=1)
        return LinearState(linear, bias, means, factors)

    def _extended(self, block, scratch):
        n_features, size = block.shape
        extended = scratch.take("block", (2 * n_features, size), block.dtype)
        extended[:n_features] = block
        np.square(block, out=extended[n_features:])
        return extended

    def new_second(self, n_components, n_features, dtype):
        return np.zeros((n_components, n_features), dtype=dtype)

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        return stats.second / stats.nk[:, np.newaxis] - means**2 + reg_covar


class SphericalCovariance(_AxisAligned):
    """Each component has its own single variance."""

    name = "spherical"
    aliases = ("VII",)

    def covariance_shape(self, n_components, n_features):
        return (n_components,)

    def n_parameters(self, n_components, n_features):
        return n_components

    def component_covariance(self, covariances, k, n_features):
        return np.eye(n_features, dtype=covariances.dtype) * covariances[k]

    def second_rows(self, n_features):
        return 1

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        # The mean over features of the diagonal estimate, from row norms: n x K work instead of n x K x d.
        row_sq = np.einsum("ij,ij->i", X_centred, X_centred)
        return (resp.T @ row_sq) / (nk * means.shape[1]) - (means**2).mean(axis=1) + reg_covar

    def e_state(self, params: MixtureParams) -> LinearState:
        means, factors = params.means, params.precisions_cholesky
        n_features = means.shape[1]
        precisions = factors**2
        # -0.5 p (|x|^2 - 2 m.x + |m|^2) = [p m, -0.5 p] . [x, |x|^2] - 0.5 p |m|^2
        linear = np.concatenate([means * precisions[:, np.newaxis], -0.5 * precisions[:, np.newaxis]], axis=1)
        bias = mixture_bias(params.weights, n_features * np.log(factors), n_features)
        bias = bias - 0.5 * precisions * np.sum(means**2, axis=1)
        return LinearState(linear, bias, means, factors)

    def _extended(self, block, scratch):
        n_features, size = block.shape
        extended = scratch.take("block", (n_features + 1, size), block.dtype)
        extended[:n_features] = block
        np.einsum("ij,ij->j", block, block, out=extended[n_features])
        return extended

    def new_second(self, n_components, n_features, dtype):
        return np.zeros(n_components, dtype=dtype)

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        n_features = means.shape[1]
        return stats.second / (stats.nk * n_features) - (means**2).mean(axis=1) + reg_covar
