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


def _kmeans(X, n_components, random_state, sample_weight=None):
    kmeans = KMeans(n_clusters=n_components, n_init=1, random_state=random_state)
    labels = kmeans.fit(X, sample_weight=sample_weight).labels_
    resp = np.zeros((X.shape[0], n_components), dtype=X.dtype)
    resp[np.arange(X.shape[0]), labels] = 1
    return resp


def _random(X, n_components, random_state, sample_weight=None):
    resp = np.asarray(random_state.uniform(size=(X.shape[0], n_components)), dtype=X.dtype)
    resp /= resp.sum(axis=1)[:, np.newaxis]
    return resp


def _one_hot_rows(X, n_components, indices):
    resp = np.zeros((X.shape[0], n_components), dtype=X.dtype)
    resp[indices, np.arange(n_components)] = 1
    return resp


def _random_from_data(X, n_components, random_state, sample_weight=None):
    if sample_weight is None:
        indices = random_state.choice(X.shape[0], size=n_components, replace=False)
    else:  # only samples that weigh can start a component
        indices = random_state.choice(np.flatnonzero(sample_weight), size=n_components, replace=False)
    return _one_hot_rows(X, n_components, indices)


def _kmeans_plusplus(X, n_components, random_state, sample_weight=None):
    _, indices = kmeans_plusplus(X, n_components, random_state=random_state, sample_weight=sample_weight)
    return _one_hot_rows(X, n_components, indices)


# Ward's linkage needs the O(n^2) pairwise distances: above this many samples it runs on a random subset.
_WARD_MAX_SAMPLES = 4000


def _ward(X, n_components, random_state):
    """Ward's agglomerative clustering of the whitened data, cut at ``n_components`` clusters (one-hot).

    Ward's criterion is mclust's model-based agglomeration for the EII model; on the whitened principal
    components, as mclust's default ``hcUse = "SVD"``, it is a deterministic start that often finds better
    optima than k-means for elongated or unequal clusters. Larger data: a random subset of
    ``_WARD_MAX_SAMPLES`` is clustered and every sample goes to the nearest subset cluster's centre.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    centred = X - X.mean(axis=0)
    left, singular, _ = np.linalg.svd(centred, full_matrices=False)
    keep = singular > singular[0] * 1e-10 if singular.size and singular[0] > 0 else np.zeros(0, dtype=bool)
    whitened = left[:, keep] if keep.any() else centred
    n_samples = X.shape[0]
    subset = np.arange(n_samples)
    if n_samples > _WARD_MAX_SAMPLES:
        subset = np.sort(random_state.choice(n_samples, size=_WARD_MAX_SAMPLES, replace=False))
    labels = fcluster(linkage(whitened[subset], method="ward"), t=n_components, criterion="maxclust") - 1
    n_found = labels.max() + 1
    if subset.size < n_samples:
        centres = np.stack([whitened[subset][labels == k].mean(axis=0) for k in range(n_found)])
        distances = ((whitened[:, np.newaxis, :] - centres[np.newaxis]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
    resp = np.zeros((n_samples, n_components), dtype=X.dtype)
    resp[np.arange(n_samples), labels] = 1
    return resp


def _kmeans_standardized(X, n_components, random_state, sample_weight=None):
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column stays as it is
    return _kmeans((X - X.mean(axis=0)) / scale, n_components, random_state, sample_weight)


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
    "ward": _ward,
    "k-means++": _kmeans_plusplus,
    "random": _random,
    "random_from_data": _random_from_data,
    "kmeans-standardized": _kmeans_standardized,
    "hierarchical": _hierarchical_start("VVV"),
    "hierarchical-ward": _hierarchical_start("EII"),
}
"""Name -> function(X, n_components, random_state) -> (n_samples, n_components) responsibilities."""

# The methods that take ``sample_weight``; the others (the hierarchical trees, Ward) start from the rows unweighted
# and the weights enter from the first M-step on.
WEIGHTED_INIT_METHODS = frozenset({"kmeans", "k-means++", "random", "random_from_data", "kmeans-standardized"})


def initial_responsibilities(X, n_components, init_params, random_state, sample_weight=None):
    """Initial responsibilities, shape (n_samples, n_components), for one restart.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    init_params : str
        A key of :data:`INIT_METHODS`.
    random_state : numpy.random.RandomState
        Consumed in place, as scikit-learn does.
    sample_weight : ndarray of shape (n_samples,) or None
        Weighted KMeans and k-means++ (scikit-learn's); ``random_from_data`` draws only samples of positive
        weight; ``random``, ``ward`` and the hierarchical starts ignore the weights (they enter the first
        M-step). None: every sample weighs 1 and the draws are exactly scikit-learn's.
    """
    if sample_weight is None or init_params not in WEIGHTED_INIT_METHODS:
        return INIT_METHODS[init_params](X, n_components, random_state)
    return INIT_METHODS[init_params](X, n_components, random_state, sample_weight=sample_weight)
