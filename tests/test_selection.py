"""Model selection: the sweep table, the shared initialisation, the choice rules, the assignment's study, the plots."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import gmmlab.selection._sweep as selection_module
from gmmlab.data import make_preset
from gmmlab.mixture import COVARIANCE_TYPES, GaussianMixture
from gmmlab.plotting import plot_criterion, plot_elbow
from gmmlab.pipeline import gmm_vs_gaussian_components
from gmmlab.selection import COLUMNS, choose_n_components, sweep

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PRESETS = ["blobs4", "blobs4_5d"]


@pytest.fixture(scope="module")
def preset_sweeps():
    """Per preset: its data, a GMM sweep over every covariance type and a KMeans sweep (K = 1..8, 2 seeds)."""
    out = {}
    for name in PRESETS:
        X = make_preset(name, random_state=0).X
        gmm = sweep(X, range(1, 9), COVARIANCE_TYPES, n_seeds=2, n_jobs=1, progress=False)
        kmeans = sweep(X, range(1, 9), model="kmeans", n_seeds=2, n_jobs=1, progress=False)
        out[name] = (X, gmm, kmeans)
    return out


def without_timings(results):
    return results.drop(columns="fit_seconds")


# ------------------------------------------------------------------------------------------------ the table


def test_one_row_per_fit_with_the_documented_columns(preset_sweeps):
    X, gmm, kmeans = preset_sweeps["blobs4"]
    assert list(gmm.columns) == list(COLUMNS) == list(kmeans.columns)
    assert len(gmm) == 8 * len(COVARIANCE_TYPES) * 2
    assert not gmm.duplicated(["covariance_type", "n_components", "seed"]).any()
    assert list(gmm.covariance_type.unique()) == list(COVARIANCE_TYPES)  # in the order given
    assert (gmm.model == "gmm").all() and (kmeans.model == "kmeans").all()
    assert (gmm.random_state == gmm.seed).all()  # base random_state 0
    assert gmm.inertia.isna().all() and gmm[["bic", "aic", "icl", "log_likelihood"]].notna().all().all()
    assert gmm.converged.dtype == bool and gmm.n_iter.dtype.kind == "i" and (gmm.fit_seconds > 0).all()
    n, d = X.shape
    # BIC - AIC = p (ln n - 2), and BIC = -2 n loglik + p ln n (scikit-learn's sign).
    np.testing.assert_allclose(gmm.bic - gmm.aic, gmm.n_params * (np.log(n) - 2))
    np.testing.assert_allclose(gmm.bic, -2 * n * gmm.log_likelihood + gmm.n_params * np.log(n))
    assert (gmm.icl >= gmm.bic - 1e-9).all()  # the entropy term is never negative
    assert len(kmeans) == 8 * 2 and kmeans.covariance_type.isna().all()
    assert kmeans[["bic", "aic", "icl", "log_likelihood"]].isna().all().all()
    assert (kmeans.n_params == kmeans.n_components * d).all()
    one_cluster = kmeans[kmeans.n_components == 1].inertia
    np.testing.assert_allclose(one_cluster, ((X - X.mean(axis=0)) ** 2).sum())


def test_base_random_state_offsets_every_seed():
    X = make_preset("blobs4", random_state=0).X
    results = sweep(X, [3], "full", n_seeds=3, random_state=7, n_jobs=1, progress=False)
    assert results.seed.tolist() == [0, 1, 2] and results.random_state.tolist() == [7, 8, 9]


# ------------------------------------------------------------------------------------------------ shared init


@pytest.mark.parametrize("params", [{}, {"n_init": 2}, {"init_params": "random", "n_init": 2}])
def test_shared_initialisation_gives_the_independent_fits_exactly(params):
    X = make_preset("blobs4_5d", random_state=1).X
    results = sweep(X, range(1, 6), COVARIANCE_TYPES, n_seeds=2, n_jobs=1, progress=False, random_state=3,
                    strategy="sklearn", **params)
    # One BLAS thread, as inside the sweep: small fits are many times slower when the threads fight for cores.
    with threadpool_limits(limits=1):
        for row in results.itertuples():
            gm = GaussianMixture(
                n_components=row.n_components,
                covariance_type=row.covariance_type,
                random_state=row.random_state,
                **params,
            ).fit(X)
            # Both run the engine's fit_em from the same starts; the criteria are then evaluated around the data's
            # mean (sweep) or the mixture's mean (estimator), equal up to rounding: the last bits may differ.
            assert (row.n_iter, row.converged, row.n_params) == (gm.n_iter_, gm.converged_, gm.n_parameters_)
            np.testing.assert_allclose([row.bic, row.aic, row.icl], [gm.bic(X), gm.aic(X), gm.icl(X)], rtol=1e-12)
            assert row.log_likelihood == pytest.approx(gm.score(X), rel=1e-12)


def test_initialisation_runs_once_per_k_and_seed(monkeypatch):
    calls = []
    original = selection_module.initial_responsibilities

    def counting(X, n_components, init_params, random_state):
        calls.append(n_components)
        return original(X, n_components, init_params, random_state)

    monkeypatch.setattr(selection_module, "initial_responsibilities", counting)
    X = make_preset("blobs4", random_state=0).X
    sweep(X, range(1, 5), COVARIANCE_TYPES, n_seeds=2, n_init=2, n_jobs=1, progress=False, strategy="sklearn")
    # One initialisation per (K, seed, restart), shared by the 4 covariance types.
    assert sorted(calls) == sorted([k for k in range(1, 5) for _ in range(2 * 2)])


def test_same_table_whatever_n_jobs():
    X = make_preset("blobs4_5d", random_state=0).X
    kwargs = dict(n_components=range(1, 6), covariance_types=("full", "tied"), n_seeds=2, progress=False)
    serial = sweep(X, n_jobs=1, **kwargs)
    parallel = sweep(X, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(without_timings(serial), without_timings(parallel))


# ------------------------------------------------------------------------------------------------ selection on data


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("criterion", ["bic", "icl"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_bic_and_icl_recover_four_components(preset_sweeps, name, criterion, covariance_type):
    _, gmm, _ = preset_sweeps[name]
    chosen = choose_n_components(gmm[gmm.covariance_type == covariance_type], criterion)
    # Four clusters with unequal diagonal covariances are not a tied mixture: the default search finds the K=5 tied
    # optimum, whose BIC is lower (scikit-learn's restarts found it on one seed of two); ICL's entropy term still
    # prefers the four separated clusters.
    expected = 5 if (name, covariance_type, criterion) == ("blobs4_5d", "tied", "bic") else 4
    assert (chosen.n_components, chosen.covariance_type, chosen.rule) == (expected, covariance_type, "min")
    assert f"K={expected}" in chosen.reason and criterion.upper() in chosen.reason


@pytest.mark.parametrize("name", PRESETS)
def test_knee_finds_the_elbow_of_kmeans_inertia(preset_sweeps, name):
    _, _, kmeans = preset_sweeps[name]
    chosen = choose_n_components(kmeans, "inertia")
    assert (chosen.n_components, chosen.covariance_type, chosen.rule) == (4, None, "knee")
    assert "knee" in chosen.reason and "K=4" in chosen.reason


def test_several_covariance_types_are_chosen_over_together(preset_sweeps):
    _, gmm, _ = preset_sweeps["blobs4_5d"]
    chosen = choose_n_components(gmm, "bic")
    summary = chosen.summary
    best = summary.loc[summary["mean"].idxmin()]
    assert (chosen.n_components, chosen.covariance_type) == (best.n_components, best.covariance_type) == (4, "diag")
    assert len(summary) == 8 * len(COVARIANCE_TYPES) and (summary.n_seeds == 2).all()


def test_criterion_missing_from_the_table_is_a_clear_error(preset_sweeps):
    _, gmm, kmeans = preset_sweeps["blobs4"]
    with pytest.raises(ValueError, match="'bic' has no values.*inertia"):
        choose_n_components(kmeans, "bic")
    with pytest.raises(ValueError, match="'inertia' has no values"):
        choose_n_components(gmm, "inertia")
    with pytest.raises(ValueError, match="criterion must be one of"):
        choose_n_components(gmm, "likelihood")
    with pytest.raises(ValueError, match="rule must be one of"):
        choose_n_components(gmm, "bic", rule="elbow")
    with pytest.raises(TypeError, match="DataFrame"):
        choose_n_components(gmm.to_dict(), "bic")


# ------------------------------------------------------------------------------------------------ rules, on tables


def table(curves):
    """A sweep-like table from ``{covariance_type: {K: [bic of each seed]}}``."""
    rows = [
        {"model": "gmm", "n_components": k, "covariance_type": t, "seed": s, "bic": value}
        for t, curve in curves.items()
        for k, values in curve.items()
        for s, value in enumerate(values)
    ]
    return pd.DataFrame(rows)


U_SHAPE = {1: [100, 100, 100], 2: [60, 62, 64], 3: [55, 61, 67], 4: [70, 70, 70], 5: [80, 80, 80]}


def test_min_and_one_standard_error_rules():
    results = table({"full": U_SHAPE})
    lowest = choose_n_components(results, "bic", "min")
    assert (lowest.n_components, lowest.rule) == (3, "min")
    # K=3: mean 61, se 6 / sqrt(3) = 3.46; K=2 (mean 62) is within one standard error of it.
    one_se = choose_n_components(results, "bic", "one_se")
    assert (one_se.n_components, one_se.rule) == (2, "one_se")
    assert "3.464" in one_se.reason and "K=2" in one_se.reason
    default = choose_n_components(results, "bic")
    assert (default.n_components, default.rule) == (3, "min")
    assert "K=2 is within one standard error" in default.reason and "one_se" in default.reason
    row = default.summary.set_index("n_components").loc[3]
    assert row["mean"] == pytest.approx(61) and row["std"] == pytest.approx(6) and row["n_seeds"] == 3


def test_default_falls_back_to_the_knee_when_the_curve_is_still_decreasing():
    decreasing = {k: [1000 / k] * 2 for k in range(1, 11)}
    results = table({"tied": decreasing})
    knee = choose_n_components(results, "bic", "knee")
    assert 1 < knee.n_components < 10
    default = choose_n_components(results, "bic")
    assert (default.n_components, default.rule) == (knee.n_components, "knee")
    assert "largest K swept" in default.reason and "still decreasing" in default.reason
    assert choose_n_components(results, "bic", "min").n_components == 10


def test_default_treats_a_flat_end_within_noise_as_still_decreasing():
    # Lowest mean at K=9, but K=10 is within one standard error of it: the curve has not turned back up.
    curve = {k: [1000 / k] * 3 for k in range(1, 9)}
    curve[9] = [100.0, 108.0, 92.0]
    curve[10] = [103.0, 101.0, 99.0]
    default = choose_n_components(table({"full": curve}), "bic")
    assert default.rule == "knee" and default.n_components < 9
    assert "not turned back up" in default.reason


def test_a_clear_minimum_at_an_interior_k_is_kept():
    curve = {k: [1000 / k] * 3 for k in range(1, 9)}
    curve[9] = [100.0, 101.0, 99.0]
    curve[10] = [130.0, 131.0, 129.0]
    default = choose_n_components(table({"full": curve}), "bic")
    assert (default.n_components, default.rule) == (9, "min")


def test_choice_over_covariance_types_reports_the_type():
    results = table({"full": U_SHAPE, "spherical": {k: [v - 20 for v in vs] for k, vs in U_SHAPE.items()}})
    chosen = choose_n_components(results, "bic", "min")
    assert (chosen.n_components, chosen.covariance_type) == (3, "spherical")
    assert "spherical covariances" in chosen.reason
    assert chosen.summary.covariance_type.tolist() == ["full"] * 5 + ["spherical"] * 5


def test_a_knee_at_the_smallest_k_is_not_a_choice():
    # A concave, still-decreasing curve: Kneedle would put its "knee" at K=1, which explains nothing.
    concave = {k: [1000.0 - 5 * k * k] * 2 for k in range(1, 11)}
    results = table({"tied": concave})
    default = choose_n_components(results, "bic")
    assert default.n_components == 10 and default.rule == "min"
    assert "no knee" in default.reason
    with pytest.raises(ValueError, match="no knee"):
        choose_n_components(results, "bic", "knee")


def test_knee_rule_needs_a_curve_with_a_knee():
    with pytest.raises(ValueError, match="no knee"):
        choose_n_components(table({"full": {1: [10.0], 2: [5.0]}}), "bic", "knee")


def test_failed_fits_are_left_out_of_the_summary():
    results = table({"full": U_SHAPE})
    results.loc[(results.n_components == 2) & (results.seed == 0), "bic"] = np.nan
    summary = choose_n_components(results, "bic").summary.set_index("n_components")
    assert summary.loc[2, "n_seeds"] == 2 and summary.loc[2, "mean"] == pytest.approx(63)


# ------------------------------------------------------------------------------------------------ validation


BAD_SWEEPS = [
    (dict(n_components=0), "must be >= 1, got 0"),
    (dict(n_components=[1, 2.5]), "must be an integer, got 2.5"),
    (dict(n_components=[]), "n_components is empty"),
    (dict(n_components=range(1, 900)), "more than the 800 samples"),
    (dict(n_components="4"), "must be an integer"),
    (dict(covariance_types=("full", "fancy")), "'fancy'"),
    (dict(n_seeds=0), "n_seeds must be an integer >= 1"),
    (dict(model="gmmm"), "model must be one of"),
    (dict(backend="spark"), "backend must be None"),
    (dict(backend="dask", n_components=-1), "must be >= 1"),
    (dict(scheduler_address="tcp://127.0.0.1:8786"), "needs backend='dask'"),
    (dict(means_init=np.zeros((4, 2))), "'means_init' cannot be passed"),
    (dict(model="kmeans", reg_covar=1e-3), "'reg_covar' cannot be passed"),
    (dict(n_init=0, strategy="sklearn"), "n_init must be an integer >= 1"),
    (dict(init_params="spectral", strategy="sklearn"), "init_params must be one of"),
    (dict(init_params="random"), "pass strategy='sklearn' with them"),
    (dict(strategy="best"), "strategy must be one of"),
    (dict(random_state=None), "random_state must be an integer"),
    (dict(n_jobs=0), "n_jobs must be a non-zero integer"),
]


@pytest.mark.parametrize("kwargs, message", BAD_SWEEPS, ids=[m for _, m in BAD_SWEEPS])
def test_bad_sweeps_fail_before_any_fit(monkeypatch, kwargs, message):
    def no_fit(*args, **kwargs):
        raise AssertionError("a fit started before validation finished")

    monkeypatch.setattr(selection_module, "_run_task", no_fit)
    monkeypatch.setattr(selection_module, "_run_dask", no_fit)
    X = make_preset("blobs4", random_state=0).X
    with pytest.raises(ValueError, match=message):
        sweep(X, **{"n_components": range(1, 5), "n_jobs": 1, "progress": False, **kwargs})


def test_bad_data_is_a_clear_error():
    X = make_preset("blobs4", random_state=0).X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="sweep: X must be a finite numeric 2-D array"):
        sweep(X, range(1, 3), n_jobs=1, progress=False)


def test_singular_fits_become_nan_rows_with_a_warning():
    X = np.repeat([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]], 10, axis=0)
    with pytest.warns(UserWarning, match="singular covariance.*K=3 full"):
        results = sweep(X, [1, 3], "full", n_seeds=1, reg_covar=0.0, n_jobs=1, progress=False)
    assert results.bic.isna().tolist() == [False, True] and results.converged.tolist() == [True, False]
    assert results.n_params.tolist() == [5, 17] and results.n_params.dtype.kind == "i"
    assert choose_n_components(results, "bic").n_components == 1


def test_non_converged_fits_are_flagged_and_warned_once():
    X = make_preset("blobs4", random_state=0).X
    with pytest.warns(ConvergenceWarning, match="2 of 2 fits did not converge within max_iter=1") as record:
        results = sweep(X, [5], "full", n_seeds=2, max_iter=1, n_jobs=1, progress=False, strategy="sklearn")
    assert sum(issubclass(w.category, ConvergenceWarning) for w in record) == 1
    assert not results.converged.any() and (results.n_iter == 1).all()


def test_progress_bar_only_when_asked(capsys):
    X = make_preset("blobs4", random_state=0).X
    sweep(X, [2, 3], "full", n_seeds=1, n_jobs=1, progress=False)
    assert capsys.readouterr().err == ""
    sweep(X, [2, 3], "full", n_seeds=1, n_jobs=1, progress=True)
    assert "sweep (gmm)" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ the study


def fake_images(n=700, seed=0):
    """The 5-D blobs embedded in 8 x 8 'images' by a random orthonormal map, plus faint pixel noise."""
    X = make_preset("blobs4_5d", n_samples=n, random_state=seed).X
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(64, 5)))
    pixels = X @ basis.T + 0.01 * rng.normal(size=(n, 64))
    return pixels.reshape(n, 8, 8)


def test_gmm_vs_gaussian_components_reduces_sweeps_plots_and_chooses():
    images = fake_images()
    fig, ax = plt.subplots()
    study = gmm_vs_gaussian_components(
        images, n_pca_components=5, subsample_size=500, covariance_type="tied", n_components_range=range(1, 8),
        ax=ax, n_jobs=1,
    )
    assert study.ax is ax and "scikit-learn sign" in ax.get_ylabel()
    assert study.pca.n_components_ == 5 and study.pca.explained_variance_ratio_.sum() > 0.99
    assert study.X_pca.shape == (500, 5) and len(np.unique(study.indices)) == 500
    np.testing.assert_allclose(study.X_pca, study.pca.transform(images[study.indices].reshape(500, 64)))
    assert len(study.results) == 7 and (study.results.covariance_type == "tied").all()
    assert (study.selection.n_components, study.selection.covariance_type) == (4, "tied")
    flat = gmm_vs_gaussian_components(
        images.reshape(len(images), 64), 5, 500, "tied", range(1, 8), ax=ax, n_jobs=1
    )
    pd.testing.assert_frame_equal(without_timings(flat.results), without_timings(study.results))
    plt.close(fig)


def test_gmm_vs_gaussian_components_scales_uint8_pixels():
    rng = np.random.RandomState(0)
    raw = rng.randint(0, 256, size=(60, 6, 6)).astype(np.uint8)
    fig, ax = plt.subplots()
    from_uint8 = gmm_vs_gaussian_components(raw, 2, 40, "full", [1, 2], ax=ax, n_jobs=1)
    from_float = gmm_vs_gaussian_components(raw / 255.0, 2, 40, "full", [1, 2], ax=ax, n_jobs=1)
    np.testing.assert_allclose(from_uint8.X_pca, from_float.X_pca)
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(subsample_size=800), "subsample_size=800 is more than the 700 images"),
        (dict(n_pca_components=65), "n_pca_components=65 is more than"),
        (dict(n_components_range=range(0, 5)), "must be >= 1"),
        (dict(covariance_type="banded"), "'banded'"),
    ],
)
def test_gmm_vs_gaussian_components_validates_first(kwargs, message):
    arguments = {"images": fake_images(), "n_pca_components": 5, "subsample_size": 500, "n_jobs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        gmm_vs_gaussian_components(**arguments)


# ------------------------------------------------------------------------------------------------ plots


def test_plot_criterion_draws_one_curve_per_type_and_marks_the_choice(preset_sweeps):
    _, gmm, _ = preset_sweeps["blobs4_5d"]
    chosen = choose_n_components(gmm, "bic")
    ax = plot_criterion(gmm, "bic", selection=chosen)
    labels = [line.get_label() for line in ax.get_lines()]
    assert [label for label in labels if label in COVARIANCE_TYPES] == list(COVARIANCE_TYPES)
    star = [line for line in ax.get_lines() if line.get_marker() == "*"][0]
    assert star.get_xdata().tolist() == [4] and "K=4" in star.get_label() and "diag" in star.get_label()
    assert ax.get_ylabel() == "BIC (lower is better, scikit-learn sign)"
    assert len(ax.collections) == len(COVARIANCE_TYPES)  # the bands over seeds
    with pytest.raises(ValueError, match="made on 'bic'"):
        plot_criterion(gmm, "icl", selection=chosen)
    plt.close(ax.figure)


def test_plot_elbow_marks_the_knee(preset_sweeps):
    _, _, kmeans = preset_sweeps["blobs4"]
    fig, ax = plt.subplots()
    assert plot_elbow(kmeans, ax=ax) is ax
    star = [line for line in ax.get_lines() if line.get_marker() == "*"][0]
    assert star.get_xdata().tolist() == [4] and "knee" in star.get_label()
    assert "Inertia" in ax.get_ylabel() and "clusters" in ax.get_xlabel()
    plt.close(fig)
