"""mclust's 14 models inside the engine (issue 12): same fits as the reference EM, aliases, and everything
downstream (sweep, choose_n_components, sample, persistence, plots, CLI) accepting the new names."""

import warnings

import numpy as np
import pytest

from gmmlab.mixture import (
    MCLUST_MODEL_NAMES,
    FitData,
    GaussianMixture,
    SingularCovarianceError,
    criteria,
    fit_em,
    get_structure,
    initial_params,
)
from gmmlab.mixture._parsimonious import n_covariance_parameters
from helpers import blobs
from test_parsimonious import reference_em

_ALIASES = {"VII": "spherical", "VVI": "diag", "EEE": "tied", "VVV": "full"}


def engine_log_likelihood(model, X, resp, tol=1e-13, max_iter=5000):
    """Total log-likelihood of the engine's EM from responsibilities ``resp`` (M-step first), no regularisation."""
    structure = get_structure(model)
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift)
    start = initial_params(structure, X - shift, resp, 0.0)
    result = fit_em(data, shift, lambda restart: start, structure, n_init=1, tol=tol, max_iter=max_iter,
                    reg_covar=0.0)
    return criteria(structure, result.params.shifted(-shift), data)["log_likelihood"] * len(X)


@pytest.mark.parametrize("model", MCLUST_MODEL_NAMES)
def test_engine_reaches_the_reference_em_log_likelihood(model):
    X = blobs(seed=0)
    resp = np.random.RandomState(0).dirichlet(np.ones(3), size=len(X))
    expected = reference_em(model, X, resp, tol=1e-13, max_iter=5000)[0][-1]
    assert engine_log_likelihood(model, X, resp) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("model, alias", list(_ALIASES.items()))
def test_sklearn_names_are_the_same_structures_and_fits(model, alias):
    assert get_structure(model) is get_structure(alias)
    X = blobs(seed=1)
    fits = [GaussianMixture(3, covariance_type=name, random_state=0).fit(X) for name in (model, alias)]
    np.testing.assert_array_equal(fits[0].covariances_, fits[1].covariances_)
    assert fits[0].bic(X) == fits[1].bic(X)


@pytest.mark.parametrize("model", MCLUST_MODEL_NAMES)
def test_every_model_fits_samples_and_counts_like_mclust(model):
    X = blobs(seed=2)
    gmm = GaussianMixture(3, covariance_type=model, random_state=0).fit(X)
    structure = get_structure(model)
    assert gmm.covariances_.shape == structure.covariance_shape(3, 3)
    assert structure.n_parameters(3, 3) == n_covariance_parameters(model, 3, 3)
    assert gmm._n_parameters() == n_covariance_parameters(model, 3, 3) + 3 * 3 + 2
    samples, labels = gmm.sample(200, random_state=0)
    assert samples.shape == (200, 3) and set(labels) <= {0, 1, 2}
    assert np.isfinite(gmm.score(X))


def test_constrained_models_beat_nothing_they_contain():
    """A model's log-likelihood from the same start is at most that of a model that contains it (VVV)."""
    X = blobs(seed=0)
    scores = {m: GaussianMixture(3, covariance_type=m, random_state=0, tol=1e-8).fit(X).score(X)
              for m in ("EII", "VII", "EEE", "EEV", "VVV")}
    assert scores["EII"] <= scores["VII"] + 1e-9
    assert scores["EEE"] <= scores["VVV"] + 1e-9


@pytest.mark.parametrize("model", [m for m in MCLUST_MODEL_NAMES if m not in ("EII", "VII")])
def test_singular_fit_is_a_clear_error(model):
    X = np.random.RandomState(0).normal(size=(60, 3))
    X[:, 2] = 0.0  # no variance along one axis: every non-spherical estimate is singular without reg_covar
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # and no numpy warning on the way
        with pytest.raises(SingularCovarianceError, match="reg_covar"):
            GaussianMixture(2, covariance_type=model, reg_covar=0.0, random_state=0).fit(X)
    assert np.isfinite(GaussianMixture(2, covariance_type=model, reg_covar=1e-4, random_state=0).fit(X).score(X))


