"""How much do KMeans and a GMM depend on their initialisation? Many seeded runs, scored against the truth.

:func:`init_robustness` fits every (method, init, covariance type) ``n_runs`` times with different seeds and
returns a tidy table; :func:`summarize_robustness` condenses it; :func:`gmmlab.plotting.comparison.plot_robustness`
draws it.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.utils import check_random_state

from ._validation import check_covariance_types, check_int
from .mixture import COVARIANCE_TYPES, GaussianMixture, get_structure, one_thread

__all__ = ["KMEANS_INITS", "GMM_INITS", "init_robustness", "summarize_robustness"]

KMEANS_INITS = ("k-means++", "random", "bad")
"""Inits of the KMeans runs; "bad" puts every initial centre on a point of the largest true cluster."""

GMM_INITS = ("kmeans", "k-means++", "random", "random_from_data", "bad")
"""Inits of the GMM runs; "bad" puts every initial mean on a point of the largest true cluster."""

COLUMNS = ["method", "init", "covariance_type", "run", "seed", "objective", "ari", "n_iter", "converged"]
_KMEANS_COVARIANCE = "none"


def _check_inits(inits) -> dict:
    if inits is None:
        return {"kmeans": KMEANS_INITS, "gmm": GMM_INITS}
    valid = {"kmeans": KMEANS_INITS, "gmm": GMM_INITS}
    if not isinstance(inits, Mapping):
        raise ValueError(
            f"inits must be a mapping from method to init names, e.g. {{'kmeans': ['k-means++'], 'gmm': ['kmeans', "
            f"'bad']}}, got {inits!r}."
        )
    checked = {}
    for method, names in inits.items():
        if method not in valid:
            raise ValueError(f"unknown method {method!r} in inits; valid methods are 'kmeans' and 'gmm'.")
        names = (names,) if isinstance(names, str) else tuple(names)
        for name in names:
            if name not in valid[method]:
                choices = ", ".join(repr(v) for v in valid[method])
                raise ValueError(f"unknown {method} init {name!r}; valid {method} inits are {choices}.")
        if names:
            checked[method] = tuple(dict.fromkeys(names))
    if not checked:
        raise ValueError("inits selects no run; give at least one init for 'kmeans' or 'gmm'.")
    return checked


def _bad_start(X, pool, n_components, covariance_type, seed):
    """Means on ``n_components`` random points of one cluster, that cluster's spread for every component."""
    rng = np.random.RandomState(seed)
    means = X[rng.choice(pool, n_components, replace=False)]
    cluster = X[pool]
    covariance = np.atleast_2d(np.cov(cluster, rowvar=False)) + 1e-6 * np.eye(X.shape[1])
    precision = np.linalg.inv(covariance)
    precisions = {
        "full": np.broadcast_to(precision, (n_components,) + precision.shape).copy(),
        "tied": precision,
        "diag": np.tile(1.0 / np.diag(covariance), (n_components, 1)),
        "spherical": np.full(n_components, 1.0 / np.mean(np.diag(covariance))),
    }
    if covariance_type is None:
        return means, None
    return means, precisions[_layout(covariance_type)]


def _layout(covariance_type: str) -> str:
    """The scikit-learn type whose layout ``covariance_type`` uses (mclust's models share the four layouts)."""
    from .mixture._diagonal import DiagonalCovariance, SphericalCovariance
    from .mixture._full import FullCovariance
    from .mixture._tied import TiedCovariance

    structure = get_structure(covariance_type)
    for layout, kind in (("tied", TiedCovariance), ("full", FullCovariance), ("diag", DiagonalCovariance),
                         ("spherical", SphericalCovariance)):
        if isinstance(structure, kind):
            return layout
    raise ValueError(f"no precision layout for covariance type {covariance_type!r}")


