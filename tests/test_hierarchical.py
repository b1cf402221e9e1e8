"""Model-based hierarchical starts (mclust's hc) and KMeans on standardised data."""

import shutil
import subprocess

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from gmmlab.mixture import GaussianMixture
from gmmlab.mixture._hierarchical import hierarchical_tree
from gmmlab.mixture._init import INIT_METHODS


def _blobs(seed=0, n_per=60, d=3, k=4, spread=6.0):
    rng = np.random.RandomState(seed)
    centres = spread * rng.randn(k, d)
    X = np.vstack([c + rng.randn(n_per, d) @ rng.randn(d, d) * 0.3 for c in centres])
    return X, np.repeat(np.arange(k), n_per)


@pytest.mark.parametrize("model", ["VVV", "EII"])
def test_cuts_are_nested_and_have_k_clusters(model):
    X, _ = _blobs()
    tree = hierarchical_tree(X, model)
    previous = tree.labels(1)
    assert np.all(previous == 0)
    for k in range(2, 12):
        labels = tree.labels(k)
        assert len(np.unique(labels)) == k and labels[0] == 0
        # Each cluster of the finer cut lies inside one cluster of the coarser cut.
        for cluster in range(k):
            assert len(np.unique(previous[labels == cluster])) == 1
        previous = labels


@pytest.mark.parametrize("model", ["VVV", "EII"])
def test_recovers_separated_clusters(model):
    X, truth = _blobs(spread=10.0)
    assert adjusted_rand_score(truth, hierarchical_tree(X, model).labels(4)) == 1.0


def test_eii_is_ward():
    X, _ = _blobs(seed=3)
    tree = hierarchical_tree(X, "EII", use="VARS")
    ward = linkage(X, method="ward")
    for k in (2, 3, 5, 8):
        assert adjusted_rand_score(fcluster(ward, k, criterion="maxclust"), tree.labels(k)) == 1.0


def test_identical_rows_stay_together_and_bound_k():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.2], [5.0, 5.0], [5.5, 4.0]]), 5, axis=0)
    tree = hierarchical_tree(X)
    assert tree.n_groups == 4
    for k in range(1, 5):
        labels = tree.labels(k).reshape(4, 5)
        assert np.all(labels == labels[:, :1])
    with pytest.raises(ValueError, match="cannot cut the tree at 5 clusters; it has 4 distinct rows"):
        tree.labels(5)


def test_subsample_is_seeded_and_labels_every_row():
    X, truth = _blobs(n_per=400, spread=10.0)
    tree = hierarchical_tree(X, max_samples=300, random_state=1)
    assert len(tree.sample_indices) == 300
    labels = tree.labels(4)
    assert labels.shape == (1600,)
    assert adjusted_rand_score(truth, labels) > 0.99
    again = hierarchical_tree(X, max_samples=300, random_state=1)
    np.testing.assert_array_equal(again.labels(4), labels)


def test_svd_preprocessing_ignores_scale_and_constant_columns():
    X, _ = _blobs(seed=5)
    scaled = np.column_stack([X * [1.0, 1e4, 1e-3], np.full(len(X), 7.0)])
    for k in (2, 4, 6):
        assert adjusted_rand_score(hierarchical_tree(X).labels(k), hierarchical_tree(scaled).labels(k)) == 1.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": "VVI"}, "model must be one of"),
    ({"use": "PCA"}, "use must be one of"),
    ({"max_samples": 1}, "max_samples must be an integer >= 2"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        hierarchical_tree(np.zeros((5, 2)), **kwargs)


@pytest.mark.parametrize("init_params", ["hierarchical", "hierarchical-ward", "kmeans-standardized"])
def test_new_starts_fit(init_params):
    X, truth = _blobs(spread=10.0)
    gm = GaussianMixture(4, init_params=init_params, random_state=0).fit(X)
    assert adjusted_rand_score(truth, gm.predict(X)) == 1.0


def test_kmeans_standardized_does_not_depend_on_column_scales():
    X, _ = _blobs(seed=2)
    scales = np.array([1.0, 1e3, 1e-2])
    first = INIT_METHODS["kmeans-standardized"](X, 4, np.random.RandomState(0))
    second = INIT_METHODS["kmeans-standardized"](X * scales, 4, np.random.RandomState(0))
    assert adjusted_rand_score(first.argmax(1), second.argmax(1)) == 1.0


def _mclust_available():
    if shutil.which("Rscript") is None:
        return False
    return subprocess.run(["Rscript", "-e", "library(mclust)"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _mclust_available(), reason="R with mclust is not installed")
@pytest.mark.parametrize(("model", "use"), [("VVV", "SVD"), ("EII", "VARS")])
def test_same_partitions_as_mclust_hc(tmp_path, model, use):
    X, _ = _blobs(seed=7, n_per=40, spread=4.0)
    path = tmp_path / "x.csv"
    np.savetxt(path, X, delimiter=",")
    script = (
        f"suppressMessages(library(mclust)); X <- as.matrix(read.csv('{path}', header=FALSE)); "
        f"write.table(hclass(hc(X, modelName='{model}', use='{use}'), 2:8), '{tmp_path}/out.csv', sep=',', "
        "row.names=FALSE, col.names=FALSE)"
    )
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    theirs = np.loadtxt(tmp_path / "out.csv", delimiter=",")
    tree = hierarchical_tree(X, model, use)
    for column, k in enumerate(range(2, 9)):
        assert adjusted_rand_score(theirs[:, column], tree.labels(k)) == 1.0
