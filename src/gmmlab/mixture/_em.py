"""The one EM driver loop: restarts, convergence on the lower bound, best restart kept, optional history.

The loop knows nothing about covariance types: it calls the :class:`~gmmlab.mixture._covariance.CovarianceOps`
it is given. It works on data centred by ``shift`` (translation does not change a Gaussian mixture's likelihood,
and centred data keeps the expanded distance formulas accurate); parameters go in and come out in the caller's
coordinates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np

from ..history import History, IterationRecord
from ._covariance import (
    CovarianceOps,
    _buffer,
    block_size,
    e_step,
    normalize_block,
    one_thread,
)

__all__ = ["MixtureParams", "EMResult", "run_em", "em_iteration"]


# Relative difference below which two restarts' lower bounds are the same optimum up to rounding.
_TIE = 1e-12


@dataclass(frozen=True)
class MixtureParams:
    """Weights, means, covariances (None when only precisions are known) and precision Cholesky factors."""

    weights: np.ndarray
    means: np.ndarray
    covariances: Optional[np.ndarray]
    precisions_cholesky: np.ndarray

    def shifted(self, offset) -> "MixtureParams":
        """The same mixture translated by ``offset``."""
        return replace(self, means=self.means + offset)


@dataclass(frozen=True)
class EMResult:
    """What a run of :func:`run_em` found: the best restart's parameters and its convergence record."""

    params: MixtureParams
    n_iter: int
    converged: bool
    lower_bound: float
    lower_bounds: list
    best_restart: int


def em_iteration(params: MixtureParams, ops: CovarianceOps, cache: dict, reg_covar: float, work: dict, resp_out=None):
    """One EM iteration: ``(lower_bound, new_params)``, the lower bound being that of ``params``.

    The samples are visited in blocks (the columns of ``cache["features"]``): each block's log-densities are
    normalised into responsibilities and immediately folded into the sufficient statistics of the M-step, so the
    (n_samples, n_components) responsibilities are never held unless ``resp_out`` (K, n) asks for them.
    """
    features = cache["features"]
    n_samples = features.shape[1]
    n_components, n_features = params.means.shape
    dtype = features.dtype
    state = ops.e_state(params.weights, params.means, params.precisions_cholesky, cache)
    step = block_size(ops, n_samples, n_components, n_features)
    moments = None
    nk = np.zeros(n_components, dtype=dtype)
    acc = {}
    log_likelihood = 0.0
    for start in range(0, n_samples, step):
        stop = min(start + step, n_samples)
        if resp_out is None:
            block = _buffer(work, "log_prob", n_components * (stop - start), dtype).reshape(n_components, -1)
        else:
            block = resp_out[:, start:stop]
        block_features = ops.log_prob(features, start, stop, state, block, work, False)
        log_likelihood += float(normalize_block(block).sum(dtype=np.float64))
        sums = block.sum(axis=1)
        nk += sums
        if moments is None:
            moments = block @ block_features.T
        else:
            moments += block @ block_features.T
        ops.accumulate(features, start, stop, state, block, sums, work, acc)
    lower_bound = log_likelihood / n_samples + state["offset"]
    nk += 10 * np.finfo(dtype).eps
    means = moments[:, :n_features] / nk[:, np.newaxis]
    covariances = ops.finalize(moments, nk, means, acc, state, reg_covar, cache)
    new_params = MixtureParams(nk / nk.sum(), means, covariances, ops.precision_cholesky(covariances))
    return lower_bound, new_params


def _record(history, restart, iteration, params, shift, objective, resp, keep_assignments):
    history.append(
        IterationRecord(
            restart=restart,
            iteration=iteration,
            means=params.means + shift,
            weights=params.weights.copy(),
            covariances=None if params.covariances is None else params.covariances.copy(),
            objective=float(objective),
            labels=resp.argmax(axis=1) if keep_assignments else None,
            responsibilities=resp.copy() if keep_assignments else None,
        )
    )


