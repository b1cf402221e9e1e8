"""Degenerate optima: collapsed components are detected, whatever the data's scale and position."""

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from threadpoolctl import threadpool_limits

from gmmlab.data import make_preset
from gmmlab.mixture._degenerate import MIN_VARIANCE_SHARE, check_degenerate


def _rounded():
    """Three round clusters whose coordinates are rounded to halves: many repeated values."""
    return np.round(make_preset("unequal", n_samples=300, random_state=1).X * 2) / 2


def _verdict(gm, X, **kwargs):
    return check_degenerate(gm.weights_, gm.covariances_, X.shape[0], np.cov(X.T, bias=True),
                            covariance_type=gm.covariance_type, **kwargs)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_sklearn_n_init_10_wins_by_collapsing_and_is_flagged(covariance_type):
    X = _rounded()
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        honest = SklearnGaussianMixture(3, covariance_type=covariance_type, n_init=10, random_state=0).fit(X)
        collapsed = SklearnGaussianMixture(4, covariance_type=covariance_type, n_init=10, random_state=0).fit(X)
    if covariance_type == "diag":  # the collapsed K=4 fit "wins" by far on BIC against the generating K=3 ...
        assert collapsed.bic(X) < honest.bic(X) - 100
    # ... and is the one flagged, because one component sits on repeated values of one coordinate.
    verdict = _verdict(collapsed, X)
    assert verdict.degenerate and "variance below" in verdict.reason
    assert not _verdict(honest, X).degenerate


def test_verdict_does_not_depend_on_scale_or_translation():
    X = _rounded()
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        gm = SklearnGaussianMixture(4, n_init=10, random_state=0).fit(X)
    scale = np.array([1e3, 1e-2])
    covariances = gm.covariances_ * scale[:, None] * scale[None, :]
    # reg_covar scales with the data when the fit is repeated on scaled data; so does what the check takes off.
    moved = check_degenerate(gm.weights_, covariances, len(X), np.cov((X * scale + 1e6).T, bias=True),
                             reg_covar=0.0)
    original = check_degenerate(gm.weights_, gm.covariances_ - 1e-6 * np.eye(2), len(X), np.cov(X.T, bias=True),
                                reg_covar=0.0)
    assert moved.components == original.components != ()


def test_too_few_effective_points():
    d = 3
    covariances = np.repeat(np.eye(d)[None], 2, axis=0)
    verdict = check_degenerate([0.99, 0.01], covariances, 200, np.ones(d))  # 2 points < d + 1
    assert verdict.degenerate and verdict.components == (1,) and "fewer than 4 effective points" in verdict.reason
    assert not check_degenerate([0.9, 0.1], covariances, 200, np.ones(d))
    # diag and spherical components need 2 points, tied ones 1.
    assert not check_degenerate([0.99, 0.01], np.ones((2, d)), 200, 1.0 * d, covariance_type="diag")
    assert check_degenerate([0.999, 0.001], np.ones(2), 200, np.ones(d), covariance_type="spherical")


def test_threshold_is_a_share_of_the_data_variance_along_the_direction():
    data_cov = np.diag([100.0, 1.0])
    just_above = np.diag([1.0, 2 * MIN_VARIANCE_SHARE])[None]
    just_below = np.diag([1.0, 0.5 * MIN_VARIANCE_SHARE])[None]
    assert not check_degenerate([1.0], just_above, 100, data_cov, reg_covar=0.0)
    assert check_degenerate([1.0], just_below, 100, data_cov, reg_covar=0.0)
    with pytest.raises(ValueError, match="data_variance must be a scalar"):
        check_degenerate([1.0], just_above, 100, np.ones(3))


def test_points_needed_follow_mclust_names():
    from gmmlab.mixture._degenerate import min_effective_points

    assert [min_effective_points(n, 4) for n in ("full", "VVV", "EEV", "VEV", "EVV")] == [5] * 5
    assert [min_effective_points(n, 4) for n in ("diag", "spherical", "VII", "VEI", "EVE", "VVE")] == [2] * 6
    assert [min_effective_points(n, 4) for n in ("tied", "EII", "EEI", "EEE")] == [1] * 4
