"""mclust's ten covariance models that scikit-learn lacks, as engine structures.

Each model is the structure of its family (spherical, diagonal or full: the same layouts, E-step and sufficient
statistics) with its own M-step, the constrained estimate of :mod:`._parsimonious` from the scatter matrices the
family's statistics give, and mclust's parameter count. scikit-learn's four types are the other four models (VII =
spherical, VVI = diag, EEE = tied, VVV = full) and are registered under both names.
"""

from __future__ import annotations

import numpy as np

from ._diagonal import DiagonalCovariance, SphericalCovariance
from ._full import FullCovariance
from ._parsimonious import INNER_CONTROL, constrained_m_step, n_covariance_parameters
from ._structure import SingularCovarianceError, covariances_from_upper_factors, singular_message

__all__ = ["PARSIMONIOUS_STRUCTURES"]

_ITERATIVE = ("VEI", "VEE", "VEV", "EVE", "VVE")


class _Constrained:
    """The parts every constrained model shares: its count and the constrained fit of its scatter."""

    name = ""

    def n_parameters(self, n_components, n_features):
        return n_covariance_parameters(self.name, n_components, n_features)

    def _constrained(self, scatter, nk, previous, reg_covar, n_features, stats=None):
        """The constrained covariances; inside the EM loop (``stats`` given, warm start) an iterative model's
        inner solver stops at :attr:`InnerControl.em_max_iter` unless the loop asks for a complete M-step, and
        reports a capped M-step in ``stats``."""
        capped = stats is not None and stats.allow_capped_m_step and previous is not None
        max_iter = INNER_CONTROL[self.name].em_max_iter if capped else None
        covariances, complete = constrained_m_step(
            self.name, scatter, nk, previous=previous, reg_covar=reg_covar, n_features=n_features, max_iter=max_iter
        )
        if not np.all(np.isfinite(covariances)):
            raise SingularCovarianceError(singular_message(scatter.dtype))
        if stats is not None and not complete:
            stats.m_step_complete = False
        return covariances.astype(scatter.dtype, copy=False)


class _SphericalModel(_Constrained, SphericalCovariance):
    """A spherical model: the scatter is the traces ``tr(W_k) = n_k d sigma_k^2`` of the unconstrained fit."""

    def _from_variances(self, variances, nk, reg_covar, n_features):
        return self._constrained(variances * nk * n_features, nk, None, reg_covar, n_features)

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        variances = super().initial_covariances(X_centred, resp, nk, means, 0.0)
        return self._from_variances(variances, nk, reg_covar, means.shape[1])

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        variances = super().covariances_from_statistics(stats, means, state, 0.0)
        return self._from_variances(variances, stats.nk, reg_covar, means.shape[1])


class _DiagonalModel(_Constrained, DiagonalCovariance):
    """A diagonal model: the scatter is the diagonals ``n_k diag(Sigma_k)`` of the unconstrained fit."""

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        variances = super().initial_covariances(X_centred, resp, nk, means, 0.0)
        return self._constrained(variances * nk[:, np.newaxis], nk, None, reg_covar, means.shape[1])

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        variances = super().covariances_from_statistics(stats, means, state, 0.0)
        # the iterative M-steps read the first component's previous covariance only
        previous = self.covariances_from_cholesky(state.precisions_cholesky[:1]) if self.name in _ITERATIVE else None
        return self._constrained(
            variances * stats.nk[:, np.newaxis], stats.nk, previous, reg_covar, means.shape[1], stats
        )


class _GeneralModel(_Constrained, FullCovariance):
    """A model with general (rotated) covariances: the scatter matrices ``W_k`` of the full structure."""

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        covariances = super().initial_covariances(X_centred, resp, nk, means, 0.0)
        return self._constrained(covariances * nk[:, np.newaxis, np.newaxis], nk, None, reg_covar, means.shape[1])

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        scatter = self.scatter_matrices(stats, means, state)
        previous = covariances_from_upper_factors(state.precisions_cholesky[:1]) if self.name in _ITERATIVE else None
        return self._constrained(scatter, stats.nk, previous, reg_covar, means.shape[1], stats)


def _model(base, name: str, doc: str):
    return type(f"{name}Covariance", (base,), {"name": name, "aliases": (), "__doc__": doc})()


PARSIMONIOUS_STRUCTURES = (
    _model(_SphericalModel, "EII", "One variance shared by every component (mclust's EII): Sigma_k = lambda I."),
    _model(_DiagonalModel, "EEI", "One diagonal covariance shared by every component: Sigma_k = lambda B."),
    _model(_DiagonalModel, "VEI", "Diagonal, one shape, volumes vary: Sigma_k = lambda_k B (iterative M-step)."),
    _model(_DiagonalModel, "EVI", "Diagonal, one volume, shapes vary: Sigma_k = lambda B_k."),
    _model(_GeneralModel, "VEE", "One shape and orientation, volumes vary: Sigma_k = lambda_k C (iterative)."),
    _model(_GeneralModel, "EVE", "One volume and orientation, shapes vary: lambda D A_k D^T (iterative, MM)."),
    _model(_GeneralModel, "VVE", "One orientation, volumes and shapes vary: lambda_k D A_k D^T (iterative, MM)."),
    _model(_GeneralModel, "EEV", "One volume and shape, orientations vary: Sigma_k = lambda D_k A D_k^T."),
    _model(_GeneralModel, "VEV", "One shape, volumes and orientations vary: lambda_k D_k A D_k^T (iterative)."),
    _model(_GeneralModel, "EVV", "One volume, shapes and orientations vary: Sigma_k = lambda C_k, |C_k| = 1."),
)
"""One instance per model, by its mclust name."""
