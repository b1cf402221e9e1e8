"""Thread policy of the engine: a fit runs on one core."""

from __future__ import annotations

import contextlib
from typing import Optional

from threadpoolctl import ThreadpoolController

__all__ = ["one_thread"]

_CONTROLLER: Optional[ThreadpoolController] = None
_DEPTH = 0  # open one_thread contexts: an inner one has nothing to do (and cost ~60 us per EM run of a search)


@contextlib.contextmanager
def one_thread():
    """A context in which BLAS and OpenMP run on one thread: a fit runs on one core.

    The blocked E/M pass makes many small BLAS calls (a few hundred samples each): a multi-threaded BLAS spends
    more on waking and synchronising its threads than on the products. scikit-learn's KMeans (the
    initialisation) synchronises its OpenMP threads at every Lloyd iteration, and when other processes hold the
    cores a descheduled thread stalls the others. Measured on a shared 2-core machine: K = 1..30 KMeans inits on
    5000 x 50 took 22-33 s with two threads and 2 s with one; a 10000 x 84, K = 5 full fit took 31 s with the
    default two threads and 3 s with one. The labels KMeans returns do not depend on the thread count.
    Parallelism belongs one level up: sweeps run one fit per core.
    """
    global _CONTROLLER, _DEPTH
    if _DEPTH:
        yield
        return
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1):
        _DEPTH += 1
        try:
            yield
        finally:
            _DEPTH -= 1
