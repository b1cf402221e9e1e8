"""Sample weights: integer weights are repeated rows, zero weights drop rows, bad weights get a clear error."""

import numpy as np
import pytest

from gmmlab.mixture import STRUCTURES, FitData, GaussianMixture, criteria, fit_em, get_structure, initial_params
from helpers import blobs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TYPES = ("full", "tied", "diag", "spherical")
ITERATIVE_M_STEPS = ("EVE", "VVE")


def _data(seed=0):
    X = blobs(seed=seed, shift=5.0)
    weights = np.random.RandomState(seed).randint(1, 4, size=len(X)).astype(float)
    return X, weights


def _labels(X, n_components=3):
    return np.argsort(np.argsort(X[:, 0])) * n_components // len(X)  # thirds along the first axis


def _one_hot(labels, n_components):
    resp = np.zeros((len(labels), n_components))
    resp[np.arange(len(labels)), labels] = 1.0
    return resp


def _engine_fit(name, X, resp, shift, sample_weight=None, max_iter=30):
    structure = get_structure(name)
    data = FitData.from_samples(X, shift, sample_weight)
    X_centred = data.samples()
    result = fit_em(
        data, shift, lambda restart: initial_params(structure, X_centred, resp, 1e-6, sample_weight), structure,
        n_init=1, tol=0.0, max_iter=max_iter, reg_covar=1e-6,
    )
    return result, criteria(structure, result.params.shifted(-shift), data)


def _assert_close(a, b, rtol=1e-10):
    scale = max(np.max(np.abs(b)), 1e-300)
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= rtol * scale


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_integer_weights_equal_repeated_rows_in_the_engine(name):
    """Every registered structure: EM from the same start on weighted rows == on the rows repeated."""
    X, weights = _data()
    resp = _one_hot(_labels(X), 3)
    repeats = weights.astype(int)
    shift = (weights @ X) / weights.sum()
    weighted, weighted_criteria = _engine_fit(name, X, resp, shift, weights)
    repeated, repeated_criteria = _engine_fit(name, np.repeat(X, repeats, axis=0), np.repeat(resp, repeats, axis=0),
                                              shift)
    # EVE and VVE solve their M-step iteratively to a tolerance (MM steps): sums that differ in the last bits can
    # stop it one inner step apart, so their agreement is that tolerance's, not rounding's.
    rtol = 1e-6 if name in ITERATIVE_M_STEPS else 1e-10
    for field in ("weights", "means", "covariances", "precisions_cholesky"):
        _assert_close(getattr(weighted.params, field), getattr(repeated.params, field), rtol)
    _assert_close(weighted.lower_bounds, repeated.lower_bounds, rtol)
    for key in ("log_likelihood", "bic", "aic", "icl"):
        _assert_close(weighted_criteria[key], repeated_criteria[key], rtol)


@pytest.mark.parametrize("covariance_type", TYPES)
def test_estimator_integer_weights_equal_repeated_rows(covariance_type):
    """From the same user start (no random draws), fit(X, w) == fit(np.repeat(X, w)); criteria too."""
    X, weights = _data(1)
    start = GaussianMixture(3, covariance_type=covariance_type, max_iter=1, random_state=0).fit(X)
    params = dict(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=25,
                  weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    repeats = weights.astype(int)
    Xr = np.repeat(X, repeats, axis=0)
    weighted = GaussianMixture(**params).fit(X, sample_weight=weights)
    repeated = GaussianMixture(**params).fit(Xr)
    for field in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        _assert_close(getattr(weighted, field), getattr(repeated, field))
    _assert_close(weighted.lower_bound_, repeated.lower_bound_)
    _assert_close(weighted.bic(X, sample_weight=weights), repeated.bic(Xr))
    _assert_close(weighted.icl(X, sample_weight=weights), repeated.icl(Xr))
    _assert_close(weighted.score(X, sample_weight=weights), repeated.score(Xr))


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_zero_weights_ignore_their_rows(init_params):
    """Rows of weight 0 change nothing, even far outliers, whatever the initialisation."""
    X, _ = _data(2)
    outliers = np.full((40, X.shape[1]), 1e3)
    X_all = np.r_[X, outliers]
    weights = np.r_[np.ones(len(X)), np.zeros(len(outliers))]
    gm = GaussianMixture(3, init_params=init_params, random_state=0, tol=1e-6).fit(X_all, sample_weight=weights)
    assert np.all(np.abs(gm.means_) < 100)  # no component went to the outliers
    start = dict(weights_init=gm.weights_, means_init=gm.means_, precisions_init=gm.precisions_)
    with_zeros = GaussianMixture(3, max_iter=10, tol=0.0, **start).fit(X_all, sample_weight=weights)
    without = GaussianMixture(3, max_iter=10, tol=0.0, **start).fit(X)
    _assert_close(with_zeros.means_, without.means_)
    _assert_close(with_zeros.covariances_, without.covariances_)


def test_weighted_kmeans_initialisation_uses_the_weights():
    """Heavily weighted points pull the KMeans start: a 2-point cluster weighted 1000 gets its own component."""
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (200, 2)), rng.normal(10, 1, (200, 2)), [[30.0, 30.0], [30.1, 30.0]]]
    weights = np.r_[np.ones(400), [1000.0, 1000.0]]
    gm = GaussianMixture(3, random_state=0, max_iter=0, reg_covar=1e-3).fit(X, sample_weight=weights)
    assert np.min(np.linalg.norm(gm.means_ - [30.05, 30.0], axis=1)) < 0.5


