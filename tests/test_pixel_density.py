"""Bits per dimension, dequantisation, and both GMMImageGenerator routes as densities over all pixels."""

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from gmmlab import GMMImageGenerator, load_model, save_model
from gmmlab.mixture import MixtureOfFactorAnalyzers
from gmmlab.pixel_density import bits_per_dim, dequantize


def _images(n=300, side=6, seed=0):
    """8-bit images (levels k / 255): two blurry shapes plus noise."""
    rng = np.random.RandomState(seed)
    grid = np.linspace(-1, 1, side)
    blob = np.exp(-(grid[:, None] ** 2 + grid[None, :] ** 2) * 2)
    bar = np.repeat(np.exp(-grid**2 * 6)[None, :], side, axis=0)
    shapes = np.where(rng.rand(n)[:, None, None] < 0.5, blob, bar)
    images = np.clip(shapes * rng.uniform(0.6, 1.0, (n, 1, 1)) + 0.05 * rng.normal(size=(n, side, side)), 0, 1)
    return np.round(images * 255) / 255, (rng.rand(n) < 0.5).astype(int)


def test_bits_per_dim_matches_a_direct_computation():
    rng = np.random.RandomState(0)
    levels = rng.randint(0, 256, size=(4, 10))
    y = (levels + rng.uniform(size=levels.shape)) / 256
    mean, sd = 0.5, 0.2
    log_density = norm.logpdf(y, mean, sd).sum(axis=1)  # density of y in [0, 1)^10
    # directly: x = 256 y in [0, 256)^10 has density p(x / 256) / 256^10; bits/dim = -log2 p(x) / 10
    direct = -(np.log2(np.exp(log_density)) - 10 * np.log2(256)) / 10
    np.testing.assert_allclose(bits_per_dim(log_density, 10), direct)
    assert bits_per_dim(0.0, 784) == pytest.approx(8.0)  # the uniform density on [0, 1): 8 bits per pixel
    with pytest.raises(ValueError, match="n_dims"):
        bits_per_dim(0.0, 0)


def test_dequantize_stays_in_each_pixels_cell():
    images, _ = _images(20)
    y = dequantize(images, random_state=0)
    levels = np.rint(images.reshape(20, -1) * 255)
    assert np.all((y * 256 >= levels) & (y * 256 < levels + 1))
    np.testing.assert_array_equal(y, dequantize(images, random_state=0))
    with pytest.raises(ValueError, match="divide raw 0..255"):
        dequantize(images * 255)


def test_pca_route_pixel_density_is_a_normalised_density():
    """The PCA-GMM with PPCA noise on the discarded directions is a Gaussian mixture in pixel space."""
    images, _ = _images()
    gen = GMMImageGenerator(n_pca_components=4, n_components=2, covariance_type="full", subsample_size=None,
                            random_state=0).fit(images)
    pca, gmm = gen.pca_, gen.gmm_
    flat = images.reshape(len(images), -1)[:20]
    basis = pca.components_
    from scipy.stats import multivariate_normal

    noise = pca.noise_variance_
    dense = sum(
        gmm.weights_[k] * multivariate_normal(
            pca.mean_ + gmm.means_[k] @ basis,
            basis.T @ gmm.covariances_[k] @ basis + noise * (np.eye(basis.shape[1]) - basis.T @ basis),
        ).pdf(flat)
        for k in range(2)
    )
    np.testing.assert_allclose(gen.score_samples(flat, space="pixels"), np.log(dense), rtol=1e-8)
    bpd = gen.bits_per_dim(images)
    assert np.isfinite(bpd) and bpd == gen.bits_per_dim(images)  # seeded dequantisation


def test_mfa_route_fits_samples_and_scores_in_pixel_space(tmp_path):
    images, labels = _images()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = GMMImageGenerator(model="mfa", n_components=3, n_factors=2, random_state=0, max_iter=30).fit(
            images, labels
        )
    assert isinstance(gen.gmm_, MixtureOfFactorAnalyzers) and gen.pca_ is None
    assert len(gen.subsample_indices_) == len(images)  # all images by default for the MFA route
    samples, components = gen.sample(10, random_state=0)
    assert samples.shape == (10, 6, 6) and samples.min() >= 0 and samples.max() <= 1
    assert np.all(gen.sample_component(1, 4, random_state=0) >= 0)
    assert gen.component_means().shape == (3, 6, 6)
    mfa_bpd = gen.bits_per_dim(images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pca = GMMImageGenerator(n_pca_components=2, n_components=3, subsample_size=None, random_state=0).fit(images)
    assert mfa_bpd < pca.bits_per_dim(images)
    assert gen.predict(images).shape == (len(images),)
    with pytest.raises(ValueError, match="no PCA space"):
        gen.transform(images)
    loaded = load_model(save_model(gen, tmp_path / "gen.npz")).model
    assert loaded.bits_per_dim(images) == pytest.approx(mfa_bpd, rel=1e-12)
    assert loaded.sample(3, random_state=1)[0].shape == (3, 6, 6)


@pytest.mark.parametrize("criterion", ["bic", "validation"])
def test_mfa_route_chooses_k_and_q_on_a_grid(criterion):
    images, labels = _images()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = GMMImageGenerator(model="mfa", n_components=criterion, n_components_range=[1, 2, 4], n_factors=[1, 3],
                                selection_size=120, random_state=0, max_iter=20).fit(images, labels)
    table = gen.sweep_results_
    assert len(table) == 6 and {"bic", "aic", "n_parameters"} <= set(table.columns)
    if criterion == "bic":
        best = table.loc[table["bic"].idxmin()]
    else:
        best = table.loc[table["validation_log_likelihood"].idxmax()]
    assert (gen.n_components_, gen.n_factors_) == (best["n_components"], best["n_factors"])
    assert f"K={gen.n_components_}, q={gen.n_factors_}" in gen.selection_


@pytest.mark.parametrize(
    "params, message",
    [
        ({"model": "vae"}, "model must be one of"),
        ({"model": "mfa", "n_factors": 36}, "n_factors must be an integer in"),
        ({"model": "mfa", "n_factors": [2, 2]}, "n_factors must be"),
        ({"model": "mfa", "n_components": "icl"}, "n_components must be one of"),
        ({"model": "mfa", "n_components": "validation", "selection_size": 200}, "lower selection_size"),
    ],
)
def test_generator_bad_mfa_parameters_are_clear_errors(params, message):
    images, _ = _images()
    with pytest.raises(ValueError, match=message):
        GMMImageGenerator(**params).fit(images)
