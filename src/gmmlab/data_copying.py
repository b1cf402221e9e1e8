"""Meehan, Chaudhuri & Dasgupta's data-copying test (AISTATS 2020): the C_T statistic.

A model copies its training set when its samples lie closer to the training points than fresh data from the same
distribution does. The instance space is cut into cells by K-means on the training set; in each cell the distances
to the nearest training point of the generated samples and of held-out test samples are compared by a Mann-Whitney
U test, and the cells' z-scores are averaged with the test set's cell shares as weights:

    C_T = sum_{cells c kept} P_test(c) Z_U(c) / sum_{cells c kept} P_test(c)

``C_T`` around 0: samples are as far from the training set as new data; clearly negative (below about -3):
data-copying; clearly positive: the samples are farther away than new data (underfitting, or noise). A cell is
kept when it holds at least ``min_count`` generated and ``min_count`` test points.

Which space the distances are measured in matters: in raw pixels, Euclidean distance favours smooth samples (a
blurry average of several training images is closer to each than a sharp new image is) and penalises samples with
independent pixel noise, so C_T there mixes copying with smoothness. :func:`data_copying_statistic` works on any
feature vectors; the benchmark reports it both in pixels and in the top principal components of the training
images, where per-pixel noise and the finest detail are projected out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.cluster import KMeans

from gmmlab._validation import check_int
from gmmlab.metrics import nearest_neighbour_distances

__all__ = ["DataCopyingResult", "data_copying_statistic"]


@dataclass(frozen=True, eq=False)
class DataCopyingResult:
    """Outcome of :func:`data_copying_statistic`.

    Attributes
    ----------
    statistic : float
        C_T (NaN when no cell holds enough points).
    cell_z_scores : ndarray of shape (n_cells,)
        Z_U of every cell (NaN for the cells left out).
    cell_test_shares, cell_generated_shares : ndarray of shape (n_cells,)
    kept : ndarray of bool, shape (n_cells,)
    """

    statistic: float
    cell_z_scores: np.ndarray
    cell_test_shares: np.ndarray
    cell_generated_shares: np.ndarray
    kept: np.ndarray


def _mann_whitney_z(generated: np.ndarray, test: np.ndarray) -> float:
    """z-score of U = #{(g, t): g > t} (+ half the ties); negative when the generated values are smaller."""
    m, n = len(generated), len(test)
    ranks = rankdata(np.concatenate([generated, test]))
    u = ranks[:m].sum() - m * (m + 1) / 2
    return float((u - m * n / 2) / np.sqrt(m * n * (m + n + 1) / 12))


def data_copying_statistic(
    train, test, generated, n_cells: int = 20, min_count: int = 20, random_state=0
) -> DataCopyingResult:
    """C_T of ``generated`` against ``train`` with ``test`` as the held-out reference (Meehan et al. 2020).

    Parameters
    ----------
    train : array-like of shape (n_train, n_features)
        The points the model was fitted on (or features of them).
    test : array-like of shape (n_test, n_features)
        Held-out points from the same distribution, never seen by the model.
    generated : array-like of shape (n_generated, n_features)
        The model's samples.
    n_cells : int, default=20
        K-means cells fitted on ``train``.
    min_count : int, default=20
        A cell counts when it holds at least this many generated and this many test points.
    random_state : int, RandomState instance or None
        Seeds the K-means.

    Returns
    -------
    DataCopyingResult
    """
    owner = "data_copying_statistic"
    T, P, Q = (np.asarray(a, dtype=np.float32).reshape(len(a), -1) for a in (train, test, generated))
    if not (T.shape[1] == P.shape[1] == Q.shape[1]):
        raise ValueError(f"{owner}: train, test and generated must have the same number of features, got "
                         f"{T.shape[1]}, {P.shape[1]} and {Q.shape[1]}.")
    n_cells = check_int("n_cells", n_cells, 1, owner)
    min_count = check_int("min_count", min_count, 1, owner)
    cells = KMeans(n_clusters=n_cells, n_init=1, random_state=random_state).fit(T)
    test_cells, generated_cells = cells.predict(P), cells.predict(Q)
    test_distances = nearest_neighbour_distances(P, T)
    generated_distances = nearest_neighbour_distances(Q, T)
    z_scores = np.full(n_cells, np.nan)
    test_shares = np.bincount(test_cells, minlength=n_cells) / len(P)
    generated_shares = np.bincount(generated_cells, minlength=n_cells) / len(Q)
    kept = np.zeros(n_cells, dtype=bool)
    for cell in range(n_cells):
        g = generated_distances[generated_cells == cell]
        t = test_distances[test_cells == cell]
        if len(g) >= min_count and len(t) >= min_count:
            z_scores[cell] = _mann_whitney_z(g, t)
            kept[cell] = True
    statistic = float(np.sum(test_shares[kept] * z_scores[kept]) / test_shares[kept].sum()) if kept.any() \
        else float("nan")
    return DataCopyingResult(statistic, z_scores, test_shares, generated_shares, kept)
