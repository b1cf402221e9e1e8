"""The iterative M-steps of mclust's parsimonious models VEI, VEE and VEV (EVE and VVE: :mod:`._common_orientation`).

These models have no closed-form M-step. Celeux & Govaert (1995) alternate between the volumes and the common
shape (and orientation), each step the exact minimiser of ``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^{-1})`` in
one block of parameters given the other. Here one block is eliminated by its closed form and the other is
found by Newton's method on the profiled objective, which is convex in log coordinates for all three models (the
log shape for VEI and VEV, the log volumes for VEE; see each function): quadratic convergence, from anywhere,
where the alternation converges linearly.

Each solver starts from the previous EM iteration's covariances when it has them (the EM loop's warm start; the
first component's is enough), stops when the largest relative change of the volumes and shapes falls below
``tol``, or after ``max_iter`` iterations. The defaults are in :data:`INNER_CONTROL`: the tolerance is mclust's
``emControl()$tol[2] = sqrt(.Machine$double.eps)``; mclust's default cap is ``.Machine$integer.max`` (no cap),
ours is finite so that a degenerate M-step cannot spin; inside the EM loop the cap is ``em_max_iter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._structure import lapack

__all__ = ["INNER_CONTROL", "InnerControl", "sorted_eigh", "vee", "vei", "vev"]

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))

# Relative size of the objective's rounding: below it a Newton step is judged by the gradient's norm.
_ROUNDING = 1e-13


@dataclass(frozen=True)
class InnerControl:
    """Inner tolerance and iteration caps of an iterative M-step (see the module docstring).

    ``max_iter`` caps a standalone M-step (and the engine's first one, from a cold start); ``em_max_iter`` caps
    each M-step inside the EM loop, warm-started from the previous iteration: a capped M-step still lowers its
    objective (a generalised EM step, so the likelihood never decreases) and the loop declares convergence only
    after an M-step whose solver converged (:attr:`SufficientStatistics.m_step_complete`).
    """

    tol: float
    max_iter: int
    em_max_iter: int
    method: str


INNER_CONTROL = {
    # Inside the EM loop one Newton step per iteration (a generalised EM step) where the generalised EM path
    # reaches the same optimum as mclust's exact EM from the same start (VEI, VEE: every fit of the exactness
    # benchmark) or where mclust's own M-step is not exact (VVE); a complete M-step for VEV and EVE, whose
    # generalised EM paths ended at other optima than mclust's me() on 1 and 3 of its 21 fits (measured:
    # benchmarks/RESULTS.md, "Speed per EM iteration").
    "VEI": InnerControl(_SQRT_EPS, 1000, 1, "Newton steps in the log common diagonal shape, volumes in closed form"),
    "VEV": InnerControl(_SQRT_EPS, 1000, 1000, "Newton steps in the log common shape A, volumes in closed form"),
    "VEE": InnerControl(_SQRT_EPS, 1000, 1, "Newton steps in the log volumes, the common C in closed form"),
    # Newton's method on D from the previous EM iteration's orientation (MM first from a cold start, and the
    # fallback where no Newton step lowers the objective): see _common_orientation.
    "EVE": InnerControl(_SQRT_EPS, 200, 200, "Newton steps in D (MM from a cold start), the shapes in closed form"),
    "VVE": InnerControl(_SQRT_EPS, 200, 1, "Newton steps in D (MM from a cold start), lambda_k A_k in closed form"),
}
"""Default inner ``tol`` and caps per iterative model."""


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
    """Variable volumes and one common shape (VEI, VEV): Newton's method on the profiled objective.

    ``values`` (K, d) are the diagonals (VEI) or eigenvalues (VEV) of the scatter matrices, ``shape`` (d,) the
    starting shape (any scale). Given the shape ``a = exp(beta)`` (sum beta = 0) the volumes have the closed
    form ``lambda_k = sum_j values_kj / a_j / (d n_k)`` (Celeux & Govaert's fixed-point step), and the objective
    becomes ``F(beta) = d sum_k n_k log sum_j values_kj exp(-beta_j)``, a sum of log-sum-exps: convex, so
    Newton's method (steps in the plane sum beta = 0, halved until F decreases) converges from anywhere, and
    quadratically. Returns ``(volumes (K,), shape (d,), n_iter, converged)``.
    """
    d = values.shape[1]
    weights = d * nk
    total = weights.sum() / d
    (gesv,) = lapack(("gesv",), "d")  # LAPACK directly: numpy's wrapper costs more than a 6 x 6 solve

    def objective(log_shape):
        scaled = values * np.exp(-log_shape)
        sums = scaled.sum(axis=1)
        return float(weights @ np.log(sums)), scaled, sums

    def gradient_of(scaled, sums):
        """``(p_kj, weights_k p_kj, column sums, the gradient within sum beta = 0)``."""
        probabilities = scaled / sums[:, None]
        weighted = probabilities * weights[:, None]
        column = weighted.sum(axis=0)
        return probabilities, weighted, column, column.mean() - column

    log_shape = np.log(shape)
    log_shape -= log_shape.mean()
    value, scaled, sums = objective(log_shape)
    probabilities, weighted, column, gradient = gradient_of(scaled, sums)
    for n_iter in range(1, max_iter + 1):
        # Hessian d sum_k n_k (diag p_k - p_k p_k^T), singular along the ones; + 1 1^T keeps the step in the plane
        hessian = total - probabilities.T @ weighted
        hessian.flat[:: d + 1] += column
        _, _, step, info = gesv(hessian, -gradient)
        if info != 0:
            return sums / weights, np.exp(log_shape), n_iter, False
        for _ in range(60):
            new_value, new_scaled, new_sums = objective(log_shape + step)
            if new_value < value:
                break
            if new_value <= value + _ROUNDING * abs(value):  # within rounding: judged by the gradient
                if np.abs(gradient_of(new_scaled, new_sums)[3]).max() < np.abs(gradient).max():
                    break
            step = 0.5 * step
        else:
            return sums / weights, np.exp(log_shape), n_iter, True  # no decrease left: the optimum, to rounding
        change = max(float(np.max(np.abs(np.expm1(step)))), _relative_change(new_sums, sums))
        log_shape = log_shape + step
        value, scaled, sums = new_value, new_scaled, new_sums
        if not change > tol:  # also stops on NaN
            return sums / weights, np.exp(log_shape), n_iter, True
        if n_iter < max_iter:
            probabilities, weighted, column, gradient = gradient_of(scaled, sums)
    return sums / weights, np.exp(log_shape), max_iter, False


def vei(diagonals, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEI: ``Sigma_k = lambda_k B``, B diagonal with determinant 1. diagonals (K, d) -> (K, d), n_iter, converged."""
    d = diagonals.shape[1]
    first = None if previous is None else previous[0]
    if first is not None and np.isfinite(first).all() and (first > 0).all():
        shape = first  # _volumes_and_shape normalises it
    else:
        shape = np.ones(d)
    volumes, shape, n_iter, converged = _volumes_and_shape(diagonals, nk, shape, tol, max_iter)
    return volumes[:, None] * shape, n_iter, converged


def vee(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEE: ``Sigma_k = lambda_k C``, C with determinant 1. scatter (K, d, d) -> (K, d, d), n_iter, converged.

    Given the volumes ``lambda_k = exp(l_k)`` the common C is ``S / |S|^(1/d)`` with ``S = sum_k W_k / lambda_k``
    (Celeux & Govaert's fixed-point step), and the objective becomes ``F(l) = d sum_k n_k l_k + d |S(l)|^(1/d)``.
    ``log |S(l)|`` is the log of a polynomial in ``exp(-l_k)`` with non-negative coefficients (the mixed
    discriminants of the W_k), hence convex, so F is convex: Newton's method in l (steps halved until F
    decreases) converges from anywhere, and quadratically.
    """
    n_components, d, _ = scatter.shape
    if previous is not None and np.all(np.isfinite(previous)):
        common = _unit_determinant(previous[0])
    else:
        common = np.eye(d)
    try:
        volumes = np.einsum("kij,ij->k", scatter, np.linalg.inv(common)) / (d * nk)  # tr(W_k C^-1) / (d n_k)
    except np.linalg.LinAlgError:
        volumes = np.full(n_components, np.nan)
    flat = np.moveaxis(scatter, 0, 1).reshape(d, n_components * d)  # [W_1 ... W_K], (d, K d)

    def evaluate(log_volumes):
        weights = np.exp(-log_volumes)
        pooled = np.einsum("kij,k->ij", scatter, weights)
        sign, log_det = np.linalg.slogdet(pooled)
        if not sign > 0:
            return log_volumes, np.nan, pooled, None, None, None
        root = np.exp(log_det / d)
        # V_k = S^-1 W_k / lambda_k, t_k = tr V_k
        ratios = np.linalg.solve(pooled, flat).reshape(d, n_components, d).transpose(1, 0, 2) * weights[:, None, None]
        traces = np.einsum("kii->k", ratios)
        gradient = d * nk - root * traces
        return log_volumes, float(d * (nk @ log_volumes) + d * root), pooled, root, ratios, gradient

    point = evaluate(np.log(volumes))
    if not np.isfinite(point[1]):
        return np.full(scatter.shape, np.nan), 0, True
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        log_volumes, value, _, root, ratios, gradient = point
        traces = np.einsum("kii->k", ratios)
        products = np.einsum("kij,mji->km", ratios, ratios)
        hessian = root * (np.outer(traces, traces) / d + np.diag(traces) - products)
        try:
            step = np.linalg.solve(hessian, -gradient)
        except np.linalg.LinAlgError:
            break
        for _ in range(60):
            candidate = evaluate(log_volumes + step)
            if candidate[1] < value or (
                candidate[1] <= value + _ROUNDING * abs(value)
                and np.abs(candidate[5]).max() < np.abs(gradient).max()
            ):
                break
            step = 0.5 * step
        else:
            converged = True  # no decrease left: the optimum, to rounding
            break
        change = float(np.max(np.abs(np.expm1(step))))
        point = candidate
        if not change > tol:  # also stops on NaN
            converged = True
            break
    log_volumes, _, pooled, root = point[:4]
    return np.exp(log_volumes)[:, None, None] * (pooled / root), n_iter, converged


def vev(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VEV: ``Sigma_k = lambda_k D_k A D_k^T``. scatter (K, d, d) -> (K, d, d), n_iter, converged."""
    d = scatter.shape[-1]
    eigenvalues, eigenvectors = sorted_eigh(scatter)
    shape = None
    if previous is not None and np.all(np.isfinite(previous)):
        previous_eigenvalues = np.linalg.eigvalsh(previous[0])[::-1]
        if np.all(previous_eigenvalues > 0):
            shape = previous_eigenvalues / _geometric_mean(previous_eigenvalues)
    if shape is None:
        shape = np.ones(d)
    volumes, shape, n_iter, converged = _volumes_and_shape(eigenvalues, nk, shape, tol, max_iter)
    covariances = (eigenvectors * (volumes[:, None] * shape)[:, None, :]) @ np.swapaxes(eigenvectors, 1, 2)
    return covariances, n_iter, converged
