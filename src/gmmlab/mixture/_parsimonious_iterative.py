"""The iterative M-steps of mclust's parsimonious models VEI, VEE and VEV (EVE and VVE: :mod:`._common_orientation`).

These models have no closed-form M-step. VEI, VEE and VEV alternate between the volumes and the common shape
(and orientation) by Celeux & Govaert's (1995) fixed-point iterations, each step the exact minimiser of the
objective ``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^{-1})`` in one block of parameters given the other.

Each solver starts from the previous EM iteration's covariances when it has them (the EM loop's warm start),
stops when the largest relative change of the volumes and shapes (and the largest change of an entry of the
orientation, for EVE and VVE) falls below ``tol``, or after ``max_iter`` iterations. The defaults are in
:data:`INNER_CONTROL`: the tolerance is mclust's ``emControl()$tol[2] = sqrt(.Machine$double.eps)``; mclust's
default cap is ``.Machine$integer.max`` (no cap), ours is finite so that a degenerate M-step cannot spin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["INNER_CONTROL", "InnerControl", "sorted_eigh", "vee", "vei", "vev"]

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class InnerControl:
    """Inner tolerance and iteration cap of an iterative M-step (see the module docstring)."""

    tol: float
    max_iter: int
    method: str


INNER_CONTROL = {
    "VEI": InnerControl(_SQRT_EPS, 1000, "Celeux & Govaert fixed point: volumes, then the common diagonal shape"),
    "VEE": InnerControl(_SQRT_EPS, 1000, "Celeux & Govaert fixed point: volumes, then the common C = D A D^T"),
    "VEV": InnerControl(_SQRT_EPS, 1000, "Celeux & Govaert fixed point: volumes, then the common shape A"),
    # Newton's method on D from the previous EM iteration's orientation (MM first from a cold start, and the
    # fallback where no Newton step lowers the objective): see _common_orientation.
    "EVE": InnerControl(_SQRT_EPS, 200, "Newton steps in D (MM from a cold start), the shapes in closed form"),
    "VVE": InnerControl(_SQRT_EPS, 200, "Newton steps in D (MM from a cold start), lambda_k A_k in closed form"),
}
"""Default inner ``tol`` and ``max_iter`` per iterative model."""


def sorted_eigh(matrices):
    """Eigenvalues (..., d) in decreasing order and the matching eigenvectors (..., d, d) as columns."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrices)
    return eigenvalues[..., ::-1], eigenvectors[..., ::-1]


def _geometric_mean(values, axis=-1):
    return np.exp(np.mean(np.log(values), axis=axis))


def _relative_change(new, old):
    return float(np.max(np.abs(new - old) / np.abs(old))) if old is not None else np.inf


def _unit_determinant(matrix):
    sign, logdet = np.linalg.slogdet(matrix)
    if sign <= 0:
        return matrix * np.nan
    return matrix / np.exp(logdet / matrix.shape[-1])


def _volumes_and_shape(values, nk, shape, tol: float, max_iter: int):
    """Celeux & Govaert's fixed point for variable volumes and one common shape (VEI, VEV).

    ``values`` (K, d) are the diagonals (VEI) or eigenvalues (VEV) of the scatter matrices, ``shape`` (d,) the
    starting shape (determinant 1). Returns ``(volumes (K,), shape (d,), n_iter)``.
    """
    d = values.shape[1]
    volumes = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        new_volumes = (values / shape).sum(axis=1) / (d * nk)
        pooled = (values / new_volumes[:, None]).sum(axis=0)
        new_shape = pooled / _geometric_mean(pooled)
        change = max(_relative_change(new_volumes, volumes), _relative_change(new_shape, shape))
        volumes, shape = new_volumes, new_shape
        if not change > tol:  # also stops on NaN
            break
    return volumes, shape, n_iter


def vei(diagonals, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEI: ``Sigma_k = lambda_k B``, B diagonal with determinant 1. diagonals (K, d) -> (K, d), n_iter."""
    d = diagonals.shape[1]
    if previous is not None and np.all(np.isfinite(previous)) and np.all(previous > 0):
        shape = previous[0] / _geometric_mean(previous[0])
    else:
        shape = np.ones(d)
    volumes, shape, n_iter = _volumes_and_shape(diagonals, nk, shape, tol, max_iter)
    return volumes[:, None] * shape, n_iter


def vee(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEE: ``Sigma_k = lambda_k C``, C = D A D^T with determinant 1. scatter (K, d, d) -> (K, d, d), n_iter."""
    d = scatter.shape[-1]
    if previous is not None and np.all(np.isfinite(previous)):
        common = _unit_determinant(previous[0])
    else:
        common = np.eye(d)
    volumes = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        try:
            inverse = np.linalg.inv(common)
        except np.linalg.LinAlgError:
            inverse = common * np.nan
        # tr(W_k C^-1), both symmetric
        new_volumes = np.einsum("kij,ij->k", scatter, inverse) / (d * nk)
        new_common = _unit_determinant(np.einsum("kij,k->ij", scatter, 1.0 / new_volumes))
        scale = np.max(np.abs(common))
        change = max(_relative_change(new_volumes, volumes), float(np.max(np.abs(new_common - common))) / scale)
        volumes, common = new_volumes, new_common
        if not change > tol:
            break
    return volumes[:, None, None] * common, n_iter


def vev(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEV: ``Sigma_k = lambda_k D_k A D_k^T``. scatter (K, d, d) -> (K, d, d), n_iter."""
    d = scatter.shape[-1]
    eigenvalues, eigenvectors = sorted_eigh(scatter)
    shape = None
    if previous is not None and np.all(np.isfinite(previous)):
        previous_eigenvalues = np.linalg.eigvalsh(previous[0])[::-1]
        if np.all(previous_eigenvalues > 0):
            shape = previous_eigenvalues / _geometric_mean(previous_eigenvalues)
    if shape is None:
        shape = np.ones(d)
    volumes, shape, n_iter = _volumes_and_shape(eigenvalues, nk, shape, tol, max_iter)
    return (eigenvectors * (volumes[:, None] * shape)[:, None, :]) @ np.swapaxes(eigenvectors, 1, 2), n_iter
