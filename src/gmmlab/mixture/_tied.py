"""``tied``: one general covariance shared by every component (mclust's EEE).

Layouts as scikit-learn: ``covariances`` (d, d); ``precisions_cholesky`` (d, d), upper triangular U with
precision = U U^T. The second-moment statistic is the weighted Gram matrix of the data, (d, d), added once per
chunk: the shared covariance is (G - sum_k n_k m_k m_k^T) / sum_k n_k.
"""

from __future__ import annotations

import numpy as np

from ._structure import (
    CovarianceStructure,
    LinearState,
    MixtureParams,
    covariances_from_upper_factors,
    inverse_cholesky,
    linear_log_prob,
    mixture_bias,
    upper_cholesky_of_precision,
)

__all__ = ["TiedCovariance"]


def tied_from_gram(gram, nk, means, reg_covar):
    """The shared covariance from the weighted Gram matrix (d, d) of the centred data, nk (K,), means (K, d)."""
    covariance = gram - (nk * means.T) @ means
    covariance /= nk.sum()
    covariance.flat[:: covariance.shape[0] + 1] += reg_covar
    return covariance


class TiedCovariance(CovarianceStructure):
    """All components share one general covariance matrix.

    |U^T(x - m_k)|^2 = x^T P x - 2 m_k^T P x + m_k^T P m_k. The first term is the same for every component: it
    cancels in the responsibilities, and only its weighted sum enters the log-likelihood, trace(P G) with G the
    Gram matrix. So an iteration costs O(n d K), not the O(n d^2) of projecting the data.
    """

    name = "tied"
    aliases = ("EEE",)

    def covariance_shape(self, n_components, n_features):
        return (n_features, n_features)

    def n_parameters(self, n_components, n_features):
        return n_features * (n_features + 1) // 2

    def component_covariance(self, covariances, k, n_features):
        return covariances

    def block_rows(self, n_components, n_features):
        return n_components

    def precision_cholesky(self, covariances):
        return inverse_cholesky(covariances)

    def precision_cholesky_from_precisions(self, precisions):
        return upper_cholesky_of_precision(precisions)

    def precisions(self, precisions_cholesky):
        return precisions_cholesky @ precisions_cholesky.T

    def covariances_from_cholesky(self, precisions_cholesky):
        return covariances_from_upper_factors(precisions_cholesky)

    # -- the EM pass ------------------------------------------------------------------------------------------

    def prepare(self, data):
        features = data.features
        if data.sample_weight is None:
            data.gram = features @ features.T
        else:
            data.gram = (features * data.sample_weight) @ features.T

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        # Each sample weighs by its total responsibility. scikit-learn uses the unweighted Gram matrix of all
        # samples here, which is right only when every row of resp sums to 1: with k-means++ or random_from_data
        # starts (K one-hot rows, the others zero) its first covariance is inflated by about n / K.
        row_weight = resp.sum(axis=1)
        gram = (X_centred.T * row_weight) @ X_centred
        return tied_from_gram(gram, nk, means, reg_covar)

    def e_state(self, params: MixtureParams) -> LinearState:
        factor = params.precisions_cholesky
        n_features = params.means.shape[1]
        precision = factor @ factor.T
        projected_means = params.means @ factor
        log_det = np.log(np.diag(factor)).sum()
        bias = mixture_bias(params.weights, log_det, n_features)
        bias = bias - 0.5 * np.einsum("ij,ij->i", projected_means, projected_means)
        return LinearState(params.means @ precision, bias, params.means, factor)

    def log_prob(self, state, block, out, scratch, exact):
        linear_log_prob(state, block, out)
        if exact:
            projected = state.precisions_cholesky.T @ block
            out -= 0.5 * np.einsum("ij,ij->j", projected, projected)

    def new_second(self, n_components, n_features, dtype):
        return np.zeros((n_features, n_features), dtype=dtype)

    def accumulate(self, state, block, resp, stats, scratch):
        stats.first += resp @ block.T

    def finish(self, state, stats, data):
        if data.gram is None:
            self.prepare(data)
        stats.second += data.gram
        # The x'Px term log_prob left out, summed over the chunk: -0.5 trace(P G).
        factor = state.precisions_cholesky
        stats.log_likelihood += -0.5 * float(np.sum((factor @ factor.T) * data.gram))

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        return tied_from_gram(stats.second, stats.nk, means, reg_covar)
