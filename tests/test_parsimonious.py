"""The 14 parsimonious M-steps of mclust (issue 12), checked inside a tiny reference EM.

The reference EM uses a plain full-covariance E-step (scipy), so these tests check the constrained M-steps alone:
monotone log-likelihood, the constraints, scikit-learn's four types as aliases, mclust's parameter counts, BIC
model choice, and (when R is installed) the same log-likelihood as mclust's ``me()`` from the same start.
"""

import shutil
import subprocess

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.mixture import _gaussian_mixture as skgm

from gmmlab.mixture._parsimonious import (
    MODEL_NAMES,
    constrained_covariances,
    full_covariances,
    mclust_bic,
    model_family,
    n_covariance_parameters,
    n_mclust_parameters,
    scatter_in_layout,
)
from helpers import blobs


def _log_densities(X, means, covariances):
    n_features = X.shape[1]
    out = np.empty((X.shape[0], means.shape[0]))
    for k, (mean, covariance) in enumerate(zip(means, covariances)):
        lower = np.linalg.cholesky(covariance)
        z = np.linalg.solve(lower, (X - mean).T)
        out[:, k] = -0.5 * (z * z).sum(0) - np.log(np.diag(lower)).sum() - 0.5 * n_features * np.log(2 * np.pi)
    return out


def _scatter(X, resp, means):
    return np.stack([(r[:, None] * (X - m)).T @ (X - m) for r, m in zip(resp.T, means)])


def reference_em(model, X, resp, tol=1e-10, max_iter=3000):
    """EM from responsibilities (M-step first); returns (log-likelihoods per iteration, covariances (K, d, d))."""
    n_samples, n_features = X.shape
    n_components = resp.shape[1]
    covariances, history = None, []
    for _ in range(max_iter):
        nk = resp.sum(0)
        means = resp.T @ X / nk[:, None]
        scatter = scatter_in_layout(model, _scatter(X, resp, means))
        covariances = constrained_covariances(model, scatter, nk, previous=covariances, n_features=n_features)
        full = full_covariances(model, covariances, n_components, n_features)
        log_prob = _log_densities(X, means, full) + np.log(nk / n_samples)
        norm = logsumexp(log_prob, axis=1)
        resp = np.exp(log_prob - norm[:, None])
        history.append(norm.sum())
        if len(history) > 1 and abs(history[-1] - history[-2]) <= tol * abs(history[-1]):
            break
    return np.array(history), full


def _random_responsibilities(n_samples, n_components, seed=0):
    return np.random.RandomState(seed).dirichlet(np.ones(n_components), size=n_samples)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_log_likelihood_never_decreases(model):
    X = blobs(seed=0)
    history, _ = reference_em(model, X, _random_responsibilities(len(X), 3), tol=1e-9, max_iter=300)
    assert np.all(np.isfinite(history))
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


def _volumes(covariances):
    return np.exp(np.linalg.slogdet(covariances)[1] / covariances.shape[-1])


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_constraints_hold(model):
    X = blobs(seed=2)
    _, covariances = reference_em(model, X, _random_responsibilities(len(X), 3, seed=1), tol=1e-8, max_iter=200)
    volume, shape, orientation = model
    volumes = _volumes(covariances)
    assert (np.ptp(volumes) / volumes.mean() < 1e-10) == (volume == "E")
    off_diagonal = covariances - np.einsum("kii,ij->kij", covariances, np.eye(3))
    if orientation == "I":
        assert np.abs(off_diagonal).max() == 0
        shapes = np.diagonal(covariances, axis1=1, axis2=2) / volumes[:, None]
    else:
        eigenvalues = np.linalg.eigvalsh(covariances)[:, ::-1]
        shapes = eigenvalues / volumes[:, None]
        commutators = [np.abs(a @ b - b @ a).max() for a in covariances for b in covariances]
        assert (max(commutators) < 1e-10 * np.abs(covariances).max() ** 2) == (orientation == "E")
    if shape == "I":
        np.testing.assert_allclose(shapes, 1.0, rtol=1e-12)
    else:
        assert (np.ptp(shapes, axis=0).max() < 1e-8) == (shape == "E")


@pytest.mark.parametrize(
    "model, sklearn_type", [("VVV", "full"), ("EEE", "tied"), ("VVI", "diag"), ("VII", "spherical")]
)
def test_sklearn_types_are_the_same_models(model, sklearn_type):
    X = blobs(seed=1)
    resp = _random_responsibilities(len(X), 3, seed=2)
    nk, means, expected = skgm._estimate_gaussian_parameters(X, resp, 1e-3, sklearn_type)
    scatter = scatter_in_layout(model, _scatter(X, resp, means))
    for name in (model, sklearn_type):
        got = constrained_covariances(name, scatter, nk, reg_covar=1e-3, n_features=X.shape[1])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


