"""Data-parallel EM on Dask: a :class:`~gmmlab.mixture.GaussianMixture` fitted where the data's chunks live.

Every EM iteration, each row chunk of a ``dask.array.Array`` computes its
:class:`~._structure.SufficientStatistics` under the E-step state the client broadcasts (one small task input,
shipped once per iteration); the statistics are added up in a tree (they add with ``+=``) and the client runs the
M-step. Only parameters and statistics travel, never the data: the centred, transposed chunks
(:class:`~._structure.FitData`) are built once per fit on the workers and kept there (``persist``), or, when they
would not fit in the workers' memory, rebuilt from the source (Zarr, ``.npy`` stack...) every iteration.

The loop is the engine's :func:`~._em.fit_em` with a distributed ``statistics`` pass, so convergence, restarts,
warm start and history behave as in memory; from the same initial parameters the result is the in-memory fit's
up to the order of floating-point sums (about 1e-13 relative).

Initialisation: the in-memory ``init_params`` on a uniform sample of at most :data:`INIT_SAMPLE_SIZE` rows (all
rows when the data has fewer, which then gives exactly the in-memory start), or the user's ``means_init`` /
``weights_init`` / ``precisions_init``, which need no data at all.

Works with whatever scheduler dask uses: a ``dask.distributed.Client`` (a ``LocalCluster``, or an existing
cluster by scheduler address), or dask's local threads when no client exists. Only this module imports dask.
"""

from __future__ import annotations

import math
import time
from typing import Optional

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_sample_weight
from ._em import chunk_statistics, e_step, most_probable_component
from ._init import initial_responsibilities
from ._memory import available_memory
from ._registry import get_structure, n_mixture_parameters
from ._search import resolve_reg_covar
from ._structure import FitData, Scratch
from ._threads import one_thread

__all__ = ["INIT_SAMPLE_SIZE", "fit_dask", "dask_predict", "dask_predict_proba", "dask_score_samples",
           "dask_criteria", "open_lazy"]

# Rows the initialisation draws to the client (a KMeans there): enough for K up to a few hundred.
INIT_SAMPLE_SIZE = 100_000

# Statistics of this many chunks are added per task of the reduction tree.
_FAN_IN = 8

# Persist the centred chunks when they take at most this share of the workers' memory limit (or of this
# machine's available memory without a distributed client); else re-read them from the source every iteration.
_PERSIST_SHARE = 0.5

# A pass fails (instead of waiting forever) after this many seconds with no worker in the cluster.
NO_WORKER_TIMEOUT = 60.0


def _dask():
    try:
        import dask
        import dask.array as da
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise ImportError(
            "Fitting a dask array needs dask; install it with pip install 'gmmlab[dask]'."
        ) from None
    return dask, da


def _client():
    """The dask.distributed Client dask would compute with now, or None (a local scheduler).

    As dask decides: the current client unless ``dask.config.set(scheduler=...)`` says otherwise.
    """
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover
        return None
    return client if isinstance(client, Client) else None


# ---------------------------------------------------------------------------------------------------------
# checks


def _check_X(estimator, X, reset: bool):
    """``X`` as a float dask array with one column chunk and known row chunks."""
    dask, da = _dask()
    owner = type(estimator).__name__
    if not isinstance(X, da.Array):
        X = da.from_array(np.asarray(X))
    if X.ndim != 2:
        raise ValueError(
            f"{owner} needs a 2-D dask array of shape (n_samples, n_features), got {X.ndim} dimensions. "
            "Fix: reshape it, e.g. X.reshape(X.shape[0], -1) for images."
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{owner} needs numeric data, got a dask array of {X.dtype}. Fix: X.astype(float).")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if any(math.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.numblocks[1] != 1:  # a sample's features must sit in one chunk
        X = X.rechunk({1: -1})
    n_features = X.shape[1]
    if reset:
        estimator.n_features_in_ = n_features
    elif n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {owner} is expecting {estimator.n_features_in_} features as input."
        )
    return X


def _check_weights(estimator, sample_weight, X):
    """``sample_weight`` as a dask array chunked as the rows of ``X`` (None stays None)."""
    dask, da = _dask()
    if sample_weight is None:
        return None
    if not isinstance(sample_weight, da.Array):
        weights = check_sample_weight(sample_weight, X.shape[0], X.dtype, type(estimator).__name__)
        return da.from_array(weights, chunks=(X.chunks[0],))
    if sample_weight.shape != (X.shape[0],):
        raise ValueError(
            f"{type(estimator).__name__}: sample_weight must have shape ({X.shape[0]},), one weight per sample of "
            f"X, got shape {sample_weight.shape}. Fix: pass a 1-D array with as many weights as X has rows."
        )
    return sample_weight.astype(X.dtype).rechunk((X.chunks[0],))


