"""Initial responsibilities of a Gaussian mixture, exactly as scikit-learn 1.9 computes them.

Each method consumes ``random_state`` (a :class:`numpy.random.RandomState`) the way scikit-learn does, so a fit
with the same seed starts from the same point, and restarts draw from one shared stream.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

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


INIT_METHODS = {
    "kmeans": _kmeans,
    "k-means++": _kmeans_plusplus,
    "random": _random,
    "random_from_data": _random_from_data,
}


def initial_responsibilities(X, n_components, init_params, random_state):
    """Initial responsibilities, shape (n_samples, n_components), for one restart.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}
    random_state : numpy.random.RandomState
        Consumed in place, as scikit-learn does.
    """
    return INIT_METHODS[init_params](X, n_components, random_state)
