"""MixtureOfFactorAnalyzers: the Woodbury E-step, the ECM M-step, the contract of GaussianMixture, edge cases."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmlab import GaussianMixture, MixtureOfFactorAnalyzers
from gmmlab.mixture._em import chunk_statistics
from gmmlab.mixture._factor_structure import FactorAnalyzerStructure, FactorCovariances
from gmmlab.mixture._structure import FitData, MixtureParams, Scratch


def _data(seed=0, n=240, d=6):
    """Three clusters, each spread along a few directions: what a factor analyser describes."""
    rng = np.random.RandomState(seed)
    parts = []
    for k, centre in enumerate([0.0, 6.0, -5.0]):
        mixing = rng.normal(size=(2, d))
        parts.append(centre + rng.normal(size=(n // 3, 2)) @ mixing + 0.3 * rng.normal(size=(n // 3, d)))
    return np.concatenate(parts)


def _fit(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixtureOfFactorAnalyzers(**{"n_components": 3, "random_state": 0, **params}).fit(X)


def _dense_log_density(model, X):
    densities = sum(
        model.weights_[k] * multivariate_normal(model.means_[k], model.component_covariance(k)).pdf(X)
        for k in range(model.n_components)
    )
    return np.log(densities)


@pytest.mark.parametrize("noise", ["diagonal", "isotropic"])
@pytest.mark.parametrize("n_factors", [0, 1, 2, 5])
def test_woodbury_log_density_equals_the_dense_gaussian_mixture(noise, n_factors):
    X = _data()
    model = _fit(X, n_factors=n_factors, noise=noise, max_iter=20)
    np.testing.assert_allclose(model.score_samples(X), _dense_log_density(model, X), rtol=1e-10, atol=1e-10)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))


@pytest.mark.parametrize("noise", ["diagonal", "isotropic"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_likelihood_never_decreases(noise, dtype):
    X = _data(seed=1).astype(dtype)
    model = _fit(X, n_factors=2, noise=noise, max_iter=60, tol=0.0, record_history=True)
    bounds = np.array(model.lower_bounds_)
    slack = 1e-9 if dtype == np.float64 else 1e-4
    assert np.all(np.diff(bounds) >= -slack * np.abs(bounds[1:]))
    objectives = model.history_.objectives()
    assert len(objectives) == model.n_iter_ + 1
    assert np.all(np.diff(objectives) >= -slack * np.abs(objectives[1:]))
    assert model.history_[0].covariances is not None  # the loadings travel with every record


def test_weights_sum_to_one_and_shapes():
    X = _data()
    for noise, noise_shape in [("diagonal", (3, 6)), ("isotropic", (3,))]:
        model = _fit(X, n_factors=2, noise=noise)
        assert model.weights_.sum() == pytest.approx(1.0)
        assert model.means_.shape == (3, 6)
        assert model.loadings_.shape == (3, 6, 2)
        assert model.noise_variances_.shape == noise_shape
        assert np.all(model.noise_variances_ > 0)


def test_zero_factors_is_a_diagonal_gaussian_mixture():
    X = _data(seed=2)
    mfa = _fit(X, n_factors=0, tol=1e-10, max_iter=500)
    gmm = GaussianMixture(3, covariance_type="diag", random_state=0, tol=1e-10, max_iter=500).fit(X)
    assert mfa.score(X) == pytest.approx(gmm.score(X), rel=1e-6)
    assert mfa.n_parameters_ == gmm._n_parameters() == 3 * 6 + 3 * 6 + 2  # noise + means + weights - 1


def test_isotropic_noise_is_one_variance_per_component_and_fits_worse_than_diagonal():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(400, 5)) * np.array([0.1, 1.0, 3.0, 0.5, 2.0])  # axis-aligned, unequal scales
    iso = _fit(X, n_components=1, n_factors=1, noise="isotropic", tol=1e-8, max_iter=500)
    diag = _fit(X, n_components=1, n_factors=1, noise="diagonal", tol=1e-8, max_iter=500)
    assert iso.noise_variances_.shape == (1,)
    assert diag.score(X) > iso.score(X)
    # one factor picks the largest direction; the rest is one shared variance in the isotropic model
    assert abs(iso.loadings_[0, 2, 0]) > 2.5


def test_one_component_ppca_matches_the_closed_form():
    """Tipping & Bishop: the ML PPCA is the top-q eigenvectors, sigma^2 the mean discarded eigenvalue."""
    rng = np.random.RandomState(4)
    X = rng.normal(size=(2000, 5)) @ rng.normal(size=(5, 5))
    model = _fit(X, n_components=1, n_factors=2, noise="isotropic", tol=1e-12, max_iter=3000, reg_covar=0.0)
    eigenvalues = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]
    assert model.noise_variances_[0] == pytest.approx(eigenvalues[2:].mean(), rel=1e-4)
    covariance = model.component_covariance(0)
    np.testing.assert_allclose(np.linalg.eigvalsh(covariance)[::-1][:2], eigenvalues[:2], rtol=1e-4)


def test_bic_counts_loadings_up_to_rotation():
    X = _data()
    model = _fit(X, n_factors=2)
    K, d, q = 3, 6, 2
    expected = K * (d * q - q * (q - 1) // 2) + K * d + K * d + K - 1
    assert model.n_parameters_ == expected
    n = X.shape[0]
    assert model.bic(X) == pytest.approx(-2 * model.score(X) * n + expected * np.log(n))
    assert model.aic(X) == pytest.approx(-2 * model.score(X) * n + 2 * expected)
    resp = model.predict_proba(X)
    entropy = -np.sum(resp * np.log(np.clip(resp, 1e-300, None)))
    assert model.icl(X) == pytest.approx(model.bic(X) + 2 * entropy)


def test_sampling_shapes_components_and_moments():
    X = _data()
    model = _fit(X, n_factors=2)
    samples, labels = model.sample(50, random_state=0)
    assert samples.shape == (50, 6) and labels.shape == (50,)
    again, _ = model.sample(50, random_state=0)
    np.testing.assert_array_equal(samples, again)
    one, labels = model.sample(20000, random_state=1, component=1)
    assert np.all(labels == 1)
    np.testing.assert_allclose(one.mean(axis=0), model.means_[1], atol=0.1)
    np.testing.assert_allclose(np.cov(one.T), model.component_covariance(1), atol=0.25)
    with pytest.raises(ValueError, match="component must be an integer"):
        model.sample(5, component=3)


def test_statistics_add_over_chunks_and_weights_count_as_copies():
    X = _data(seed=5)
    model = _fit(X, n_factors=2, max_iter=3)
    structure = FactorAnalyzerStructure(2)
    params = MixtureParams(model.weights_, model.means_, FactorCovariances(model.loadings_, model.noise_variances_),
                           None)
    state = structure.e_state(params)

    def stats_of(rows, weights=None):
        return chunk_statistics(structure, state, FitData.from_samples(rows, None, weights), 3, Scratch())

    whole = stats_of(X)
    halves = stats_of(X[:100])
    halves += stats_of(X[100:])
    doubled = stats_of(np.concatenate([X, X[:50]]))
    weighted = stats_of(X, np.r_[np.full(50, 2.0), np.ones(len(X) - 50)])
    for a, b in [(whole, halves), (doubled, weighted)]:
        np.testing.assert_allclose(a.nk, b.nk)
        np.testing.assert_allclose(a.first, b.first)
        np.testing.assert_allclose(a.second.sum_cross, b.second.sum_cross, atol=1e-9)
        np.testing.assert_allclose(a.second.sum_squares, b.second.sum_squares)
        assert a.log_likelihood == pytest.approx(b.log_likelihood)


def test_sample_weight_fit_runs_and_zero_weight_rows_do_not_matter():
    X = _data(seed=6)
    outlier = np.full((5, 6), 100.0)
    weights = np.r_[np.ones(len(X)), np.zeros(5)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixtureOfFactorAnalyzers(3, n_factors=1, random_state=0).fit(
            np.concatenate([X, outlier]), sample_weight=weights
        )
    assert np.all(np.abs(model.means_) < 20)


def test_float32_fit_stays_float32_and_agrees_with_float64():
    X = _data(seed=7)
    m64 = _fit(X, n_factors=2, max_iter=30)
    m32 = _fit(X.astype(np.float32), n_factors=2, max_iter=30)
    assert m32.means_.dtype == np.float32 and m32.loadings_.dtype == np.float32
    assert m32.score(X.astype(np.float32)) == pytest.approx(m64.score(X), rel=1e-3)


def test_highest_factor_count_is_allowed_and_too_many_is_a_clear_error():
    X = _data()
    model = _fit(X, n_factors=5, max_iter=10)
    assert np.all(np.isfinite(model.score_samples(X)))
    with pytest.raises(ValueError, match="n_factors=6 must be smaller than the 6 features"):
        _fit(X, n_factors=6)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_factors": -1}, "n_factors must be an integer >= 0"),
        ({"n_factors": 1.5}, "n_factors must be an integer"),
        ({"noise": "full"}, "noise must be one of"),
        ({"n_components": 0}, "n_components must be an integer >= 1"),
        ({"n_components": 500}, "n_samples >= n_components"),
        ({"reg_covar": -1.0}, "reg_covar must be"),
    ],
)
def test_bad_parameters_are_clear_errors(params, message):
    with pytest.raises(ValueError, match=message):
        MixtureOfFactorAnalyzers(**{"n_components": 2, **params}).fit(_data())


def test_bad_data_and_weights_are_clear_errors():
    X = _data()
    with pytest.raises(ValueError, match="NaN or infinity"):
        MixtureOfFactorAnalyzers(2).fit(np.where(X > 5, np.nan, X))
    with pytest.raises(ValueError, match="sample_weight must be"):
        MixtureOfFactorAnalyzers(2).fit(X, sample_weight=-np.ones(len(X)))
    model = _fit(X, n_factors=1)
    with pytest.raises(ValueError, match="features"):
        model.score_samples(X[:, :4])


def test_persistence_round_trip_gives_the_same_model(tmp_path):
    from gmmlab import load_model, save_model
    from gmmlab.persistence import ModelFileError

    X = _data()
    for noise in ("diagonal", "isotropic"):
        model = _fit(X, n_factors=2, noise=noise)
        path = save_model(model, tmp_path / f"mfa-{noise}.npz")
        loaded, pca, meta = load_model(path)
        assert pca is None and meta["mixture"] == "mfa" and meta["n_factors"] == 2
        assert isinstance(loaded, MixtureOfFactorAnalyzers) and loaded.get_params() == model.get_params()
        np.testing.assert_allclose(loaded.score_samples(X), model.score_samples(X), rtol=1e-12)
        np.testing.assert_allclose(loaded.sample(7, random_state=3)[0], model.sample(7, random_state=3)[0], rtol=1e-12)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["loadings"] = arrays["loadings"] * 2
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(tampered)


def test_cli_fits_and_saves_an_mfa(tmp_path, capsys):
    from gmmlab.cli import main

    data = tmp_path / "points.npy"
    np.save(data, _data())
    out = tmp_path / "mfa.npz"
    assert main(["fit", str(data), "--k", "3", "--model", "mfa", "--n-factors", "2", "--out", str(out)]) == 0
    assert "MFA (q=2, diagonal noise)" in capsys.readouterr().out
    assert main(["sample", str(out), "-n", "5", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (5, 6)
    assert main(["fit", str(data), "--k", "3", "--model", "mfa", "--n-factors", "6", "--out", str(out)]) != 0
