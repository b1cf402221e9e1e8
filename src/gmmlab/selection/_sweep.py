"""The sweep: every (K, covariance type, seed) of a grid fitted, one tidy row per fit (see :mod:`gmmlab.selection`)."""

from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state

from .._validation import (
    check_choice,
    check_covariance_types,
    check_float,
    check_int,
    check_n_components_grid,
    check_n_jobs,
    check_reg_covar,
    check_sample_weight,
)
from ..mixture import (
    n_mixture_parameters as _n_params,
    INIT_METHODS,
    SingularCovarianceError,
    fit_em,
    get_structure,
    initial_params,
    initial_responsibilities,
    one_thread,
)
from ..mixture._search import MCLUST_STRATEGY, SearchStrategy, build_tree, resolve_reg_covar
from ._search_tasks import centred_data, fit_gmm_neighbours, fit_gmm_search, fitted_row, neighbour_rounds

__all__ = ["BACKENDS", "COLUMNS", "MODELS", "STRATEGIES", "sweep"]

COLUMNS: tuple[str, ...] = (
    "model",
    "n_components",
    "covariance_type",
    "seed",
    "random_state",
    "bic",
    "aic",
    "icl",
    "log_likelihood",
    "n_params",
    "n_iter",
    "converged",
    "inertia",
    "degenerate",
    "start",
    "fit_seconds",
)
"""Columns of a :func:`sweep` table, in order; ``fit_seconds`` (last) is the only one that is not reproducible."""

MODELS: tuple[str, ...] = ("gmm", "kmeans")
STRATEGIES: tuple[str, ...] = ("auto", "sklearn", "mclust")
"""Search strategies of a GMM sweep: the em-EM search (default), scikit-learn's restarts from ``init_params``, or
mclust's one hierarchical start per K."""
BACKENDS: tuple[Optional[str], ...] = (None, "dask")

# Estimator parameters a sweep passes on, with their defaults; anything tied to one K (means_init, ...) is refused.
_GMM_PARAMS = {"tol": 1e-3, "reg_covar": "auto", "max_iter": 100, "n_init": 1, "init_params": "kmeans"}
_KMEANS_PARAMS = {"init": "k-means++", "n_init": 1, "max_iter": 300, "tol": 1e-4, "algorithm": "lloyd"}



# ---------------------------------------------------------------------------------------------------------
# validation


def _check_X(X, owner: str) -> np.ndarray:
    try:
        return check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=2, input_name="X")
    except ValueError as error:
        first = str(error).splitlines()[0]
        raise ValueError(
            f"{owner}: X must be a finite numeric 2-D array of shape (n_samples, n_features) with at least 2 "
            f"samples; {first}"
        ) from None
    except TypeError as error:
        raise TypeError(f"{owner}: X must be a dense numeric array; {error}") from None


def _check_params(model: str, params: dict, owner: str) -> dict:
    defaults = _GMM_PARAMS if model == "gmm" else _KMEANS_PARAMS
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        estimator = "GaussianMixture" if model == "gmm" else "KMeans"
        raise ValueError(
            f"{owner}: {', '.join(map(repr, unknown))} cannot be passed to the {estimator} fits of a sweep; "
            f"accepted for model={model!r}: {', '.join(defaults)} (parameters tied to one K, such as means_init, "
            "make no sense over a grid)."
        )
    merged = {**defaults, **params}
    check_int("n_init", merged["n_init"], 1, owner)
    check_int("max_iter", merged["max_iter"], 1, owner)
    check_float("tol", merged["tol"], 0.0, owner)
    if model == "gmm":
        check_reg_covar(merged["reg_covar"], owner)
        check_choice("init_params", merged["init_params"], tuple(INIT_METHODS), owner)
    else:
        check_choice("init", merged["init"], ("k-means++", "random"), owner)
        check_choice("algorithm", merged["algorithm"], ("lloyd", "elkan"), owner)
    return merged


# ---------------------------------------------------------------------------------------------------------
# the work of one task: every fit of one (K, seed)