def test_sweep_and_choice_accept_mclust_names():
    from gmmlab.selection import choose_n_components, sweep

    X = blobs(seed=0)
    results = sweep(X, range(1, 4), ("EII", "VEV", "full"), n_seeds=1, n_jobs=1, progress=False)
    assert set(results["covariance_type"]) == {"EII", "VEV", "full"}
    assert results["bic"].notna().all()
    choice = choose_n_components(results)
    assert choice.covariance_type in {"EII", "VEV", "full"}


def test_sweep_reports_a_model_with_more_parameters_than_samples():
    from gmmlab.selection import sweep

    X = np.random.RandomState(0).normal(size=(12, 5))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        results = sweep(X, [4], ("VVV", "EEV", "EII"), n_seeds=1, n_jobs=1, progress=False)
    assert len(results) == 3  # reported, not crashed on: a NaN row where the fit is singular
    assert results.loc[results.covariance_type == "EII", "bic"].notna().all()


@pytest.mark.parametrize("model", ["EEI", "VEV", "EII", "EEE"])
def test_persistence_round_trip(model, tmp_path):
    from gmmlab.persistence import load_model, save_model

    X = blobs(seed=0)
    gmm = GaussianMixture(3, covariance_type=model, random_state=0).fit(X)
    path = tmp_path / "model.npz"
    save_model(gmm, path)
    loaded = load_model(path).model
    assert loaded.covariance_type == model
    np.testing.assert_array_equal(loaded.covariances_, gmm.covariances_)
    np.testing.assert_allclose(loaded.score_samples(X), gmm.score_samples(X))


@pytest.mark.parametrize("model", ["EVI", "VVE"])
def test_ellipse_plot_accepts_mclust_names(model):
    import matplotlib

    matplotlib.use("Agg")
    from gmmlab.plotting.static import full_covariances, plot_gmm

    X = blobs(seed=0)
    gmm = GaussianMixture(3, covariance_type=model, random_state=0).fit(X)
    full = full_covariances(gmm.covariances_, model, 3, 3)
    np.testing.assert_allclose(full, get_structure(model).full_covariances(gmm.covariances_, 3, 3))
    ax = plot_gmm(gmm, X)
    assert len(ax.patches) > 0


def test_cli_accepts_mclust_names():
    from gmmlab.cli import _covariance, _covariances

    assert _covariances("VEV,full") == ["VEV", "full"]
    assert _covariances("mclust") == list(MCLUST_MODEL_NAMES)
    assert _covariance("EEV") == "EEV"
    with pytest.raises(Exception, match="EII"):
        _covariances("XYZ")


def test_report_model_table_lists_the_14_models():
    from gmmlab.report import _context, _part1

    ctx = _context.ReportContext(seed=0, sizes=_context._Sizes.for_mode(True), data_dir=None, progress=False)
    ctx.results["part1"] = {}
    _part1._synthetic_data(ctx)
    _part1._mclust_models(ctx)
    section_id, _, body = ctx.sections[-1]
    assert section_id == "p1-models"
    for model in MCLUST_MODEL_NAMES:
        assert f"<td>{model}</td>" in body
    assert "lower is better" in body
    assert ctx.results["part1"]["mclust_models"]["choice"]["covariance_type"] in MCLUST_MODEL_NAMES


def test_ward_start_is_deterministic_and_separates_clusters():
    from gmmlab.mixture import initial_responsibilities

    X = blobs(seed=0)
    first = initial_responsibilities(X, 3, "ward", np.random.RandomState(0))
    second = initial_responsibilities(X, 3, "ward", np.random.RandomState(1))
    np.testing.assert_array_equal(first, second)  # no randomness below the subsampling size
    assert first.shape == (len(X), 3) and np.all(first.sum(axis=1) == 1) and np.all(first.sum(axis=0) > 0)
    gmm = GaussianMixture(3, covariance_type="VEV", init_params="ward", random_state=0).fit(X)
    assert np.isfinite(gmm.score(X))
