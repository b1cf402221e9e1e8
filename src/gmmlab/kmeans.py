"""KMeans that records every Lloyd iteration: :class:`TracedKMeans`."""

from __future__ import annotations

import copy
import numbers

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._validation import check_data, check_int
from .history import History, IterationRecord

__all__ = ["TracedKMeans"]


class TracedKMeans(TransformerMixin, ClusterMixin, BaseEstimator):
    """scikit-learn's KMeans, with the centres, labels and inertia of every Lloyd iteration in ``history_``.

    The fitted attributes (``cluster_centers_``, ``labels_``, ``inertia_``, ``n_iter_``) are those of
    :class:`sklearn.cluster.KMeans` with the same parameters. The history replays Lloyd's algorithm from the very
    same initial centres (the random stream is consumed as scikit-learn consumes it) with scikit-learn's
    convergence rule, so its last record of the kept restart matches the fitted attributes.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"}, callable or array-like of shape (n_clusters, n_features), default="k-means++"
    n_init : "auto" or int, default="auto"
        1 for "k-means++" or an array, 10 for "random" or a callable (scikit-learn's rule).
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative tolerance on the centre shift (scaled by the mean feature variance, as scikit-learn does).
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None
    copy_x : bool, default=True
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        Used for the fitted attributes; the history is always Lloyd's (both give the same iterates).
    record_history : bool, default=True
    history_max_cells : int, default=1_000_000
        Largest ``n_samples * n_clusters`` for which the labels of every iteration are kept.

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_features_in_
        As in scikit-learn.
    history_ : History or None
        One record per Lloyd iteration of every restart; iteration 0 is the initial centres.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state=None,
        copy_x: bool = True,
        algorithm: str = "lloyd",
        record_history: bool = True,
        history_max_cells: int = 1_000_000,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.record_history = record_history
        self.history_max_cells = history_max_cells

    def _sklearn_kmeans(self, random_state):
        return KMeans(
            n_clusters=self.n_clusters,
            init=self.init,
            n_init=self.n_init,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            random_state=random_state,
            copy_x=self.copy_x,
            algorithm=self.algorithm,
        )

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering and, when ``record_history``, its history.

        Returns
        -------
        self : TracedKMeans
        """
        if sample_weight is not None:
            raise ValueError("TracedKMeans does not support sample_weight; use sklearn.cluster.KMeans for weighted data.")
        X = check_data(self, X, reset=True)
        check_int("n_clusters", self.n_clusters, 1, "TracedKMeans")
        check_int("history_max_cells", self.history_max_cells, 0, "TracedKMeans")
        if X.shape[0] < self.n_clusters:
            raise ValueError(
                f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}. "
                f"Fix: use n_clusters <= {X.shape[0]} or pass more samples."
            )
        # Two identical random streams: one for scikit-learn's fit, one for the replay.
        random_state = check_random_state(self.random_state)
        replay_state = copy.deepcopy(random_state)
        kmeans = self._sklearn_kmeans(random_state).fit(X)
        self.cluster_centers_ = kmeans.cluster_centers_
        self.labels_ = kmeans.labels_
        self.inertia_ = float(kmeans.inertia_)
        self.n_iter_ = kmeans.n_iter_
        self._n_init_used = kmeans._n_init
        self.history_ = self._replay(X, replay_state) if self.record_history else None
        return self

    def _initial_centers(self, X_centred, x_squared_norms, random_state):
        init = self.init
        if isinstance(init, str) and init == "k-means++":
            centers, _ = kmeans_plusplus(
                X_centred, self.n_clusters, x_squared_norms=x_squared_norms, random_state=random_state
            )
            return centers
        if isinstance(init, str) and init == "random":
            n_samples = X_centred.shape[0]
            weights = np.ones(n_samples, dtype=X_centred.dtype)
            seeds = random_state.choice(n_samples, size=self.n_clusters, replace=False, p=weights / weights.sum())
            return X_centred[seeds]
        if callable(init):
            return np.asarray(init(X_centred, self.n_clusters, random_state=random_state), dtype=X_centred.dtype)
        return np.asarray(init, dtype=X_centred.dtype) - self._mean

    def _replay(self, X, random_state) -> History:
        self._mean = X.mean(axis=0)
        X_centred = X - self._mean
        x_squared_norms = np.einsum("ij,ij->i", X_centred, X_centred)
        tol = float(np.mean(np.var(X_centred, axis=0)) * self.tol) if self.tol else 0.0
        keep_labels = X.shape[0] * self.n_clusters <= self.history_max_cells
        history = History(model="kmeans", objective_name="inertia")
        best = None
        for restart in range(self._n_init_used):
            centers = self._initial_centers(X_centred, x_squared_norms, random_state)
            labels, inertia, n_iter = _lloyd(
                X_centred, x_squared_norms, centers, self.max_iter, tol, history, restart, self._mean, keep_labels
            )
            if best is None or (inertia < best[1] and not _same_clustering(labels, best[0], self.n_clusters)):
                best = (labels, inertia, restart)
        history.best_restart = best[2]
        del self._mean
        return history

    def predict(self, X):
        """Index of the closest centre for every sample."""
        check_is_fitted(self)
        X = check_data(self, X, reset=False)
        return _assign(X, np.einsum("ij,ij->i", X, X), self.cluster_centers_)[0]

    def transform(self, X):
        """Distances from every sample to every centre, shape (n_samples, n_clusters)."""
        check_is_fitted(self)
        X = check_data(self, X, reset=False)
        return np.sqrt(np.maximum(_squared_distances(X, np.einsum("ij,ij->i", X, X), self.cluster_centers_), 0))

    def score(self, X, y=None):
        """Opposite of the inertia of ``X`` on the fitted centres (higher is better, as in scikit-learn)."""
        check_is_fitted(self)
        X = check_data(self, X, reset=False)
        return -float(_assign(X, np.einsum("ij,ij->i", X, X), self.cluster_centers_)[1].sum())


