"""Quality metrics of generated images: NDB, memorisation, Fréchet distance, precision/recall, class histogram."""

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import sqrtm
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from gmmlab.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from gmmlab.generative import GMMImageGenerator
from gmmlab.metrics import (
    NDBResult,
    class_histogram,
    evaluate_generator,
    frechet_distance,
    held_out_log_likelihood,
    memorisation,
    ndb,
    ndb_bins,
    nearest_neighbour_distances,
    precision_recall,
    train_image_classifier,
)
from helpers import fashion_available

needs_fashion = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST files are not installed")


def clusters(n, centres, seed, scale=0.3):
    """Flat 'images': ``n`` points spread evenly over Gaussian clusters around ``centres`` (k, d)."""
    rng = np.random.RandomState(seed)
    labels = np.arange(n) % len(centres)
    return centres[labels] + rng.normal(scale=scale, size=(n, centres.shape[1])), labels


CENTRES = np.random.RandomState(42).normal(scale=3.0, size=(6, 16))


@pytest.fixture(scope="module")
def fashion():
    # The test split decodes in a fraction of the time of the training split.
    return load_fashion_mnist("test", flatten=True, n_samples=6000)


# ------------------------------------------------------------------------------------------------------- NDB


def test_ndb_of_a_set_with_itself_is_zero():
    X, _ = clusters(600, CENTRES, seed=0)
    result = ndb(X, X, n_bins=12, random_state=0)
    assert isinstance(result, NDBResult)
    assert result.ndb == 0 and result.ndb_over_k == 0.0 and result.js == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(result.reference_proportions, result.query_proportions)
    np.testing.assert_allclose(result.p_values, 1.0)


def test_ndb_flags_missing_modes():
    X, _ = clusters(1200, CENTRES, seed=0)
    half, _ = clusters(1200, CENTRES[:3], seed=1)  # only 3 of the 6 clusters
    result = ndb(X, half, n_bins=12, random_state=0)
    assert result.ndb_over_k >= 0.5
    assert result.ndb == result.different.sum() == (result.p_values < 0.05).sum()
    assert result.n_bins == 12 and result.ndb_over_k == result.ndb / 12
    assert 0 < result.js <= np.log(2)
    np.testing.assert_allclose(result.reference_proportions.sum(), 1.0)
    np.testing.assert_allclose(result.query_proportions.sum(), 1.0)
    # The bins of the missing clusters are empty in the query.
    empty = result.query_proportions == 0
    assert empty.any() and result.different[empty].all()


def test_ndb_z_test_matches_the_formula():
    X, _ = clusters(500, CENTRES, seed=0)
    Y, _ = clusters(300, CENTRES[:4], seed=3)
    result = ndb(X, Y, n_bins=8, random_state=1)
    p, q = result.reference_proportions, result.query_proportions
    pooled = (p * 500 + q * 300) / 800
    z = (p - q) / np.sqrt(pooled * (1 - pooled) * (1 / 500 + 1 / 300))
    from scipy.stats import norm

    np.testing.assert_allclose(result.p_values, 2 * norm.sf(np.abs(z)))
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        js = 0.5 * np.nansum(p * np.log(p / m)) + 0.5 * np.nansum(q * np.log(q / m))
    assert result.js == pytest.approx(js)


def test_ndb_reuses_bins():
    X, _ = clusters(400, CENTRES, seed=0)
    Y, _ = clusters(400, CENTRES[1:], seed=2)
    bins = ndb_bins(X, n_bins=10, random_state=5)
    direct = ndb(X, Y, n_bins=10, random_state=5)
    reused = ndb(X, Y, bins=bins)
    np.testing.assert_array_equal(direct.query_proportions, reused.query_proportions)
    assert direct.ndb == reused.ndb


