"""Tests for gmmlab.data.synthetic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from gmmlab.data import PRESETS, GMMData, list_presets, make_gmm_data, make_preset

W2 = [0.3, 0.7]
M2 = [[0.0, 0.0], [6.0, -2.0]]
C2_FULL = [[[2.0, 0.8], [0.8, 1.0]], [[0.5, -0.2], [-0.2, 1.5]]]


# ---------------------------------------------------------------------------------------------------------------
# make_gmm_data
# ---------------------------------------------------------------------------------------------------------------


def test_shapes_and_dtypes():
    data = make_gmm_data(250, W2, M2, C2_FULL, random_state=0)
    assert isinstance(data, GMMData)
    assert data.X.shape == (250, 2) and data.X.dtype == np.float64
    assert data.y.shape == (250,) and np.issubdtype(data.y.dtype, np.integer)
    assert set(np.unique(data.y)) <= {0, 1}
    assert data.weights.shape == (2,)
    assert data.means.shape == (2, 2)
    assert data.covariances.shape == (2, 2, 2)
    assert data.n_components == 2 and data.n_features == 2
    X, y, weights, means, covariances = data  # a plain tuple too
    assert X is data.X and covariances is data.covariances


@pytest.mark.parametrize(
    "covariances, expected",
    [
        ([1.0, 4.0], np.array([np.eye(2), 4 * np.eye(2)])),
        ([[1.0, 2.0], [3.0, 0.5]], np.array([np.diag([1.0, 2.0]), np.diag([3.0, 0.5])])),
        (C2_FULL, np.array(C2_FULL)),
    ],
    ids=["spherical", "diag", "full"],
)
def test_covariance_forms_become_full(covariances, expected):
    data = make_gmm_data(10, W2, M2, covariances, random_state=0)
    np.testing.assert_allclose(data.covariances, expected)


def test_reproducible_by_seed():
    a = make_gmm_data(300, W2, M2, C2_FULL, random_state=42)
    b = make_gmm_data(300, W2, M2, C2_FULL, random_state=42)
    c = make_gmm_data(300, W2, M2, C2_FULL, random_state=43)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


def test_accepts_random_state_instance():
    rs = np.random.RandomState(7)
    a = make_gmm_data(50, W2, M2, C2_FULL, random_state=rs)
    b = make_gmm_data(50, W2, M2, C2_FULL, random_state=np.random.RandomState(7))
    np.testing.assert_array_equal(a.X, b.X)
    # The instance's stream is consumed, so a second draw differs.
    assert not np.array_equal(make_gmm_data(50, W2, M2, C2_FULL, random_state=rs).X, a.X)


def test_rows_are_shuffled():
    data = make_gmm_data(400, [0.5, 0.5], M2, [1.0, 1.0], random_state=0)
    # Grouped output would have a single label change; shuffled output has many.
    assert np.count_nonzero(np.diff(data.y)) > 50


def test_label_proportions_match_weights():
    weights = [0.1, 0.2, 0.3, 0.4]
    means = [[0, 0], [10, 0], [0, 10], [10, 10]]
    data = make_gmm_data(20_000, weights, means, [1.0] * 4, random_state=1)
    props = np.bincount(data.y, minlength=4) / 20_000
    np.testing.assert_allclose(props, weights, atol=0.015)


def test_empirical_moments_match_truth():
    means = np.array([[0.0, 0.0, 0.0], [5.0, -3.0, 2.0]])
    A = np.array([[1.0, 0.0, 0.0], [0.5, 1.2, 0.0], [-0.3, 0.4, 0.7]])
    covs = np.array([A @ A.T, np.diag([0.5, 2.0, 1.0])])
    data = make_gmm_data(40_000, [0.5, 0.5], means, covs, random_state=3)
    for k in range(2):
        Xk = data.X[data.y == k]
        np.testing.assert_allclose(Xk.mean(axis=0), means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(Xk, rowvar=False), covs[k], atol=0.08)


def test_singular_psd_covariance_is_accepted():
    # Rank-1 covariance: all points of the component lie on the line y = x through its mean.
    cov = [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]
    data = make_gmm_data(200, [0.5, 0.5], [[0, 0], [5, 5]], cov, random_state=0)
    X0 = data.X[data.y == 0]
    np.testing.assert_allclose(X0[:, 0], X0[:, 1], atol=1e-9)


def test_single_sample_and_zero_weight_component():
    data = make_gmm_data(1, [1.0, 0.0], M2, [1.0, 1.0], random_state=0)
    assert data.X.shape == (1, 2) and data.y.tolist() == [0]


def test_inputs_not_modified_and_outputs_independent():
    means = np.array(M2, dtype=float)
    covs = np.array(C2_FULL)
    data = make_gmm_data(20, W2, means, covs, random_state=0)
    data.means[0, 0] = 99.0
    data.covariances[0, 0, 0] = 99.0
    assert means[0, 0] == 0.0 and covs[0, 0, 0] == 2.0


# ---------------------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [0, -5, 2.5, "10", True, None])
def test_bad_n_samples(n_samples):
    with pytest.raises(ValueError, match="n_samples"):
        make_gmm_data(n_samples, W2, M2, C2_FULL)


@pytest.mark.parametrize(
    "weights, match",
    [
        ([0.3, 0.6], r"sum to 1.*0\.9"),
        ([0.5, 0.5 + 1e-4], "sum to 1"),
        ([1.2, -0.2], "non-negative"),
        ([[0.5, 0.5]], "1-D"),
        ([], "non-empty"),
        ([np.nan, 1.0], "finite"),
    ],
)
def test_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        make_gmm_data(10, weights, M2, [1.0, 1.0])


def test_weights_within_tolerance_are_accepted():
    data = make_gmm_data(10, [0.5, 0.5 + 5e-7], M2, [1.0, 1.0], random_state=0)
    np.testing.assert_allclose(data.weights.sum(), 1.0)


def test_weights_error_suggests_fix():
    with pytest.raises(ValueError, match=r"np\.sum"):
        make_gmm_data(10, [1, 1], M2, [1.0, 1.0])


@pytest.mark.parametrize(
    "means, match",
    [
        ([0.0, 6.0], "2-D"),
        ([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], "3 rows but weights has 2"),
        ([[0.0, np.inf], [1.0, 1.0]], "finite"),
    ],
)
def test_bad_means(means, match):
    with pytest.raises(ValueError, match=match):
        make_gmm_data(10, W2, means, [1.0, 1.0])


@pytest.mark.parametrize(
    "covariances, match",
    [
        ([1.0, 1.0, 1.0], r"shape \(3,\)"),
        ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], r"shape \(2, 3\)"),
        (np.ones((2, 3, 3)), r"shape \(2, 3, 3\)"),
        ([1.0, -1.0], "non-negative"),
        ([[1.0, 1.0], [1.0, -0.5]], "non-negative"),
        ([[[1.0, 0.5], [0.0, 1.0]], np.eye(2)], "component 0 is not symmetric"),
        ([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]], "component 1 is not positive semi-definite"),
        ([np.eye(2), [[1.0, np.nan], [np.nan, 1.0]]], "finite"),
    ],
    ids=["spherical-len", "diag-shape", "full-shape", "neg-var", "neg-diag", "asym", "not-psd", "nan"],
)
def test_bad_covariances(covariances, match):
    with pytest.raises(ValueError, match=match):
        make_gmm_data(10, W2, M2, covariances)


def test_shape_error_lists_accepted_forms():
    with pytest.raises(ValueError, match=r"full \(2, 2, 2\), diagonal \(2, 2\) or spherical \(2,\)"):
        make_gmm_data(10, W2, M2, np.ones((3, 2)))


# ---------------------------------------------------------------------------------------------------------------
# presets
# ---------------------------------------------------------------------------------------------------------------

REQUIRED_PRESETS = {"blobs4": (4, 2), "elongated": (3, 2), "unequal": (3, 2), "blobs4_5d": (4, 5)}


def test_required_presets_exist():
    assert set(REQUIRED_PRESETS) <= set(PRESETS)
    descriptions = list_presets()
    assert list(descriptions) == list(PRESETS)
    for name, text in descriptions.items():
        assert isinstance(text, str) and text and "\n" not in text, name


@pytest.mark.parametrize("name", sorted(REQUIRED_PRESETS))
def test_preset_shapes_and_defaults(name):
    K, d = REQUIRED_PRESETS[name]
    data = make_preset(name, random_state=0)
    assert 500 <= PRESETS[name].n_samples <= 1500
    assert data.X.shape == (PRESETS[name].n_samples, d)
    assert data.n_components == K
    assert np.array_equal(np.unique(data.y), np.arange(K))
    small = make_preset(name, n_samples=37, random_state=0)
    assert small.X.shape == (37, d)
    np.testing.assert_array_equal(make_preset(name, random_state=5).X, make_preset(name, random_state=5).X)


def test_preset_arrays_are_read_only():
    with pytest.raises(ValueError):
        PRESETS["blobs4"].means[0, 0] = 1.0


def test_unknown_preset_lists_valid_names():
    with pytest.raises(ValueError, match="unknown preset 'nope'") as info:
        make_preset("nope")
    for name in PRESETS:
        assert repr(name) in str(info.value)


def _min_separation(means, covariances):
    """Smallest distance between two means, in units of the largest standard deviation involved."""
    worst = np.inf
    for i, j in itertools.combinations(range(len(means)), 2):
        sd = np.sqrt(max(np.linalg.eigvalsh(covariances[i]).max(), np.linalg.eigvalsh(covariances[j]).max()))
        worst = min(worst, np.linalg.norm(means[i] - means[j]) / sd)
    return worst


@pytest.mark.parametrize("name", ["blobs4", "blobs4_5d"])
def test_blobs_are_well_separated(name):
    data = make_preset(name, random_state=0)
    assert _min_separation(data.means, data.covariances) >= 5.0
    km = KMeans(data.n_components, n_init=5, random_state=0).fit(data.X)
    assert adjusted_rand_score(data.y, km.labels_) > 0.98


def test_blobs4_bic_recovers_four_components():
    data = make_preset("blobs4", random_state=0)
    bic = [
        GaussianMixture(k, covariance_type="full", random_state=0).fit(data.X).bic(data.X) for k in range(1, 8)
    ]
    assert int(np.argmin(bic)) + 1 == 4


def _ari_kmeans_gmm(data):
    km = KMeans(data.n_components, n_init=10, random_state=0).fit(data.X)
    gmm = GaussianMixture(data.n_components, covariance_type="full", random_state=0).fit(data.X)
    return adjusted_rand_score(data.y, km.labels_), adjusted_rand_score(data.y, gmm.predict(data.X))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elongated_kmeans_and_gmm_disagree(seed):
    data = make_preset("elongated", random_state=seed)
    ari_km, ari_gmm = _ari_kmeans_gmm(data)
    assert ari_gmm - ari_km >= 0.15, (ari_km, ari_gmm)
    assert ari_gmm > 0.85
    # Unequal weights and sizes, elongated shapes.
    assert len(set(np.round(data.weights, 6))) == 3
    eig = np.array([np.linalg.eigvalsh(c) for c in data.covariances])
    assert np.all(eig[:, 1] / eig[:, 0] > 10)
    assert len(set(np.round(eig[:, 1], 6))) == 3


def test_elongated_clusters_partly_overlap():
    # Partly overlapping: even the true mixture misassigns some points, but not many.
    data = make_preset("elongated", n_samples=1500, random_state=0)
    gmm = GaussianMixture(3, covariance_type="full", random_state=0)
    gmm.weights_init, gmm.means_init = data.weights, data.means
    gmm.precisions_init = np.linalg.inv(data.covariances)
    ari = adjusted_rand_score(data.y, gmm.fit(data.X).predict(data.X))
    assert 0.8 < ari < 0.995


def test_unequal_variances_and_weights():
    data = make_preset("unequal", random_state=0)
    variances = np.array([c[0, 0] for c in data.covariances])
    assert variances.max() / variances.min() >= 25
    assert data.weights.max() / data.weights.min() >= 4
    for c in data.covariances:  # round clusters
        np.testing.assert_allclose(c, c[0, 0] * np.eye(2))
    ari_km, ari_gmm = _ari_kmeans_gmm(data)
    assert ari_gmm > ari_km
