import numpy as np
import pytest

from gmmlab.data import make_preset
from gmmlab.robustness import COLUMNS, GMM_INITS, KMEANS_INITS, _bad_start, init_robustness, summarize_robustness


@pytest.fixture(scope="module")
def elongated():
    return make_preset("elongated", n_samples=400, random_state=0)


@pytest.fixture(scope="module")
def study(elongated):
    """KMeans vs full GMM from good and bad starts, the contrast the notebook discusses."""
    return init_robustness(
        elongated.X,
        elongated.y,
        3,
        inits={"kmeans": ["k-means++", "bad"], "gmm": ["kmeans", "bad"]},
        covariance_types=["full"],
        n_runs=8,
        random_state=0,
        n_jobs=1,
    )


def test_table_has_one_row_per_method_init_type_and_run(elongated):
    table = init_robustness(elongated.X, elongated.y, 3, covariance_types=["full", "spherical"], n_runs=2, n_jobs=1)
    assert list(table.columns) == COLUMNS
    assert len(table) == 2 * (len(KMEANS_INITS) + len(GMM_INITS) * 2)
    counts = table.groupby(["method", "init", "covariance_type"]).size()
    assert (counts == 2).all()
    assert set(table.loc[table.method == "kmeans", "covariance_type"]) == {"none"}
    assert set(table.loc[table.method == "gmm", "covariance_type"]) == {"full", "spherical"}
    assert table["ari"].between(-1, 1).all()
    assert (table["n_iter"] >= 1).all()
    # Run r uses the same seed in every configuration (paired starts); runs differ from each other.
    seeds = table.groupby("run")["seed"].nunique()
    assert (seeds == 1).all() and table.loc[table.run == 0, "seed"].iloc[0] != table.loc[table.run == 1, "seed"].iloc[0]


def test_objective_is_the_models_own(elongated):
    from sklearn.cluster import KMeans

    from gmmlab.mixture import GaussianMixture

    table = init_robustness(elongated.X, elongated.y, 3, inits={"kmeans": ["random"], "gmm": ["random_from_data"]},
                            covariance_types=["diag"], n_runs=1, n_jobs=1)
    seed = int(table.seed.iloc[0])
    kmeans = KMeans(3, init="random", n_init=1, random_state=seed).fit(elongated.X)
    gmm = GaussianMixture(3, covariance_type="diag", init_params="random_from_data", random_state=seed).fit(elongated.X)
    row_k, row_g = table.iloc[0], table.iloc[1]
    assert row_k.objective == pytest.approx(kmeans.inertia_) and row_k.n_iter == kmeans.n_iter_
    assert row_g.objective == pytest.approx(gmm.score(elongated.X)) and row_g.n_iter == gmm.n_iter_


def test_full_gmm_beats_kmeans_on_elongated_clusters(study):
    medians = study.groupby(["method", "init"])["ari"].median()
    assert medians["gmm", "kmeans"] > 0.9
    assert medians["gmm", "kmeans"] > medians["kmeans", "k-means++"] + 0.5


def test_bad_start_hurts_the_gmm(study):
    # Measured on 30-50 runs over several samples: about 40% of bad starts still reach ARI >= 0.9 (median ARI about
    # 0.54), every kmeans start does (median 0.975). With 8 runs the median is a coin flip, so test what always holds:
    # some bad starts fail, no kmeans start does, and the bad starts are worse on average.
    ari = study[study.method == "gmm"].groupby("init")["ari"]
    assert ari.min()["kmeans"] >= 0.9 > ari.min()["bad"]
    assert ari.mean()["bad"] < ari.mean()["kmeans"] - 0.1


def test_bad_start_puts_every_mean_in_the_largest_true_cluster(elongated):
    values, counts = np.unique(elongated.y, return_counts=True)
    pool = np.flatnonzero(elongated.y == values[counts.argmax()])
    for covariance_type, shape in [("full", (3, 2, 2)), ("tied", (2, 2)), ("diag", (3, 2)), ("spherical", (3,))]:
        means, precisions = _bad_start(elongated.X, pool, 3, covariance_type, seed=4)
        rows = [np.flatnonzero((elongated.X == m).all(axis=1))[0] for m in means]
        assert set(rows) <= set(pool) and len(set(rows)) == 3
        assert np.shape(precisions) == shape


def test_parallel_runs_give_the_same_table(elongated):
    args = dict(inits={"gmm": ["k-means++"], "kmeans": ["random"]}, covariance_types=["tied"], n_runs=3)
    serial = init_robustness(elongated.X, elongated.y, 3, n_jobs=1, **args)
    parallel = init_robustness(elongated.X, elongated.y, 3, n_jobs=2, **args)
    assert serial.equals(parallel)


def test_summary(study):
    summary = summarize_robustness(study)
    assert len(summary) == 4
    assert (summary["n_runs"] == 8).all()
    row = summary[(summary.method == "gmm") & (summary.init == "bad")].iloc[0]
    runs = study[(study.method == "gmm") & (study.init == "bad")]
    assert row.ari_median == pytest.approx(runs.ari.median())
    assert row.ari_min == pytest.approx(runs.ari.min())
    assert row["share_ari_ge_0.9"] == pytest.approx((runs.ari >= 0.9).mean())
    assert row.n_iter_mean == pytest.approx(runs.n_iter.mean())
    assert "share_ari_ge_0.5" in summarize_robustness(study, threshold=0.5).columns
    with pytest.raises(ValueError, match="lacks columns"):
        summarize_robustness(study.drop(columns="ari"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(inits={"gmm": ["kmeans", "great"]}), "unknown gmm init 'great'"),
        (dict(inits={"kmeans": ["random_from_data"]}), "unknown kmeans init"),
        (dict(inits={"dbscan": ["random"]}), "unknown method 'dbscan'"),
        (dict(inits=["random"]), "mapping"),
        (dict(covariance_types=["full", "round"]), "unknown covariance type 'round'"),
        (dict(covariance_types=[]), "empty"),
        (dict(n_runs=0), "n_runs"),
        (dict(n_jobs=0), "n_jobs"),
    ],
)
def test_bad_arguments_are_named(kwargs, message, elongated):
    with pytest.raises(ValueError, match=message):
        init_robustness(elongated.X, elongated.y, 3, **kwargs)


def test_label_and_cluster_size_checks(elongated):
    with pytest.raises(ValueError, match="one label per row"):
        init_robustness(elongated.X, elongated.y[:-1], 3)
    y = np.arange(elongated.X.shape[0]) % 200  # largest cluster: 2 points
    with pytest.raises(ValueError, match="only 2 points"):
        init_robustness(elongated.X, y, 3, inits={"gmm": ["bad"]})
