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
    assert set(results["start"]) <= set(INIT_METHODS) | {"split", "merge"}
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
    (SearchStrategy(halving_iter=-1), "halving_iter must be an integer >= 0"),
    (SearchStrategy(neighbour_rounds=1.5), "neighbour_rounds must be an integer >= 0"),
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


def _blobs_with_outliers():
    blobs = make_preset("blobs4", random_state=0).X
    rng = np.random.RandomState(0)
    return np.vstack([blobs, rng.uniform(blobs.min(0) - 20, blobs.max(0) + 20, size=(40, 2))])


def test_starts_from_neighbouring_k_find_better_optima_than_the_search_at_each_k():
    X = _blobs_with_outliers()
    alone = sweep(X, range(5, 8), "tied", n_jobs=1, progress=False, strategy=SearchStrategy(neighbour_rounds=0))
    helped = sweep(X, range(5, 8), "tied", n_jobs=1, progress=False)
    gain = alone["bic"].to_numpy() - helped["bic"].to_numpy()
    assert np.all(gain >= 0)  # a neighbour's start replaces a row only when it is better
    assert gain.max() > 50 and {"split", "merge"} & set(helped["start"])
    assert (helped["n_iter"] > alone["n_iter"]).all()  # the neighbours' EM runs are counted


def test_starts_from_neighbouring_k_do_not_depend_on_where_the_data_lies():
    # The rows carry parameters in the caller's coordinates and the starts are built on the centred data: mixing
    # the two put every split and merge start off by the data's mean (here the K = 6, 7 rows lost ~100-170 BIC).
    X = _blobs_with_outliers()
    here = sweep(X, range(5, 8), "tied", n_jobs=1, progress=False)
    moved = sweep(X + 100.0, range(5, 8), "tied", n_jobs=1, progress=False)
    np.testing.assert_allclose(moved["bic"], here["bic"], rtol=1e-8)
    assert moved["start"].tolist() == here["start"].tolist()
    assert {"split", "merge"} & set(moved["start"])


def test_neighbour_starts_split_one_component_and_merge_one_pair():
    from gmmlab.mixture._em import fit_em, initial_params
    from gmmlab.mixture._registry import get_structure
    from gmmlab.mixture._search import neighbour_starts
    from gmmlab.mixture._structure import FitData

    X = make_preset("blobs4", random_state=0).X
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift, None)
    structure = get_structure("diag")

    def solution(k):
        model = GaussianMixture(k, covariance_type="diag", random_state=0).fit(X)
        start = initial_params(structure, data.samples(), np.eye(k)[model.predict(X)], 1e-6)
        return fit_em(data, shift, lambda _: start, structure, n_init=1, tol=1e-3, max_iter=100,
                      reg_covar=1e-6).params.shifted(-shift)

    starts = neighbour_starts(structure, data, solution(2), solution(4))
    splits = [resp for name, resp in starts if name == "split"]
    merges = [resp for name, resp in starts if name == "merge"]
    assert len(splits) == 2 and len(merges) == 3  # each component of K - 1; the K most correlated pairs of K + 1
    for resp in splits + merges:
        assert resp.shape == (len(X), 3)
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)


def test_reg_covar_auto_is_scikit_learns_with_its_starts_and_relative_under_the_search():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 3) * np.array([1.0, 3.0, 1e-3])  # a column of variance 1e-6: an absolute 1e-6 doubles it
    assert GaussianMixture(1).fit(X).reg_covar_ == 1e-6
    searched = GaussianMixture(1, init_params="auto", random_state=0).fit(X)
    variance = X.var(axis=0)
    assert searched.reg_covar_ == pytest.approx(1e-6 * np.linalg.eigvalsh(np.cov(X.T, bias=True))[0])
    np.testing.assert_allclose(np.diag(searched.covariances_[0]), variance, rtol=1e-5)  # the MLE
    absolute = GaussianMixture(1, init_params="auto", reg_covar=1e-6, random_state=0).fit(X)
    assert np.diag(absolute.covariances_[0])[2] > 1.9 * variance[2]  # the defect of an absolute value
    # relative: the fit moves with the data's units
    scaled = GaussianMixture(2, init_params="auto", random_state=0).fit(X * 1e-4)
    unscaled = GaussianMixture(2, init_params="auto", random_state=0).fit(X)
    np.testing.assert_allclose(scaled.covariances_, unscaled.covariances_ * 1e-8, rtol=1e-6)
    with pytest.raises(ValueError, match="reg_covar must be 'auto' or a finite number >= 0"):
        GaussianMixture(1, reg_covar="relative").fit(X)


