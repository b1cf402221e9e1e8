"""TracedKMeans: same results as scikit-learn's KMeans, and a faithful history."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from gmmlab import TracedKMeans

from helpers import blobs


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_init", [1, 4])
def test_same_results_and_history_as_sklearn(init, seed, n_init):
    X = blobs(seed=seed, shift=20.0)
    traced = TracedKMeans(4, init=init, n_init=n_init, random_state=seed).fit(X)
    plain = KMeans(4, init=init, n_init=n_init, random_state=seed).fit(X)
    np.testing.assert_allclose(traced.cluster_centers_, plain.cluster_centers_)
    np.testing.assert_array_equal(traced.labels_, plain.labels_)
    assert traced.inertia_ == pytest.approx(plain.inertia_)
    assert traced.n_iter_ == plain.n_iter_
    history = traced.history_
    assert history.model == "kmeans" and history.objective_name == "inertia"
    assert history.n_restarts == n_init
    best = history.best()
    assert [r.iteration for r in best] == list(range(traced.n_iter_ + 1))
    np.testing.assert_allclose(best[-1].centers, traced.cluster_centers_, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(best[-1].labels, traced.labels_)
    assert best[-1].objective == pytest.approx(traced.inertia_, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_inertia_never_increases(seed):
    X = blobs(seed=seed)
    traced = TracedKMeans(5, init="random", n_init=3, random_state=seed).fit(X)
    for restart in range(3):
        inertia = traced.history_.objectives(restart)
        assert np.all(np.diff(inertia) <= 1e-9 * inertia[0])


def test_array_init_and_predict():
    X = blobs(seed=0)
    init = X[:3]
    traced = TracedKMeans(3, init=init, random_state=0).fit(X)
    np.testing.assert_allclose(traced.history_[0].centers, init)
    np.testing.assert_array_equal(traced.predict(X), traced.labels_)
    assert traced.transform(X).shape == (len(X), 3)
    assert traced.score(X) == pytest.approx(-traced.inertia_, rel=1e-9)


def test_errors():
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=5"):
        TracedKMeans(5).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        TracedKMeans(2).fit(np.array([[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]]))