def _fit_one(X, y_true, n_components, method, init, covariance_type, seed, pool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "kmeans":
            start = _bad_start(X, pool, n_components, None, seed)[0] if init == "bad" else init
            model = KMeans(n_clusters=n_components, init=start, n_init=1, random_state=seed).fit(X)
            labels = model.labels_
            return float(model.inertia_), labels, int(model.n_iter_), bool(model.n_iter_ < model.max_iter)
        options = {}
        if init == "bad":
            means, precisions = _bad_start(X, pool, n_components, covariance_type, seed)
            options = dict(
                weights_init=np.full(n_components, 1.0 / n_components), means_init=means, precisions_init=precisions
            )
        model = GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            init_params="kmeans" if init == "bad" else init,
            random_state=seed,
            **options,
        )
        labels = model.fit_predict(X)
        return float(model.score(X)), labels, int(model.n_iter_), bool(model.converged_)


def _run_chunk(X, y_true, n_components, tasks, pool):
    rows = []
    with one_thread():
        for method, init, covariance_type, run, seed in tasks:
            objective, labels, n_iter, converged = _fit_one(
                X, y_true, n_components, method, init, covariance_type, seed, pool
            )
            rows.append(
                (method, init, covariance_type if method == "gmm" else _KMEANS_COVARIANCE, run, seed, objective,
                 float(adjusted_rand_score(y_true, labels)), n_iter, converged,
                 (method, init, covariance_type, run))
            )
    return rows


def init_robustness(
    X,
    y_true,
    n_components: int,
    inits: Optional[Mapping[str, Sequence[str]]] = None,
    covariance_types: Sequence[str] = COVARIANCE_TYPES,
    n_runs: int = 50,
    random_state=0,
    n_jobs: Optional[int] = -1,
) -> pd.DataFrame:
    """Fit KMeans and GMMs from many initialisations and score every run against the true labels.

    Run ``r`` of every configuration uses the same seed (drawn from ``random_state``), so the configurations are
    compared on paired starts. KMeans is scikit-learn's with ``n_init=1``; the GMM is
    :class:`gmmlab.mixture.GaussianMixture` with ``n_init=1`` and its default ``tol`` and ``max_iter``.

    Inits: KMeans ``"k-means++"``, ``"random"`` and ``"bad"``; GMM ``"kmeans"``, ``"k-means++"``, ``"random"``,
    ``"random_from_data"`` and ``"bad"``. The deliberately bad start puts all ``n_components`` initial centres /
    means on distinct random points of the largest true cluster; the GMM's components also start with equal
    weights and that cluster's covariance (in the run's covariance layout), so every component begins inside
    one cluster and EM (or Lloyd) must move them out.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y_true : array-like of shape (n_samples,)
        The true cluster of every sample.
    n_components : int
        Number of clusters / components fitted.
    inits : mapping of str to sequence of str, optional
        ``{"kmeans": [...], "gmm": [...]}``; a method left out is not run. Default: every init of both.
    covariance_types : sequence of str, default=("full", "tied", "diag", "spherical")
        GMM covariance types; KMeans runs once per init and reports ``covariance_type="none"``.
    n_runs : int, default=50
        Runs (seeds) per configuration.
    random_state : int, RandomState instance or None, default=0
        Source of the per-run seeds.
    n_jobs : int or None, default=-1
        joblib workers (-1: all cores); each worker's BLAS is limited to one thread.

    Returns
    -------
    pandas.DataFrame
        One row per run, columns ``method`` ("kmeans" or "gmm"), ``init``, ``covariance_type``, ``run``,
        ``seed``, ``objective`` (final mean log-likelihood per sample for a GMM, higher is better; inertia for
        KMeans, lower is better), ``ari`` (adjusted Rand index against ``y_true``; 1 is perfect, about 0 is
        chance), ``n_iter`` and ``converged`` (for KMeans: stopped before ``max_iter``).

    Raises
    ------
    ValueError
        For an unknown method, init or covariance type, a ``y_true`` whose length differs from ``X``, or a
        largest true cluster with fewer than ``n_components`` points when a "bad" init is asked for.

    Examples
    --------
    >>> from gmmlab.data import make_preset
    >>> data = make_preset("elongated", random_state=0)
    >>> table = init_robustness(data.X, data.y, 3, inits={"gmm": ["kmeans"]}, covariance_types=["full"], n_runs=2)
    >>> table.shape
    (2, 9)
    """
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("X must be a numeric array of shape (n_samples, n_features).") from None
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got shape {X.shape}; reshape 1-D data with X.reshape(-1, 1)."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity; drop or impute those values first.")
    y_true = np.asarray(y_true)
    if y_true.ndim != 1 or y_true.shape[0] != X.shape[0]:
        raise ValueError(
            f"y_true must hold one label per row of X ({X.shape[0]}), got shape {y_true.shape}; pass e.g. data.y "
            "from make_preset."
        )
    n_components = check_int("n_components", n_components, 1)
    if n_components > X.shape[0]:
        raise ValueError(f"n_components={n_components} exceeds n_samples={X.shape[0]}; use fewer components.")
    n_runs = check_int("n_runs", n_runs, 1)
    inits = _check_inits(inits)
    covariance_types = tuple(check_covariance_types(covariance_types))
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0):
        raise ValueError(f"n_jobs must be a non-zero integer or None, got {n_jobs!r}; -1 uses every core.")

    pool = None
    if any("bad" in names for names in inits.values()):
        values, counts = np.unique(y_true, return_counts=True)
        pool = np.flatnonzero(y_true == values[counts.argmax()])
        if pool.size < n_components:
            raise ValueError(
                f"the 'bad' init draws {n_components} means inside the largest true cluster, which has only "
                f"{pool.size} points; use fewer components or leave out 'bad'."
            )

    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n_runs)
    tasks = []
    for method, names in inits.items():
        types = covariance_types if method == "gmm" else (None,)
        for init in names:
            for covariance_type in types:
                tasks += [(method, init, covariance_type, run, int(seed)) for run, seed in enumerate(seeds)]
    n_workers = max(1, min(effective_n_jobs(n_jobs), len(tasks)))
    # A few strided chunks per worker: cheap fits share one BLAS limit and one dispatch, and slow configurations
    # (bad starts, many iterations) spread over every worker.
    n_chunks = min(len(tasks), 4 * n_workers)
    chunks = [tasks[start::n_chunks] for start in range(n_chunks)]
    if n_workers == 1:
        results = [_run_chunk(X, y_true, n_components, chunk, pool) for chunk in chunks]
    else:
        results = Parallel(n_jobs=n_workers)(
            delayed(_run_chunk)(X, y_true, n_components, chunk, pool) for chunk in chunks
        )
    order = {task[:4]: index for index, task in enumerate(tasks)}
    rows = sorted((row for rows in results for row in rows), key=lambda row: order[row[-1]])
    table = pd.DataFrame([row[:-1] for row in rows], columns=COLUMNS)
    return table.astype({"run": int, "seed": int, "n_iter": int, "converged": bool})