def test_weights_of_ones_equal_no_weights():
    X, _ = _data(0)
    plain = GaussianMixture(3, random_state=0).fit(X)
    ones = GaussianMixture(3, random_state=0).fit(X, sample_weight=np.ones(len(X)))
    _assert_close(ones.means_, plain.means_, 1e-12)
    assert ones.n_iter_ == plain.n_iter_


def test_warm_start_and_history_with_weights():
    X, weights = _data(0)
    gm = GaussianMixture(3, random_state=0, warm_start=True, max_iter=3, tol=0.0, record_history=True)
    gm.fit(X, sample_weight=weights)
    first = gm.means_.copy()
    gm.fit(X, sample_weight=weights)
    assert not np.allclose(gm.means_, first)  # it continued from the first fit
    once = GaussianMixture(3, random_state=0, max_iter=6, tol=0.0).fit(X, sample_weight=weights)
    _assert_close(gm.means_, once.means_, 1e-9)
    records = gm.history_.records if hasattr(gm.history_, "records") else list(gm.history_)
    assert records[-1].objective == pytest.approx(gm.score(X, sample_weight=weights), rel=1e-10)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.r_[-1.0, np.ones(369)], "non-negative"),
        (np.r_[np.nan, np.ones(369)], "NaN or infinity"),
        (np.r_[np.inf, np.ones(369)], "NaN or infinity"),
        (np.ones(10), r"shape \(370,\)"),
        (np.ones((370, 2)), r"shape \(370,\)"),
        (np.r_[np.ones(2), np.zeros(368)], "positive sample_weight"),
        (["a"] * 370, "numeric"),
    ],
)
def test_bad_weights_get_a_clear_error(bad, match):
    X = blobs(seed=0)
    assert len(X) == 370
    with pytest.raises(ValueError, match=match) as error:
        GaussianMixture(3).fit(X, sample_weight=bad)
    assert "Fix" in str(error.value)


def test_weighted_bic_counts_the_total_weight():
    """BIC's n is the total weight: doubling every weight doubles log L and adds p ln 2 to the penalty."""
    X, weights = _data(0)
    gm = GaussianMixture(2, random_state=0).fit(X, sample_weight=weights)
    p = gm.n_parameters_
    loglik = gm.score(X, sample_weight=weights) * weights.sum()
    assert gm.bic(X, sample_weight=weights) == pytest.approx(-2 * loglik + p * np.log(weights.sum()), rel=1e-12)
    doubled = gm.bic(X, sample_weight=2 * weights)
    assert doubled == pytest.approx(-4 * loglik + p * np.log(2 * weights.sum()), rel=1e-12)


def test_sweep_with_weights_equals_the_estimator():
    """A weighted sweep row is the weighted GaussianMixture fit (same start, same criteria)."""
    from gmmlab.selection import sweep

    X, weights = _data(0)
    table = sweep(X, [2, 3], ("full", "diag"), n_seeds=1, n_jobs=1, progress=False, sample_weight=weights,
                  strategy="sklearn")
    for row in table.itertuples():
        gm = GaussianMixture(row.n_components, covariance_type=row.covariance_type, random_state=row.random_state)
        gm.fit(X, sample_weight=weights)
        assert row.bic == pytest.approx(gm.bic(X, sample_weight=weights), rel=1e-10)
        assert row.n_iter == gm.n_iter_
    with pytest.raises(ValueError, match="non-negative"):
        sweep(X, [2], n_seeds=1, n_jobs=1, progress=False, sample_weight=-weights)
    searched = sweep(X, [3], ("full",), n_seeds=1, n_jobs=1, progress=False, sample_weight=weights)
    repeated = sweep(np.repeat(X, weights.astype(int), axis=0), [3], ("full",), n_seeds=1, n_jobs=1, progress=False)
    assert searched.bic.iloc[0] == pytest.approx(repeated.bic.iloc[0], rel=1e-2)  # the search's EM is weighted