def _squared_distances(X, x_squared_norms, centers):
    distances = X @ (-2.0 * centers.T)
    distances += x_squared_norms[:, np.newaxis]
    distances += np.einsum("ij,ij->i", centers, centers)
    return distances


def _assign(X, x_squared_norms, centers):
    distances = _squared_distances(X, x_squared_norms, centers)
    labels = distances.argmin(axis=1)
    closest = np.maximum(distances[np.arange(X.shape[0]), labels], 0.0)
    return labels, closest


def _update_centers(X, labels, closest, n_clusters):
    n_samples = X.shape[0]
    counts = np.bincount(labels, minlength=n_clusters).astype(X.dtype)
    membership = sparse.csr_matrix((np.ones(n_samples, dtype=X.dtype), (labels, np.arange(n_samples))), shape=(n_clusters, n_samples))
    sums = np.asarray(membership @ X)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        # As scikit-learn does: move each empty cluster onto one of the points farthest from their centre.
        far = np.argsort(closest)[::-1][: empty.size]
        for cluster, index in zip(empty, far):
            old = labels[index]
            sums[old] -= X[index]
            counts[old] -= 1
            sums[cluster] = X[index]
            counts[cluster] = 1
    return sums / counts[:, np.newaxis], counts


def _lloyd(X, x_squared_norms, centers, max_iter, tol, history, restart, offset, keep_labels):
    """Lloyd iterations with scikit-learn's stopping rule; appends one record per state to ``history``."""
    n_samples, n_clusters = X.shape[0], centers.shape[0]
    labels, closest = _assign(X, x_squared_norms, centers)
    labels_old = np.full(n_samples, -1)

    def record(iteration, centers, labels, closest):
        counts = np.bincount(labels, minlength=n_clusters)
        history.append(
            IterationRecord(
                restart=restart,
                iteration=iteration,
                means=centers + offset,
                weights=counts / n_samples,
                covariances=None,
                objective=float(closest.sum()),
                labels=labels.copy() if keep_labels else None,
            )
        )

    record(0, centers, labels, closest)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        new_centers, _ = _update_centers(X, labels, closest, n_clusters)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        new_labels, closest = _assign(X, x_squared_norms, centers)
        record(n_iter, centers, new_labels, closest)
        if np.array_equal(labels, labels_old) or shift <= tol:
            labels = new_labels
            break
        labels_old, labels = labels, new_labels
    return labels, float(closest.sum()), n_iter


def _same_clustering(labels1, labels2, n_clusters):
    mapping = np.full(n_clusters, -1)
    for a, b in zip(labels1, labels2):
        if mapping[a] == -1:
            mapping[a] = b
        elif mapping[a] != b:
            return False
    return True