@needs_fashion
def test_ndb_on_real_images(fashion):
    images, labels = fashion
    reference, query, query_labels = images[:2000], images[2000:4000], labels[2000:4000]
    bins = ndb_bins(reference, n_bins=20, random_state=0)
    halves = ndb(reference, query, bins=bins)
    assert halves.ndb_over_k <= 0.1  # an independent sample: only chance differences (alpha = 5%)
    no_trousers = ndb(reference, query[query_labels != 1], bins=bins)
    assert no_trousers.ndb_over_k >= 0.1 and no_trousers.ndb > halves.ndb
    # Every bin made mostly of trousers is flagged, and (almost) empty in the query.
    members = bins.predict(reference)
    trouser_share = np.array([np.mean(labels[:2000][members == b] == 1) for b in range(20)])
    trouser_bins = trouser_share > 0.5
    assert trouser_bins.any()
    assert no_trousers.different[trouser_bins].all()
    assert no_trousers.query_proportions[trouser_bins].max() < 0.02


# ----------------------------------------------------------------------------------------------- memorisation


def test_nearest_neighbour_distances_match_sklearn():
    rng = np.random.RandomState(0)
    A, B = rng.uniform(size=(300, 64)), rng.uniform(size=(500, 64))
    expected = NearestNeighbors(n_neighbors=1).fit(B).kneighbors(A)[0][:, 0]
    np.testing.assert_allclose(nearest_neighbour_distances(A, B, chunk_size=64), expected, atol=1e-3)


def test_memorisation_flags_copies_and_not_fresh_samples():
    train, _ = clusters(800, CENTRES, seed=0, scale=1.0)
    test, _ = clusters(400, CENTRES, seed=1, scale=1.0)
    fresh, _ = clusters(400, CENTRES, seed=2, scale=1.0)
    copies = train[np.random.RandomState(3).choice(800, 400)]
    copied = memorisation(copies, train, test)
    assert copied.ratio < 0.01 and copied.near_copy_share == 1.0
    honest = memorisation(fresh, train, test)
    assert 0.8 < honest.ratio < 1.25 and honest.near_copy_share < 0.05
    assert honest.threshold == pytest.approx(np.quantile(honest.test_distances, 0.01))
    assert honest.generated_distances.shape == (400,)
    explicit = memorisation(fresh, train, test, threshold=1e9)
    assert explicit.near_copy_share == 1.0 and explicit.threshold == 1e9


# ----------------------------------------------------------------------------------------------- Fréchet, P/R


def test_frechet_distance_zero_for_identical_and_grows_with_a_shift():
    X, _ = clusters(500, CENTRES, seed=0)
    assert frechet_distance(X, X, n_pca_components=8) == pytest.approx(0.0, abs=1e-8)
    pca = PCA(n_components=8).fit(X)
    shift = np.random.RandomState(1).normal(scale=0.5, size=16)
    # A pure shift moves the mean only: the distance is the squared shift within the feature space.
    expected = np.sum((pca.components_ @ shift) ** 2)
    assert frechet_distance(X, X + shift, pca=pca) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(X, X + 2 * shift, pca=pca) == pytest.approx(4 * expected, rel=1e-6)


def test_frechet_distance_matches_scipy_sqrtm():
    X, _ = clusters(400, CENTRES, seed=0)
    Y, _ = clusters(300, CENTRES[:4], seed=1, scale=0.6)
    pca = PCA(n_components=10).fit(X)
    A, B = pca.transform(X), pca.transform(Y)
    ca, cb = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
    expected = np.sum((A.mean(0) - B.mean(0)) ** 2) + np.trace(ca + cb - 2 * np.real(sqrtm(ca @ cb)))
    assert frechet_distance(X, Y, pca=pca) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(X, Y, n_pca_components=10) == pytest.approx(expected, rel=1e-6)


def test_precision_recall():
    X, _ = clusters(600, CENTRES, seed=0)
    assert precision_recall(X, X, k=3, n_pca_components=8) == (1.0, 1.0)
    collapsed, _ = clusters(600, CENTRES[:1], seed=1)  # one mode of six
    precision, recall = precision_recall(X, collapsed, k=3, n_pca_components=8)
    assert precision > 0.8 and recall < 0.3
    far = X + 100.0
    assert precision_recall(X, far, k=3, n_pca_components=8) == (0.0, 0.0)


# ------------------------------------------------------------------------------------- classifier, histogram


def test_classifier_and_class_histogram():
    X, y = clusters(600, CENTRES, seed=0)
    Xt, yt = clusters(300, CENTRES, seed=1)
    names = [f"c{i}" for i in range(6)]
    classifier, accuracy = train_image_classifier(X, y, Xt, yt)
    assert accuracy > 0.95
    histogram = class_histogram(Xt, classifier, class_names=names)
    assert list(histogram.index) == names
    assert histogram.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(histogram, 1 / 6, atol=0.03)
    only_two = class_histogram(Xt[yt == 2], classifier, class_names=names)
    assert only_two["c2"] > 0.95


