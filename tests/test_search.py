"""The default model search (em-EM): better optima, degenerate ones avoided, clear errors before any fit."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

from gmmlab.data import make_preset
from gmmlab.mixture import GaussianMixture
from gmmlab.mixture._init import INIT_METHODS
from gmmlab.mixture._search import SearchStrategy
from gmmlab.selection import choose_n_components, sweep

SMALL = SearchStrategy(starts=(("hierarchical", 1), ("kmeans", 2), ("random_from_data", 2)), n_keep=2)


def test_auto_finds_a_better_optimum_than_the_kmeans_start():
    X = load_wine().data  # raw: features of very different scales
    kmeans = GaussianMixture(3, random_state=0).fit(X)
    auto = GaussianMixture(3, init_params="auto", random_state=0).fit(X)
    assert auto.bic(X) < kmeans.bic(X) - 100
    assert auto.search_start_ in INIT_METHODS and auto.converged_


def test_sweep_rows_say_where_they_started_and_whether_degenerate():
    X = make_preset("blobs4", random_state=0).X
    results = sweep(X, range(1, 5), ("full", "tied"), n_jobs=1, progress=False, strategy=SMALL)
    assert len(results) == 8 and results["seed"].eq(0).all()  # one search per cell by default
    assert set(results["start"]) <= set(INIT_METHODS)
    assert results["degenerate"].dtype == bool and not results["degenerate"].any()


def test_search_avoids_the_collapsed_optimum_scikit_learn_restarts_pick():
    X = np.round(make_preset("unequal", n_samples=300, random_state=1).X * 2) / 2
    restarts = sweep(X, [4], "diag", n_seeds=1, n_jobs=1, progress=False, strategy="sklearn", n_init=10)
    search = sweep(X, [4], "diag", n_jobs=1, progress=False)
    assert restarts["degenerate"].all() and not search["degenerate"].any()


def test_choice_leaves_degenerate_rows_out_by_default():
    rows = pd.DataFrame({
        "n_components": [1, 2, 3], "covariance_type": ["full"] * 3, "bic": [100.0, 90.0, 10.0],
        "degenerate": [False, False, True],
    })
    assert choose_n_components(rows, rule="min").n_components == 2
    assert choose_n_components(rows, rule="min", include_degenerate=True).n_components == 3
    with pytest.raises(ValueError, match="every fit in this table is degenerate"):
        choose_n_components(rows.assign(degenerate=True))


@pytest.mark.parametrize(("strategy", "message"), [
    ("best", "strategy must be one of"),
    (SearchStrategy(starts=(("spectral", 1),)), "unknown start 'spectral'"),
    (SearchStrategy(starts=(("kmeans", 0),)), "number of seeds of start 'kmeans' must be an integer >= 1"),
    (SearchStrategy(n_keep=0), "n_keep must be an integer >= 1"),
    (SearchStrategy(short_tol=-1.0), "short_tol must be a finite number >= 0"),
])
def test_bad_strategies_fail_before_any_fit(strategy, message, monkeypatch):
    from gmmlab.selection import _sweep as selection

    monkeypatch.setattr(selection, "_run_task", lambda *a, **k: pytest.fail("a fit ran"))
    with pytest.raises(ValueError, match=message):
        sweep(np.random.RandomState(0).randn(30, 2), [2], n_jobs=1, progress=False, strategy=strategy)


def test_auto_refuses_a_history():
    with pytest.raises(ValueError, match="record_history=True needs one EM path"):
        GaussianMixture(2, init_params="auto", record_history=True).fit(np.random.RandomState(0).randn(20, 2))


def test_identical_start_partitions_run_once():
    from gmmlab.mixture._search import _partition_key

    one_hot = np.eye(3)[[0, 1, 2, 0]]
    assert _partition_key(one_hot) == _partition_key(np.eye(3)[[2, 0, 1, 2]])  # same partition, other labels
    assert _partition_key(one_hot) != _partition_key(np.eye(3)[[0, 0, 2, 1]])
    soft = np.full((4, 3), 1 / 3)
    assert _partition_key(soft) != _partition_key(one_hot)