def _fit_gmm_shared_init(X, n_components: int, covariance_types: Sequence[str], random_state: int, params: dict):
    """Fit one K and seed for every covariance type, computing the initialisation once.

    The initial responsibilities depend on the data, K, ``init_params`` and the random stream, never on the
    covariance type: they are drawn once (one per restart, from one stream, as GaussianMixture draws them) and
    every covariance type starts EM from them, on one centred copy of the data. Each row equals
    ``GaussianMixture(n_components=K, covariance_type=t, random_state=random_state, **params).fit(X)`` exactly:
    both call the engine's ``fit_em``.
    """
    start = time.perf_counter()
    if params.get("strategy") is not None:
        return fit_gmm_search(X, n_components, covariance_types, random_state, params)
    rng = check_random_state(random_state)
    n_init = params["n_init"]
    weights = params.get("sample_weight")
    shift, data, X_centred, data_covariance = centred_data(X, weights)
    weighted = {} if weights is None else {"sample_weight": weights}
    reg_covar = params["reg_covar"]  # resolved once by the sweep
    responsibilities = [
        initial_responsibilities(X_centred, n_components, params["init_params"], rng, **weighted)
        for _ in range(n_init)
    ]
    init_seconds = (time.perf_counter() - start) / len(covariance_types)
    rows = []
    for covariance_type in covariance_types:
        start = time.perf_counter()
        structure = get_structure(covariance_type)
        row = {"covariance_type": covariance_type}
        try:
            result = fit_em(
                data,
                shift,
                lambda restart: initial_params(
                    structure, X_centred, responsibilities[restart], reg_covar, weights
                ),
                structure,
                n_init=n_init,
                tol=params["tol"],
                max_iter=params["max_iter"],
                reg_covar=reg_covar,
            )
            row.update(fitted_row(structure, result, data, shift, data_covariance, reg_covar))
            row.update(n_iter=int(result.n_iter), start=params["init_params"])
        except SingularCovarianceError:
            # One degenerate fit (a collapsed component at a large K) must not sink the whole sweep.
            row.update(n_iter=0, converged=False, degenerate=True)
        row.setdefault("n_params", _n_params(structure, n_components, X.shape[1]))
        row["fit_seconds"] = time.perf_counter() - start + init_seconds
        rows.append(row)
    return rows


def _fit_kmeans(X, n_components: int, random_state: int, params: dict):
    start = time.perf_counter()
    params = dict(params)
    weights = params.pop("sample_weight", None)
    kmeans = KMeans(n_clusters=n_components, random_state=random_state, **params).fit(X, sample_weight=weights)
    return [
        {
            "covariance_type": None,
            "inertia": float(kmeans.inertia_),
            "n_params": n_components * X.shape[1],
            "n_iter": int(kmeans.n_iter_),
            "converged": bool(kmeans.n_iter_ < params["max_iter"]),
            "fit_seconds": time.perf_counter() - start,
        }
    ]


def _run_task(X, model, n_components, covariance_types, seed, random_state, params):
    """One task of a sweep: the rows of one (K, seed), and the warnings they raised (workers would lose them).

    BLAS and OpenMP run on one thread: the tasks themselves fill the cores, and a fixed thread count keeps the
    floating-point results identical whatever ``n_jobs`` and backend.
    """
    with one_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model == "gmm":
            rows = _fit_gmm_shared_init(X, n_components, covariance_types, random_state, params)
        else:
            rows = _fit_kmeans(X, n_components, random_state, params)
    for row in rows:
        row.update(model=model, n_components=n_components, seed=seed, random_state=random_state)
    return rows, [(w.category, str(w.message)) for w in caught]


def _run_neighbour_task(X, n_components, rows, random_state, params, neighbours):
    """One task of the neighbour round: the rows of one (K, seed) improved (:func:`fit_gmm_neighbours`)."""
    with one_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = fit_gmm_neighbours(X, n_components, random_state, params, rows, neighbours)
    return rows, [(w.category, str(w.message)) for w in caught]


# ---------------------------------------------------------------------------------------------------------
# running the tasks


def _run_joblib(X, tasks, n_jobs, bar, target=_run_task):
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for rows, caught in parallel(delayed(target)(X, *task) for task in tasks):
        bar.update(len(rows))
        yield rows, caught


