"""Sweeps on dask.distributed give the same table as the local run."""

import logging

import pandas as pd
import pytest

from gmmlab.data import make_preset
from gmmlab.selection import sweep

distributed = pytest.importorskip("dask.distributed")

GRID = dict(n_components=range(1, 6), covariance_types=("full", "tied"), n_seeds=2, progress=False)


def without_timings(results):
    return results.drop(columns="fit_seconds")


def test_dask_local_cluster_matches_the_local_run():
    X = make_preset("blobs4", random_state=0).X
    local = sweep(X, n_jobs=1, **GRID)
    # No address: sweep starts a LocalCluster of 2 single-threaded worker processes and closes it afterwards.
    on_dask = sweep(X, n_jobs=2, backend="dask", **GRID)
    pd.testing.assert_frame_equal(without_timings(on_dask), without_timings(local))


@pytest.mark.parametrize("model", ["gmm", "kmeans"])
def test_dask_scheduler_address_uses_the_existing_cluster(model):
    X = make_preset("blobs4_5d", random_state=0).X
    local = sweep(X, model=model, n_jobs=1, **GRID)
    # An in-process cluster reached over TCP, as a remote one would be; it outlives the sweep.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        on_dask = sweep(X, model=model, backend="dask", scheduler_address=cluster.scheduler_address, **GRID)
        assert cluster.status.name == "running"
        assert "run_task" in cluster.scheduler.task_prefixes  # the fits ran there, not locally
    pd.testing.assert_frame_equal(without_timings(on_dask), without_timings(local))
