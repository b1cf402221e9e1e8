"""The one EM loop: blocks of samples, sample weights, restarts, convergence, history.

The loop knows nothing about covariance shapes: it calls the :class:`~._structure.CovarianceStructure` it is
given (see :mod:`._structure` for the protocol). It works on :class:`~._structure.FitData`, data centred by one
shift; parameters go in and come out in the caller's coordinates.

Entry points: :func:`fit_em` (restarts to convergence; the estimator and the sweep both call it),
:func:`initial_params` (an M-step from initial responsibilities), :func:`chunk_statistics` and :func:`m_step`
(one iteration, the pieces a distributed fit runs on every chunk and on the client), :func:`criteria`,
:func:`e_step` and :func:`most_probable_component` (exact passes for scoring and prediction).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..history import History, IterationRecord
from ._registry import n_mixture_parameters
from ._structure import CovarianceStructure, FitData, MixtureParams, Scratch, SufficientStatistics, new_statistics
from ._threads import one_thread

__all__ = [
    "EMResult",
    "chunk_statistics",
    "criteria",
    "e_step",
    "em_iteration",
    "fit_em",
    "initial_params",
    "m_step",
    "most_probable_component",
    "normalize_block",
]

# Relative difference below which two restarts' lower bounds are the same optimum up to rounding.
_TIE = 1e-12

# Smallest exponent a responsibility is computed for, by precision: e^-600 is about 1e-261 (float64), e^-80 about
# 2e-35 (float32), both far from the subnormal range, where products with the data would stay normal too.
_LOG_FLOOR = {"d": -600.0, "f": -80.0}

# Largest number of floats the per-block temporaries may hold: about 1 MiB, so that a block's whitened data and
# log-densities stay in the core's cache between the E- and M-step products.
_BLOCK_FLOATS = 1 << 17
_MIN_BLOCK = 64


@dataclass(frozen=True)
class EMResult:
    """What :func:`fit_em` found: the best restart's parameters (caller's coordinates) and its convergence."""

    params: MixtureParams
    n_iter: int
    converged: bool
    lower_bound: float
    lower_bounds: list
    best_restart: int


def block_size(structure: CovarianceStructure, n_samples: int, n_components: int, n_features: int) -> int:
    """Samples per block of the blocked passes."""
    per_sample = max(1, structure.block_rows(n_components, n_features))
    return int(min(n_samples, max(_MIN_BLOCK, _BLOCK_FLOATS // per_sample)))


def _block_bounds(structure, data: FitData, n_components: int):
    """(start, stop) of every block of ``data``."""
    n_features, n_samples = data.features.shape
    step = block_size(structure, n_samples, n_components, n_features)
    for start in range(0, n_samples, step):
        yield start, min(start + step, n_samples)


def normalize_block(log_prob):
    """Turn a (K, m) block of weighted log-densities into responsibilities in place.

    Returns the per-sample log-likelihoods (m,) (up to the per-sample term a structure may have left out). The
    exponentials of the log-sum-exp are reused as the responsibilities: one ``exp`` pass per E-step.
    """
    row_max = log_prob.max(axis=0)
    row_max[~np.isfinite(row_max)] = 0.0
    log_prob -= row_max
    # exp of very negative numbers returns subnormals (or underflows) through a microcode path 20-100 times slower
    # than the normal one; a responsibility below e^-600 (1e-261) weighs nothing next to the 1 of the row's
    # largest, so it is clipped there instead.
    np.maximum(log_prob, _LOG_FLOOR[log_prob.dtype.char], out=log_prob)
    np.exp(log_prob, out=log_prob)
    totals = log_prob.sum(axis=0)
    log_prob *= 1.0 / totals  # one division per sample, then multiplications
    return np.log(totals) + row_max


# ---------------------------------------------------------------------------------------------------------
# one iteration


def chunk_statistics(
    structure: CovarianceStructure,
    state,
    data: FitData,
    n_components: int,
    scratch: Scratch,
    resp_out: Optional[np.ndarray] = None,
) -> SufficientStatistics:
    """E-step on every block of ``data`` folded into the M-step's sufficient statistics.

    No (n_samples, n_components) array is held unless ``resp_out`` (K, n) asks for the responsibilities (the
    history does); they are stored without the sample weights.
    """
    features, weights = data.features, data.sample_weight
    dtype = features.dtype
    stats = new_statistics(structure, n_components, features.shape[0], dtype)
    log_likelihood = 0.0
    for start, stop in _block_bounds(structure, data, n_components):
        block = features[:, start:stop]
        if resp_out is None:
            resp = scratch.take("log_prob", (n_components, stop - start), dtype)
        else:
            resp = resp_out[:, start:stop]
        structure.log_prob(state, block, resp, scratch, False)
        log_norm = normalize_block(resp)
        if weights is None:
            log_likelihood += float(log_norm.sum(dtype=np.float64))
        else:
            block_weights = weights[start:stop]
            log_likelihood += float(log_norm @ block_weights)
            resp = resp * block_weights if resp_out is not None else np.multiply(resp, block_weights, out=resp)
        stats.nk += resp.sum(axis=1)
        structure.accumulate(state, block, resp, stats, scratch)
    stats.log_likelihood = log_likelihood
    stats.total_weight = data.total_weight
    structure.finish(state, stats, data)
    return stats


def m_step(structure: CovarianceStructure, stats: SufficientStatistics, state, reg_covar: float,
           complete: bool = False) -> MixtureParams:
    """New parameters (centred coordinates) from the sufficient statistics of an E-step under ``state``.

    ``complete``: an iterative M-step runs its inner solver to convergence instead of stopping at the cap it has
    inside the EM loop (see :class:`SufficientStatistics`).
    """
    stats.allow_capped_m_step = not complete
    stats.nk += 10 * np.finfo(stats.nk.dtype).eps  # as scikit-learn: no division by zero for an empty component
    means = stats.first / stats.nk[:, np.newaxis]
    covariances = structure.covariances_from_statistics(stats, means, state, reg_covar)
    return MixtureParams(stats.nk / stats.nk.sum(), means, covariances, structure.precision_cholesky(covariances),
                         stats.m_step_complete, stats.m_step_state)


def em_iteration(structure, params: MixtureParams, data: FitData, reg_covar: float, scratch: Scratch,
                 resp_out=None, statistics=None, complete_m_step: bool = False):
    """One EM iteration: ``(lower_bound, new_params)``, the lower bound being that of ``params``.

    ``statistics(structure, state, n_components)``, when given, replaces the pass over ``data`` (a distributed
    fit: every chunk's statistics, added up where the chunks live). ``complete_m_step``: see :func:`m_step`.
    """
    state = structure.e_state(params)
    if statistics is None:
        stats = chunk_statistics(structure, state, data, params.means.shape[0], scratch, resp_out)
    else:
        stats = statistics(structure, state, params.means.shape[0])
    lower_bound = stats.log_likelihood / stats.total_weight
    return lower_bound, m_step(structure, stats, state, reg_covar, complete_m_step)


def initial_params(structure, X_centred, resp, reg_covar: float, sample_weight=None) -> MixtureParams:
    """Starting parameters from initial responsibilities (n, K), on centred data (n, d).

    Weights are ``nk / n`` (not renormalised, as in scikit-learn: a start whose rows do not sum to one keeps
    its scale for the first E-step).
    """
    if sample_weight is not None:
        resp = resp * sample_weight[:, np.newaxis]
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X_centred) / nk[:, np.newaxis]
    covariances = structure.initial_covariances(X_centred, resp, nk, means, reg_covar)
    total = X_centred.shape[0] if sample_weight is None else float(sample_weight.sum())
    return MixtureParams(nk / total, means, covariances, structure.precision_cholesky(covariances))


# ---------------------------------------------------------------------------------------------------------
# restarts


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


def fit_em(
    data: FitData,
    shift: np.ndarray,
    initialize: Callable[[int], MixtureParams],
    structure: CovarianceStructure,
    *,
    n_init: int,
    tol: float,
    max_iter: int,
    reg_covar: float,
    start_lower_bound: float = -np.inf,
    history: Optional[History] = None,
    history_max_cells: int = 0,
    verbose: int = 0,
    verbose_interval: int = 10,
    statistics: Optional[Callable] = None,
) -> EMResult:
    """Run EM from ``n_init`` initialisations and keep the one with the highest final lower bound.

    Parameters
    ----------
    data : FitData
        The samples minus ``shift``; ``structure.prepare(data)`` is called here.
    shift : ndarray of shape (n_features,)
        Added back to the means of recorded and returned parameters.
    initialize : callable
        ``initialize(restart)`` returns the starting :class:`MixtureParams` in centred coordinates.
    structure : CovarianceStructure
    n_init, tol, max_iter, reg_covar
        As :class:`~gmmlab.mixture.GaussianMixture`.
    start_lower_bound : float
        The lower bound the first iteration's change is measured from (``-inf``, or the previous fit's for
        ``warm_start``).
    history : History or None
        When given, every iteration of every restart is appended to it.
    statistics : callable or None
        ``statistics(structure, state, n_components)`` -> the :class:`SufficientStatistics` of the whole data
        under an E-step ``state``. None: :func:`chunk_statistics` over ``data`` in this process. Given (a
        data-parallel fit, see :mod:`._dask`), ``data`` is None: the history then keeps parameters and
        objectives, never responsibilities.

    Notes
    -----
    As in scikit-learn, the lower bound of iteration ``i`` is the mean log-likelihood of the parameters *before*
    that iteration's M-step, and convergence is ``|change| < tol`` after a complete M-step (an iterative M-step
    capped inside the loop, a generalised EM step, sets ``m_step_complete`` False: the next iteration then runs
    its M-step to the inner tolerance and the test is made again). A history record instead stores the
    log-likelihood *of its own parameters*, which costs one extra E-step per restart when recording.
    """
    if data is not None:
        structure.prepare(data)
    scratch = Scratch()  # buffers reused by every iteration of every restart
    best = None
    with one_thread():  # see one_thread: a fit runs on one core
        for restart in range(n_init):
            result = _run_restart(
                data, shift, initialize(restart), structure, scratch, restart,
                tol=tol, max_iter=max_iter, reg_covar=reg_covar, start_lower_bound=start_lower_bound,
                history=history, history_max_cells=history_max_cells, verbose=verbose,
                verbose_interval=verbose_interval, statistics=statistics,
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


def _run_restart(data, shift, params, structure, scratch, restart, *, tol, max_iter, reg_covar, start_lower_bound,
                 history, history_max_cells, verbose, verbose_interval, statistics=None) -> EMResult:
    """EM from ``params`` (restart number ``restart``), until ``|change| < tol`` or ``max_iter`` iterations."""
    if verbose:
        print(f"Initialization {restart}")
        restart_start = interval_start = time.time()
    n_components = params.means.shape[0]
    keep_assignments = statistics is None and data.n_samples * n_components <= history_max_cells
    resp_out = None
    if history is not None and keep_assignments:
        resp_out = np.empty((n_components, data.n_samples), dtype=data.features.dtype)
    lower_bound = start_lower_bound
    lower_bounds = []
    converged = complete_m_step = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        lower_bound, new_params = em_iteration(structure, params, data, reg_covar, scratch, resp_out, statistics,
                                               complete_m_step)
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
        # converged only after a complete M-step: after a capped one (a generalised EM step), one more iteration
        # with a complete M-step first
        complete_m_step = abs(change) < tol
        if complete_m_step and params.m_step_complete:
            converged = True
            break
    if history is not None:
        if statistics is None:
            log_prob_norm, resp = e_step(structure, params, data)
            objective = np.average(log_prob_norm, weights=data.sample_weight)
        else:  # the exact log-likelihood of the final parameters, from one more distributed pass
            final = statistics(structure, structure.e_state(params), n_components)
            objective, resp = final.log_likelihood / final.total_weight, None
        _record(history, restart, n_iter, params, shift, objective, resp, keep_assignments)
    if verbose:
        status = "converged" if converged else "did not converge"
        elapsed = time.time() - restart_start
        print(f"Initialization {status}. time lapse {elapsed:.5f}s\t lower bound {lower_bound:.5f}")
    if max_iter == 0:
        lower_bound = start_lower_bound
    return EMResult(params.shifted(shift), n_iter, converged, lower_bound, lower_bounds, restart)


# ---------------------------------------------------------------------------------------------------------
# exact passes: scoring, prediction, criteria


def _exact_blocks(structure, params: MixtureParams, data: FitData, exact: bool):
    """Yield ``(start, stop, log_prob)`` over blocks; log_prob (K, m) is reused between blocks."""
    state = structure.e_state(params)
    n_components = params.means.shape[0]
    scratch = Scratch()
    with one_thread():
        for start, stop in _block_bounds(structure, data, n_components):
            out = scratch.take("log_prob", (n_components, stop - start), data.features.dtype)
            structure.log_prob(state, data.features[:, start:stop], out, scratch, exact)
            yield start, stop, out


def e_step(structure, params: MixtureParams, data: FitData):
    """Exact E-step: ``(log_prob_norm, responsibilities)``, shapes (n,) and (n, K); ``params`` centred."""
    n_samples, n_components = data.n_samples, params.means.shape[0]
    resp = np.empty((n_samples, n_components), dtype=data.features.dtype)
    log_prob_norm = np.empty(n_samples, dtype=data.features.dtype)
    for start, stop, block in _exact_blocks(structure, params, data, True):
        log_prob_norm[start:stop] = normalize_block(block)
        resp[start:stop] = block.T
    return log_prob_norm, resp


def most_probable_component(structure, params: MixtureParams, data: FitData) -> np.ndarray:
    """The most probable component of every sample, without building the responsibilities."""
    labels = np.empty(data.n_samples, dtype=np.intp)
    for start, stop, block in _exact_blocks(structure, params, data, False):
        labels[start:stop] = block.argmax(axis=0)
    return labels


def criteria(structure, params: MixtureParams, data: FitData) -> dict:
    """Mean log-likelihood, BIC, AIC and ICL of centred ``params`` on ``data``, in one pass, no (n, K) array.

    scikit-learn's sign (lower is better): ``BIC = -2 log L + p ln n``, ``AIC = -2 log L + 2 p``,
    ``ICL = BIC + 2 * entropy of the responsibilities``. With sample weights, log L and the entropy are weighted
    sums and n is the total weight.
    """
    weights = data.sample_weight
    tiny = np.finfo(data.features.dtype).tiny
    log_likelihood = entropy = 0.0
    for start, stop, block in _exact_blocks(structure, params, data, True):
        log_norm = normalize_block(block)
        logs = np.log(np.maximum(block, tiny))
        logs *= block
        per_sample = logs.sum(axis=0)
        if weights is None:
            log_likelihood += float(log_norm.sum(dtype=np.float64))
            entropy -= float(per_sample.sum(dtype=np.float64))
        else:
            log_likelihood += float(log_norm @ weights[start:stop])
            entropy -= float(per_sample @ weights[start:stop])
    n = data.total_weight
    n_params = n_mixture_parameters(structure, params.means.shape[0], params.means.shape[1])
    bic = -2 * log_likelihood + n_params * np.log(n)
    return {
        "log_likelihood": log_likelihood / n,
        "bic": float(bic),
        "aic": float(-2 * log_likelihood + 2 * n_params),
        "icl": float(bic + 2 * entropy),
        "n_params": n_params,
    }
