"""mclust's ten covariance models that scikit-learn lacks, as engine structures.

Each model is the structure of its family (spherical, diagonal or full: the same layouts, E-step and sufficient
statistics) with its own M-step, the constrained estimate of :mod:`._parsimonious` from the scatter matrices the
family's statistics give, and mclust's parameter count. scikit-learn's four types are the other four models (VII =
spherical, VVI = diag, EEE = tied, VVV = full) and are registered under both names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common_orientation import Orientation
from ._diagonal import DiagonalCovariance, SphericalCovariance
from ._full import NEGLIGIBLE_RESPONSIBILITY, FullCovariance
from ._parsimonious import INNER_CONTROL, constrained_m_step, n_covariance_parameters
from ._structure import (
    SingularCovarianceError,
    covariances_from_upper_factors,
    LinearState,
    lapack,
    linear_log_prob,
    mixture_bias,
    singular_message,
)

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
        covariances, complete, orientation = constrained_m_step(
            self.name, scatter, nk, previous=previous, reg_covar=reg_covar, n_features=n_features, max_iter=max_iter
        )
        if not np.all(np.isfinite(covariances)):
            raise SingularCovarianceError(singular_message(scatter.dtype))
        if stats is not None:
            stats.m_step_complete = complete
            stats.m_step_state = orientation
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


@dataclass(frozen=True)
class RotatedState:
    """E-step constants of EVE and VVE in the frame of their common orientation: ``y = D^T x``.

    There each component is axis-aligned: ``z_k = (y - D^T m_k) * scales_k`` (``scales_k = s_k^(-1/2)``,
    ``Sigma_k = D diag(s_k) D^T``) is the sample whitened by ``U_k = D diag(scales_k)``, and
    ``log w_k + log N(x | k) = bias_k - |z_k|^2 / 2``.
    """

    orientation: np.ndarray
    means: np.ndarray
    rotated_means: np.ndarray
    scales: np.ndarray
    bias: np.ndarray
    linear: np.ndarray  # (K, 2d): log-densities linear in [y, y^2], as the diag structure's
    linear_bias: np.ndarray
    warm: Orientation  # the M-step's warm start (D, and the previous M-step's Hessian factor when known)


class _CommonOrientationModel(_GeneralModel):
    """VEE, EVE and VVE: the E-step and the M-step's statistics in the rotated frame of their common orientation.

    One product ``D^T x`` per block replaces the K triangular whitening products of the full structure (the
    rotated components are axis-aligned: the log-densities are linear in ``[y, y^2]``, one more product), and the
    scatter is gathered around the previous means in the rotated frame, as the full structure gathers it around
    them in its whitened frames. D comes from the M-step that built the covariances (``params.m_step_state``, EVE
    and VVE); without it (VEE, a first iteration, a user's parameters) D comes from an eigendecomposition, checked
    to diagonalise every covariance, or else the full structure's E-step runs.
    """

    def block_rows(self, n_components, n_features):
        return n_components + 3 * n_features + 1

    def _orientation(self, params):
        orientation = params.m_step_state.orientation if params.m_step_state is not None else None
        covariances = params.covariances
        if covariances is None:
            return None, None
        if orientation is None:
            # a generic combination: its eigenvectors are D unless the shapes tie in every component
            combination = np.tensordot(1.0 + np.arange(len(covariances)) / len(covariances), covariances, axes=1)
            orientation = np.linalg.eigh(combination)[1]
        rotated = orientation.T @ covariances @ orientation
        diagonals = np.diagonal(rotated, axis1=1, axis2=2)
        off = rotated - diagonals[:, :, None] * np.eye(rotated.shape[-1])
        if not (np.all(diagonals > 0) and np.abs(off).max() <= 1e-10 * diagonals.max()):
            return None, None
        return orientation, diagonals

    def e_state(self, params):
        orientation, diagonals = self._orientation(params)
        if orientation is None:
            return super().e_state(params)
        scales = 1.0 / np.sqrt(diagonals)
        bias = mixture_bias(params.weights, np.log(scales).sum(axis=1), params.means.shape[1])
        rotated_means = params.means @ orientation
        precisions = scales**2
        linear = np.concatenate([rotated_means * precisions, -0.5 * precisions], axis=1)
        linear_bias = bias - 0.5 * np.sum(rotated_means**2 * precisions, axis=1)
        warm = params.m_step_state if params.m_step_state is not None else Orientation(orientation)
        return RotatedState(orientation, params.means, rotated_means, scales, bias, linear, linear_bias, warm)

    def log_prob(self, state, block, out, scratch, exact):
        if not isinstance(state, RotatedState):
            return super().log_prob(state, block, out, scratch, exact)
        n_features, size = block.shape
        extended = scratch.take("block", (2 * n_features, size), block.dtype)  # [y; y^2], y kept for accumulate
        rotated = extended[:n_features]
        np.matmul(state.orientation.T, block, out=rotated)
        if not exact:  # the EM pass: one product, as the diag structure
            np.square(rotated, out=extended[n_features:])
            linear_log_prob(LinearState(state.linear, state.linear_bias, None, None), extended, out)
            return
        whitened = scratch.take("gathered", (n_features, size), block.dtype)
        for k in range(out.shape[0]):
            np.subtract(rotated, state.rotated_means[k][:, np.newaxis], out=whitened)
            whitened *= state.scales[k][:, np.newaxis]
            np.einsum("ij,ij->j", whitened, whitened, out=out[k])
        out *= -0.5
        out += state.bias[:, np.newaxis]

    def accumulate(self, state, block, resp, stats, scratch):
        """As the full structure's (negligible responsibilities skipped), around the previous means in the rotated
        frame (y - D^T m_k: no triangular product)."""
        if not isinstance(state, RotatedState):
            return super().accumulate(state, block, resp, stats, scratch)
        stats.first += resp @ block.T
        n_features, size = block.shape
        rotated = scratch.take("block", (2 * n_features, size), block.dtype)[:n_features]  # left by log_prob
        keep = resp > (NEGLIGIBLE_RESPONSIBILITY * resp.sum(axis=1))[:, np.newaxis]
        counts = np.count_nonzero(keep, axis=1)
        (syrk,) = lapack(("syrk",), block.dtype.char)
        for k in range(resp.shape[0]):
            count = counts[k]
            if count == 0:
                continue
            gathered = scratch.take("gathered", (n_features + 1, count), block.dtype)
            if count == size:
                selected = rotated
                root = np.sqrt(resp[k])
            else:
                index = np.flatnonzero(keep[k])
                selected = rotated[:, index]
                root = np.sqrt(resp[k, index])
            gathered[0] = root
            np.subtract(selected, state.rotated_means[k][:, np.newaxis], out=gathered[1:])
            gathered[1:] *= root
            syrk(1.0, gathered.T, beta=1.0, c=stats.second[k].T, trans=1, lower=0, overwrite_c=1)

    def scatter_matrices(self, stats, means, state):
        if not isinstance(state, RotatedState):
            return super().scatter_matrices(stats, means, state)
        upper = np.triu(np.swapaxes(stats.second, 1, 2))  # the Fortran-upper triangles syrk filled
        full = upper + np.swapaxes(np.triu(upper, 1), 1, 2)
        total, first, second = full[:, 0, 0], full[:, 0, 1:], full[:, 1:, 1:]
        moved = (means - state.means) @ state.orientation  # the new means, rotated and centred as the moments
        outer = first[:, :, np.newaxis] * moved[:, np.newaxis, :]
        centred = second - outer - np.swapaxes(outer, 1, 2)
        centred += total[:, np.newaxis, np.newaxis] * (moved[:, :, np.newaxis] * moved[:, np.newaxis, :])
        scatter = state.orientation @ centred @ state.orientation.T  # W_k = D C_k D^T
        scatter += np.swapaxes(scatter, 1, 2)
        scatter *= 0.5
        return scatter

    def covariances_from_statistics(self, stats, means, state, reg_covar):
        if not isinstance(state, RotatedState):
            return super().covariances_from_statistics(stats, means, state, reg_covar)
        scatter = self.scatter_matrices(stats, means, state)
        if self.name == "VEE":  # its solver starts from the first component's covariance, D diag(s_1) D^T
            previous = ((state.orientation / state.scales[0] ** 2) @ state.orientation.T)[np.newaxis]
        else:  # EVE and VVE start from D itself (and the previous M-step's Hessian)
            previous = state.warm
        return self._constrained(scatter, stats.nk, previous, reg_covar, means.shape[1], stats)


def _model(base, name: str, doc: str):
    return type(f"{name}Covariance", (base,), {"name": name, "aliases": (), "__doc__": doc})()


PARSIMONIOUS_STRUCTURES = (
    _model(_SphericalModel, "EII", "One variance shared by every component (mclust's EII): Sigma_k = lambda I."),
    _model(_DiagonalModel, "EEI", "One diagonal covariance shared by every component: Sigma_k = lambda B."),
    _model(_DiagonalModel, "VEI", "Diagonal, one shape, volumes vary: Sigma_k = lambda_k B (iterative M-step)."),
    _model(_DiagonalModel, "EVI", "Diagonal, one volume, shapes vary: Sigma_k = lambda B_k."),
    _model(_CommonOrientationModel, "VEE", "One shape and orientation, volumes vary: Sigma_k = lambda_k C (iterative)."),
    _model(_CommonOrientationModel, "EVE", "One volume and orientation, shapes vary: lambda D A_k D^T (iterative)."),
    _model(_CommonOrientationModel, "VVE", "One orientation, volumes, shapes vary: lambda_k D A_k D^T (iterative)."),
    _model(_GeneralModel, "EEV", "One volume and shape, orientations vary: Sigma_k = lambda D_k A D_k^T."),
    _model(_GeneralModel, "VEV", "One shape, volumes and orientations vary: lambda_k D_k A D_k^T (iterative)."),
    _model(_GeneralModel, "EVV", "One volume, shapes and orientations vary: Sigma_k = lambda C_k, |C_k| = 1."),
)
"""One instance per model, by its mclust name."""
