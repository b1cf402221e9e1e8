"""The fast paths of the EM engine: blocked passes, the tied shortcut, the sparse full M-step, clipping, float32,
threads and memory. Each result is checked against a plain computation or scikit-learn."""

import tracemalloc
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

from gmmlab.mixture import COVARIANCE_TYPES, FitData, GaussianMixture, MixtureParams, e_step, get_structure
from gmmlab.mixture import _em, _full
from gmmlab.mixture._em import em_iteration, normalize_block
from gmmlab.mixture._structure import Scratch

from helpers import blobs


def _fit(cls, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(**params).fit(X)


def _start(X, covariance_type, n_components=3, random_state=0):
    """Centred data, the engine's cache and parameters after one scikit-learn iteration from a random start:
    a state the next M-step moves far."""
    sk = _fit(SkGaussianMixture, X, n_components=n_components, covariance_type=covariance_type,
              random_state=random_state, max_iter=1, init_params="random")
    shift = X.mean(axis=0)
    structure = get_structure(covariance_type)
    params = MixtureParams(sk.weights_, sk.means_ - shift, sk.covariances_, sk.precisions_cholesky_)
    data = FitData.from_samples(X, shift)
    structure.prepare(data)
    return X - shift, data, structure, params


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of 16 samples: 370 samples make 23 full blocks and a ragged last one."""
    monkeypatch.setattr(_em, "_BLOCK_FLOATS", 1)
    monkeypatch.setattr(_em, "_MIN_BLOCK", 16)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_many_small_blocks_give_the_same_fit(covariance_type, tiny_blocks):
    X = blobs(seed=1, shift=20.0)
    ours = _fit(GaussianMixture, X, n_components=3, covariance_type=covariance_type, random_state=2, n_init=2)
    theirs = _fit(SkGaussianMixture, X, n_components=3, covariance_type=covariance_type, random_state=2, n_init=2)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-10)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_iteration_is_the_textbook_m_step(covariance_type, tiny_blocks):
    X = blobs(seed=3, d=4)
    X_centred, data, structure, params = _start(X, covariance_type)
    lower_bound, new = em_iteration(structure, params, data, 1e-6, Scratch())
    # The lower bound is the mean log-likelihood of the old parameters, even for tied, which leaves x'Px out.
    log_prob, resp = e_step(structure, params, data)
    assert lower_bound == pytest.approx(log_prob.mean(), rel=1e-12)
    nk = resp.sum(axis=0)
    means = resp.T @ X_centred / nk[:, None]
    np.testing.assert_allclose(new.weights, nk / len(X), rtol=1e-12)
    np.testing.assert_allclose(new.means, means, rtol=1e-10, atol=1e-12)
    scatter = np.stack([(resp[:, k, None] * (X_centred - means[k])).T @ (X_centred - means[k]) for k in range(3)])
    diagonals = np.diagonal(scatter, axis1=1, axis2=2)
    expected = {
        "full": scatter / nk[:, None, None] + 1e-6 * np.eye(4),
        "tied": scatter.sum(axis=0) / len(X) + 1e-6 * np.eye(4),
        "diag": diagonals / nk[:, None] + 1e-6,
        "spherical": diagonals.mean(axis=1) / nk + 1e-6,
    }[covariance_type]
    np.testing.assert_allclose(new.covariances, expected, rtol=1e-9, atol=1e-12)


def test_sparse_full_m_step_is_exact(monkeypatch):
    X = blobs(seed=0, n_per=(300, 200, 250), d=5) * 3.0  # well separated: most responsibilities are negligible
    _, data, structure, params = _start(X, "full")
    monkeypatch.setattr(_full, "_BATCHED_FLOATS", 0)  # the per-component path, which skips negligible samples
    _, sparse = em_iteration(structure, params, data, 1e-6, Scratch())
    monkeypatch.setattr(_full, "NEGLIGIBLE_RESPONSIBILITY", 0.0)  # every sample in every scatter
    _, dense = em_iteration(structure, params, data, 1e-6, Scratch())
    np.testing.assert_allclose(sparse.covariances, dense.covariances, rtol=1e-13, atol=1e-15)
    # And the threshold is in use: leaving out samples that matter changes the result.
    monkeypatch.setattr(_full, "NEGLIGIBLE_RESPONSIBILITY", 0.2)
    _, truncated = em_iteration(structure, params, data, 1e-6, Scratch())
    assert not np.allclose(truncated.covariances, dense.covariances, rtol=1e-6)


def test_batched_full_pass_equals_the_per_component_pass(monkeypatch):
    # Small blocks whiten every component in one product; the result is the per-component pass's to rounding.
    X = blobs(seed=1, n_per=(120, 80, 100), d=4)
    _, data, structure, params = _start(X, "full")
    assert _full._batched(3, 4, data.n_samples)
    bound, batched = em_iteration(structure, params, data, 1e-6, Scratch())
    monkeypatch.setattr(_full, "_BATCHED_FLOATS", 0)
    assert not _full._batched(3, 4, data.n_samples)
    expected_bound, looped = em_iteration(structure, params, data, 1e-6, Scratch())
    assert bound == pytest.approx(expected_bound, rel=1e-13)
    np.testing.assert_allclose(batched.covariances, looped.covariances, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(batched.means, looped.means, rtol=1e-12, atol=1e-15)


def test_full_m_step_far_from_the_origin():
    # The scatter is gathered around the previous means in whitened coordinates: no cancellation when the
    # clusters sit far from the data's centre relative to their spread.
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(200, 3)) * 0.01 + 1e4, rng.normal(size=(200, 3)) * 0.01 - 1e4]
    ours = _fit(GaussianMixture, X, n_components=2, random_state=0)
    theirs = _fit(SkGaussianMixture, X, n_components=2, random_state=0)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-8)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-10)


def test_normalize_block_clips_only_what_cannot_matter():
    rng = np.random.RandomState(0)
    log_prob = rng.normal(scale=400.0, size=(6, 500))  # many entries far below their column's maximum
    expected_norm = logsumexp(log_prob, axis=0)
    expected_resp = np.exp(log_prob - expected_norm)
    resp = log_prob.copy()
    norm = normalize_block(resp)
    np.testing.assert_allclose(norm, expected_norm, rtol=1e-14)
    np.testing.assert_allclose(resp, expected_resp, rtol=1e-12, atol=1e-250)
    assert resp.min() > 0 and np.all(resp[resp < 1e-250] >= np.finfo(float).tiny)  # no subnormals
    np.testing.assert_allclose(resp.sum(axis=0), 1.0, rtol=1e-14)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_path(covariance_type):
    X = blobs(seed=4, d=4)
    ours = _fit(GaussianMixture, X.astype(np.float32), n_components=3, covariance_type=covariance_type,
                random_state=0)
    reference = _fit(GaussianMixture, X, n_components=3, covariance_type=covariance_type, random_state=0)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(ours, name).dtype == np.float32, name
        assert np.all(np.isfinite(getattr(ours, name)))
    X32 = X.astype(np.float32)
    assert ours.predict_proba(X32).dtype == np.float32
    assert ours.bic(X32) == pytest.approx(reference.bic(X), rel=1e-5)
    np.testing.assert_array_equal(ours.predict(X32), reference.predict(X))


def test_fit_leaves_thread_settings_alone_and_results_do_not_depend_on_them():
    X = blobs(seed=5)
    before = [pool["num_threads"] for pool in threadpool_info()]
    free = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    assert [pool["num_threads"] for pool in threadpool_info()] == before
    with threadpool_limits(limits=1):
        limited = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    np.testing.assert_array_equal(free.covariances_, limited.covariances_)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_history_responsibilities_from_blocks(covariance_type, tiny_blocks):
    X = blobs(seed=2)
    gm = _fit(GaussianMixture, X, n_components=3, covariance_type=covariance_type, random_state=0,
              record_history=True)
    records = gm.history_.best()
    np.testing.assert_allclose(records[-1].responsibilities, gm.predict_proba(X), atol=1e-12)
    # Every stored matrix is its own copy, with rows summing to one.
    assert not np.shares_memory(records[0].responsibilities, records[1].responsibilities)
    for record in records:
        np.testing.assert_allclose(record.responsibilities.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_an_iteration_holds_no_samples_by_components_array(covariance_type):
    rng = np.random.RandomState(0)
    n_samples, n_components = 40000, 20
    X = rng.normal(size=(n_samples, 2))
    _, _, structure, params = _start(X[:2000], covariance_type, n_components=n_components)
    data = FitData.from_samples(X, X.mean(axis=0))
    structure.prepare(data)
    scratch = Scratch()
    em_iteration(structure, params, data, 1e-6, scratch)  # the reusable buffers are allocated here
    tracemalloc.start()
    try:
        em_iteration(structure, params, data, 1e-6, scratch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < n_samples * n_components * 8 / 4