# nMclustParams(model, d, G) from mclust 6.0.0 for (G, d) = (1, 2), (3, 2), (3, 5), (7, 4)
_MCLUST_COUNTS = {
    "EII": (3, 9, 18, 35), "VII": (3, 11, 20, 41), "EEI": (4, 10, 22, 38), "VEI": (4, 12, 24, 44),
    "EVI": (4, 12, 30, 56), "VVI": (4, 14, 32, 62), "EEE": (5, 11, 32, 44), "VEE": (5, 13, 34, 50),
    "EVE": (5, 13, 40, 62), "VVE": (5, 15, 42, 68), "EEV": (5, 13, 52, 80), "VEV": (5, 15, 54, 86),
    "EVV": (5, 15, 60, 98), "VVV": (5, 17, 62, 104),
}


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_parameter_counts_are_mclusts(model):
    got = tuple(n_mclust_parameters(model, G, d) for G, d in [(1, 2), (3, 2), (3, 5), (7, 4)])
    assert got == _MCLUST_COUNTS[model]


def test_sklearn_names_count_as_their_models():
    for alias, model in [("full", "VVV"), ("tied", "EEE"), ("diag", "VVI"), ("spherical", "VII")]:
        assert n_covariance_parameters(alias, 4, 6) == n_covariance_parameters(model, 4, 6)
        assert model_family(alias) == model_family(model)


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="VEV"):
        n_covariance_parameters("VXV", 2, 2)


def test_mclust_bic_flips_the_sign():
    assert mclust_bic(123.5) == -123.5
    np.testing.assert_array_equal(mclust_bic([1.0, -2.0]), [-1.0, 2.0])


def _bic(history, model, n_components, X):
    return -2 * history[-1] + n_mclust_parameters(model, n_components, X.shape[1]) * np.log(len(X))


def _kmeans_responsibilities(X, n_components):
    labels = KMeans(n_components, n_init=5, random_state=0).fit_predict(X)
    return np.eye(n_components)[labels] * 0.98 + 0.02 / n_components


@pytest.mark.parametrize(
    "generating, scales, rotations",
    [
        ("VEI", [0.5, 1.5, 3.0], [0.0, 0.0, 0.0]),  # one diagonal shape, volumes vary
        ("EEV", [1.0, 1.0, 1.0], [0.0, 1.0, 2.2]),  # equal volume and shape, orientations vary
    ],
)
def test_bic_recovers_the_generating_model_and_k(generating, scales, rotations):
    rng = np.random.RandomState(3)
    centres = np.array([[0.0, 0.0], [12.0, 0.0], [0.0, 12.0]])
    parts = []
    for centre, scale, angle in zip(centres, scales, rotations):
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        std = np.sqrt(scale) * np.array([2.0, 0.5])
        parts.append(rng.normal(size=(300, 2)) * std @ rotation.T + centre)
    X = np.vstack(parts)
    scores = {}
    for n_components in (1, 2, 3, 4):
        resp = _kmeans_responsibilities(X, n_components)
        for model in MODEL_NAMES:
            history, _ = reference_em(model, X, resp, tol=1e-8, max_iter=500)
            scores[model, n_components] = _bic(history, model, n_components, X)
    assert min(scores, key=scores.get) == (generating, 3)


_ME_SCRIPT = r"""
suppressMessages(library(mclust))
args <- commandArgs(TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE)); z <- as.matrix(read.csv(args[2], header = FALSE))
for (m in strsplit(args[3], ",")[[1]]) {
  fit <- me(data = X, modelName = m, z = z, control = emControl(tol = c(1e-10, sqrt(.Machine$double.eps))))
  cat(m, sprintf("%.15g", fit$loglik), "\n")
}
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript with mclust) is not installed")
def test_same_log_likelihood_as_mclust_me(tmp_path):
    X = blobs(seed=0)
    resp = _random_responsibilities(len(X), 3)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / "z.csv", resp, delimiter=",", fmt="%.17g")
    (tmp_path / "me.R").write_text(_ME_SCRIPT)
    run = subprocess.run(
        ["Rscript", str(tmp_path / "me.R"), str(tmp_path / "X.csv"), str(tmp_path / "z.csv"), ",".join(MODEL_NAMES)],
        capture_output=True, text=True, timeout=120,
    )
    if "there is no package called" in run.stderr:
        pytest.skip("the R package mclust is not installed")
    mclust = {line.split()[0]: float(line.split()[1]) for line in run.stdout.splitlines()}
    for model in MODEL_NAMES:
        history, _ = reference_em(model, X, resp)
        if model == "VVE":
            # mclust's VVE M-step stops short of the optimum on this data (its M-step objective is 951.09 where
            # the minimum is 949.34): gmmlab reaches a higher log-likelihood, never a lower one
            assert history[-1] >= mclust[model] - 1e-6 * abs(mclust[model])
        else:
            assert abs(history[-1] - mclust[model]) <= 1e-6 * abs(mclust[model]), model
