"""Initial responsibilities of a Gaussian mixture.

scikit-learn's four methods ("kmeans", "k-means++", "random", "random_from_data") are computed exactly as
scikit-learn 1.9 computes them: each consumes ``random_state`` (a :class:`numpy.random.RandomState`) the way
scikit-learn does, so a fit with the same seed starts from the same point, and restarts draw from one shared
stream. gmmlab adds:

- ``"kmeans-standardized"``: KMeans on the columns scaled to unit variance (labels used on the original data), so
  that a feature with a large scale does not decide the partition alone;
- ``"hierarchical"``: the cut at K of mclust's default model-based hierarchical tree (VVV criterion on the scaled
  SVD coordinates, see :mod:`gmmlab.mixture._hierarchical`); ``"hierarchical-ward"``: the same with Ward's (EII)
  criterion. The tree is deterministic: ``random_state`` only seeds its subsample when the data has more than
  2000 rows, so restarts (``n_init > 1``) repeat the same start unless the data is subsampled.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

from ._hierarchical import MAX_SAMPLES, cached_tree

__all__ = ["INIT_METHODS", "initial_responsibilities"]


def _kmeans(X, n_components, random_state):
    labels = KMeans(n_clusters=n_components, n_init=1, random_state=random_state).fit(X).labels_
    resp = np.zeros((X.shape[0], n_components), dtype=X.dtype)
    resp[np.arange(X.shape[0]), labels] = 1
    return resp


def _random(X, n_components, random_state):
    resp = np.asarray(random_state.uniform(size=(X.shape[0], n_components)), dtype=X.dtype)
    resp /= resp.sum(axis=1)[:, np.newaxis]
    return resp


def _one_hot_rows(X, n_components, indices):
    resp = np.zeros((X.shape[0], n_components), dtype=X.dtype)
    resp[indices, np.arange(n_components)] = 1
    return resp


def _random_from_data(X, n_components, random_state):
    indices = random_state.choice(X.shape[0], size=n_components, replace=False)
    return _one_hot_rows(X, n_components, indices)


def _kmeans_plusplus(X, n_components, random_state):
    _, indices = kmeans_plusplus(X, n_components, random_state=random_state)
    return _one_hot_rows(X, n_components, indices)


def _kmeans_standardized(X, n_components, random_state):
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column stays as it is
    return _kmeans((X - X.mean(axis=0)) / scale, n_components, random_state)


def _hierarchical_start(model):
    def start(X, n_components, random_state):
        seed = None
        if X.shape[0] > MAX_SAMPLES:  # the stream is consumed only when the tree needs a subsample
            seed = int(random_state.randint(np.iinfo(np.int32).max))
        tree = cached_tree(X, model, "SVD", MAX_SAMPLES, seed)
        return tree.responsibilities(n_components, dtype=X.dtype)

    return start


INIT_METHODS = {
    "kmeans": _kmeans,
    "k-means++": _kmeans_plusplus,
    "random": _random,
    "random_from_data": _random_from_data,
    "kmeans-standardized": _kmeans_standardized,
    "hierarchical": _hierarchical_start("VVV"),
    "hierarchical-ward": _hierarchical_start("EII"),
}
"""Name -> function(X, n_components, random_state) -> (n_samples, n_components) responsibilities."""


def initial_responsibilities(X, n_components, init_params, random_state):
    """Initial responsibilities, shape (n_samples, n_components), for one restart.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    init_params : str
        A key of :data:`INIT_METHODS`.
    random_state : numpy.random.RandomState
        Consumed in place, as scikit-learn does.
    """
    return INIT_METHODS[init_params](X, n_components, random_state)
