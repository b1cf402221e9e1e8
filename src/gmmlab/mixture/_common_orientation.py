"""The M-step of EVE and VVE: one orientation D shared by all components, shapes (and volumes) per component.

Given D the diagonals of ``Sigma_k = D diag(s_k) D^T`` have closed forms from the diagonals of
``B_k = D^T W_k D``, so the M-step is a problem in D alone (profiled objective, up to constants):

* VVE: ``f(D) = sum_k n_k sum_j log (B_k)_jj`` (Flury's common principal components likelihood);
* EVE: ``f(D) = n d log sum_k exp(mean_j log (B_k)_jj)`` (the log of the common volume's numerator).

**Newton's method on the orthogonal group**, from a warm start (the previous EM iteration's D). With
``D(S) = D0 cayley(S)``, S skew-symmetric with one free entry ``theta_pq`` per pair p < q, the gradient and the
exact Hessian of f in theta at S = 0 have closed forms in the entries of ``B_k`` (the first and second order terms
of ``E^T B_k E``, E = I + S + S^2/2 + ..., through the chain rule of ``log (B_k)_jj``); they cost
O(K d^3 + d^4) per step, vectorised over components. Each step solves ``(H + mu I) theta = -grad`` (mu = 0 while
H is positive definite, Levenberg-Marquardt damping otherwise), is halved until it lowers f, and later steps reuse
the factor of H (chord steps) while they contract fast. Newton converges quadratically near the optimum: an
M-step to the tolerance takes a few steps where the MM algorithm below took hundreds, and one step (the engine's
cap inside the EM loop, see :data:`._parsimonious_iterative.INNER_CONTROL`) is already an M-step exact to second
order (an "EM gradient" step, Lange 1995, with EM's local convergence rate).

**The MM algorithm** of Browne & McNicholas (2014), accelerated by SQUAREM, runs from a cold start (no previous
D: Newton's basin of attraction is small far from the optimum) before Newton, and is the fallback when no damped
Newton step lowers f: with ``alpha_k`` the largest eigenvalue of ``W_k`` and ``M_k = diag(1 / s_k)``,
``tr(W_k D M_k D^T)`` is majorised at D0 by its linearisation, whose minimiser over orthogonal D is ``U V^T``
from the SVD of ``F = sum_k (alpha_k I - W_k) D0 M_k``; see :func:`_mm_orientation`.

Both stop when the largest change of an entry of D and the largest relative change of the diagonals fall below
``tol``, or after ``max_iter`` steps. Every kept step lowers f, so a capped M-step is still a generalised EM step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np

from ._structure import lapack

__all__ = ["Orientation", "eve", "vve"]


@dataclass(frozen=True)
class Orientation:
    """What an EVE or VVE M-step hands the next one: D, and the Cholesky factor of the last Hessian (or None)."""

    orientation: np.ndarray
    factor: Optional[np.ndarray] = None

# Levenberg-Marquardt damping where the Hessian is not positive definite: first mu relative to the Hessian's largest
# diagonal entry, and its growth; the number of rejected steps in a row after which the MM algorithm takes over.
_FIRST_DAMPING = 1e-4
_DAMPING_GROWTH = 10.0
_MAX_REJECTIONS = 12
# Relative size of f's rounding: below it, a step is judged by the gradient's norm instead of by f.
_ROUNDING = 1e-13


def _geometric_mean(values, axis=-1):
    return np.exp(np.mean(np.log(values), axis=axis))


def _relative_change(new, old):
    return float(np.max(np.abs(new - old) / np.abs(old)))


def _vve_diagonals(projected, nk):
    return projected / nk[:, None]


def _eve_diagonals(projected, nk):
    scale = _geometric_mean(projected)
    return projected * (scale.sum() / nk.sum() / scale)[:, None]


def _rebuild(orientation, diagonals):
    """``D diag(s_k) D^T`` for each k: (d, d), (K, d) -> (K, d, d)."""
    return (orientation * diagonals[:, None, :]) @ orientation.T


def _start(scatter, previous):
    if isinstance(previous, Orientation):
        return previous.orientation
    if previous is not None and np.all(np.isfinite(previous)):
        # the previous covariances share D: any component's eigenvectors are D up to order and sign, which the
        # diagonals recomputed from D^T W_k D absorb
        return np.linalg.eigh(previous[0])[1]
    return np.linalg.eigh(scatter.sum(axis=0))[1]


# ---------------------------------------------------------------------------------------------------------
# Newton


@lru_cache(maxsize=16)
def _pair_indices(d: int):
    """Index tables of the Hessian for dimension d: ``(p, q, (positions, r_index, p_index), (pairs, is_first))``.

    Pairs ``pi = (p, q)``, p < q, number the entries theta of S. Apart from EVE's dense rank-K term, two pairs
    interact only when they share an index. ``(positions, r_index, p_index)`` lists, for
    every such (row pair, column pair), its flat Hessian position and the flat indices and signs of the entries of
    ``R[j, l, m] = sum_k a_kj (B_k)_lm`` and ``P[j, l] = sum_k a_kj (B_k)_jl`` that the second-order term of
    ``(E^T B_k E)_jj`` puts there (read off ``B S^2 - S B S``, E = I + S + S^2/2 + ...), the signs folded in as
    indices into ``[R, -R]`` and ``[P, -P]``; ``positions`` continues with those of the per-index blocks of the
    first-order term. ``pairs`` and ``is_first``, both (d, d - 1): the pairs that contain index j, and whether j
    is their p.
    """
    p, q = np.triu_indices(d, 1)
    n_pairs = p.size
    ends = {"p": p, "q": q}
    positions, r_index, r_sign, p_index, p_sign = [], [], [], [], []
    # (row end, column end) equal; R's and P's indices in the row pair's (pr, qr) and column pair's (pc, qc) ends
    for row_end, col_end, r_ends, r_sgn, p_ends, p_sgn in (
        ("p", "p", ("pr", "qr", "qc"), 1.0, ("qc", "qr"), -1.0),
        ("p", "q", ("pr", "qr", "pc"), -1.0, ("pc", "qr"), 1.0),
        ("q", "p", ("qr", "pr", "qc"), -1.0, ("qc", "pr"), 1.0),
        ("q", "q", ("qr", "pr", "pc"), 1.0, ("pc", "pr"), -1.0),
    ):
        rows, cols = np.nonzero(ends[row_end][:, None] == ends[col_end][None, :])
        pick = {"pr": p[rows], "qr": q[rows], "pc": p[cols], "qc": q[cols]}
        # the Hessian is the symmetric part times two: each term goes to (row, col) and to (col, row)
        positions += [rows * n_pairs + cols, cols * n_pairs + rows]
        r_index += [np.ravel_multi_index(tuple(pick[e] for e in r_ends), (d, d, d))] * 2
        p_index += [np.ravel_multi_index(tuple(pick[e] for e in p_ends), (d, d))] * 2
        r_sign += [np.full(rows.size, r_sgn)] * 2
        p_sign += [np.full(rows.size, p_sgn)] * 2
    positions, r_index, r_sign, p_index, p_sign = (np.concatenate(a) for a in (positions, r_index, r_sign,
                                                                                 p_index, p_sign))
    # the signs folded into the indices: R and P are gathered from [R, -R] and [P, -P]
    r_index = r_index + (r_sign < 0) * d**3
    p_index = p_index + (p_sign < 0) * d**2
    pair_number = np.zeros((d, d), dtype=np.intp)
    pair_number[p, q] = pair_number[q, p] = np.arange(n_pairs)
    others = np.array([[m for m in range(d) if m != j] for j in range(d)], dtype=np.intp).reshape(d, d - 1)
    pairs = pair_number[np.arange(d)[:, None], others]
    is_first = np.arange(d)[:, None] < others
    gauss_positions = (pairs[:, :, None] * n_pairs + pairs[:, None, :]).ravel()
    return p, q, (np.concatenate([positions, gauss_positions]), r_index, p_index), (pairs, is_first)


def _objective(diagonals, nk, model):
    """The profiled M-step objective from the diagonals of ``D^T W_k D`` (K, d)."""
    logs = np.log(diagonals)
    if model == "VVE":
        return float(nk @ logs.sum(axis=1))
    means = logs.mean(axis=1)
    top = means.max()
    return float(nk.sum() * diagonals.shape[1] * (top + np.log(np.exp(means - top).sum())))


def _first_order(rotated, diagonals, nk, model):
    """``(weights (K,), d log (B_k)_pp / d theta (K, P), d log (B_k)_qq / d theta (K, P), gradient (P,), softmax)``.

    ``weights_k = d f / d log (B_k)_jj`` (the same for every j).
    """
    p, q, _, _ = _pair_indices(rotated.shape[-1])
    softmax = None
    if model == "VVE":
        weights = nk
    else:
        means = np.log(diagonals).mean(axis=1)
        softmax = np.exp(means - means.max())
        softmax /= softmax.sum()
        weights = nk.sum() * softmax
    off = rotated[:, p, q]
    first_p = -2.0 * off / diagonals[:, p]
    first_q = 2.0 * off / diagonals[:, q]
    return weights, first_p, first_q, weights @ (first_p + first_q), softmax


def _hessian(rotated, diagonals, nk, model, first):
    """The Hessian (P, P) of the objective in theta at S = 0 (``first`` from :func:`_first_order`)."""
    n_components, d, _ = rotated.shape
    weights, first_p, first_q, _, softmax = first
    _, _, (positions, r_index, p_index), (pairs, is_first) = _pair_indices(d)
    n_pairs = first_p.shape[1]
    scaled = weights[:, None] / diagonals
    second_r = (scaled.T @ rotated.reshape(n_components, d * d)).ravel()
    second_p = np.einsum("kj,kjl->jl", scaled, rotated).ravel()
    values = np.concatenate([second_r, -second_r])[r_index]
    values += np.concatenate([second_p, -second_p])[p_index]
    # minus sum_kj w_k (d log b_kjj)(d log b_kjj)^T: per index j, the pairs that contain it
    by_index = np.where(is_first, first_p[:, pairs], first_q[:, pairs])  # (K, d, d - 1)
    gauss = (by_index * weights[:, None, None]).transpose(1, 2, 0) @ by_index.transpose(1, 0, 2)
    hessian = np.bincount(positions, np.concatenate([values, -gauss.ravel()]), n_pairs * n_pairs)
    hessian = hessian.reshape(n_pairs, n_pairs)
    if model == "EVE":
        # n d (J^T diag(w) J - (w J)^T (w J)) = n d sum_k w_k (J_k - w J)(J_k - w J)^T, J_k = d mean_j log b_kjj
        jacobian = (first_p + first_q) / d
        centred = (jacobian - softmax @ jacobian).T * np.sqrt(nk.sum() * d * softmax)
        hessian += centred @ centred.T
    return hessian


def _cayley(skew):
    identity = np.eye(skew.shape[0])
    return np.linalg.solve(identity - 0.5 * skew, identity + 0.5 * skew)


def _newton_system(rotated, nk, model):
    """Gradient and Hessian at S = 0 (for tests)."""
    diagonals = np.diagonal(rotated, axis1=1, axis2=2)
    first = _first_order(rotated, diagonals, nk, model)
    return first[3], _hessian(rotated, diagonals, nk, model, first)


# ---------------------------------------------------------------------------------------------------------
# MM (the fallback)


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
    # a column's sign is arbitrary (the objective ignores it): keep it close to the previous one
    signs = np.sign(np.einsum("ij,ij->j", orientation, new))
    signs[signs == 0] = 1.0
    return new * signs


def _solve(model, scatter, nk, orientation, tol, max_iter, factor=None):
    """Damped Newton from ``orientation``, with chord steps (the last Hessian's factor) while they contract fast.

    A step is kept when it lowers f or, once f's changes are within rounding (``_ROUNDING`` relative), when it
    lowers the gradient's norm (Newton's quadratic convergence reaches that regime before D has settled to
    ``tol``). Returns ``(orientation, n_iter, status, factor)``: status "converged", "capped" (``max_iter`` steps) or
    "stalled" (``_MAX_REJECTIONS`` steps in a row not kept; orientation None when f is not finite, a degenerate
    scatter). ``n_iter`` counts the steps kept. ``factor``: a Cholesky factor of a Hessian near ``orientation``
    (the previous M-step's) for a first chord step; the last factor is returned with the result.
    """
    d = scatter.shape[-1]
    p, q, _, _ = _pair_indices(d)
    potrf, potrs = lapack(("potrf", "potrs"), "d")

    def evaluate(rotation):
        """``(D, D^T W_k D, its diagonals, f, first-order terms, |gradient|)``."""
        rotated = rotation.T @ scatter @ rotation
        diagonals = np.diagonal(rotated, axis1=1, axis2=2).copy()
        first = _first_order(rotated, diagonals, nk, model)
        return rotation, rotated, diagonals, _objective(diagonals, nk, model), first, np.sqrt(first[3] @ first[3])

    def kept(candidate, point):
        if candidate[3] < point[3]:
            return True
        return candidate[3] <= point[3] + _ROUNDING * abs(point[3]) and candidate[5] < point[5]

    point = evaluate(orientation)
    if not (np.isfinite(point[3]) and np.isfinite(point[5])):
        return None, 0, "stalled", None
    hessian = None
    last_factor = factor
    fresh = False  # whether factor is that of the current point's Hessian
    damping, scale, last_change, rejections, n_iter, step = 0.0, 1.0, np.inf, 0, 0, None
    while n_iter < max_iter:
        if factor is None:
            if hessian is None:
                hessian = _hessian(point[1], point[2], nk, model, point[4])
                damping, scale = 0.0, float(np.max(np.abs(np.diagonal(hessian))))
                if not np.isfinite(scale):
                    return None, n_iter, "stalled", None
            factor, info = potrf(hessian + damping * np.eye(hessian.shape[0]) if damping else hessian, lower=0,
                                 clean=0)
            while info != 0 and damping < 1e12 * scale:  # Levenberg-Marquardt: damp until positive definite
                damping = max(_DAMPING_GROWTH * damping, _FIRST_DAMPING * scale)
                factor, info = potrf(hessian + damping * np.eye(hessian.shape[0]), lower=0, clean=0)
            if info != 0:
                return point[0], n_iter, "stalled", None
            fresh, last_factor = True, factor
        if step is None:
            step, _ = potrs(factor, -point[4][3], lower=0)
        skew = np.zeros((d, d))
        skew[p, q] = step
        skew[q, p] = -step
        candidate = evaluate(point[0] @ _cayley(skew))
        step_change = max(float(np.max(np.abs(candidate[0] - point[0]))), _relative_change(candidate[2], point[2]))
        if kept(candidate, point):
            n_iter += 1
            point, hessian, step, rejections = candidate, None, None, 0
            rate = step_change / last_change
            # converged: this step was within the tolerance, or the next one would be far within it (the steps
            # contract at least at their last rate: quadratically after a fresh Hessian, linearly in chord steps)
            if not step_change > tol or 0 < rate and step_change * rate < 0.01 * tol:
                return point[0], n_iter, "converged", last_factor
            # chord steps converge linearly: a fresh Hessian when more than three would be needed at their rate
            if not rate < 1 or step_change * rate**3 > tol:
                factor = None
            last_change, fresh = step_change, False
            continue
        if not step_change > tol:  # a step within the tolerance that is not kept: the optimum, to rounding
            return point[0], n_iter, "converged", last_factor
        rejections += 1
        if rejections >= _MAX_REJECTIONS:
            return point[0], n_iter, "stalled", None
        if fresh:  # backtrack along the Newton direction
            step = 0.25 * step
        else:  # a chord step: a fresh Hessian first
            factor, step, last_change = None, None, np.inf
    return point[0], n_iter, "capped", last_factor


def _inverse_cayley(rotation):
    identity = np.eye(rotation.shape[0])
    # S = 2 (R - I)(R + I)^-1, solved as (R + I)^T S^T = 2 (R - I)^T; undefined (NaN) for a half-turn
    try:
        return 2.0 * np.linalg.solve((rotation + identity).T, (rotation - identity).T).T
    except np.linalg.LinAlgError:
        return np.full_like(rotation, np.nan)


def _mm_orientation(scatter, nk, orientation, tol, max_iter, diagonals_given_orientation):
    """MM on D from ``orientation``, accelerated. Returns ``(orientation or None, n_iter, converged)``.

    Two majorisers alternate: Browne & McNicholas's, from the largest eigenvalue of ``W_k`` (tight when the
    scatter matrices are well conditioned), and the same construction for the transposed problem
    ``tr(M_k D^T W_k D)`` in ``D^T``, from the largest entry of ``M_k`` (tight when the shapes are). The steps are
    extrapolated as in SQUAREM (Varadhan & Roland 2008) on the rotation's Cayley coordinates: two MM steps give
    the step r and its change v, the extrapolated point ``D0 cayley(-2 a r + a^2 v)`` with ``a = -|r| / |v|``
    is followed by one more MM step and kept only if the objective is lower than after the two plain steps, so
    every cycle lowers the objective as MM does. ``n_iter`` counts MM steps.
    """
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
            return None, n_iter, False
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
            return current[0], n_iter, True
    return current[0], n_iter, False


def _common_orientation(model, scatter, nk, previous, tol, max_iter):
    """The M-step in D: Newton from a warm start; from a cold one MM first (see the module docstring).

    ``previous``: the previous covariances, or the previous M-step's :class:`Orientation`. Returns
    ``(covariances, n_iter, converged, Orientation or None)``.
    """
    diagonals_given_orientation = _vve_diagonals if model == "VVE" else _eve_diagonals
    orientation = _start(scatter, previous)
    factor = previous.factor if isinstance(previous, Orientation) else None
    n_iter, converged = 0, False
    if previous is None:
        orientation, n_iter, converged = _mm_orientation(
            scatter, nk, orientation, tol, max_iter, diagonals_given_orientation
        )
    if orientation is not None and not converged:
        orientation, newton_steps, status, factor = _solve(model, scatter, nk, orientation, tol, max_iter, factor)
        n_iter += newton_steps
        converged = status == "converged"
        if orientation is not None and status == "stalled" and n_iter < max_iter:
            orientation, mm_steps, converged = _mm_orientation(
                scatter, nk, orientation, tol, max_iter - n_iter, diagonals_given_orientation
            )
            n_iter += mm_steps
    if orientation is None:
        return np.full(scatter.shape, np.nan), n_iter, True, None
    projected = np.einsum("ij,kij->kj", orientation, scatter @ orientation)
    covariances = _rebuild(orientation, diagonals_given_orientation(projected, nk))
    return covariances, n_iter, converged, Orientation(orientation, factor)


def vve(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """VVE: ``Sigma_k = lambda_k D A_k D^T``. scatter (K, d, d) -> (K, d, d), n_iter, converged, Orientation."""
    return _common_orientation("VVE", scatter, nk, previous, tol, max_iter)


def eve(scatter, nk, previous: Optional[np.ndarray], tol: float, max_iter: int):
    """EVE: ``Sigma_k = lambda D A_k D^T``. scatter (K, d, d) -> (K, d, d), n_iter, converged, Orientation."""
    return _common_orientation("EVE", scatter, nk, previous, tol, max_iter)