@contextlib.contextmanager
def _dask_client(n_jobs, scheduler_address):
    """A client of the given scheduler, or of a local cluster (one single-threaded worker per job) closed after."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a declared dependency
        raise ImportError(
            "backend='dask' needs dask.distributed; install it with pip install 'gmmlab[dask]'."
        ) from None
    import logging

    cluster = None
    if scheduler_address is None:
        cluster = LocalCluster(
            n_workers=effective_n_jobs(n_jobs),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler_address)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(client, X_future, tasks, bar, target=_run_task):
    """``X_future``: X scattered once for every round (a second scatter of the same data gets the same key, which
    the first round's release would then take from the second)."""
    from dask.distributed import as_completed

    futures = [client.submit(target, X_future, *task, pure=False) for task in tasks]
    for future in as_completed(futures):
        rows, caught = future.result()
        bar.update(len(rows))
        yield rows, caught


def sweep(
    X,
    n_components: Union[int, Iterable[int]] = range(1, 21),
    covariance_types: Union[str, Sequence[str]] = ("full",),
    n_seeds: Optional[int] = None,
    model: str = "gmm",
    n_jobs: Optional[int] = -1,
    backend: Optional[str] = None,
    progress: bool = True,
    random_state: int = 0,
    scheduler_address: Optional[str] = None,
    strategy: Union[str, SearchStrategy] = "auto",
    sample_weight=None,
    **estimator_params: Any,
) -> pd.DataFrame:
    """Fit a GMM (or KMeans) for every K x covariance type x seed and return one tidy row per fit.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : int or iterable of int, default=range(1, 21)
        The K values to fit (sorted, duplicates dropped); each in ``[1, n_samples]``.
    covariance_types : str or sequence of str, default=("full",)
        Some of ``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``. Ignored for ``model="kmeans"``.
    n_seeds : int or None, default=None
        Fits per (K, covariance type), with ``random_state + 0``, ..., ``random_state + n_seeds - 1``. None: 1
        with ``strategy="auto"`` (the search runs its own many starts), 3 otherwise.
    model : {"gmm", "kmeans"}, default="gmm"
        :class:`gmmlab.mixture.GaussianMixture` or :class:`sklearn.cluster.KMeans`.
    n_jobs : int or None, default=-1
        Parallel workers (-1 = all cores); with ``backend="dask"`` and no address, the LocalCluster's size.
        Results do not depend on it.
    backend : {None, "dask"}, default=None
        None: joblib processes on this machine. ``"dask"``: a dask.distributed cluster; without
        ``scheduler_address`` a LocalCluster (processes, one thread each) is started and closed afterwards.
    progress : bool, default=True
        Show a tqdm progress bar (one step per fit).
    random_state : int, default=0
        Base seed; seed ``s`` fits with ``random_state + s``.
    scheduler_address : str or None, default=None
        With ``backend="dask"``, the address of an existing scheduler (``"tcp://host:8786"``); its workers need
        gmmlab installed.
    strategy : {"auto", "sklearn", "mclust"} or SearchStrategy, default="auto"
        How each GMM fit looks for its optimum. ``"auto"``: the em-EM search of :mod:`gmmlab.mixture._search`
        (19 starts: mclust's hierarchical tree and Ward's, 3 standardised-KMeans, 8 KMeans, 3 k-means++ and 3
        random-data seeds; 3 EM iterations each and 10 for the better half, the 8 best to convergence, the best 2
        and the hierarchical start on to tol 1e-5, the winner refined toward 1e-8; degenerate optima are avoided
        when a non-degenerate one was found; then every cell again from its neighbours' solutions, K - 1 split and
        K + 1 merged, and once more the cells next to one that improved); chosen by measurement, see
        ``benchmarks/RESULTS.md``, "Model search". ``"sklearn"``: ``n_init`` restarts from ``init_params``, exactly
        as ``GaussianMixture(...).fit``. ``"mclust"``: mclust's own
        procedure, one EM per cell from the cut at K of the hierarchical tree (``MCLUST_STRATEGY``; cells
        beyond the tree's distinct rows are NaN, as mclust's). A :class:`SearchStrategy` sets the
        search's starts and budgets. ``init_params`` and ``n_init`` other than their defaults need
        ``strategy="sklearn"``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of every sample, used by every fit (initialisation, EM and the criteria, whose n is
        then the total weight; see :meth:`gmmlab.mixture.GaussianMixture.bic`) and by KMeans.
    **estimator_params
        For GMMs: ``tol``, ``reg_covar``, ``max_iter``, ``n_init``, ``init_params``; for KMeans: ``init``,
        ``n_init``, ``max_iter``, ``tol``, ``algorithm``. ``n_init`` defaults to 1: the seeds are the restarts.
        ``reg_covar`` defaults to ``"auto"``: with the search (``strategy="auto"`` or ``"mclust"``) 1e-6 times X's
        smallest variance over all directions (so that the sweep does not depend on the data's units), with
        ``strategy="sklearn"`` scikit-learn's absolute 1e-6 (see :func:`gmmlab.mixture._search.resolve_reg_covar`).

    Returns
    -------
    results : pandas.DataFrame
        One row per fit, sorted by covariance type (in the order given), K and seed, with the columns
        :data:`COLUMNS`: ``model``; ``n_components``; ``covariance_type`` (None for KMeans); ``seed``
        (0 .. n_seeds - 1) and the ``random_state`` it used; ``bic``, ``aic``, ``icl`` (scikit-learn's sign,
        lower is better; NaN for KMeans); ``log_likelihood`` (mean per sample); ``n_params`` (free parameters;
        the centres for KMeans); ``n_iter`` (with ``strategy="auto"``: every EM iteration of the search);
        ``converged``; ``inertia`` (KMeans only, else NaN); ``degenerate`` (a component collapsed: fewer effective
        points than its covariance needs, or a variance below 1e-6 of the data's along some direction, see
        :mod:`gmmlab.mixture._degenerate`; :func:`choose_n_components` leaves these rows out); ``start`` (the
        start the fit came from); ``fit_seconds``.
        A GMM fit that fails with a singular covariance gets NaN criteria, ``converged=False`` and a warning.

    Raises
    ------
    ValueError
        On a bad grid or parameter, before anything is fitted.

    Notes
    -----
    The initialisation of a GMM (a KMeans run with ``init_params="kmeans"``) does not depend on the covariance
    type, so a sweep computes it once per (K, seed) and starts every covariance type from it: the same results
    as independent ``GaussianMixture(...).fit`` calls, with one KMeans run instead of one per type. Each (K, seed)
    is one parallel task; inside it BLAS and OpenMP use one thread, so the cores are not oversubscribed and the
    numbers are identical whatever ``n_jobs`` and ``backend``.

    Examples
    --------
    >>> from gmmlab.data import make_preset
    >>> from gmmlab.selection import choose_n_components
    >>> X = make_preset("blobs4", random_state=0).X
    >>> results = sweep(X, range(1, 7), ("full", "tied"), n_seeds=2, n_jobs=1, progress=False)
    >>> len(results), choose_n_components(results).n_components
    (24, 4)
    """
    owner = "sweep"
    X = _check_X(X, owner)
    grid = check_n_components_grid(n_components, owner, n_samples=X.shape[0])
    check_choice("model", model, MODELS, owner)
    types = check_covariance_types(covariance_types, owner) if model == "gmm" else [None]
    if isinstance(strategy, SearchStrategy):
        search = strategy.validate(owner)
    else:
        check_choice("strategy", strategy, STRATEGIES, owner)
        search = {"auto": SearchStrategy(), "mclust": MCLUST_STRATEGY}.get(strategy)
    chosen = {key: estimator_params[key] for key in ("init_params", "n_init") if key in estimator_params}
    if search is not None and model == "gmm" and any(value != _GMM_PARAMS[key] for key, value in chosen.items()):
        raise ValueError(
            f"{owner}: init_params and n_init choose scikit-learn's restarts; pass strategy='sklearn' with them "
            "(the default strategy='auto' runs its own starts)."
        )
    if n_seeds is None:
        n_seeds = 1 if search is not None and model == "gmm" else 3
    n_seeds = check_int("n_seeds", n_seeds, 1, owner)
    random_state = check_int("random_state", random_state, 0, owner)
    n_jobs = check_n_jobs(n_jobs, owner)
    if backend not in BACKENDS:
        raise ValueError(f"{owner}: backend must be None (joblib on this machine) or 'dask', got {backend!r}.")
    if scheduler_address is not None and backend != "dask":
        raise ValueError(
            f"{owner}: scheduler_address={scheduler_address!r} needs backend='dask'; pass both to use that cluster."
        )
    params = _check_params(model, estimator_params, owner)
    if sample_weight is not None:
        params["sample_weight"] = check_sample_weight(sample_weight, X.shape[0], X.dtype, owner, max(grid))
    if model == "gmm":
        # "auto" resolved once for every task (it depends on the data and the strategy, never on K)
        weights = params.get("sample_weight")
        shift = X.mean(axis=0) if weights is None else (weights @ X) / weights.sum()
        params["reg_covar"] = resolve_reg_covar(params["reg_covar"], X - shift, weights, search=search is not None)
    if model == "gmm" and search is not None:
        # One hierarchical tree serves every K and seed; it is grown once here and travels with the tasks.
        params = {**params, "strategy": search, "trees": build_tree(X - X.mean(axis=0), search, random_state)}

    # The largest K first: the slowest tasks start early and the last ones to finish are short.
    tasks = [
        (model, k, types, seed, random_state + seed, params) for k in reversed(grid) for seed in range(n_seeds)
    ]
    from tqdm.auto import tqdm

    rows, caught = [], {}
    with contextlib.ExitStack() as stack:
        bar = stack.enter_context(
            tqdm(total=len(tasks) * len(types), disable=not progress, desc=f"sweep ({model})", unit="fit")
        )
        client = stack.enter_context(_dask_client(n_jobs, scheduler_address)) if backend == "dask" else None
        X_future = client.scatter(X, broadcast=True) if client else None

        def run_tasks(round_tasks, target=_run_task):
            if client:
                outputs = _run_dask(client, X_future, round_tasks, bar, target)
            else:
                outputs = _run_joblib(X, round_tasks, n_jobs, bar, target)
            for task_rows, task_warnings in outputs:
                caught.update(dict.fromkeys(task_warnings))
                yield task_rows, task_warnings

        for task_rows, _ in run_tasks(tasks):
            rows.extend(task_rows)
        if model == "gmm" and search is not None and search.neighbour_rounds and len(grid) > 1:

            def run_round(round_tasks):  # (K, rows, random_state, params, neighbours) each
                bar.total += sum(len(task[1]) for task in round_tasks)
                bar.refresh()
                return run_tasks(round_tasks, _run_neighbour_task)

            rows = neighbour_rounds(X, rows, params, run_round)
    for category, message in caught:  # each distinct warning of the workers, once
        warnings.warn(message, category, stacklevel=2)

    order = {t: i for i, t in enumerate(types)}
    rows.sort(key=lambda row: (order[row["covariance_type"]], row["n_components"], row["seed"]))
    results = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"n_components": int, "seed": int, "random_state": int, "n_iter": int, "converged": bool}
    )
    if model == "gmm":
        results["degenerate"] = results["degenerate"].astype(bool)
    if model == "gmm":
        failed = results[results["bic"].isna()]
        if len(failed):
            pairs = ", ".join(sorted({f"K={k} {t}" for k, t in zip(failed.n_components, failed.covariance_type)}))
            warnings.warn(
                f"{len(failed)} of {len(results)} fits failed with a singular covariance ({pairs}); their criteria "
                "are NaN. Increase reg_covar (e.g. reg_covar=1e-4) or sweep fewer components.",
                UserWarning,
                stacklevel=2,
            )
    stalled = results[~results["converged"] & (results["n_iter"] > 0)]
    if len(stalled):
        warnings.warn(
            f"{len(stalled)} of {len(results)} fits did not converge within max_iter={params['max_iter']} "
            "(see the 'converged' column); increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return results


