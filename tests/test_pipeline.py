"""The image pipeline and the shared validators: one subsample, one exact PCA, one reading of images."""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

import gmmlab.mixture
from gmmlab._validation import check_covariance_types, check_images, check_n_components_grid
from gmmlab.generative import GMMImageGenerator
from gmmlab.metrics import frechet_distance
from gmmlab.pipeline import ImagePipeline, fit_pca, subsample


def shapes(n=300, seed=0):
    """8 x 8 images in [0, 1] of three noisy shapes, labels 0..2 in proportions 3:2:1."""
    rng = np.random.RandomState(seed)
    prototypes = np.zeros((3, 8, 8))
    prototypes[0, :, 3:5] = 0.9
    prototypes[1, 3:5, :] = 0.9
    prototypes[2, 1:7, 1:7] = 0.7
    labels = np.repeat([0, 0, 0, 1, 1, 2], n // 6)
    images = np.clip(prototypes[labels] + rng.normal(scale=0.1, size=(len(labels), 8, 8)), 0, 1)
    return images, labels


def without_timings(frame):
    return frame.drop(columns="fit_seconds")


def test_subsample_draws():
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    plain = subsample(100, 40, random_state=3)
    np.testing.assert_array_equal(plain, np.sort(np.random.RandomState(3).choice(100, 40, replace=False)))
    stratified = subsample(100, 50, labels, random_state=0)
    assert np.bincount(labels[stratified]).tolist() == [30, 15, 5]
    np.testing.assert_array_equal(np.diff(stratified) > 0, True)
    rng = np.random.RandomState(5)
    np.testing.assert_array_equal(subsample(100, None, labels, rng), np.arange(100))
    assert rng.randint(1000) == np.random.RandomState(5).randint(1000)  # keeping everything draws nothing


def test_pipeline_projects_its_subsample_with_the_exact_pca():
    images, labels = shapes()
    pipeline = ImagePipeline(4, subsample_size=120, random_state=0).fit(images, labels)
    assert pipeline.X_pca_.shape == (120, 4) and pipeline.image_shape_ == (8, 8) and pipeline.n_features_in_ == 64
    assert np.bincount(labels[pipeline.indices_]).tolist() == [60, 40, 20]
    pixels = images[pipeline.indices_].reshape(120, 64)
    reference = PCA(n_components=4, svd_solver="full").fit(pixels)
    np.testing.assert_allclose(np.abs(pipeline.pca_.components_), np.abs(reference.components_), atol=1e-8)
    np.testing.assert_allclose(pipeline.X_pca_, pipeline.pca_.transform(pixels))
    assert pipeline.explained_variance_ == pytest.approx(reference.explained_variance_ratio_.sum())
    share = ImagePipeline(0.9, random_state=0).fit(images)
    assert share.explained_variance_ >= 0.9
    assert share.n_pca_components_ == fit_pca(images.reshape(-1, 64), 0.9).n_components_


def test_one_sweep_over_several_covariance_types_equals_separate_sweeps():
    images, _ = shapes()
    pipeline = ImagePipeline(3, subsample_size=200, random_state=1).fit(images)
    both = pipeline.sweep([1, 2, 3], ("full", "tied"), random_state=7, n_jobs=1)
    assert pipeline.results_ is both and len(both) == 6
    from gmmlab.selection import sweep

    alone = sweep(pipeline.X_pca_, [1, 2, 3], "tied", n_seeds=1, random_state=7, n_jobs=1, progress=False)
    tied = both[both.covariance_type == "tied"].reset_index(drop=True)
    pd.testing.assert_frame_equal(without_timings(tied), without_timings(alone))


def test_generator_from_a_pipeline_equals_a_fitted_generator():
    images, labels = shapes()
    pipeline = ImagePipeline(3, subsample_size=150, random_state=4).fit(images, labels)
    pipeline.sweep([1, 2, 3], ("tied", "full"), random_state=4, n_jobs=1)  # its own seed: draws nothing
    built = GMMImageGenerator.from_pipeline(pipeline, 3, "full")
    fitted = GMMImageGenerator(
        n_pca_components=3, n_components=3, covariance_type="full", subsample_size=150, random_state=4
    ).fit(images, labels)
    np.testing.assert_array_equal(built.subsample_indices_, fitted.subsample_indices_)
    np.testing.assert_array_equal(built.gmm_.means_, fitted.gmm_.means_)
    np.testing.assert_array_equal(built.sample(5, random_state=0)[0], fitted.sample(5, random_state=0)[0])


def test_uint8_images_mean_the_same_everywhere():
    images, labels = shapes()
    raw = np.round(images * 255).astype(np.uint8)
    scaled = raw / 255.0
    assert np.array_equal(check_images(raw)[0], check_images(scaled)[0])
    a = GMMImageGenerator(n_pca_components=3, n_components=2, subsample_size=None, random_state=0).fit(raw)
    b = GMMImageGenerator(n_pca_components=3, n_components=2, subsample_size=None, random_state=0).fit(scaled)
    np.testing.assert_allclose(a.gmm_.means_, b.gmm_.means_)
    assert frechet_distance(raw, raw[::-1][:150]) == pytest.approx(frechet_distance(scaled, scaled[::-1][:150]))
    from gmmlab.plotting.images import _as_images

    np.testing.assert_array_equal(_as_images(raw, "test"), _as_images(scaled, "test"))


@pytest.mark.parametrize(
    "images, kwargs, message",
    [
        (np.zeros((3, 2, 2, 2)), {}, "shape"),
        (np.zeros((3, 10)), {"square": True}, "square number of pixels"),
        (np.array([["a"]]), {}, "numeric"),
        (np.full((3, 4), np.nan), {}, "NaN"),
        (np.full((3, 4), 2.0), {"unit_range": True}, r"\[0, 1\]"),
        (np.zeros((1, 4)), {"min_images": 2}, "n >= 2"),
    ],
)
def test_check_images_names_the_problem(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_images(images, "owner", **kwargs)


def test_covariance_types_come_from_the_engine(monkeypatch):
    assert check_covariance_types("tied") == ["tied"]
    assert check_covariance_types(["full", "diag", "full"]) == ["full", "diag"]
    assert check_covariance_types(["VVV", "EEV"]) == ["VVV", "EEV"]  # mclust's names (issue 12)
    with pytest.raises(ValueError, match="unknown covariance type 'XYZ'"):
        check_covariance_types("XYZ", "owner")
    monkeypatch.setattr(gmmlab.mixture, "ALL_COVARIANCE_TYPES", (*gmmlab.mixture.ALL_COVARIANCE_TYPES, "XYZ"))
    assert check_covariance_types("XYZ") == ["XYZ"]


def test_k_grid():
    assert check_n_components_grid(range(1, 4)) == [1, 2, 3]
    assert check_n_components_grid(5) == [5]
    assert check_n_components_grid([4, 2, 2]) == [2, 4]
    for bad, message in (([], "empty"), ([0, 1], ">= 1"), (["3"], "integer"), ("12", "integer"), ([2.5], "integer")):
        with pytest.raises(ValueError, match=message):
            check_n_components_grid(bad, "owner")
    with pytest.raises(ValueError, match="more than the 10 samples"):
        check_n_components_grid([5, 11], n_samples=10)


def test_bad_pipeline_sizes():
    images, _ = shapes(60)
    with pytest.raises(ValueError, match="subsample_size=100 is more than the 60 images"):
        ImagePipeline(3, subsample_size=100).fit(images)
    with pytest.raises(ValueError, match="n_pca_components=65 is more than"):
        ImagePipeline(65).fit(images)
    with pytest.raises(ValueError, match="not fitted"):
        ImagePipeline(3).sweep([1, 2])