def _summaries(estimator, X, weights):
    """One pass over the data: the (weighted) mean and the checks that need the values."""
    dask, da = _dask()
    owner = type(estimator).__name__
    if weights is None:
        total, finite = _compute(dask, X.sum(axis=0, dtype=np.float64), da.isfinite(X).all())
        total_weight, n_positive = float(X.shape[0]), X.shape[0]
    else:
        total, finite, total_weight, w_finite, w_min, n_positive = _compute(
            dask,
            (X * weights[:, None]).sum(axis=0, dtype=np.float64),
            da.isfinite(X).all(),
            weights.sum(dtype=np.float64),
            da.isfinite(weights).all(),
            weights.min(),
            (weights > 0).sum(),
        )
        if not w_finite:
            raise ValueError(f"{owner}: sample_weight contains NaN or infinity. Fix: use finite weights >= 0.")
        if w_min < 0:
            raise ValueError(f"{owner}: sample_weight must be non-negative, got {w_min!r}. Fix: use weights >= 0.")
    if not finite:
        raise ValueError(
            f"{owner} cannot use X: it contains NaN or infinity. Fix: drop or impute those values before fitting."
        )
    if n_positive < estimator.n_components:
        raise ValueError(
            f"{owner}: only {int(n_positive)} samples have a positive weight but n_components = "
            f"{estimator.n_components}. Fix: decrease n_components or pass more samples."
        )
    return (np.asarray(total) / total_weight).astype(X.dtype)


# ---------------------------------------------------------------------------------------------------------
# running passes on the cluster


def _compute(dask, *collections):
    """``dask.compute``, with a clear error when a worker died and a time limit when the cluster has none."""
    client = _client()
    if client is None:
        return dask.compute(*collections)
    from distributed import KilledWorker, wait

    futures = client.compute(list(collections))
    idle_since = None
    while True:
        try:
            wait(futures, timeout=2.0)
            break
        except TimeoutError:
            pass
        if client.scheduler_info().get("workers"):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > NO_WORKER_TIMEOUT:
            client.cancel(futures)
            raise RuntimeError(
                f"The Dask cluster has had no worker for {NO_WORKER_TIMEOUT:.0f} s during the fit, which was "
                "abandoned (no model was fitted). Fix: restart the workers and fit again."
            )
    try:
        return tuple(client.gather(futures))
    except KilledWorker as error:
        raise RuntimeError(
            "Dask workers died while computing a pass over the data of the fit, and the scheduler gave the task "
            f"up ({error}). No model was fitted (the estimator keeps its previous state). Likely cause: a worker "
            "ran out of memory (use smaller chunks, a larger memory_limit or more workers) or was killed; fit "
            "again once the cluster is healthy."
        ) from None


def _chunk_data(block, weights, shift, structure):
    """One chunk as the engine holds it: centred, transposed, with its prepared constants (on a worker)."""
    data = FitData.from_samples(np.asarray(block), shift, None if weights is None else np.asarray(weights))
    with one_thread():
        structure.prepare(data)
    return data


def _chunk_statistics(structure, state, data, n_components):
    with one_thread():
        return chunk_statistics(structure, state, data, n_components, Scratch())


def _add(*statistics):
    total = statistics[0]
    for other in statistics[1:]:
        total += other
    return total


def _tree_sum(dask, items):
    """Add delayed statistics in a tree of fan-in :data:`_FAN_IN` (one result per level travels)."""
    add = dask.delayed(_add, pure=True)
    while len(items) > 1:
        items = [add(*items[i:i + _FAN_IN]) for i in range(0, len(items), _FAN_IN)]
    return items[0]


def _should_persist(n_bytes: int) -> bool:
    client = _client()
    if client is None:
        limit = available_memory()
    else:
        workers = client.scheduler_info().get("workers", {}).values()
        limit = sum(w.get("memory_limit") or 0 for w in workers) or available_memory()
    return n_bytes <= _PERSIST_SHARE * limit


class DistributedData:
    """The chunks of a fit as delayed :class:`FitData`, persisted on the workers when they fit there.

    ``statistics(structure, state, n_components)`` is the distributed pass :func:`~._em.fit_em` takes.
    """

    def __init__(self, X, weights, shift, structure, persist: Optional[bool] = None):
        dask, _ = _dask()
        self._dask = dask
        blocks = X.to_delayed().ravel()
        weight_blocks = [None] * len(blocks) if weights is None else weights.to_delayed().ravel()
        make = dask.delayed(_chunk_data, pure=True)
        self.chunks = [make(b, w, shift, structure) for b, w in zip(blocks, weight_blocks)]
        if persist is None:
            persist = _should_persist(X.nbytes)
        self.persisted = persist
        if persist:
            self.chunks = list(dask.persist(*self.chunks))

    def statistics(self, structure, state, n_components):
        dask = self._dask
        state = dask.delayed(state, pure=False, traverse=False)  # one input every chunk's task reads
        compute = dask.delayed(_chunk_statistics, pure=True)
        parts = [compute(structure, state, chunk, n_components) for chunk in self.chunks]
        (total,) = _compute(dask, _tree_sum(dask, parts))
        return total


