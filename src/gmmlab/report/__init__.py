"""The end-to-end report: the whole assignment, run on real data, as one self-contained HTML page.

:func:`build_report` runs part 1 (synthetic Gaussian mixtures: KMeans vs GMM, the optimisation step by step,
robustness to initialisation, choosing K by inertia and by BIC) and part 2 (Fashion-MNIST: BIC sweeps in PCA
spaces, sampled images, samples per component, the 3D view, quality metrics) and writes ``index.html`` and
``results.json`` (the numbers behind every figure and table).

The page works offline: matplotlib figures are embedded as base64 PNG, plotly's JavaScript is inlined once and
every plotly figure is a ``<div>`` drawn by it; nothing is fetched from the network. A tiny inline script records
any JavaScript error in the ``data-js-errors`` attribute of ``<html>`` so that a headless browser can check it.
"""

from __future__ import annotations

import datetime
import json
import os
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from ._context import ReportContext, _Sizes
from ._html import _jsonable, _render, _write
from ._part1 import _evolution, _kmeans_vs_gmm, _mclust_models, _robustness, _synthetic_data, _synthetic_selection
from ._part2 import _fashion_3d, _fashion_data, _fashion_high, _fashion_metrics, _fashion_pca3, _pixel_space_mfa

__all__ = ["build_report"]

_STEPS: tuple[tuple[str, Callable[[ReportContext], None]], ...] = (
    ("synthetic data", _synthetic_data),
    ("KMeans vs GMM", _kmeans_vs_gmm),
    ("evolution", _evolution),
    ("robustness", _robustness),
    ("choosing K (synthetic)", _synthetic_selection),
    ("mclust's 14 models", _mclust_models),
    ("Fashion-MNIST", _fashion_data),
    ("3 PCs", _fashion_pca3),
    ("more PCs", _fashion_high),
    ("3D view", _fashion_3d),
    ("quality metrics", _fashion_metrics),
    ("pixel-space MFA", _pixel_space_mfa),
)

def build_report(
    out_dir: str | os.PathLike[str],
    fast: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Run the whole assignment and write ``out_dir/index.html`` and ``out_dir/results.json``.

    Parameters
    ----------
    out_dir : str or path-like
        Output folder, created if needed; other files in it are left alone.
    fast : bool, default=False
        Small sizes (fewer points, runs, images and K values) so the report takes seconds; also on when the
        environment variable ``GMMLAB_FAST`` is set (:func:`gmmlab.config.fast_mode`). The full report takes a
        few minutes on two cores.
    data_dir : str or path-like, optional
        Folder holding the Fashion-MNIST files (see :func:`gmmlab.data.locate_fashion_mnist`).
    seed : int, default=0
        Seeds every random step; the same seed gives the same numbers.
    progress : bool, default=True
        Show a progress bar (tqdm) over the steps, on stderr.

    Returns
    -------
    pathlib.Path
        The written ``index.html``.

    Raises
    ------
    gmmlab.data.DataError
        If Fashion-MNIST is missing or damaged (checked before any work).
    """
    from tqdm.auto import tqdm

    from gmmlab import __version__
    from gmmlab.config import fast_mode
    from gmmlab.data import locate_fashion_mnist
    from gmmlab.mixture import one_thread

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"build_report: seed must be a non-negative integer, got {seed!r}.")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"build_report: {out_dir} exists and is not a folder; pass a folder for the report.")
    locate_fashion_mnist(data_dir)  # fail before minutes of work, with the data error's own message
    fast = bool(fast) or fast_mode()
    ctx = ReportContext(seed=int(seed), sizes=_Sizes.for_mode(fast), data_dir=None if data_dir is None else str(data_dir),
                 progress=progress)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    import matplotlib

    # One BLAS thread: the heavy steps run in joblib worker processes already, and on a small or busy machine
    # threaded BLAS on top of them oversubscribes the cores (measured on 2 busy cores: 5-10x slower steps).
    with warnings.catch_warnings(), matplotlib.rc_context({"figure.max_open_warning": 0}), \
            one_thread():
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)  # sweeps over many K: a few fits hit max_iter
        with tqdm(total=len(_STEPS), desc="report", unit="step", disable=not progress) as bar:
            for name, step in _STEPS:
                bar.set_postfix_str(name)
                t0 = time.perf_counter()
                step(ctx)
                timings[name] = round(time.perf_counter() - t0, 2)
                bar.update()
    meta = {
        "gmmlab_version": __version__,
        "mode": "fast" if fast else "full",
        "seed": ctx.seed,
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - start, 1),
        "timings_s": timings,
        "bic_convention": "scikit-learn: BIC = -2 log L + p ln n, lower is better",
    }
    results = {"meta": meta, "summary": dict(ctx.summary), **ctx.results}
    files = {
        "index.html": _render(ctx, meta),
        "results.json": json.dumps(_jsonable(results), indent=1, allow_nan=False),
    }
    _write(out_dir, files)
    return out_dir / "index.html"
