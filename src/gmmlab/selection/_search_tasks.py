"""The model search's side of a sweep: one (K, seed) task of the em-EM search, and the rounds from neighbouring K.

:func:`~gmmlab.selection.sweep` runs :func:`fit_gmm_search` as one task per (K, seed), then
:func:`neighbour_rounds` (see :func:`gmmlab.mixture._search.neighbour_starts`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Sequence

import numpy as np
from sklearn.utils import check_random_state

from ..mixture import FitData, SingularCovarianceError, criteria, e_step, get_structure
from ..mixture import n_mixture_parameters as _n_params
from ..mixture._degenerate import check_degenerate
from ..mixture._search import neighbour_starts, search_em, start_responsibilities

__all__ = ["better", "centred_data", "fit_gmm_neighbours", "fit_gmm_search", "fitted_row", "neighbour_rounds"]


def centred_data(X, weights):
    """``(shift, data, X_centred, data_covariance)`` of one task: X centred once by its (weighted) mean.

    ``data`` is the engine's :class:`~gmmlab.mixture.FitData`, ``X_centred`` its (n, d) view, ``data_covariance``
    the (unweighted) covariance the degeneracy verdicts compare with.
    """
    shift = X.mean(axis=0) if weights is None else (weights @ X) / weights.sum()
    data = FitData.from_samples(X, shift, weights)
    X_centred = data.samples()
    return shift, data, X_centred, np.atleast_2d(np.cov(X_centred.T, bias=True))


def fitted_row(structure, result, data, shift, data_covariance, reg_covar) -> dict:
    """Criteria, convergence and the degeneracy verdict of one fit."""
    row = criteria(structure, result.params.shifted(-shift), data)
    n_components, n_features = result.params.means.shape
    verdict = check_degenerate(
        result.params.weights, structure.full_covariances(result.params.covariances, n_components, n_features),
        data.n_samples, data_covariance,
        covariance_type=structure.name, reg_covar=reg_covar,
    )
    row.update(converged=bool(result.converged), degenerate=bool(verdict.degenerate))
    return row


def better(row, incumbent) -> bool:
    """A non-degenerate fit beats a degenerate one; otherwise the higher log-likelihood wins."""
    if incumbent is None or "bic" not in incumbent:
        return "bic" in row
    if row["degenerate"] != incumbent["degenerate"]:
        return not row["degenerate"]
    return row["log_likelihood"] > incumbent["log_likelihood"] + 1e-12 * abs(incumbent["log_likelihood"])


def fit_gmm_search(X, n_components: int, covariance_types: Sequence[str], random_state: int, params: dict):
    """The em-EM search of one K and seed for every covariance type, the starts drawn once for all of them.

    Then, with several covariance types, each type also starts from the other types' solutions (their final
    responsibilities) and keeps what is better: a full fit is often a good start for a tied one and the reverse,
    at the price of a few more EM runs (measured in ``benchmarks/RESULTS.md``).
    """
    start = time.perf_counter()
    strategy = params["strategy"]
    rng = check_random_state(random_state)
    # the starts ignore the sample weights; every EM run of the search uses them
    shift, data, X_centred, data_covariance = centred_data(X, params.get("sample_weight"))
    reg_covar = params["reg_covar"]  # resolved once by the sweep
    starts = start_responsibilities(X_centred, n_components, strategy, rng, params.get("trees"))
    init_seconds = (time.perf_counter() - start) / len(covariance_types)
    rows, solutions = {}, {}
    run = {"strategy": strategy, "tol": params["tol"], "max_iter": params["max_iter"], "reg_covar": reg_covar,
           "data_covariance": data_covariance}
    for covariance_type in covariance_types:
        start = time.perf_counter()
        structure = get_structure(covariance_type)
        row = {"covariance_type": covariance_type, "n_iter": 0, "converged": False, "degenerate": True}
        try:
            found = search_em(data, shift, X_centred, structure, starts, **run)
            row.update(fitted_row(structure, found.result, data, shift, data_covariance, reg_covar))
            row.update(n_iter=int(found.n_iter), start=found.start, _params=found.result.params)
            if strategy.cross_types:
                solutions[covariance_type] = e_step(structure, found.result.params.shifted(-shift), data)[1]
        except SingularCovarianceError:
            pass
        row["n_params"] = _n_params(structure, n_components, X.shape[1])
        row["fit_seconds"] = time.perf_counter() - start + init_seconds
        rows[covariance_type] = row
    if strategy.cross_types and n_components > 1 and len(solutions) > 1:
        for covariance_type in covariance_types:
            start = time.perf_counter()
            structure = get_structure(covariance_type)
            others = [(f"from {t}", resp) for t, resp in solutions.items() if t != covariance_type]
            row = rows[covariance_type]
            try:
                found = search_em(data, shift, X_centred, structure, others, **run)
                candidate = fitted_row(structure, found.result, data, shift, data_covariance, reg_covar)
                row["n_iter"] += int(found.n_iter)
                if better(candidate, row):
                    row.update(candidate, start=found.start)
            except SingularCovarianceError:
                pass
            row["fit_seconds"] += time.perf_counter() - start
    return list(rows.values())


def fit_gmm_neighbours(X, n_components: int, random_state: int, params: dict, rows: list, neighbours: dict):
    """Improve the search's rows of one K and seed from the neighbouring K's solutions (one round).

    ``neighbours[covariance_type]`` is ``(fewer, more)``: the centred parameters at K - 1 and K + 1 (or None).
    Each row is replaced when the search from :func:`neighbour_starts` finds a better non-degenerate fit.
    """
    strategy = params["strategy"]
    search = replace(strategy, n_keep=strategy.neighbour_keep, n_polish=strategy.neighbour_keep, always_continue=())
    shift, data, X_centred, data_covariance = centred_data(X, params.get("sample_weight"))
    reg_covar = params["reg_covar"]
    updated = []
    for row in rows:
        row = dict(row, improved=False)
        pair = neighbours.get(row["covariance_type"])
        if pair is not None:
            start = time.perf_counter()
            structure = get_structure(row["covariance_type"])
            # the rows carry parameters in the caller's coordinates; the starts are built on the centred data
            starts = neighbour_starts(structure, data, *(None if p is None else p.shifted(-shift) for p in pair))
            if starts:
                try:
                    found = search_em(data, shift, X_centred, structure, starts, strategy=search, tol=params["tol"],
                                      max_iter=params["max_iter"], reg_covar=reg_covar,
                                      data_covariance=data_covariance)
                    candidate = fitted_row(structure, found.result, data, shift, data_covariance, reg_covar)
                    row["n_iter"] += int(found.n_iter)
                    # Better beyond the refinement's tolerance: the same optimum reached from another start is
                    # no improvement.
                    margin = max(strategy.refine_tol, 1e-12 * abs(row.get("log_likelihood", 0.0)))
                    if better(candidate, row) and (
                        row["degenerate"] or candidate["log_likelihood"] > row["log_likelihood"] + margin
                    ):
                        # A reason for another round only beyond the sweep's tol (per sample, as EM's stopping
                        # rule): a smaller gain is no new optimum to start the neighbours from.
                        improved = row["degenerate"] or (
                            candidate["log_likelihood"] > row["log_likelihood"] + params["tol"]
                        )
                        row.update(candidate, start=found.start, _params=found.result.params, improved=improved)
                except SingularCovarianceError:
                    pass
            row["fit_seconds"] += time.perf_counter() - start
        updated.append(row)
    return updated


# The neighbour round needs every cell's fitted parameters at once (each K is a start for K - 1 and K + 1); past
# this many bytes (e.g. full covariances of hundreds of features over many K) it is skipped with a warning.
_NEIGHBOUR_BUDGET_BYTES = 1 << 30


def neighbour_rounds(X, rows: list, params: dict, run_tasks) -> list:
    """The sweep's rounds of starts from neighbouring K (see ``SearchStrategy.neighbour_rounds``)."""
    strategy = params["strategy"]
    carried = sum(
        sum(np.asarray(part).nbytes for part in (row["_params"].means, row["_params"].covariances,
                                                  row["_params"].precisions_cholesky) if part is not None)
        for row in rows if row.get("_params") is not None
    )
    if carried > _NEIGHBOUR_BUDGET_BYTES:
        warnings.warn(
            f"sweep: the neighbouring-K starts were skipped: the fitted parameters of every cell take "
            f"{carried / 2**20:.0f} MiB (more than {_NEIGHBOUR_BUDGET_BYTES / 2**20:.0f} MiB); sweep fewer K or "
            "covariance types at once, or reduce the dimension (e.g. PCA) to have them.",
            UserWarning,
            stacklevel=3,
        )
        return rows
    by_key = {(row["n_components"], row["seed"], row["covariance_type"]): row for row in rows}
    # (K, seed, covariance type) -> whether to start from K - 1's and from K + 1's solution: round 1 every cell from
    # both; a later round only the cells next to one that improved, from that one (the other's starts were tried).
    todo = dict.fromkeys(by_key, (True, True))
    for _ in range(strategy.neighbour_rounds):
        tasks = []
        for k, seed in sorted({key[:2] for key in todo}):
            cell_rows = [row for key, row in by_key.items() if key[:2] == (k, seed)]
            neighbours = {}
            for row in cell_rows:
                t = row["covariance_type"]
                sides = todo.get((k, seed, t), (False, False))
                pair = tuple(
                    None if not wanted or other is None or other.get("degenerate", True) else other.get("_params")
                    for wanted, other in zip(sides, (by_key.get((k - 1, seed, t)), by_key.get((k + 1, seed, t))))
                )
                if any(p is not None for p in pair):
                    neighbours[t] = pair
            if neighbours:
                tasks.append((k, cell_rows, cell_rows[0]["random_state"], params, neighbours))
        improved = []
        for task_rows, _ in run_tasks(tasks):
            for row in task_rows:
                key = (row["n_components"], row["seed"], row["covariance_type"])
                by_key[key] = row
                if row.pop("improved"):
                    improved.append(key)
        todo = {}
        for k, seed, t in improved:  # K + 1 splits K's new solution, K - 1 merges it
            if (k + 1, seed, t) in by_key:
                todo[(k + 1, seed, t)] = (True, todo.get((k + 1, seed, t), (False, False))[1])
            if (k - 1, seed, t) in by_key:
                todo[(k - 1, seed, t)] = (todo.get((k - 1, seed, t), (False, False))[0], True)
        if not todo:
            break
    return list(by_key.values())