# ---------------------------------------------------------------------------------------------------------
# fitting


def _initial_sample(estimator, X, weights, random_state):
    """(rows, weights) of a uniform sample of at most INIT_SAMPLE_SIZE rows, on the client."""
    dask, _ = _dask()
    n_samples = X.shape[0]
    if n_samples <= INIT_SAMPLE_SIZE:
        rows = X
        sample_weights = weights
    else:
        index = np.sort(random_state.choice(n_samples, INIT_SAMPLE_SIZE, replace=False))
        rows = X[index]
        sample_weights = None if weights is None else weights[index]
    if sample_weights is None:
        (rows,) = _compute(dask, rows)
        return np.asarray(rows), None
    rows, sample_weights = _compute(dask, rows, sample_weights)
    return np.asarray(rows), np.asarray(sample_weights)


def fit_dask(estimator, X, sample_weight=None, persist: Optional[bool] = None):
    """Fit ``estimator`` (a :class:`GaussianMixture`) to a dask array, data-parallel; returns lazy labels.

    Parameters
    ----------
    estimator : GaussianMixture
    X : dask.array.Array of shape (n_samples, n_features)
        Row chunks (columns are put in one chunk). Chunks of 10-100 MB keep the per-task overhead small.
    sample_weight : dask or numpy array of shape (n_samples,), or None
    persist : bool or None
        Keep the centred chunks in the workers' memory for the whole fit (one read of the source); None: when
        they take at most half of the workers' memory limit, else read them from the source every iteration
        (out of core).
    """
    X = _check_X(estimator, X, reset=True)
    weights = _check_weights(estimator, sample_weight, X)
    n_samples, n_features = X.shape
    inits = estimator._check_parameters(n_samples, n_features, X.dtype)
    structure = get_structure(estimator.covariance_type)
    shift = _summaries(estimator, X, weights)
    random_state = check_random_state(estimator.random_state)
    do_init = not (estimator.warm_start and hasattr(estimator, "converged_"))
    need_resp = do_init and not {"weights", "means", "precisions"} <= inits.keys()
    sample = sample_weights = None
    if need_resp:
        sample, sample_weights = _initial_sample(estimator, X, weights, random_state)
        sample -= shift

    if do_init or not hasattr(estimator, "reg_covar_"):
        # "auto" under the search: relative to the data's smallest variance, estimated on the initial sample (or
        # on the first rows when every parameter is given)
        rows, row_weights = sample, sample_weights
        if sample is None and estimator.reg_covar == "auto" and estimator.init_params == "auto":
            rows = np.asarray(X[: min(n_samples, 100_000)].compute()) - shift
        estimator.reg_covar_ = resolve_reg_covar(estimator.reg_covar, rows, row_weights,
                                                 search=estimator.init_params == "auto")
    searched = None
    if need_resp and estimator.init_params == "auto":
        # The em-EM search runs in memory on the sample; its solution starts the data-parallel EM on all rows.
        from sklearn.base import clone

        probe = clone(estimator).set_params(warm_start=False, record_history=False, verbose=0)
        probe.fit(sample + shift, sample_weight=sample_weights)
        searched = estimator._initial_params(sample, shift, None, {"weights": probe.weights_, "means": probe.means_,
                                             "precisions": probe.precisions_}, structure)

    def initialize(restart):
        if searched is not None:
            return searched
        resp = None
        if need_resp:
            weighted = {} if sample_weights is None else {"sample_weight": sample_weights}
            resp = initial_responsibilities(sample, estimator.n_components, estimator.init_params, random_state,
                                            **weighted)
        return estimator._initial_params(sample, shift, resp, inits, structure, sample_weights)

    data = DistributedData(X, weights, shift, structure, persist)
    estimator._run_em(structure, None, shift, initialize, statistics=data.statistics)
    return dask_predict(estimator, X)


# ---------------------------------------------------------------------------------------------------------
# inference


def _fitted(estimator, X):
    X = _check_X(estimator, X, reset=False)
    params, shift, structure = estimator._fitted_params()
    return X, params, shift, structure


def _predict_block(block, structure, params, shift):
    with one_thread():
        return most_probable_component(structure, params, FitData.from_samples(np.asarray(block), shift))


def _e_step_block(block, structure, params, shift, which):
    with one_thread():
        return e_step(structure, params, FitData.from_samples(np.asarray(block), shift))[which]


