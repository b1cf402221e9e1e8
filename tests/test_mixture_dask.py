"""Data-parallel EM on dask arrays: the same fit as in memory, lazy sources, and a worker killed mid-fit."""

import logging
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from gmmlab.mixture import STRUCTURES, GaussianMixture
from helpers import blobs

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIELDS = ("weights_", "means_", "covariances_", "precisions_cholesky_")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        yield client


def _data(seed=0):
    X = blobs(seed=seed, n_per=(400, 300, 300), shift=7.0, d=4)
    weights = np.random.RandomState(seed).randint(0, 4, size=len(X)).astype(float)
    return X, weights


def _assert_same_fit(a, b, rtol=1e-10):
    for field in FIELDS:
        expected = getattr(a, field)
        assert np.max(np.abs(getattr(b, field) - expected)) <= rtol * np.max(np.abs(expected)), field
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=rtol)
    assert b.n_iter_ == a.n_iter_


@pytest.mark.parametrize("covariance_type", sorted(STRUCTURES))
def test_dask_fit_equals_the_in_memory_fit(client, covariance_type):
    """Every structure: same start (the KMeans init on all rows) -> same parameters, lower bound and n_iter."""
    X, _ = _data()
    params = dict(n_components=3, covariance_type=covariance_type, random_state=0, tol=1e-9, max_iter=40)
    in_memory = GaussianMixture(**params).fit(X)
    labels = GaussianMixture(**params).fit_predict(da.from_array(X, chunks=(170, 2)))
    on_dask = GaussianMixture(**params).fit(da.from_array(X, chunks=(170, 2)))
    # EVE and VVE solve their M-step iteratively to a tolerance: sums added in another order can stop it one
    # inner step apart.
    _assert_same_fit(in_memory, on_dask, 1e-6 if covariance_type in ("EVE", "VVE") else 1e-10)
    np.testing.assert_array_equal(labels.compute(), in_memory.predict(X))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_dask_weighted_fit_from_user_start_equals_the_in_memory_fit(client, covariance_type):
    X, weights = _data(1)
    start = GaussianMixture(3, covariance_type=covariance_type, max_iter=1, random_state=0).fit(X)
    params = dict(n_components=3, covariance_type=covariance_type, tol=0.0, max_iter=20,
                  weights_init=start.weights_, means_init=start.means_, precisions_init=start.precisions_)
    in_memory = GaussianMixture(**params).fit(X, sample_weight=weights)
    on_dask = GaussianMixture(**params).fit(da.from_array(X, chunks=250), sample_weight=da.from_array(weights, 250))
    _assert_same_fit(in_memory, on_dask)
    numpy_weights = GaussianMixture(**params).fit(da.from_array(X, chunks=250), sample_weight=weights)
    _assert_same_fit(in_memory, numpy_weights)


