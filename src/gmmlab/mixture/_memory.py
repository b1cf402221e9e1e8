"""The memory guard of in-memory fits: estimate the peak before allocating, refuse with the alternatives.

A fit that needs more memory than the machine has would otherwise die by the kernel's OOM killer (or swap for
hours) somewhere inside its first iteration. The estimate counts what the engine allocates, in bytes:

- the centred, transposed copy of the data (n x d) and the input converted to float (n x d, when it was not
  already a C-ordered float array: counted always, to stay on the safe side);
- the initial responsibilities (n x K), which every ``init_params`` builds, and KMeans's labels and distances;
- the covariance-shaped arrays: covariances, precision factors, their E-step form, the second-moment
  statistics and the M-step's temporaries, about ``_COVARIANCE_COPIES`` arrays of the structure's
  ``covariance_shape`` (for ``full``: (K, d, d) each, 9.8 GB in float64 for K=2000, d=784);
- the blocks of the E/M pass (bounded, about a MiB) and the history's responsibilities when it keeps them.
"""

from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["InsufficientMemoryError", "available_memory", "check_fit_memory", "estimate_fit_memory"]

# Covariance-shaped arrays alive at the peak of an iteration: covariances, precision factors, the E-step
# state, the second-moment statistics (augmented by one row and column for full) and the M-step's scatter,
# inverse factors and temporaries.
_COVARIANCE_COPIES = 8

# Refuse when the estimate exceeds this fraction of the available memory: the estimate is of the engine's
# arrays, and Python, BLAS and the allocator need some room on top.
_HEADROOM = 0.9


class InsufficientMemoryError(MemoryError):
    """An in-memory fit would need more memory than the machine has available."""


def available_memory() -> int:
    """Bytes of memory available to a new allocation: psutil when installed, else /proc/meminfo."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 62  # unknown: do not refuse


def estimate_fit_memory(structure, n_samples: int, n_features: int, n_components: int, dtype,
                        history_cells: int = 0) -> int:
    """Estimated peak bytes of an in-memory fit (see the module docstring for what is counted)."""
    itemsize = np.dtype(dtype).itemsize
    data = 2 * n_samples * n_features
    init = 2 * n_samples * n_components + 2 * n_samples
    covariance = _COVARIANCE_COPIES * math.prod(structure.covariance_shape(n_components, n_features))
    blocks = 1 << 18
    return int((data + init + covariance + blocks + history_cells) * itemsize)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def check_fit_memory(structure, n_samples: int, n_features: int, n_components: int, dtype, owner: str,
                     history_cells: int = 0) -> None:
    """Raise :class:`InsufficientMemoryError` when the fit's estimated peak exceeds the available memory.

    ``GMMLAB_MEMORY_GUARD=0`` in the environment turns the check off (at the risk of the OOM killer).
    """
    if os.environ.get("GMMLAB_MEMORY_GUARD", "1") == "0":
        return
    needed = estimate_fit_memory(structure, n_samples, n_features, n_components, dtype, history_cells)
    available = available_memory()
    if needed <= _HEADROOM * available:
        return
    covariance_bytes = _COVARIANCE_COPIES * math.prod(structure.covariance_shape(n_components, n_features))
    covariance_bytes *= np.dtype(dtype).itemsize
    alternatives = [
        "float32 data (X.astype(np.float32)) halves it" if np.dtype(dtype) == np.float64 else None,
        "a cheaper covariance_type ('diag' or 'spherical' hold K x d numbers, 'tied' one d x d matrix)"
        if structure.name in ("full", "tied") or covariance_bytes > needed / 2 else None,
        "fewer dimensions (PCA first, e.g. gmmlab's pca or sklearn.decomposition.PCA)",
        "fewer components",
        "a Dask array (dask.array), which fits chunk by chunk on a cluster (pip install 'gmmlab[dask]')",
    ]
    raise InsufficientMemoryError(
        f"{owner}: fitting {n_components} '{structure.name}' components to {n_samples} x {n_features} "
        f"{np.dtype(dtype).name} data needs about {_gib(needed)} (of which {_gib(covariance_bytes)} for the "
        f"covariance-shaped arrays), but only {_gib(available)} of memory is available. Alternatives: "
        + "; ".join(a for a in alternatives if a)
        + ". (GMMLAB_MEMORY_GUARD=0 skips this check.)"
    )