def test_strategy_mclust_is_one_em_from_the_hierarchical_cut():
    X = load_wine().data[:, :4]
    mclust = sweep(X, range(1, 6), ("VVV", "EEI"), n_jobs=1, progress=False, strategy="mclust")
    search = sweep(X, range(1, 6), ("VVV", "EEI"), n_jobs=1, progress=False)
    assert set(mclust["start"]) == {"hierarchical"}
    assert (mclust["n_iter"] < search["n_iter"]).all()
    # the default search always continues the hierarchical start, so it is never worse
    assert (search["bic"].to_numpy() <= mclust["bic"].to_numpy() + 1e-8 * np.abs(mclust["bic"].to_numpy())).all()


def test_neighbour_round_is_skipped_with_a_warning_past_its_memory_budget(monkeypatch):
    from gmmlab.selection import _search_tasks

    X = _blobs_with_outliers()
    monkeypatch.setattr(_search_tasks, "_NEIGHBOUR_BUDGET_BYTES", 100)
    with pytest.warns(UserWarning, match="neighbouring-K starts were skipped"):
        skipped = sweep(X, range(5, 8), "tied", n_jobs=1, progress=False)
    alone = sweep(X, range(5, 8), "tied", n_jobs=1, progress=False, strategy=SearchStrategy(neighbour_rounds=0))
    pd.testing.assert_frame_equal(skipped.drop(columns="fit_seconds"), alone.drop(columns="fit_seconds"))


def test_degenerate_continued_fits_do_not_count_among_the_n_keep(monkeypatch):
    from types import SimpleNamespace

    from gmmlab.mixture import _search
    from gmmlab.mixture._registry import get_structure
    from gmmlab.mixture._structure import FitData

    X = make_preset("blobs4", random_state=0).X
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift, None)
    strategy = SearchStrategy(starts=(("kmeans", 6),), n_keep=2, halving_iter=0, refine_tol=0.0,
                              continue_tol=1e-3, always_continue=())  # no polish, no refinement
    starts = _search.start_responsibilities(data.samples(), 6, strategy, np.random.RandomState(0))
    valid = []

    def first_two_degenerate(*args):  # one call per continued fit
        valid.append(len(valid) >= 2)
        return SimpleNamespace(degenerate=not valid[-1], reason="")

    monkeypatch.setattr(_search, "_verdict", first_two_degenerate)
    found = _search.search_em(data, shift, data.samples(), get_structure("full"), starts, strategy=strategy,
                              tol=1e-3, max_iter=100, reg_covar=1e-6)
    assert len(starts) > 4
    assert valid == [False, False, True, True]  # two collapsed fits, then two more until n_keep are valid
    assert not found.degenerate


def test_a_second_neighbour_round_starts_from_the_optima_the_first_one_found():
    from sklearn.datasets import load_iris

    X = load_iris().data
    one = sweep(X, range(7, 10), "diag", n_jobs=1, progress=False, strategy=SearchStrategy(neighbour_rounds=1))
    two = sweep(X, range(7, 10), "diag", n_jobs=1, progress=False)
    assert SearchStrategy().neighbour_rounds == 2
    # round 1 raises K = 8 (a merge of K = 9); round 2 splits that new K = 8 optimum for K = 9
    assert one["start"].iloc[1] == "merge"
    assert two["bic"].iloc[2] < one["bic"].iloc[2] - 1 and two["start"].iloc[2] == "split"
    assert (two["bic"].to_numpy() <= one["bic"].to_numpy() + 1e-9 * np.abs(one["bic"].to_numpy())).all()


def test_later_neighbour_rounds_search_only_next_to_an_improved_cell_from_it():
    from types import SimpleNamespace

    from gmmlab.selection._search_tasks import neighbour_rounds

    def solution(k):
        return SimpleNamespace(means=np.zeros((k, 1)), covariances=np.ones((k, 1)), precisions_cholesky=None, k=k)

    rows = [{"n_components": k, "seed": 0, "covariance_type": t, "random_state": 0, "degenerate": False,
             "log_likelihood": -1.0, "_params": solution(k)} for k in range(1, 6) for t in ("full", "diag")]
    searched = []

    def run_tasks(tasks):  # one round: mark K = 3 diag improved in the first
        first = not searched
        for k, cell_rows, _, _, neighbours in tasks:
            searched.append((first, k, {t: tuple(p and p.k for p in pair) for t, pair in neighbours.items()}))
            out = [dict(row, improved=first and (k, row["covariance_type"]) == (3, "diag")) for row in cell_rows]
            yield out, []

    strategy = SearchStrategy(neighbour_rounds=3)
    result = neighbour_rounds(None, rows, {"strategy": strategy, "tol": 1e-3}, run_tasks)
    assert len(result) == len(rows) and all("improved" not in row for row in result)
    first = [(k, pairs) for is_first, k, pairs in searched if is_first]
    later = [(k, pairs) for is_first, k, pairs in searched if not is_first]
    assert first[0] == (1, {"full": (None, 2), "diag": (None, 2)}) and len(first) == 5
    # K = 2 merges the new K = 3 solution, K = 4 splits it; nothing else, and no third round (nothing improved)
    assert later == [(2, {"diag": (None, 3)}), (4, {"diag": (3, None)})]