def test_inference_on_dask_arrays_equals_numpy(client):
    X, weights = _data(2)
    gm = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
    Xd = da.from_array(X, chunks=300)
    np.testing.assert_array_equal(gm.predict(Xd).compute(), gm.predict(X))
    np.testing.assert_allclose(gm.predict_proba(Xd).compute(), gm.predict_proba(X), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(gm.score_samples(Xd).compute(), gm.score_samples(X), rtol=1e-12)
    assert gm.score(Xd) == pytest.approx(gm.score(X), rel=1e-12)
    for criterion in ("bic", "aic", "icl"):
        assert getattr(gm, criterion)(Xd) == pytest.approx(getattr(gm, criterion)(X), rel=1e-12)
        weighted = getattr(gm, criterion)(Xd, sample_weight=da.from_array(weights, 300))
        assert weighted == pytest.approx(getattr(gm, criterion)(X, sample_weight=weights), rel=1e-12)
    on_dask = GaussianMixture(3, random_state=0).fit(Xd)
    samples, labels = on_dask.sample(50, random_state=0)
    assert samples.shape == (50, X.shape[1]) and labels.shape == (50,)


def test_chunks_are_read_once_per_fit_when_persisted_and_every_iteration_out_of_core():
    """Persisted: the source is read twice per fit (mean, persist) whatever the iterations; else every pass.

    On dask's local threads, where a counter in the test sees the reads (the logic is the same on a cluster).
    """
    from gmmlab.mixture import _dask

    X, _ = _data(3)
    reads = []

    def read(block):
        reads.append(len(block))
        return block

    start = GaussianMixture(3, max_iter=1, random_state=0).fit(X)
    params = dict(n_components=3, tol=0.0, max_iter=12, weights_init=start.weights_, means_init=start.means_,
                  precisions_init=start.precisions_)
    expected = GaussianMixture(**params).fit(X)
    for persist, passes in ((True, 2), (False, 1 + 12)):
        source = da.from_array(X, chunks=250).map_blocks(read, meta=np.empty((0, 0)))
        reads.clear()
        gm = GaussianMixture(**params)
        with dask.config.set(scheduler="threads"):
            _dask.fit_dask(gm, source, persist=persist)
        assert len(reads) == 4 * passes
        _assert_same_fit(expected, gm)


def test_initialisation_on_a_sample(client, monkeypatch):
    """More rows than INIT_SAMPLE_SIZE: KMeans on a sample, EM on all rows; close to the in-memory fit."""
    from gmmlab.mixture import _dask

    monkeypatch.setattr(_dask, "INIT_SAMPLE_SIZE", 200)
    X, _ = _data(4)
    gm = GaussianMixture(3, random_state=0, tol=1e-6).fit(da.from_array(X, chunks=250))
    reference = GaussianMixture(3, random_state=0, tol=1e-6).fit(X)
    assert gm.score(X) == pytest.approx(reference.score(X), rel=1e-3)


def test_local_threads_without_a_client():
    """No distributed client: dask's local scheduler runs the same fit."""
    X, _ = _data(5)
    params = dict(n_components=2, covariance_type="diag", random_state=0)
    with dask.config.set(scheduler="threads"):
        on_threads = GaussianMixture(**params).fit(da.from_array(X, chunks=400))
    _assert_same_fit(GaussianMixture(**params).fit(X), on_threads)


def test_bad_dask_input_gets_a_clear_error(client):
    X, weights = _data(0)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        GaussianMixture(2).fit(da.from_array(bad, chunks=300))
    with pytest.raises(ValueError, match="non-negative"):
        GaussianMixture(2).fit(da.from_array(X, chunks=300), sample_weight=da.from_array(-weights, 300))
    with pytest.raises(ValueError, match="shape"):
        GaussianMixture(2).fit(da.from_array(X, chunks=300), sample_weight=da.ones(5, chunks=5))


def test_lazy_sources_zarr_and_npy_stack(client, tmp_path):
    from gmmlab.mixture._dask import open_lazy

    X, _ = _data(6)
    da.to_npy_stack(str(tmp_path / "stack"), da.from_array(X, chunks=250))
    sources = [tmp_path / "stack"]
    try:
        import zarr  # noqa: F401
    except ImportError:  # zarr is in the dask extra; the .npy stack needs nothing more
        pass
    else:
        da.to_zarr(da.from_array(X, chunks=(250, 4)), str(tmp_path / "data.zarr"))
        sources.append(tmp_path / "data.zarr")
    reference = GaussianMixture(3, covariance_type="tied", random_state=0).fit(X)
    for source in sources:
        lazy = open_lazy(source)
        assert lazy.shape == X.shape
        _assert_same_fit(reference, GaussianMixture(3, covariance_type="tied", random_state=0).fit(lazy))
    with pytest.raises(ValueError, match="Zarr"):
        open_lazy(tmp_path)


def test_import_gmmlab_does_not_import_dask():
    code = "import sys, gmmlab, gmmlab.mixture, gmmlab.selection; print('dask' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


def test_a_worker_killed_mid_fit_gives_the_same_model(monkeypatch):
    """Kill one worker process during EM: the scheduler recomputes its chunks from the graph; same model."""
    from gmmlab.mixture import _dask

    X, _ = _data(7)
    params = dict(n_components=3, covariance_type="full", random_state=0, tol=0.0, max_iter=8)
    expected = GaussianMixture(**params).fit(X)
    original = _dask.DistributedData.statistics
    calls = []

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.CRITICAL) as cluster, distributed.Client(cluster) as client:
        def statistics(self, structure, state, n_components):
            calls.append(1)
            if len(calls) == 3:  # in the middle of the fit, with the chunks persisted on both workers
                pids = client.run(os.getpid)
                os.kill(next(iter(pids.values())), signal.SIGKILL)
            return original(self, structure, state, n_components)

        monkeypatch.setattr(_dask.DistributedData, "statistics", statistics)
        gm = GaussianMixture(**params).fit(da.from_array(X, chunks=200))
    assert len(calls) == 8
    _assert_same_fit(expected, gm)