# --------------------------------------------------------------------------------------------------- summary


def synthetic_images(n, seed):
    """8 x 8 images in [0, 1] from three noisy shapes, with labels 0..2."""
    rng = np.random.RandomState(seed)
    shapes = np.zeros((3, 8, 8))
    shapes[0, :, 3:5] = 0.9
    shapes[1, 3:5, :] = 0.9
    shapes[2, 1:7, 1:7] = 0.7
    labels = np.arange(n) % 3
    return np.clip(shapes[labels] + rng.normal(scale=0.1, size=(n, 8, 8)), 0, 1), labels


def test_evaluate_generator_row():
    train, train_labels = synthetic_images(600, seed=0)
    test, test_labels = synthetic_images(300, seed=1)
    generator = GMMImageGenerator(n_pca_components=5, n_components=3, subsample_size=400, random_state=0)
    generator.fit(train, train_labels)
    table = evaluate_generator(
        generator, train, test, test_labels, n_samples=500, n_bins=10, train_labels=train_labels,
        class_names=FASHION_MNIST_CLASSES,
    )
    assert isinstance(table, pd.DataFrame) and len(table) == 1
    row = table.iloc[0]
    for column in (
        "n_pca_components", "covariance_type", "n_components", "explained_variance", "held_out_log_likelihood",
        "held_out_log_likelihood_pixels", "ndb", "ndb_over_k", "js", "frechet_distance", "precision", "recall",
        "memorisation_ratio", "near_copy_share", "classifier_accuracy",
    ):
        assert column in table.columns
    assert row["n_components"] == 3 and row["n_pca_components"] == 5 and row["covariance_type"] == "tied"
    assert row["held_out_log_likelihood"] == pytest.approx(held_out_log_likelihood(generator, test))
    assert row["classifier_accuracy"] > 0.95
    shares = table[[f"share_{name}" for name in FASHION_MNIST_CLASSES]].iloc[0]
    assert shares.sum() == pytest.approx(1.0)
    assert shares.iloc[3:].sum() == 0.0  # only classes 0..2 exist here
    assert row["frechet_distance"] >= 0 and 0 <= row["ndb_over_k"] <= 1


def test_evaluate_generator_needs_the_fit_images():
    train, labels = synthetic_images(300, seed=0)
    generator = GMMImageGenerator(n_pca_components=3, n_components=2, subsample_size=None).fit(train)
    with pytest.raises(ValueError, match="same images given to fit"):
        evaluate_generator(generator, train[:100], train, n_samples=50, n_bins=5)
    with pytest.raises(ValueError, match="fitted GMMImageGenerator"):
        evaluate_generator(GMMImageGenerator(), train, train)


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ndb(np.zeros((20, 4)), np.zeros((20, 5)), n_bins=3), "same number of pixels"),
        (lambda: ndb(np.zeros((5, 4)), np.zeros((20, 4)), n_bins=10), "n_bins=10 exceeds"),
        (lambda: ndb(np.ones((20, 4)), np.ones((20, 4)), n_bins=2, alpha=1.5), "alpha"),
        (lambda: ndb(np.zeros((20, 4)), np.full((20, 4), np.nan), n_bins=2), "NaN"),
        (lambda: ndb(np.zeros(20), np.zeros((20, 4))), "shape"),
        (lambda: memorisation(np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4)), near_copy_quantile=1.0), "(0, 1)"),
        (lambda: frechet_distance(np.zeros((1, 4)), np.zeros((5, 4)), n_pca_components=2), "at least 2"),
        (lambda: frechet_distance(np.ones((5, 4)), np.ones((5, 4)), n_pca_components=9), "n_pca_components=9"),
        (lambda: precision_recall(np.ones((3, 4)), np.ones((3, 4)), k=3, n_pca_components=2), "more than k"),
        (
            lambda: train_image_classifier(np.zeros((5, 4)), np.zeros(4), np.zeros((5, 4)), np.zeros(5)),
            "one label per image",
        ),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
