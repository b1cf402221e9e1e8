"""The memory guard refuses an in-memory fit that cannot fit, before allocating anything large."""

import tracemalloc

import numpy as np
import pytest

from gmmlab.mixture import GaussianMixture, get_structure
from gmmlab.mixture._memory import InsufficientMemoryError, available_memory, estimate_fit_memory


def test_full_k2000_in_784_dimensions_is_refused_before_allocating(monkeypatch):
    monkeypatch.setenv("GMMLAB_MEMORY_GUARD", "1")
    X = np.random.RandomState(0).rand(2500, 784)
    needed = estimate_fit_memory(get_structure("full"), 2500, 784, 2000, np.float64)
    assert needed > 2 * 2000 * 784 * 784 * 8  # at least the covariances and their factors (~20 GiB)
    if needed < available_memory():
        pytest.skip("this machine has more memory than the fit needs")
    tracemalloc.start()
    try:
        with pytest.raises(InsufficientMemoryError) as error:
            GaussianMixture(2000, covariance_type="full").fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # the refusal came before any large allocation
    message = str(error.value)
    for piece in ("GiB", "available", "float32", "covariance_type", "PCA", "Dask"):
        assert piece in message
    assert isinstance(error.value, MemoryError)


def test_the_guard_names_the_available_memory(monkeypatch):
    from gmmlab.mixture import _memory

    monkeypatch.setenv("GMMLAB_MEMORY_GUARD", "1")
    monkeypatch.setattr(_memory, "available_memory", lambda: 64 * 2**20)
    X = np.random.RandomState(0).rand(500, 60)
    with pytest.raises(InsufficientMemoryError, match=r"only 64 MiB of memory is available"):
        GaussianMixture(400, covariance_type="full").fit(X)
    GaussianMixture(3, covariance_type="diag", max_iter=2).fit(X)  # a small fit passes
    monkeypatch.setenv("GMMLAB_MEMORY_GUARD", "0")
    monkeypatch.setattr(_memory, "available_memory", lambda: 1)
    GaussianMixture(2, covariance_type="diag", max_iter=2).fit(X)  # the guard can be turned off


def test_available_memory_without_psutil(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psutil(name, *args, **kwargs):
        if name == "psutil":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psutil)
    assert available_memory() > 0  # /proc/meminfo