def dask_predict(estimator, X):
    """Lazy labels (n_samples,) of a dask array."""
    X, params, shift, structure = _fitted(estimator, X)
    return X.map_blocks(_predict_block, structure, params, shift, drop_axis=1, dtype=np.intp)


def dask_score_samples(estimator, X):
    """Lazy log-densities (n_samples,) of a dask array."""
    X, params, shift, structure = _fitted(estimator, X)
    return X.map_blocks(_e_step_block, structure, params, shift, 0, drop_axis=1, dtype=X.dtype)


def dask_predict_proba(estimator, X):
    """Lazy responsibilities (n_samples, n_components) of a dask array."""
    X, params, shift, structure = _fitted(estimator, X)
    chunks = (X.chunks[0], (params.means.shape[0],))
    return X.map_blocks(_e_step_block, structure, params, shift, 1, chunks=chunks, dtype=X.dtype)


def _criteria_sums(block, weights, structure, params, shift):
    """(sum w log p, sum w entropy, sum w) of one chunk."""
    with one_thread():
        log_prob_norm, resp = e_step(structure, params, FitData.from_samples(np.asarray(block), shift))
    entropy = -np.sum(resp * np.log(np.maximum(resp, np.finfo(resp.dtype).tiny)), axis=1)
    if weights is None:
        return np.array([log_prob_norm.sum(dtype=np.float64), entropy.sum(dtype=np.float64), len(block)])
    weights = np.asarray(weights)
    return np.array([log_prob_norm @ weights, entropy @ weights, weights.sum(dtype=np.float64)])


def dask_criteria(estimator, X, sample_weight=None) -> dict:
    """The criteria of :func:`~._em.criteria` on a dask array, one distributed pass."""
    dask, _ = _dask()
    X, params, shift, structure = _fitted(estimator, X)
    weights = _check_weights(estimator, sample_weight, X)
    blocks = X.to_delayed().ravel()
    weight_blocks = [None] * len(blocks) if weights is None else weights.to_delayed().ravel()
    sums = dask.delayed(_criteria_sums, pure=True)
    parts = [sums(b, w, structure, params, shift) for b, w in zip(blocks, weight_blocks)]
    (total,) = _compute(dask, dask.delayed(sum)(parts))
    log_likelihood, entropy, n = total
    n_params = n_mixture_parameters(structure, params.means.shape[0], params.means.shape[1])
    bic = -2 * log_likelihood + n_params * np.log(n)
    return {
        "log_likelihood": float(log_likelihood / n),
        "bic": float(bic),
        "aic": float(-2 * log_likelihood + 2 * n_params),
        "icl": float(bic + 2 * entropy),
        "n_params": n_params,
    }


# ---------------------------------------------------------------------------------------------------------
# lazy sources


def open_lazy(path, chunk_rows: Optional[int] = None):
    """A dask array read lazily from a Zarr store (``*.zarr``) or a folder of ``.npy`` files (``da.to_npy_stack``).

    Images (n, h, w) are flattened to (n, h * w). ``chunk_rows`` rechunks the rows (default: the source's).
    """
    from pathlib import Path

    _, da = _dask()
    path = Path(path)
    if path.suffix.lower() == ".zarr" or (path / ".zarray").exists() or (path / "zarr.json").exists():
        try:
            X = da.from_zarr(str(path))
        except ImportError:
            raise ImportError(f"{path}: reading Zarr needs zarr; pip install zarr (or 'gmmlab[dask]').") from None
    elif path.is_dir() and (path / "info").exists():
        X = da.from_npy_stack(str(path))
    else:
        raise ValueError(
            f"{path}: not a Zarr store (*.zarr) nor a .npy stack folder (written by dask.array.to_npy_stack, "
            "with an 'info' file)."
        )
    if X.ndim == 3:
        X = X.reshape(X.shape[0], -1)
    if chunk_rows is not None:
        X = X.rechunk({0: chunk_rows, 1: -1})
    return X


def is_lazy_source(path) -> bool:
    """Whether ``path`` names a Zarr store or a ``.npy`` stack folder (data :func:`open_lazy` reads)."""
    from pathlib import Path

    path = Path(path)
    return path.suffix.lower() == ".zarr" or path.is_dir()


def fit_on_cluster(estimator, X, scheduler_address: Optional[str] = None, n_workers: Optional[int] = None):
    """Fit ``estimator`` to the dask array ``X`` on a cluster; returns the criteria of the fit on ``X``.

    The cluster is the one at ``scheduler_address`` (its workers need gmmlab installed), or a LocalCluster of
    ``n_workers`` single-threaded worker processes (default: one per core) started and closed here.
    """
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    if scheduler_address is None:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
    try:
        with Client(scheduler_address or cluster):
            estimator.fit(X)
            return dask_criteria(estimator, X)
    finally:
        if cluster is not None:
            cluster.close()
