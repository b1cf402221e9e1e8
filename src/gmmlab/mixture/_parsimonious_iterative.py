"""The iterative M-steps of mclust's parsimonious models: VEI, VEE, VEV, EVE and VVE.

These models have no closed-form M-step. VEI, VEE and VEV alternate between the volumes and the common shape
(and orientation) by Celeux & Govaert's (1995) fixed-point iterations, each step the exact minimiser of the
objective ``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^{-1})`` in one block of parameters given the other. EVE and
VVE share one orientation D across components with component-wise shapes; the step in D is the
majorisation-minimisation (MM) update of Browne & McNicholas (2014, "Estimating common principal components in
high dimensions"): with ``alpha_k`` the largest eigenvalue of ``W_k`` and ``M_k`` the diagonal of inverse
eigenvalues (``(lambda_k A_k)^{-1}``), ``W_k - alpha_k I`` is negative semi-definite, so
``tr(W_k D M_k D^T)`` is majorised at ``D0`` by its linearisation; the minimiser over orthogonal D of the
majorant is ``U V^T`` from the SVD ``U S V^T`` of ``F = sum_k (alpha_k I - W_k) D0 M_k``.

Each solver starts from the previous EM iteration's covariances when it has them (the EM loop's warm start),
stops when the largest relative change of the volumes and shapes (and the largest change of an entry of the
orientation, for EVE and VVE) falls below ``tol``, or after ``max_iter`` iterations. The defaults are in
:data:`INNER_CONTROL`: the tolerance is mclust's ``emControl()$tol[2] = sqrt(.Machine$double.eps)``; mclust's
default cap is ``.Machine$integer.max`` (no cap), ours is finite so that a degenerate M-step cannot spin, and
small for EVE and VVE (see :data:`INNER_CONTROL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._structure import lapack

__all__ = ["INNER_CONTROL", "InnerControl", "eve", "sorted_eigh", "vee", "vei", "vev", "vve"]

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
    # MM converges linearly and slowly (hundreds of steps for a cold start on 6-dimensional data); warm-started
    # from the previous EM iteration's orientation it needs fewer. The cap of 200 MM steps per M-step is measured:
    # 30 made 14-model sweeps 2-3x faster but let EM stop, on 20-d digits K = 3, at a point where D was still
    # moving (mclust's M-step from there did better); 200 reaches mclust's me() to 1e-10 there and is 1.4x faster
    # than 5000 on the sweeps. A capped M-step still lowers its objective, so the likelihood never decreases.
    "EVE": InnerControl(_SQRT_EPS, 200, "Browne & McNicholas MM steps in D (SQUAREM-accelerated), then the shapes"),
    "VVE": InnerControl(_SQRT_EPS, 200, "Browne & McNicholas MM steps in D (SQUAREM-accelerated), then lambda_k A_k"),
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


def _common_orientation_start(scatter, previous):
    if previous is not None and np.all(np.isfinite(previous)):
        # the previous covariances share D: any component's eigenvectors are D up to order and sign, which the
        # shapes recomputed from D^T W_k D absorb
        return np.linalg.eigh(previous[0])[1]
    return np.linalg.eigh(scatter.sum(axis=0))[1]


def _rebuild(orientation, diagonals):
    """``D diag(s_k) D^T`` for each k: (d, d), (K, d) -> (K, d, d)."""
    return (orientation * diagonals[:, None, :]) @ orientation.T


def _mm_update(largest, orientation, rotated, diagonals, transposed: bool):
    """One MM step in D given ``rotated = W_k D`` (K, d, d) and the diagonals ``s_k`` (M_k = 1 / s_k).

    Returns the new orientation, or None when the step is undefined (a non-finite target or a failed SVD).
    """
    inverse = 1.0 / diagonals
    if not transposed:
        # F = sum_k (alpha_k I - W_k) D M_k; D = U V^T
        target = orientation * (largest @ inverse) - np.einsum("kil,kl->il", rotated, inverse)
    else:
        # the transposed problem in E = D^T: F = sum_k (omega_k I - M_k) E W_k; E = U V^T, D = E^T
        omega = inverse.max(axis=1)
        target = (np.einsum("k,kji->ij", omega, rotated) - np.einsum("ki,kji->ij", inverse, rotated)).T
    if not np.all(np.isfinite(target)):
        return None
    (gesdd,) = lapack(("gesdd",), "d")  # LAPACK directly: numpy's wrapper costs more than a small SVD
    left, _, right, info = gesdd(target)
    if info != 0:
        return None
    new = left @ right
    # a column's sign is arbitrary (the objective ignores it): keep it close to the previous one, so that the
    # step is a small rotation (the extrapolation and the convergence test need that)
    signs = np.sign(np.einsum("ij,ij->j", orientation, new))
    signs[signs == 0] = 1.0
    return new * signs


def _cayley(skew):
    identity = np.eye(skew.shape[0])
    return np.linalg.solve(identity - 0.5 * skew, identity + 0.5 * skew)


def _inverse_cayley(rotation):
    identity = np.eye(rotation.shape[0])
    # S = 2 (R - I)(R + I)^-1, solved as (R + I)^T S^T = 2 (R - I)^T; undefined (NaN) for a half-turn
    try:
        return 2.0 * np.linalg.solve((rotation + identity).T, (rotation - identity).T).T
    except np.linalg.LinAlgError:
        return np.full_like(rotation, np.nan)


def _common_orientation(scatter, nk, previous, tol, max_iter, diagonals_given_orientation):
    """MM on the common orientation D, alternating with the closed-form diagonals given D, accelerated.

    Two majorisers alternate: Browne & McNicholas's, from the largest eigenvalue of ``W_k`` (tight when the
    scatter matrices are well conditioned), and the same construction for the transposed problem
    ``tr(M_k D^T W_k D)`` in ``D^T``, from the largest entry of ``M_k`` (tight when the shapes are); measured,
    alternating needs fewer steps than either alone on the digits data of the benchmark. MM converges
    linearly and slowly (hundreds of steps per M-step measured on 6-dimensional data), so the steps are
    extrapolated as in SQUAREM (Varadhan & Roland 2008) on the rotation's Cayley coordinates: two MM steps give
    the step r and its change v, the extrapolated point ``D0 cayley(-2 a r + a^2 v)`` with ``a = -|r| / |v|``
    is followed by one more MM step and kept only if the objective is lower than after the two plain steps, so
    every cycle decreases the objective as MM does. ``n_iter`` counts MM steps.
    """
    orientation = _common_orientation_start(scatter, previous)
    largest = np.linalg.eigvalsh(scatter)[:, -1]

    def evaluate(rotation):
        """``(W_k D, D^T W_k D's diagonals, the closed-form diagonals given D)``: one batched product."""
        rotated = scatter @ rotation
        projected = np.einsum("ij,kij->kj", rotation, rotated)
        return rotated, projected, diagonals_given_orientation(projected, nk)

    def objective(point):
        _, _, projected, diagonals = point
        return float(nk @ np.log(diagonals).sum(axis=1) + (projected / diagonals).sum())

    def step(point):
        """The MM map: one step with each majoriser (so that it is the same map at every call)."""
        rotation, rotated, _, diagonals = point
        for transposed in (False, True):
            rotation = _mm_update(largest, rotation, rotated, diagonals, transposed)
            if rotation is None:
                return None
            rotated, projected, diagonals = evaluate(rotation)
        return rotation, rotated, projected, diagonals

    current = (orientation, *evaluate(orientation))
    n_iter = 0
    while n_iter < max_iter:
        first = step(current)
        second = None if first is None else step(first)
        n_iter += 4
        if second is None:
            return np.full(scatter.shape, np.nan), n_iter
        orientation, diagonals = current[0], current[3]
        new = second
        r = _inverse_cayley(orientation.T @ first[0])
        v = _inverse_cayley(first[0].T @ second[0]) - r
        v_norm = float(np.sqrt(np.sum(v * v)))
        if np.isfinite(v_norm) and v_norm > 0 and np.all(np.isfinite(r)):
            a = min(-float(np.sqrt(np.sum(r * r))) / v_norm, -1.0)
            jumped = orientation @ _cayley(-2.0 * a * r + a * a * v)
            if np.all(np.isfinite(jumped)):
                third = step((jumped, *evaluate(jumped)))
                n_iter += 2
                if third is not None and objective(third) < objective(second):
                    new = third
        change = max(float(np.max(np.abs(new[0] - orientation))), _relative_change(new[3], diagonals))
        current = new
        if not change > tol:
            break
    return _rebuild(current[0], current[3]), n_iter


def _vve_diagonals(projected, nk):
    return projected / nk[:, None]


def _eve_diagonals(projected, nk):
    scale = _geometric_mean(projected)
    return projected * (scale.sum() / nk.sum() / scale)[:, None]


def vve(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VVE: ``Sigma_k = lambda_k D A_k D^T``. scatter (K, d, d) -> (K, d, d), n_iter."""
    return _common_orientation(scatter, nk, previous, tol, max_iter, _vve_diagonals)


def eve(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """EVE: ``Sigma_k = lambda D A_k D^T``. scatter (K, d, d) -> (K, d, d), n_iter."""
    return _common_orientation(scatter, nk, previous, tol, max_iter, _eve_diagonals)