def run_em(
    X_centred,
    shift,
    initialize: Callable[[int], MixtureParams],
    ops: CovarianceOps,
    *,
    n_init: int,
    tol: float,
    max_iter: int,
    reg_covar: float,
    cache: dict,
    start_lower_bound: float = -np.inf,
    history: Optional[History] = None,
    history_max_cells: int = 0,
    verbose: int = 0,
    verbose_interval: int = 10,
) -> EMResult:
    """Run EM from ``n_init`` initialisations and keep the one with the highest final lower bound.

    Parameters
    ----------
    X_centred : ndarray of shape (n_samples, n_features)
        The data minus ``shift``.
    shift : ndarray of shape (n_features,)
        Added back to the means of recorded and returned parameters.
    initialize : callable
        ``initialize(restart)`` returns the starting :class:`MixtureParams` in centred coordinates.
    ops : CovarianceOps
        The covariance math.
    start_lower_bound : float
        The lower bound the first iteration's change is measured from (``-inf``, or the previous fit's for
        ``warm_start``).
    history : History or None
        When given, every iteration of every restart is appended to it.

    Notes
    -----
    As in scikit-learn, the lower bound of iteration ``i`` is the mean log-likelihood of the parameters *before*
    that iteration's M-step, and convergence is ``|change| < tol``. A history record instead stores the
    log-likelihood *of its own parameters*, which costs one extra E-step per restart when recording.
    """
    if "features" not in cache:
        cache = ops.prepare(X_centred)
    work = {}  # buffers reused by every iteration of every restart
    best = None
    with one_thread():  # see one_thread: a fit runs on one core
        for restart in range(n_init):
            result = _run_restart(
                X_centred, shift, initialize, ops, cache, work, restart, tol, max_iter, reg_covar,
                start_lower_bound, history, history_max_cells, verbose, verbose_interval,
            )
            # scikit-learn's rule: a strictly better bound wins; while the best is still -inf the latest restart
            # wins. Bounds within rounding of each other are a tie (two restarts that found the same optimum with
            # the components in another order): the earlier restart is kept, whatever the last bits say.
            if best is None or best.lower_bound == -np.inf or (
                result.lower_bound > best.lower_bound + _TIE * abs(best.lower_bound)
            ):
                best = result
    if history is not None:
        history.best_restart = best.best_restart
    return best


def _run_restart(
    X_centred, shift, initialize, ops, cache, work, restart, tol, max_iter, reg_covar, start_lower_bound, history,
    history_max_cells, verbose, verbose_interval,
) -> EMResult:
    """EM from initialisation number ``restart``, until ``|change| < tol`` or ``max_iter`` iterations."""
    if verbose:
        print(f"Initialization {restart}")
        restart_start = interval_start = time.time()
    params = initialize(restart)
    n_samples, n_components = X_centred.shape[0], params.means.shape[0]
    keep_assignments = n_samples * n_components <= history_max_cells
    resp_out = None
    if history is not None and keep_assignments:
        resp_out = np.empty((n_components, n_samples), dtype=cache["features"].dtype)
    lower_bound = start_lower_bound
    lower_bounds = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        lower_bound, new_params = em_iteration(params, ops, cache, reg_covar, work, resp_out)
        if history is not None:
            resp = resp_out.T if keep_assignments else None
            _record(history, restart, n_iter - 1, params, shift, lower_bound, resp, keep_assignments)
        params = new_params
        lower_bounds.append(lower_bound)
        change = lower_bound - previous
        if verbose and n_iter % verbose_interval == 0:
            now = time.time()
            if verbose > 1:
                print(f"  Iteration {n_iter}\t time lapse {now - interval_start:.5f}s\t ll change {change:.5f}")
            else:
                print(f"  Iteration {n_iter}")
            interval_start = now
        if abs(change) < tol:
            converged = True
            break
    if history is not None:
        log_prob_norm, resp = e_step(X_centred, params.weights, params.means, params.precisions_cholesky, ops, cache)
        _record(history, restart, n_iter, params, shift, np.mean(log_prob_norm), resp, keep_assignments)
    if verbose:
        state = "converged" if converged else "did not converge"
        elapsed = time.time() - restart_start
        print(f"Initialization {state}. time lapse {elapsed:.5f}s\t lower bound {lower_bound:.5f}")
    if max_iter == 0:
        lower_bound = start_lower_bound
    return EMResult(params.shifted(shift), n_iter, converged, lower_bound, lower_bounds, restart)
