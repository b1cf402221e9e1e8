"""Model-based agglomerative hierarchical clustering, the starting partitions of R mclust's EM (``hc``).

One tree serves every K: :func:`hierarchical_tree` agglomerates once (down to one cluster) and
:meth:`HierarchicalTree.labels` cuts it at any K. The merge criteria are the classification likelihoods of Fraley
(1998), "Algorithms for model-based Gaussian hierarchical clustering", SIAM J. Sci. Comput. 20(1):270-281:

- ``"VVV"`` (mclust's default ``hcModelName``): unconstrained covariances. A cluster C with ``n_C`` points, within
  scatter ``W_C`` and ``t_C = trace(W_C)`` costs ``n_C log(det(W_C / n_C) + beta (t_C + alpha) / n_C)``, Fraley's
  regularised form of ``n_C log det(W_C / n_C)`` that stays finite for clusters of fewer than d+1 points (whose
  scatter is singular); ``alpha`` is ``alpha_scale`` times the data's mean variance per feature
  (``trace(total scatter) / (n d)``), ``beta`` a scale (both 1 by default, as in mclust).
- ``"EII"`` (spherical, equal volume): the within sum of squares, i.e. Ward's criterion; a merge costs
  ``n_a n_b / (n_a + n_b) |mean_a - mean_b|^2``.

Each step merges the pair whose merge increases the total cost least. Identical rows start in one group (mclust's
``dupPartition``), so data with repeated values costs no more than its distinct rows.

Preprocessing (mclust's ``hcUse``, default ``"SVD"`` since mclust 5.4): ``"SVD"`` centres and scales each column to
unit variance, then projects on the right singular vectors, each coordinate divided by the square root of its
singular value (the "scaled SVD" transformation of Scrucca & Raftery 2015); ``"STD"`` only standardises; ``"VARS"``
uses the data as given. Columns with zero variance are dropped first (they carry no clustering information).

Cost: O(m^2) memory for m = min(n, max_samples) rows (a few (m, m) float64 arrays: about 100 MB at m = 2000),
about m^2 work per merge in vectorised numpy, plus one batched determinant per candidate pair with more than d
points. Above ``max_samples`` rows the tree is grown on a seeded subsample (mclust's ``subset`` option has the same
default, 2000) and every other row joins, per K, the cluster that gives it the highest Gaussian log-density (one
M-step on the subsample's partition with each scatter regularised by ``alpha`` as in the criterion, then a hard
E-step).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["HC_MODELS", "HC_USES", "MAX_SAMPLES", "HierarchicalTree", "hierarchical_tree"]

HC_MODELS = ("VVV", "EII")
HC_USES = ("SVD", "STD", "VARS")
MAX_SAMPLES = 2000
"""Default subsample size of the tree (mclust's ``mclust.options("subset")`` is 2000 as well)."""


@dataclass(frozen=True, eq=False)
class HierarchicalTree:
    """A model-based agglomerative tree, cut at any number of clusters.

    Attributes
    ----------
    model : str
        ``"VVV"`` or ``"EII"``.
    use : str
        The preprocessing (``"SVD"``, ``"STD"`` or ``"VARS"``).
    n_samples : int
        Rows of the data the tree was built for.
    sample_indices : ndarray of shape (m,)
        Rows that were agglomerated (all of them when ``n_samples <= max_samples``), sorted.
    groups : ndarray of shape (m,)
        The initial group of each agglomerated row (identical rows share one).
    merges : ndarray of shape (n_groups - 1, 2)
        ``merges[t] = (a, b)``: at step t, group b joined group a (group ids are the initial ones).
    costs : ndarray of shape (n_groups - 1,)
        Increase of the criterion at each merge.
    Z : ndarray of shape (n_samples, p)
        All rows in the preprocessed coordinates the criterion uses.
    alpha : float
        The regularisation of the VVV criterion (and of the assignment of the rows outside the subsample).
    """

    model: str
    use: str
    n_samples: int
    sample_indices: np.ndarray
    groups: np.ndarray
    merges: np.ndarray
    costs: np.ndarray
    Z: np.ndarray
    alpha: float

    @property
    def n_groups(self) -> int:
        """Number of initial groups (distinct rows of the subsample): the largest K the tree can give."""
        return int(self.merges.shape[0] + 1)

    def labels(self, n_components: int) -> np.ndarray:
        """Cluster labels of every row, shape (n_samples,), for the cut at ``n_components`` clusters.

        Labels are numbered by their first row (the cluster of row 0 is 0). Rows outside the subsample join the
        cluster of highest regularised Gaussian log-density (see the module docstring).
        """
        n_components = int(n_components)
        if not 1 <= n_components <= self.n_groups:
            raise ValueError(
                f"hierarchical start: cannot cut the tree at {n_components} clusters; it has {self.n_groups} "
                f"distinct rows{' in its subsample' if len(self.sample_indices) < self.n_samples else ''}. "
                f"Use n_components <= {self.n_groups}, or another init_params such as 'kmeans'."
            )
        parent = np.arange(self.n_groups)
        steps = self.n_groups - n_components
        if steps:
            merges = self.merges[:steps]
            parent[merges[:, 1]] = merges[:, 0]
            # Follow each group's chain of merges to its root; the chains only point to earlier survivors.
            while True:
                grand = parent[parent]
                if np.array_equal(grand, parent):
                    break
                parent = grand
        roots = parent[self.groups]
        _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
        order = np.argsort(np.argsort(first))  # renumber by first appearance
        sample_labels = order[inverse]
        if len(self.sample_indices) == self.n_samples:
            return sample_labels
        return self._assign_all(sample_labels, n_components)

    def responsibilities(self, n_components: int, dtype=np.float64) -> np.ndarray:
        """One-hot responsibilities of the cut at ``n_components``, shape (n_samples, n_components)."""
        labels = self.labels(n_components)
        resp = np.zeros((self.n_samples, n_components), dtype=dtype)
        resp[np.arange(self.n_samples), labels] = 1
        return resp

    def _assign_all(self, sample_labels: np.ndarray, n_components: int) -> np.ndarray:
        """Labels of all rows: the subsample keeps its own; the others take the most likely cluster."""
        Z_sample = self.Z[self.sample_indices]
        p = self.Z.shape[1]
        scores = np.empty((self.n_samples, n_components))
        for k in range(n_components):
            members = Z_sample[sample_labels == k]
            n_k = members.shape[0]
            mean = members.mean(axis=0)
            centred = members - mean
            if self.model == "EII":
                scores[:, k] = -0.5 * np.sum((self.Z - mean) ** 2, axis=1)
                continue
            covariance = (centred.T @ centred + self.alpha * np.eye(p)) / (n_k + 1)
            cholesky = np.linalg.cholesky(covariance)
            solved = np.linalg.solve(cholesky, (self.Z - mean).T)
            scores[:, k] = (
                np.log(n_k) - np.log(np.diag(cholesky)).sum() - 0.5 * np.einsum("ij,ij->j", solved, solved)
            )
        labels = np.argmax(scores, axis=1)
        labels[self.sample_indices] = sample_labels
        return labels


def _preprocess(X: np.ndarray, sample: np.ndarray, use: str) -> np.ndarray:
    """All rows in the coordinates of ``use``, with the transformation estimated on the subsample rows."""
    X = np.asarray(X, dtype=np.float64)
    Xs = X[sample]
    std = Xs.std(axis=0, ddof=1) if len(sample) > 1 else np.zeros(X.shape[1])
    keep = std > 0
    if not keep.any():
        return np.zeros((X.shape[0], 1))
    if use == "VARS":
        return X[:, keep]
    centre = Xs[:, keep].mean(axis=0)
    Z = (X[:, keep] - centre) / std[keep]
    if use == "STD":
        return Z
    _, singular, vt = np.linalg.svd(Z[sample], full_matrices=False)
    rank = singular > singular[0] * np.finfo(np.float64).eps * max(Z.shape)
    return (Z @ vt[rank].T) / np.sqrt(singular[rank])


def _initial_groups(Z: np.ndarray):
    """Identical rows form one group; returns (group of each row, group sizes, group means)."""
    unique, first, groups, counts = np.unique(Z, axis=0, return_index=True, return_inverse=True, return_counts=True)
    # Number the groups by their first row so that the tree does not depend on np.unique's lexicographic order.
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[groups.ravel()], counts[order].astype(np.float64), unique[order]


def _vvv_term(n, scatter_logdet, trace, alpha, beta):
    """Fraley's regularised VVV cost of clusters, ``n log(det(W/n) + beta (t + alpha) / n)``."""
    return n * np.logaddexp(scatter_logdet, np.log(beta * (trace + alpha) / n))


def _logdet_scaled(scatter, n, p):
    """``log det(W / n)`` of a batch (m, p, p), -inf where not positive definite."""
    sign, logdet = np.linalg.slogdet(scatter / n[:, None, None])
    return np.where(sign > 0, logdet, -np.inf)


class _Agglomeration:
    """The state of one agglomeration: per active group its size, mean, scatter, trace and cost."""

    def __init__(self, Z, groups, counts, means, model, alpha, beta):
        self.model, self.alpha, self.beta = model, alpha, beta
        self.p = Z.shape[1]
        G = len(counts)
        self.n = counts.copy()
        self.means = means.copy()
        self.trace = np.zeros(G)  # identical rows: no scatter within an initial group
        self.scatter = np.zeros((G, self.p, self.p)) if model == "VVV" else None
        self.term = _vvv_term(self.n, -np.inf, self.trace, alpha, beta) if model == "VVV" else None
        self.active = np.ones(G, dtype=bool)

    def initial_costs(self) -> np.ndarray:
        """The (G, G) matrix of merge costs between initial groups (+inf on the diagonal)."""
        n, means = self.n, self.means
        squared = np.sum(means**2, axis=1)
        distances = np.maximum(squared[:, None] + squared[None, :] - 2 * means @ means.T, 0.0)
        n_pair = n[:, None] + n[None, :]
        between = (n[:, None] * n[None, :] / n_pair) * distances
        if self.model == "EII":
            costs = between
        else:
            # Initial groups have no scatter, so a merged pair's scatter has rank <= 1: singular unless p == 1.
            logdet = np.log(np.maximum(between, 1e-300) / n_pair) if self.p == 1 else -np.inf
            if self.p == 1:
                logdet = np.where(n_pair > 1, logdet, -np.inf)
            costs = _vvv_term(n_pair, logdet, between, self.alpha, self.beta) - self.term[:, None] - self.term[None, :]
        np.fill_diagonal(costs, np.inf)
        return costs

    def merge(self, a: int, b: int) -> None:
        """Fold group b into group a."""
        n_a, n_b = self.n[a], self.n[b]
        diff = self.means[b] - self.means[a]
        factor = n_a * n_b / (n_a + n_b)
        self.trace[a] += self.trace[b] + factor * diff @ diff
        if self.model == "VVV":
            self.scatter[a] += self.scatter[b] + factor * np.outer(diff, diff)
        self.means[a] = (n_a * self.means[a] + n_b * self.means[b]) / (n_a + n_b)
        self.n[a] = n_a + n_b
        self.active[b] = False
        if self.model == "VVV":
            logdet = -np.inf
            if self.n[a] > self.p:
                logdet = _logdet_scaled(self.scatter[a][None], self.n[a : a + 1], self.p)[0]
            self.term[a] = _vvv_term(self.n[a], logdet, self.trace[a], self.alpha, self.beta)

    def costs_with(self, a: int, others: np.ndarray) -> np.ndarray:
        """Merge costs between group a and the groups ``others``."""
        n_a, n_o = self.n[a], self.n[others]
        diff = self.means[others] - self.means[a]
        n_pair = n_a + n_o
        factor = n_a * n_o / n_pair
        between = factor * np.einsum("ij,ij->i", diff, diff)
        if self.model == "EII":
            return between
        trace = self.trace[a] + self.trace[others] + between
        logdet = np.full(len(others), -np.inf)
        big = n_pair > self.p
        if big.any():
            idx = np.flatnonzero(big)
            scatter = self.scatter[a] + self.scatter[others[idx]]
            scatter += factor[idx, None, None] * diff[idx, :, None] * diff[idx, None, :]
            logdet[idx] = _logdet_scaled(scatter, n_pair[idx], self.p)
        return _vvv_term(n_pair, logdet, trace, self.alpha, self.beta) - self.term[a] - self.term[others]


def _agglomerate(Z: np.ndarray, groups, counts, means, model: str, alpha: float, beta: float):
    """Greedy agglomeration of the initial groups down to one cluster; returns (merges, costs)."""
    state = _Agglomeration(Z, groups, counts, means, model, alpha, beta)
    G = len(counts)
    costs = state.initial_costs()
    row_min = costs.min(axis=1)
    row_arg = costs.argmin(axis=1)
    merges = np.empty((max(G - 1, 0), 2), dtype=np.intp)
    merge_costs = np.empty(max(G - 1, 0))
    for step in range(G - 1):
        first = int(np.argmin(row_min))
        second = int(row_arg[first])
        a, b = min(first, second), max(first, second)  # the survivor is the group with the smaller id
        merges[step] = a, b
        merge_costs[step] = row_min[first]
        state.merge(a, b)
        costs[b, :] = np.inf
        costs[:, b] = np.inf
        row_min[b] = np.inf
        others = np.flatnonzero(state.active)
        others = others[others != a]
        if others.size == 0:
            continue
        new = state.costs_with(a, others)
        costs[a, others] = new
        costs[others, a] = new
        # Rows whose best partner was a or b need a fresh minimum; the others can only improve through a.
        stale = others[(row_arg[others] == a) | (row_arg[others] == b)]
        if stale.size:
            row_arg[stale] = costs[stale].argmin(axis=1)
            row_min[stale] = costs[stale, row_arg[stale]]
        better = (new < row_min[others]) & ~np.isin(others, stale)
        row_min[others[better]] = new[better]
        row_arg[others[better]] = a
        best = int(np.argmin(new))
        row_min[a], row_arg[a] = new[best], others[best]
    return merges, merge_costs


def _ward(Z: np.ndarray):
    """Ward's tree (the EII criterion) by scipy's C implementation; returns (groups, merges, costs).

    Every row is its own initial group (identical rows merge first, at no cost). The increase of the within sum of
    squares of a merge is half the square of scipy's Ward distance.
    """
    from scipy.cluster.hierarchy import linkage

    m = Z.shape[0]
    if m == 1:
        return np.zeros(1, dtype=np.intp), np.empty((0, 2), dtype=np.intp), np.empty(0)
    tree = linkage(Z, method="ward")
    representative = np.concatenate([np.arange(m), np.empty(m - 1, dtype=np.intp)])
    merges = np.empty((m - 1, 2), dtype=np.intp)
    for step, (a, b) in enumerate(tree[:, :2].astype(np.intp)):
        first, second = sorted((representative[a], representative[b]))
        merges[step] = first, second
        representative[m + step] = first
    return np.arange(m), merges, tree[:, 2] ** 2 / 2


def hierarchical_tree(
    X,
    model: str = "VVV",
    use: str = "SVD",
    max_samples: int | None = MAX_SAMPLES,
    random_state=None,
    alpha_scale: float = 1.0,
    beta: float = 1.0,
) -> HierarchicalTree:
    """Grow a model-based agglomerative tree (mclust's ``hc``) once, to be cut at every K.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    model : {"VVV", "EII"}, default="VVV"
        Merge criterion: unconstrained Gaussian classification likelihood (Fraley 1998, mclust's default) or
        Ward's within sum of squares.
    use : {"SVD", "STD", "VARS"}, default="SVD"
        Preprocessing, as mclust's ``hcUse`` (see the module docstring); ``"SVD"`` is mclust's default.
    max_samples : int or None, default=2000
        Grow the tree on at most this many rows, drawn without replacement with ``random_state``; the other rows
        are assigned per K. None: all rows (memory grows as n^2).
    random_state : int, RandomState or None
        Seeds the subsample; unused when ``n_samples <= max_samples``.
    alpha_scale, beta : float, default=1.0
        Fraley's regularisation of the VVV criterion (mclust's ``alpha`` and ``beta`` of ``hcVVV``).

    Returns
    -------
    HierarchicalTree
    """
    owner = "hierarchical_tree"
    if model not in HC_MODELS:
        raise ValueError(f"{owner}: model must be one of {HC_MODELS}, got {model!r}.")
    if use not in HC_USES:
        raise ValueError(f"{owner}: use must be one of {HC_USES}, got {use!r}.")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"{owner}: X must be a 2-D array with at least one row, got shape {X.shape}.")
    n_samples = X.shape[0]
    bad_size = isinstance(max_samples, bool) or int(max_samples or 0) != max_samples or (max_samples or 0) < 2
    if max_samples is not None and bad_size:
        raise ValueError(f"{owner}: max_samples must be an integer >= 2 or None, got {max_samples!r}.")
    if max_samples is None or n_samples <= max_samples:
        sample = np.arange(n_samples)
    else:
        rng = check_random_state(random_state)
        sample = np.sort(rng.choice(n_samples, size=int(max_samples), replace=False))
    Z = _preprocess(X, sample, use)
    Zs = Z[sample]
    centred = Zs - Zs.mean(axis=0)
    alpha = max(alpha_scale * float(np.sum(centred**2)) / (Zs.shape[0] * Zs.shape[1]), np.finfo(np.float64).eps)
    if model == "EII":
        groups, merges, costs = _ward(Zs)
    else:
        groups, counts, means = _initial_groups(Zs)
        merges, costs = _agglomerate(Zs, groups, counts, means, model, alpha, beta)
    return HierarchicalTree(model, use, n_samples, sample, groups, merges, costs, Z, alpha)


# A small cache so that the fits of one sweep (one per K, each asking for "hierarchical") share one tree.
_CACHE: OrderedDict[tuple, HierarchicalTree] = OrderedDict()
_CACHE_SIZE = 4


def cached_tree(X: np.ndarray, model: str, use: str, max_samples: int | None, seed: int | None):
    """:func:`hierarchical_tree` of X, reused while the same data and settings come back."""
    X = np.ascontiguousarray(X)
    digest = hashlib.blake2b(X.view(np.uint8).ravel(), digest_size=16).hexdigest()
    key = (X.shape, X.dtype.str, digest, model, use, max_samples, seed)
    tree = _CACHE.get(key)
    if tree is None:
        tree = hierarchical_tree(X, model, use, max_samples, seed)
        _CACHE[key] = tree
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return tree
