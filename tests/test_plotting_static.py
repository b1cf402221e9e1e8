import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Ellipse

from gmmlab.data import make_preset
from gmmlab.kmeans import TracedKMeans
from gmmlab.mixture import COVARIANCE_TYPES, GaussianMixture
from gmmlab.plotting.comparison import compare_assignments, disagreement, match_labels, plot_robustness
from gmmlab.plotting.static import _palette, full_covariances, plot_data, plot_ellipses, plot_gmm, plot_kmeans


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def blobs4():
    return make_preset("blobs4", n_samples=240, random_state=0)


def ellipses(ax):
    return [p for p in ax.patches if isinstance(p, Ellipse)]


def test_ellipse_radii_are_sqrt_eigenvalues_times_n_std():
    covariance = np.array([[4.0, 1.5], [1.5, 1.0]])
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    ax = plot_ellipses([[1.0, -2.0]], covariance[None], "full", n_std=(1, 2, 3))
    patches = ellipses(ax)
    assert len(patches) == 3
    major = eigenvectors[:, 1]
    expected_angle = np.degrees(np.arctan2(major[1], major[0]))
    for patch, level in zip(patches, (1, 2, 3)):
        assert patch.center == pytest.approx((1.0, -2.0))
        assert patch.width / 2 == pytest.approx(level * np.sqrt(eigenvalues[1]))
        assert patch.height / 2 == pytest.approx(level * np.sqrt(eigenvalues[0]))
        # An ellipse is the same under a half turn, so compare angles modulo 180 degrees.
        assert np.cos(2 * np.radians(patch.angle - expected_angle)) == pytest.approx(1.0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_full_covariances_are_the_fitted_density(covariance_type, blobs4):
    from scipy.stats import multivariate_normal

    gm = GaussianMixture(4, covariance_type=covariance_type, random_state=0).fit(blobs4.X)
    full = full_covariances(gm.covariances_, covariance_type, 4, 2)
    X = blobs4.X[:50]
    density = sum(w * multivariate_normal(m, c).pdf(X) for w, m, c in zip(gm.weights_, gm.means_, full))
    np.testing.assert_allclose(np.log(density), gm.score_samples(X), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_plot_gmm_draws_components_times_levels_ellipses(covariance_type, blobs4):
    gm = GaussianMixture(4, covariance_type=covariance_type, random_state=0).fit(blobs4.X)
    ax = plot_gmm(gm, blobs4.X, n_std=(1, 2))
    patches = ellipses(ax)
    assert len(patches) == 4 * 2
    full = full_covariances(gm.covariances_, covariance_type, 4, 2)
    # Patches come component by component, levels inner to outer; the 2-sd ellipse is twice the 1-sd one.
    for k in range(4):
        inner, outer = patches[2 * k], patches[2 * k + 1]
        radii = np.sqrt(np.sort(np.linalg.eigvalsh(full[k]))[::-1])
        assert (inner.width / 2, inner.height / 2) == pytest.approx(tuple(radii))
        assert (outer.width, outer.height) == pytest.approx((2 * inner.width, 2 * inner.height))
        assert inner.center == pytest.approx(tuple(gm.means_[k]))


def test_plot_gmm_from_an_iteration_record_needs_the_covariance_type(blobs4):
    gm = GaussianMixture(4, covariance_type="diag", random_state=0, record_history=True).fit(blobs4.X)
    record = gm.history_.best()[0]
    with pytest.raises(ValueError, match="covariance_type"):
        plot_gmm(record, blobs4.X)
    ax = plot_gmm(record, blobs4.X, covariance_type=gm.history_.covariance_type)
    assert len(ellipses(ax)) == 8
    assert ellipses(ax)[0].center == pytest.approx(tuple(record.means[0]))


def test_soft_colours_mix_the_component_colours_by_responsibility(blobs4):
    gm = GaussianMixture(4, random_state=0).fit(blobs4.X)
    resp = gm.predict_proba(blobs4.X)
    colours = _palette(4)
    soft = plot_gmm(gm, blobs4.X, soft=True).collections[0].get_facecolors()
    hard = plot_gmm(gm, blobs4.X, soft=False).collections[0].get_facecolors()
    np.testing.assert_allclose(soft[:, :3], resp @ colours[:, :3], atol=1e-6)
    np.testing.assert_allclose(hard[:, :3], colours[resp.argmax(axis=1), :3], atol=1e-6)


def test_voronoi_region_of_every_pixel_is_its_nearest_centre(blobs4):
    centers = np.array([[0.0, 0.0], [8.0, 1.0], [1.0, 7.0], [6.0, 9.0]])
    ax = plot_kmeans(centers, blobs4.X, resolution=60)
    image = ax.images[0]
    region = np.asarray(image.get_array())
    x0, x1, y0, y1 = image.get_extent()
    xs = x0 + (np.arange(60) + 0.5) * (x1 - x0) / 60
    ys = y0 + (np.arange(60) + 0.5) * (y1 - y0) / 60
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    nearest = ((grid[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1).reshape(60, 60)
    np.testing.assert_array_equal(region, nearest)
    assert set(np.unique(region)) == {0, 1, 2, 3}


def test_plot_kmeans_takes_a_fitted_model_and_colours_points_by_nearest_centre(blobs4):
    km = TracedKMeans(4, random_state=0).fit(blobs4.X)
    ax = plot_kmeans(km, blobs4.X, regions=False)
    assert not ax.images
    points, centres = ax.collections[0], ax.collections[1]
    np.testing.assert_allclose(centres.get_offsets(), km.cluster_centers_)
    np.testing.assert_allclose(points.get_facecolors()[:, :3], _palette(4)[km.labels_, :3], atol=1e-6)


def test_match_labels_recovers_a_permutation():
    rng = np.random.RandomState(0)
    reference = rng.randint(0, 5, size=300)
    permutation = np.array([3, 0, 4, 1, 2])
    np.testing.assert_array_equal(match_labels(reference, permutation[reference]), reference)


def test_match_labels_gives_extra_clusters_new_indices():
    reference = np.array([0, 0, 0, 1, 1, 1])
    labels = np.array([7, 7, 5, 9, 9, 9])
    matched = match_labels(reference, labels)
    np.testing.assert_array_equal(matched, [0, 0, 2, 1, 1, 1])


def test_disagreement_is_empty_up_to_permutation_and_counts_real_changes():
    rng = np.random.RandomState(1)
    kmeans_labels = rng.randint(0, 3, size=200)
    gmm_labels = np.array([2, 0, 1])[kmeans_labels]
    assert not disagreement(kmeans_labels, gmm_labels).any()
    changed = np.array([5, 17, 80])
    gmm_labels[changed] = (gmm_labels[changed] + 1) % 3
    np.testing.assert_array_equal(np.flatnonzero(disagreement(kmeans_labels, gmm_labels)), changed)


def test_compare_assignments_highlights_the_disagreeing_points():
    data = make_preset("elongated", n_samples=300, random_state=0)
    kmeans_labels = TracedKMeans(3, random_state=0).fit(data.X).labels_
    gmm_labels = GaussianMixture(3, random_state=0).fit_predict(data.X)
    mask = disagreement(kmeans_labels, gmm_labels)
    assert 0 < mask.sum() < mask.size
    axes = compare_assignments(data.X, kmeans_labels, gmm_labels)
    assert len(axes) == 2
    for ax in axes:
        np.testing.assert_allclose(ax.collections[1].get_offsets(), data.X[mask])
        assert f"disagree: {int(mask.sum())}" in ax.get_legend().get_texts()[0].get_text()
    # The right panel's colours are the matched GMM labels: same colour as KMeans wherever they agree.
    left = axes[0].collections[0].get_facecolors()
    right = axes[1].collections[0].get_facecolors()
    np.testing.assert_allclose(left[~mask], right[~mask])


def test_more_than_two_features_draws_the_chosen_plane_and_says_so():
    data = make_preset("blobs4_5d", n_samples=200, random_state=0)
    ax = plot_data(data.X, data.y, dims=(2, 3))
    offsets = np.vstack([c.get_offsets() for c in ax.collections])
    assert sorted(map(tuple, offsets)) == sorted(map(tuple, data.X[:, [2, 3]]))
    assert "of 5" in ax.get_xlabel()
    gm = GaussianMixture(4, random_state=0).fit(data.X)
    ax = plot_gmm(gm, data.X)
    # The ellipse in a plane is the one of the marginal (the 2x2 block of the covariance).
    radii = np.sqrt(np.sort(np.linalg.eigvalsh(gm.covariances_[0][:2, :2]))[::-1])
    assert (ellipses(ax)[0].width / 2, ellipses(ax)[0].height / 2) == pytest.approx(tuple(radii))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X: plot_data(X, dims=(0, 0)), "dims"),
        (lambda X: plot_data(X[:, 0]), "2-D"),
        (lambda X: plot_data(X, labels=np.zeros(3)), "one per row"),
        (lambda X: plot_kmeans(np.zeros((3, 5)), X), "centres"),
        (lambda X: plot_ellipses([[0, 0]], np.ones((1, 3)), "diag"), "shape"),
        (lambda X: plot_ellipses([[0, 0]], np.ones(1), "round"), "covariance_type"),
        (lambda X: plot_ellipses([[0, 0]], np.ones(1), "spherical", n_std=(0,)), "n_std"),
        (lambda X: plot_gmm(GaussianMixture(2), X), "GaussianMixture"),
    ],
)
def test_bad_input_gets_a_clear_message(call, message, blobs4):
    with pytest.raises((ValueError, TypeError), match=message):
        call(blobs4.X)


def test_plot_robustness_draws_one_box_per_configuration():
    rng = np.random.RandomState(0)
    rows = []
    for method, init, ctype in [("kmeans", "k-means++", "none"), ("gmm", "kmeans", "full"), ("gmm", "kmeans", "tied"),
                                ("gmm", "bad", "full")]:
        for run in range(6):
            rows.append(dict(method=method, init=init, covariance_type=ctype, run=run, ari=rng.uniform()))
    ax = plot_robustness(pd.DataFrame(rows))
    assert len(ax.patches) == 4  # one box (a PathPatch) per configuration
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(rows)  # and every run as a dot
    assert [t.get_text() for t in ax.get_xticklabels()] == ["kmeans\nk-means++", "gmm\nkmeans", "gmm\nbad"]
    with pytest.raises(ValueError, match="lacks columns"):
        plot_robustness(pd.DataFrame({"ari": [0.5]}))