def summarize_robustness(table: pd.DataFrame, threshold: float = 0.9) -> pd.DataFrame:
    """Per method, init and covariance type: the ARI over runs, the share of good runs, and the iterations.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`init_robustness`.
    threshold : float, default=0.9
        A run counts as good when its ARI is at least this.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``, ``init``, ``covariance_type``, ``n_runs``, ``ari_mean``, ``ari_median``, ``ari_min``,
        ``share_ari_ge_<threshold>``, ``n_iter_mean``, ``converged_share``, in the table's order.
    """
    needed = set(COLUMNS) - {"seed"}
    missing = needed - set(getattr(table, "columns", ()))
    if missing:
        raise ValueError(f"the table lacks columns {sorted(missing)}; pass the output of init_robustness.")
    good = f"share_ari_ge_{threshold:g}"
    grouped = table.assign(_good=table["ari"] >= threshold).groupby(
        ["method", "init", "covariance_type"], sort=False
    )
    summary = grouped.agg(
        n_runs=("run", "size"),
        ari_mean=("ari", "mean"),
        ari_median=("ari", "median"),
        ari_min=("ari", "min"),
        **{good: ("_good", "mean")},
        n_iter_mean=("n_iter", "mean"),
        converged_share=("converged", "mean"),
    )
    return summary.reset_index()
