"""GMMImageGenerator: fitting, sampling, decoding, composition and validation, on synthetic and real images."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from gmmlab.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from gmmlab.generative import GMMImageGenerator
from helpers import fashion_available

SIDE = 8


def prototype_images(n_per_class=(120, 100, 80), seed=0, noise=0.08):
    """8 x 8 images of three well-separated shapes (vertical bar, horizontal bar, square) plus noise, in [0, 1]."""
    rng = np.random.RandomState(seed)
    shapes = np.zeros((3, SIDE, SIDE))
    shapes[0, :, 3:5] = 0.9
    shapes[1, 3:5, :] = 0.9
    shapes[2, 1:7, 1:7] = 0.7
    images, labels = [], []
    for label, n in enumerate(n_per_class):
        brightness = rng.uniform(0.7, 1.0, size=(n, 1, 1))
        images.append(np.clip(shapes[label] * brightness + rng.normal(scale=noise, size=(n, SIDE, SIDE)), 0, 1))
        labels.append(np.full(n, label))
    return np.concatenate(images), np.concatenate(labels)


@pytest.fixture(scope="module")
def synthetic():
    return prototype_images()


@pytest.fixture(scope="module")
def fitted(synthetic):
    images, labels = synthetic
    return GMMImageGenerator(
        n_pca_components=6, n_components=3, covariance_type="full", subsample_size=240, random_state=0
    ).fit(images, labels)


def test_fit_attributes(fitted, synthetic):
    images, _ = synthetic
    assert fitted.image_shape_ == (SIDE, SIDE)
    assert fitted.n_features_in_ == SIDE * SIDE
    assert fitted.n_components_ == 3 and fitted.gmm_.n_components == 3
    assert fitted.n_pca_components_ == 6 and fitted.pca_.n_components_ == 6
    assert fitted.explained_variance_ == pytest.approx(fitted.pca_.explained_variance_ratio_.sum())
    assert 0 < fitted.explained_variance_ <= 1
    assert fitted.subsample_indices_.shape == (240,)
    assert np.unique(fitted.subsample_indices_).size == 240
    assert fitted.subsample_indices_.max() < len(images)
    assert fitted.selection_ is None and fitted.sweep_results_ is None


def test_subsample_is_stratified(synthetic):
    images, labels = synthetic
    gen = GMMImageGenerator(n_pca_components=3, n_components=2, subsample_size=150, random_state=1).fit(images, labels)
    counts = np.bincount(labels[gen.subsample_indices_], minlength=3)
    expected = np.bincount(labels) / len(labels) * 150
    assert np.all(np.abs(counts - expected) <= 1)


def test_sample_shapes_ranges_and_reproducibility(fitted):
    images, components = fitted.sample(50, random_state=3)
    assert images.shape == (50, SIDE, SIDE)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert components.shape == (50,) and set(np.unique(components)) <= {0, 1, 2}
    again, again_components = fitted.sample(50, random_state=3)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(components, again_components)
    other, _ = fitted.sample(50, random_state=4)
    assert not np.allclose(images, other)


def test_fit_is_reproducible_and_flat_input_is_the_same(synthetic, fitted):
    images, labels = synthetic
    flat = GMMImageGenerator(**fitted.get_params()).fit(images.reshape(len(images), -1), labels)
    np.testing.assert_array_equal(flat.subsample_indices_, fitted.subsample_indices_)
    np.testing.assert_allclose(flat.gmm_.means_, fitted.gmm_.means_)
    refit = clone(fitted).fit(images, labels)
    np.testing.assert_allclose(refit.gmm_.means_, fitted.gmm_.means_)


def test_samples_of_a_component_belong_to_it(fitted):
    for k in range(3):
        images = fitted.sample_component(k, 40, random_state=k)
        assert images.shape == (40, SIDE, SIDE)
        assert np.mean(fitted.predict(images) == k) >= 0.9


def test_component_means_decode_the_gmm_means(fitted):
    means = fitted.component_means()
    assert means.shape == (3, SIDE, SIDE)
    expected = np.clip(fitted.pca_.inverse_transform(fitted.gmm_.means_), 0, 1).reshape(3, SIDE, SIDE)
    np.testing.assert_allclose(means, expected)


def test_transform_inverse_roundtrip_with_every_component(synthetic):
    images, _ = synthetic
    gen = GMMImageGenerator(
        n_pca_components=SIDE * SIDE, n_components=1, subsample_size=None, random_state=0
    ).fit(images)
    Z = gen.transform(images)
    assert Z.shape == (len(images), SIDE * SIDE)
    np.testing.assert_allclose(gen.inverse_transform(Z), images, atol=1e-9)
    # With every component kept, no direction is discarded: both densities agree.
    np.testing.assert_allclose(gen.score_samples(images, space="pixels"), gen.score_samples(images))


def test_score_prefers_held_out_data_to_noise(fitted):
    held_out, _ = prototype_images(n_per_class=(30, 30, 30), seed=5)
    noise = np.random.RandomState(0).uniform(size=held_out.shape)
    for space in ("pca", "pixels"):
        assert fitted.score(held_out, space=space) > fitted.score(noise, space=space) + 1.0
    assert fitted.score(held_out) == pytest.approx(fitted.gmm_.score(fitted.transform(held_out)))


def test_pixel_log_likelihood_adds_the_discarded_directions(fitted, synthetic):
    images, _ = synthetic
    X = images.reshape(len(images), -1)
    Z = fitted.transform(images)
    residual = X - fitted.pca_.inverse_transform(Z)
    sigma2 = fitted.pca_.noise_variance_
    dropped = SIDE * SIDE - fitted.n_pca_components_
    expected = fitted.gmm_.score_samples(Z) - 0.5 * (
        dropped * np.log(2 * np.pi * sigma2) + (residual**2).sum(axis=1) / sigma2
    )
    np.testing.assert_allclose(fitted.score_samples(images, space="pixels"), expected)


def test_component_composition(fitted, synthetic):
    images, labels = synthetic
    names = ("vertical", "horizontal", "square")
    table = fitted.component_composition(images, labels, class_names=names)
    assert list(table.columns) == ["weight", "n_images", *names, "dominant_class"]
    assert len(table) == 3 and table.index.name == "component"
    np.testing.assert_allclose(table[list(names)].sum(axis=1), 1.0)
    assert table["n_images"].sum() == len(images)
    np.testing.assert_allclose(table["weight"], fitted.gmm_.weights_)
    # Three well separated shapes: each component is one shape.
    assert sorted(table["dominant_class"]) == sorted(names)
    assert table[list(names)].max(axis=1).min() > 0.95


def test_composition_class_names_and_empty_components(synthetic):
    images, labels = synthetic
    gen = GMMImageGenerator(n_pca_components=4, n_components=3, subsample_size=None, random_state=0).fit(images)
    only_bars = labels < 2
    # Without names the columns are the class indices up to the largest label (the module knows no data set).
    unnamed = gen.component_composition(images[only_bars], labels[only_bars])
    assert list(unnamed.columns[2:-1]) == ["0", "1"]
    table = gen.component_composition(images[only_bars], labels[only_bars], class_names=FASHION_MNIST_CLASSES)
    assert list(table.columns[2:-1]) == list(FASHION_MNIST_CLASSES)
    empty = table["n_images"] == 0
    assert empty.any()
    assert table.loc[empty, list(FASHION_MNIST_CLASSES)].isna().all().all()
    assert table.loc[empty, "dominant_class"].isna().all()
    np.testing.assert_allclose(table.loc[~empty, list(FASHION_MNIST_CLASSES)].sum(axis=1), 1.0)


def test_warns_with_figures_when_pca_keeps_little_variance(synthetic):
    images, _ = synthetic
    gen = GMMImageGenerator(
        n_pca_components=1, n_components=2, subsample_size=None, min_explained_variance=0.99, random_state=0
    )
    with pytest.warns(UserWarning, match=r"1 components keeps \d+\.\d% .*99%"):
        gen.fit(images, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GMMImageGenerator(n_pca_components=1, n_components=2, subsample_size=200, min_explained_variance=0.0).fit(
            images
        )


def test_fractional_pca_keeps_that_share(synthetic):
    images, _ = synthetic
    gen = GMMImageGenerator(n_pca_components=0.9, n_components=2, subsample_size=None, random_state=0).fit(images)
    assert gen.explained_variance_ >= 0.9
    assert gen.pca_.explained_variance_ratio_[:-1].sum() < 0.9
    assert gen.transform(images).shape[1] == gen.n_pca_components_


def test_bic_chooses_the_number_of_shapes(synthetic):
    images, labels = synthetic
    gen = GMMImageGenerator(
        n_pca_components=4,
        n_components="bic",
        covariance_type="full",
        subsample_size=None,
        n_components_range=range(1, 6),
        n_jobs=1,
        random_state=0,
    ).fit(images, labels)
    assert gen.n_components_ == 3 == gen.selection_.n_components
    assert gen.selection_.criterion == "bic"
    assert sorted(gen.sweep_results_["n_components"].unique()) == [1, 2, 3, 4, 5]
    assert set(gen.sweep_results_["covariance_type"]) == {"full"}


@pytest.mark.parametrize(
    "images, params, match",
    [
        (np.zeros((10, 8, 8, 1)), {}, "shape"),
        (np.zeros((10, 63)), {}, "square number of pixels"),
        (np.full((10, 8, 8), 2.0), {}, r"\[0, 1\]"),
        (np.full((10, 8, 8), 255.0), {}, "divide by 255"),
        (np.full((10, 8, 8), -0.1), {}, r"\[0, 1\]"),
        (np.where(np.eye(8, dtype=bool), np.nan, 0.5)[None].repeat(10, 0), {}, "NaN"),
        (np.full((10, 8, 8), 0.5), {"subsample_size": 11}, "subsample_size=11"),
        (np.full((10, 8, 8), 0.5), {"n_pca_components": 65, "subsample_size": None}, "n_pca_components=65"),
        (np.full((10, 8, 8), 0.5), {"n_pca_components": 6, "subsample_size": 5}, "subsample_size=5"),
        (np.full((10, 8, 8), 0.5), {"n_pca_components": 1.5}, r"\(0, 1\)"),
        (np.full((10, 8, 8), 0.5), {"n_components": "best"}, "n_components"),
        (np.full((10, 8, 8), 0.5), {"n_components": 0}, "n_components"),
        (np.full((10, 8, 8), 0.5), {"n_components": "bic", "n_components_range": [0, 1]}, "n_components_range"),
        (np.full((10, 8, 8), 0.5), {"n_components": "bic", "n_components_range": range(1, 12)}, "n_components_range"),
        (np.full((10, 8, 8), 0.5), {"covariance_type": "banana"}, "covariance_type"),
    ],
)
def test_bad_input_raises_clear_errors(images, params, match):
    base = dict(n_pca_components=2, n_components=2, subsample_size=None)
    with pytest.raises(ValueError, match=match):
        GMMImageGenerator(**{**base, **params}).fit(images)


def test_bad_labels_and_shapes_after_fit(fitted, synthetic):
    images, labels = synthetic
    with pytest.raises(ValueError, match="labels must have shape"):
        GMMImageGenerator(n_components=2, subsample_size=100).fit(images, labels[:-1])
    with pytest.raises(ValueError, match="stratified"):
        GMMImageGenerator(n_pca_components=1, n_components=2, subsample_size=2).fit(images, labels)
    with pytest.raises(ValueError, match="64 pixels"):
        fitted.transform(np.zeros((3, 9, 9)))
    with pytest.raises(ValueError, match=r"shape \(n, 6\)"):
        fitted.inverse_transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="integers of shape"):
        fitted.component_composition(images, labels[:-1])
    with pytest.raises(ValueError, match="component must be"):
        fitted.sample_component(3, 2)


@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST files are not installed")
def test_real_fashion_mnist_subset():
    # The test split decodes in a fraction of the time of the training split.
    images, labels = load_fashion_mnist("test", n_samples=1800)
    images, labels, held_out = images[:1500], labels[:1500], images[1500:]
    gen = GMMImageGenerator(n_pca_components=3, n_components=6, subsample_size=1000, random_state=0)
    gen.fit(images, labels)
    assert gen.image_shape_ == (28, 28)
    assert 0.4 < gen.explained_variance_ < 0.65  # about half the variance with 3 PCs
    samples, components = gen.sample(20, random_state=0)
    assert samples.shape == (20, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    assert gen.component_means().shape == (6, 28, 28)
    table = gen.component_composition(images, labels, class_names=FASHION_MNIST_CLASSES)
    np.testing.assert_allclose(table[list(FASHION_MNIST_CLASSES)].sum(axis=1), 1.0)
    # Components specialise: most of them are dominated by different classes.
    assert table["dominant_class"].nunique() >= 4
    assert np.isfinite(gen.score(held_out))


def test_per_direction_pixel_noise_is_the_gaussian_of_the_discarded_directions(synthetic, tmp_path):
    """pixel_noise="per_direction": the discarded principal directions each keep their own variance."""
    from gmmlab.persistence import load_model, save_model

    images, _ = synthetic
    X = images.reshape(len(images), -1)
    params = dict(n_pca_components=4, n_components=2, subsample_size=None, random_state=0)
    per_direction = GMMImageGenerator(pixel_noise="per_direction", **params).fit(images)
    isotropic = GMMImageGenerator(**params).fit(images)
    np.testing.assert_allclose(per_direction.gmm_.means_, isotropic.gmm_.means_)  # the same mixture
    V, variance = per_direction.discarded_components_, per_direction.discarded_variance_
    assert V.shape == (SIDE * SIDE - 4, SIDE * SIDE)
    np.testing.assert_allclose(V @ per_direction.pca_.components_.T, 0.0, atol=1e-10)  # the discarded directions
    coordinates = (X - per_direction.pca_.mean_) @ V.T
    expected = per_direction.gmm_.score_samples(per_direction.transform(images)) - 0.5 * (
        np.log(2 * np.pi * variance).sum() + (coordinates**2 / variance).sum(axis=1)
    )
    np.testing.assert_allclose(per_direction.score_samples(images, space="pixels"), expected)
    # the maximum-likelihood Gaussian on those directions beats one shared variance on the data it was fitted on
    assert per_direction.bits_per_dim(images) < isotropic.bits_per_dim(images)
    path = save_model(per_direction, tmp_path / "g.npz")
    loaded = load_model(path).model
    np.testing.assert_array_equal(loaded.score_samples(images, space="pixels"),
                                  per_direction.score_samples(images, space="pixels"))
    with pytest.raises(ValueError, match="pixel_noise"):
        GMMImageGenerator(pixel_noise="diagonal", **params).fit(images)


def test_validation_chooses_pcs_and_k_by_held_out_pixel_likelihood(synthetic):
    images, labels = synthetic
    gen = GMMImageGenerator(n_pca_components=[2, 4], n_components="validation", n_components_range=[1, 3],
                            covariance_type="full", pixel_noise="per_direction", subsample_size=None,
                            selection_size=40, random_state=0).fit(images, labels)
    table = gen.sweep_results_
    assert len(table) == 4 and set(table["n_pca_components"]) == {2, 4}
    best = table.loc[table["validation_log_likelihood"].idxmax()]
    assert (gen.n_pca_components_, gen.n_components_) == (best["n_pca_components"], best["n_components"])
    assert gen.gmm_.n_components == gen.n_components_ and len(gen.subsample_indices_) == len(images)
    assert gen.discarded_components_.shape[0] == SIDE * SIDE - gen.n_pca_components_
    assert "held-out" in gen.selection_
    # three prototype classes: held-out images are far likelier under K=3 than under one Gaussian
    assert best["n_components"] == 3
    with pytest.raises(ValueError, match="n_components='validation'"):
        GMMImageGenerator(n_pca_components=[2, 4], n_components="bic").fit(images)