def test_cli_fits_a_zarr_store_and_a_npy_stack_on_a_local_cluster(tmp_path, capsys):
    from gmmlab.cli import main
    from gmmlab.persistence import load_model

    X, _ = _data(8)
    da.to_npy_stack(str(tmp_path / "stack"), da.from_array(X, chunks=250))
    sources = [tmp_path / "stack"]
    try:
        import zarr  # noqa: F401
    except ImportError:
        pass
    else:
        da.to_zarr(da.from_array(X, chunks=(250, 4)), str(tmp_path / "data.zarr"))
        sources.append(tmp_path / "data.zarr")
    reference = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    for source in sources[-1:]:  # one LocalCluster start is enough (open_lazy is tested on both sources)
        out = tmp_path / f"{source.name}.npz"
        assert main(["fit", str(source), "--backend", "dask", "--k", "2", "--covariance", "diag", "--quiet",
                     "--out", str(out)]) == 0
        model, _, _ = load_model(out)
        np.testing.assert_allclose(model.means_, reference.means_, rtol=1e-10)
        assert f"{reference.score(X):.6g}" in capsys.readouterr().out
    assert main(["fit", str(sources[0]), "--k", "2", "--out", str(tmp_path / "m.npz")]) == 2
    assert "--backend dask" in capsys.readouterr().err


def _die_on_a_worker(block):
    """Kill the worker process that runs this task (a chunk whose reading always crashes its worker)."""
    try:
        distributed.get_worker()
    except ValueError:
        return block
    os.kill(os.getpid(), signal.SIGKILL)


def test_workers_that_keep_dying_give_a_clear_error_not_a_hang():
    """When the scheduler gives a task up (its workers keep dying), the fit fails saying so, and fits nothing."""
    X, _ = _data(9)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.CRITICAL
    ) as cluster, distributed.Client(cluster):
        source = da.from_array(X, chunks=500).map_blocks(_die_on_a_worker, meta=np.empty((0, 0)))
        gm = GaussianMixture(2)
        with pytest.raises(RuntimeError, match="workers died .* No model was fitted"):
            gm.fit(source)
    assert not hasattr(gm, "means_")


def test_restarts_warm_start_and_history_on_dask():
    """n_init restarts, the history's objectives and a warm start behave as in memory."""
    X, weights = _data(10)
    params = dict(n_components=3, covariance_type="tied", random_state=0, n_init=2, record_history=True, tol=1e-8)
    in_memory = GaussianMixture(**params).fit(X, sample_weight=weights)
    with dask.config.set(scheduler="threads"):
        on_dask = GaussianMixture(**params).fit(da.from_array(X, chunks=300), sample_weight=weights)
        warm = GaussianMixture(3, warm_start=True, max_iter=2, tol=0.0, random_state=0)
        warm.fit(da.from_array(X, chunks=300))
        warm.fit(da.from_array(X, chunks=300))
    _assert_same_fit(in_memory, on_dask)
    objectives = [r.objective for r in on_dask.history_]
    np.testing.assert_allclose(objectives, [r.objective for r in in_memory.history_], rtol=1e-10)
    assert on_dask.history_.best_restart == in_memory.history_.best_restart
    assert on_dask.history_[0].responsibilities is None  # the data never comes back to the client
    once = GaussianMixture(3, max_iter=4, tol=0.0, random_state=0).fit(X)
    np.testing.assert_allclose(warm.means_, once.means_, rtol=1e-10)


def test_auto_search_on_a_sample_starts_the_dask_fit():
    """init_params='auto': the em-EM search runs on the sample in memory; EM then runs on all chunks."""
    X, _ = _data(11)
    with dask.config.set(scheduler="threads"):
        gm = GaussianMixture(3, init_params="auto", random_state=0).fit(da.from_array(X, chunks=300))
    reference = GaussianMixture(3, init_params="auto", random_state=0).fit(X)
    assert gm.score(X) == pytest.approx(reference.score(X), rel=1e-6)
