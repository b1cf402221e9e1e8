"""The Newton M-steps of the iterative models and the generalised EM steps around them (issue 12, speed).

Newton's exact Hessian against finite differences, the solvers against the plain alternations they replace, the
rotated-frame E-step of EVE and VVE against the full structure's, and the loop's rule that a fit converges only
after a complete M-step.
"""

import numpy as np
import pytest

from gmmlab.mixture import FitData, fit_em, get_structure, initial_params
from gmmlab.mixture._common_orientation import _cayley, _newton_system, eve, vve
from gmmlab.mixture._em import em_iteration
from gmmlab.mixture._full import FullCovariance
from gmmlab.mixture._parsimonious_iterative import vee, vei, vev
from gmmlab.mixture._parsimonious_structures import RotatedState
from gmmlab.mixture._structure import Scratch
from helpers import blobs


def _scatter(seed, n_components=3, d=4):
    rng = np.random.RandomState(seed)
    matrices = [rng.normal(size=(d, d + 3)) * rng.uniform(0.5, 2.0) for _ in range(n_components)]
    return np.stack([m @ m.T for m in matrices]), rng.uniform(5.0, 20.0, n_components)


def _profiled(model, scatter, nk, orientation):
    logs = np.log(np.einsum("ij,kil,lj->kj", orientation, scatter, orientation))
    if model == "VVE":
        return float(nk @ logs.sum(axis=1))
    return float(nk.sum() * scatter.shape[-1] * np.log(np.exp(logs.mean(axis=1)).sum()))


@pytest.mark.parametrize("model", ["VVE", "EVE"])
def test_orientation_gradient_and_hessian_match_finite_differences(model):
    scatter, nk = _scatter(0)
    d = scatter.shape[-1]
    start = np.linalg.qr(np.random.RandomState(1).normal(size=(d, d)))[0]
    p, q = np.triu_indices(d, 1)

    def f(theta):
        skew = np.zeros((d, d))
        skew[p, q], skew[q, p] = theta, -theta
        return _profiled(model, scatter, nk, start @ _cayley(skew))

    gradient, hessian = _newton_system(start.T @ scatter @ start, nk, model)
    h, basis = 1e-4, np.eye(p.size)
    numeric_gradient = [(f(h * e) - f(-h * e)) / (2 * h) for e in basis]
    numeric_hessian = [[(f(h * (a + b)) - f(h * (a - b)) - f(h * (b - a)) + f(-h * (a + b))) / (4 * h * h)
                        for b in basis] for a in basis]
    np.testing.assert_allclose(gradient, numeric_gradient, rtol=1e-6, atol=1e-6 * np.abs(gradient).max())
    np.testing.assert_allclose(hessian, numeric_hessian, rtol=1e-4, atol=1e-4 * np.abs(hessian).max())


def _objective(covariances, scatter, nk):
    return sum(n * np.linalg.slogdet(c)[1] + np.trace(np.linalg.solve(c, w))
               for n, c, w in zip(nk, covariances, scatter))


@pytest.mark.parametrize("solver", [vve, eve, vee, vev])
def test_newton_m_steps_are_stationary_and_beat_perturbations(solver):
    scatter, nk = _scatter(2)
    covariances, _, converged, *_ = solver(scatter, nk, None, 1.5e-8, 1000)
    assert converged
    best = _objective(covariances, scatter, nk)
    # the M-step objective is not lowered by a small move that keeps the model's constraint: a common rotation
    noise = np.random.RandomState(3).normal(size=scatter.shape[1:])
    rotation = _cayley(1e-3 * (noise - noise.T))
    rotated = rotation @ covariances @ rotation.T
    assert best <= _objective(rotated, scatter, nk) + 1e-9 * abs(best)
    # and a warm start from the optimum stays there in one step
    again, n_iter, converged, *_ = solver(scatter, nk, covariances, 1.5e-8, 1000)
    assert converged and n_iter <= 2
    np.testing.assert_allclose(again, covariances, rtol=1e-7, atol=1e-9 * np.abs(covariances).max())


def test_vei_matches_celeux_govaert_alternation():
    diagonals = np.random.RandomState(4).gamma(2.0, size=(4, 5)) * np.array([[1.0], [3.0], [0.5], [8.0]])
    nk = np.array([10.0, 20.0, 15.0, 30.0])
    covariances, _, converged = vei(diagonals, nk, None, 1.5e-8, 1000)
    shape = np.ones(5)
    for _ in range(5000):  # the fixed point Newton replaces: volumes given the shape, shape given the volumes
        volumes = (diagonals / shape).sum(axis=1) / (5 * nk)
        pooled = (diagonals / volumes[:, None]).sum(axis=0)
        shape = pooled / np.exp(np.log(pooled).mean())
    assert converged
    np.testing.assert_allclose(covariances, volumes[:, None] * shape, rtol=1e-10)


@pytest.mark.parametrize("model", ["VEE", "EVE", "VVE"])
def test_rotated_e_step_is_the_full_e_step(model):
    X = blobs(seed=5)
    structure = get_structure(model)
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift)
    resp = np.random.RandomState(5).dirichlet(np.ones(3), size=len(X))
    params = initial_params(structure, X - shift, resp, 1e-6)
    for _ in range(3):
        _, params = em_iteration(structure, params, data, 1e-6, Scratch())
    rotated_state = structure.e_state(params)
    assert isinstance(rotated_state, RotatedState)
    assert (params.m_step_state is not None) == (model != "VEE")
    full = FullCovariance()
    expected = np.empty((3, len(X)))
    full.log_prob(full.e_state(params), data.features, expected, Scratch(), True)
    for exact in (False, True):
        got = np.empty((3, len(X)))
        structure.log_prob(rotated_state, data.features, got, Scratch(), exact)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("model", ["VEI", "VEE", "VEV", "EVE", "VVE"])
def test_fit_converges_only_after_a_complete_m_step(model):
    X = blobs(seed=6)
    structure = get_structure(model)
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift)
    resp = np.random.RandomState(6).dirichlet(np.ones(3), size=len(X))
    start = initial_params(structure, X - shift, resp, 1e-6)
    result = fit_em(data, shift, lambda restart: start, structure, n_init=1, tol=1e-3, max_iter=500, reg_covar=1e-6)
    assert result.converged and result.params.m_step_complete
    assert np.all(np.diff(result.lower_bounds) >= -1e-9 * np.abs(result.lower_bounds[1:]))
