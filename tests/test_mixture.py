"""GaussianMixture: parity with scikit-learn, EM properties, history, sampling, validation."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from gmmlab import COVARIANCE_TYPES, GaussianMixture

from helpers import blobs

INITS = ["kmeans", "k-means++", "random", "random_from_data"]
ONE_HOT_INITS = ("k-means++", "random_from_data")  # starts where only K rows of resp are non-zero


def _pair(X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GaussianMixture(**params).fit(X)
        theirs = SkGaussianMixture(**params).fit(X)
    return ours, theirs


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INITS)
def test_parity_with_sklearn(seeded_data, covariance_type, init_params):
    X = seeded_data
    if init_params in ONE_HOT_INITS and covariance_type == "tied":
        pytest.skip("scikit-learn's tied start from one-hot rows is wrong; see test_tied_start_from_one_hot_rows")
    if init_params in ONE_HOT_INITS and covariance_type != "full" and abs(X.mean()) > 50:
        pytest.skip("one-point starts far from the origin lose every digit in scikit-learn's uncentred variances; "
                    "see test_translation_invariance")
    ours, theirs = _pair(X, n_components=3, covariance_type=covariance_type, init_params=init_params,
                         random_state=7, n_init=2)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-8)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-8)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-8)
    # The first bound belongs to the initial state, whose one-point components have variances near reg_covar;
    # on data far from the origin scikit-learn's uncentred formulas lose digits there, ours work on centred data.
    assert ours.lower_bounds_[0] == pytest.approx(theirs.lower_bounds_[0], rel=1e-5)
    np.testing.assert_allclose(ours.lower_bounds_[1:], theirs.lower_bounds_[1:], rtol=1e-8)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ours.precisions_, theirs.precisions_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_with_user_initialisation(covariance_type):
    X = blobs(seed=3)
    rng = np.random.RandomState(0)
    d = X.shape[1]
    precisions = {
        "full": np.stack([np.eye(d) * 0.2] * 3),
        "tied": np.eye(d) * 0.2,
        "diag": np.full((3, d), 0.2),
        "spherical": np.full(3, 0.2),
    }[covariance_type]
    params = dict(n_components=3, covariance_type=covariance_type, random_state=0,
                  weights_init=[0.2, 0.3, 0.5], means_init=X[rng.choice(len(X), 3, replace=False)],
                  precisions_init=precisions)
    ours, theirs = _pair(X, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_parity_float32_dtype_preserved(covariance_type):
    X = blobs(seed=4).astype(np.float32)
    ours, theirs = _pair(X, n_components=3, covariance_type=covariance_type, random_state=0)
    assert ours.means_.dtype == np.float32
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-4)


def test_warm_start_matches_sklearn():
    X = blobs(seed=5)
    ours = GaussianMixture(3, warm_start=True, max_iter=2, random_state=0)
    theirs = SkGaussianMixture(3, warm_start=True, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(X)
            theirs.fit(X)
            assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(covariance_type):
    X = blobs(seed=1)
    gm = GaussianMixture(4, covariance_type=covariance_type, init_params="random", random_state=0,
                         tol=1e-8, max_iter=300, n_init=2, record_history=True).fit(X)
    for restart in range(2):
        values = gm.history_.objectives(restart)
        assert np.all(np.diff(values) >= -1e-9 * np.abs(values).max())
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_history_records_every_iteration(covariance_type):
    X = blobs(seed=2)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0, n_init=3,
                         record_history=True).fit(X)
    history = gm.history_
    assert history.model == "gmm" and history.covariance_type == covariance_type
    assert history.n_restarts == 3
    best = history.best()
    # Iteration 0 is the initial state; one record per M-step after it.
    assert [r.iteration for r in best] == list(range(gm.n_iter_ + 1))
    last = best[-1]
    np.testing.assert_allclose(last.means, gm.means_)
    np.testing.assert_allclose(last.weights, gm.weights_)
    np.testing.assert_allclose(last.covariances, gm.covariances_)
    assert last.objective == pytest.approx(gm.score(X), rel=1e-10)
    # The objective of record i is the lower bound scikit-learn reports at iteration i + 1.
    np.testing.assert_allclose([r.objective for r in best[:-1]], gm.lower_bounds_, rtol=1e-12)
    assert last.responsibilities.shape == (len(X), 3)
    np.testing.assert_array_equal(last.labels, gm.predict(X))
    frame = history.to_frame()
    assert list(frame.columns) == ["restart", "iteration", "log_likelihood"]
    assert len(frame) == len(history)


def test_history_drops_responsibilities_above_limit():
    X = blobs(seed=2)
    gm = GaussianMixture(3, random_state=0, record_history=True, history_max_cells=10).fit(X)
    assert all(r.responsibilities is None and r.labels is None for r in gm.history_)
    assert all(r.means is not None for r in gm.history_)
    assert GaussianMixture(3, random_state=0).fit(X).history_ is None


def test_fit_predict_equals_predict():
    X = blobs(seed=6)
    gm = GaussianMixture(3, random_state=0, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = gm.fit_predict(X)
    np.testing.assert_array_equal(labels, gm.predict(X))


def test_convergence_warning():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(3, max_iter=1, random_state=0).fit(blobs(seed=0))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_per_call_state_component_and_shuffle(covariance_type):
    X = blobs(seed=0)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    a, la = gm.sample(500, random_state=1)
    b, lb = gm.sample(500, random_state=1)
    c, _ = gm.sample(500, random_state=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == (500, 3) and la.shape == (500,)
    assert not np.all(np.diff(la) >= 0), "samples should be shuffled, not grouped by component"
    one, labels = gm.sample(4000, random_state=3, component=1)
    assert np.all(labels == 1)
    np.testing.assert_allclose(one.mean(axis=0), gm.means_[1], atol=0.25 * np.sqrt(np.abs(X).max()))
    with pytest.raises(ValueError, match="component must be an integer in \\[0, 2\\]"):
        gm.sample(3, component=3)


def test_sample_matches_fitted_distribution():
    X = blobs(seed=0, n_per=(2000, 1500, 1800))
    gm = GaussianMixture(3, random_state=0).fit(X)
    draws, labels = gm.sample(20000, random_state=0)
    np.testing.assert_allclose(np.bincount(labels) / 20000, gm.weights_, atol=0.02)
    np.testing.assert_allclose(np.cov(draws[labels == 0].T), gm.covariances_[0], rtol=0.1, atol=0.1)


def test_icl_is_bic_plus_twice_entropy():
    X = blobs(seed=0)
    gm = GaussianMixture(3, random_state=0).fit(X)
    resp = gm.predict_proba(X)
    entropy = -np.sum(resp * np.log(np.clip(resp, 1e-300, None)))
    assert gm.icl(X) == pytest.approx(gm.bic(X) + 2 * entropy, rel=1e-10)
    assert gm.icl(X) >= gm.bic(X)


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]]), "NaN or infinity .*row 0, column 1"),
        (np.array([[1.0, np.inf], [2.0, 3.0], [1.0, 1.0]]), "NaN or infinity"),
        (np.array([1.0, 2.0, 3.0]), "2-D array"),
        (np.array([["a", "b"], ["c", "d"], ["e", "f"]]), "numeric data"),
    ],
)
def test_bad_data_gives_clear_error(X, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(1).fit(X)


def test_more_components_than_samples():
    with pytest.raises(ValueError, match="n_samples >= n_components.*Fix"):
        GaussianMixture(5).fit(np.random.RandomState(0).normal(size=(3, 2)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 0}, "n_components must be an integer >= 1"),
        ({"covariance_type": "ful"}, "covariance_type must be one of"),
        ({"init_params": "kmeans+"}, "init_params must be one of"),
        ({"tol": -1}, "tol must be a finite number >= 0"),
        ({"reg_covar": -1e-3}, "reg_covar"),
        ({"n_init": 0}, "n_init must be an integer >= 1"),
        ({"weights_init": [0.5, 0.6]}, "sum to 1"),
        ({"means_init": np.zeros((3, 2))}, "means_init must have shape \\(2, 3\\)"),
    ],
)
def test_bad_parameters(params, match):
    X = blobs(seed=0)
    params = {"n_components": 2, **params}
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**params).fit(X)


def test_singular_covariance_hints_reg_covar():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 10, axis=0)
    with pytest.raises(ValueError, match="increase reg_covar"):
        GaussianMixture(3, reg_covar=0.0, random_state=0).fit(X)


def test_predict_wrong_number_of_features():
    gm = GaussianMixture(2, random_state=0).fit(blobs(seed=0))
    with pytest.raises(ValueError, match="features"):
        gm.predict(np.zeros((4, 2)))


def test_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(GaussianMixture())
        check_estimator(GaussianMixture(covariance_type="tied", record_history=True))


def test_tied_start_from_one_hot_rows():
    """scikit-learn's defect (a): its tied M-step divides the unweighted scatter of *all* samples by K when only K
    rows of the initial responsibilities are non-zero; gmmlab weighs every sample by its responsibility."""
    from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

    X = blobs(seed=0)
    K = 3
    resp = np.zeros((len(X), K))
    resp[[5, 200, 300], np.arange(K)] = 1.0
    _, _, sk_covariance = _estimate_gaussian_parameters(X, resp, 1e-6, "tied")
    # The textbook estimate: each one-point component has zero scatter, so only reg_covar is left.
    assert np.linalg.eigvalsh(sk_covariance).min() > 1.0  # the defect: inflated by about n / K
    ours = GaussianMixture(K, covariance_type="tied", init_params="random_from_data", random_state=0,
                           max_iter=1, record_history=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X)
    start = ours.history_.best()[0]
    np.testing.assert_allclose(start.covariances, 1e-6 * np.eye(X.shape[1]), rtol=1e-9, atol=1e-12)
    # From the correct start EM still finds a good tied model: at least as good as scikit-learn's here.
    theirs = _pair(X, n_components=K, covariance_type="tied", init_params="random_from_data", random_state=0)[1]
    fitted = GaussianMixture(K, covariance_type="tied", init_params="random_from_data", random_state=0).fit(X)
    assert fitted.lower_bound_ >= theirs.lower_bound_ - 1e-9


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", INITS)
def test_translation_invariance(covariance_type, init_params):
    """A mixture's likelihood does not depend on translation: fit(X + 1e8) is fit(X) moved by 1e8.

    Bound: adding 1e8 rounds every coordinate to a multiple of 2^-26 (~1.5e-8), so the two fits see data that
    differ by up to ~7.5e-9 per coordinate; means agree to ~1e-8 absolute and the BIC to ~1e-8 relative.
    scikit-learn's initial M-step runs on uncentred data and fails (defect b).
    """
    from sklearn.mixture import GaussianMixture as Sk

    X = blobs(seed=0)
    params = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        centred = GaussianMixture(**params).fit(X)
        far = GaussianMixture(**params).fit(X + 1e8)
    assert far.n_iter_ == centred.n_iter_
    assert far.bic(X + 1e8) == pytest.approx(centred.bic(X), rel=1e-8)
    np.testing.assert_allclose(far.means_ - 1e8, centred.means_, atol=2e-8)
    np.testing.assert_array_equal(far.predict(X + 1e8), centred.predict(X))
    if covariance_type != "full":
        with pytest.raises(ValueError):
            Sk(**params).fit(X + 1e8)
