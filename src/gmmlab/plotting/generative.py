"""Visual evidence for image generators: sample grids side by side, nearest training images, NDB bins.

Every function returns a matplotlib Figure and writes no file. Per-component samples of either route come from
:func:`gmmlab.plotting.plot_component_samples`, which works for ``model="pca"`` and ``model="mfa"`` generators.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gmmlab.metrics import NDBResult

from .images import _as_images

__all__ = ["compare_sample_grids", "plot_nearest_training", "plot_ndb_bins"]


def _positive(name: str, value, caller: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{caller}: {name} must be an integer >= 1, got {value!r}.")
    return int(value)


def compare_sample_grids(samples: Mapping[str, np.ndarray], n_rows: int = 6, n_cols: int = 6,
                         cmap: str = "gray") -> Figure:
    """One grid of images per model, side by side (e.g. PCA-GMM vs MFA samples).

    Parameters
    ----------
    samples : mapping of str to images
        Title -> images (n, height, width) or (n, n_pixels); the first ``n_rows * n_cols`` of each are shown.
    n_rows, n_cols : int, default=6
    cmap : str, default="gray"

    Returns
    -------
    matplotlib.figure.Figure
    """
    caller = "compare_sample_grids"
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError(f"{caller}: samples must be a non-empty mapping of title -> images.")
    n_rows, n_cols = _positive("n_rows", n_rows, caller), _positive("n_cols", n_cols, caller)
    grids = {title: _as_images(images, caller)[: n_rows * n_cols] for title, images in samples.items()}
    fig = plt.figure(figsize=(1.0 * n_cols * len(grids) + 0.4 * len(grids), 1.0 * n_rows + 0.5))
    panels = fig.subfigures(1, len(grids), squeeze=False)[0]
    for panel, (title, images) in zip(panels, grids.items()):
        axes = panel.subplots(n_rows, n_cols, squeeze=False)
        for index, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if index < len(images):
                ax.imshow(images[index], cmap=cmap, vmin=0.0, vmax=1.0)
        panel.suptitle(title, fontsize=10)
        panel.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.05, hspace=0.05)
    return fig


def plot_nearest_training(generated, train, n_images: int = 10, cmap: str = "gray") -> Figure:
    """Each generated image above its nearest training image (Euclidean in pixels), with the distance.

    Shows whether samples are new: a copy would look identical to the image below it.

    Parameters
    ----------
    generated : images (n, height, width) or (n, n_pixels); the first ``n_images`` are shown
    train : the training images
    n_images : int, default=10
    cmap : str, default="gray"

    Returns
    -------
    matplotlib.figure.Figure
    """
    caller = "plot_nearest_training"
    n_images = _positive("n_images", n_images, caller)
    G = _as_images(generated, caller)[:n_images]
    T = _as_images(train, caller)
    if G.shape[1:] != T.shape[1:]:
        raise ValueError(f"{caller}: generated images are {G.shape[1:]} but training images {T.shape[1:]}.")
    flat_g = G.reshape(len(G), -1).astype(np.float32)
    flat_t = T.reshape(len(T), -1).astype(np.float32)
    squared = (flat_g**2).sum(1)[:, None] - 2 * flat_g @ flat_t.T + (flat_t**2).sum(1)[None, :]
    nearest = squared.argmin(axis=1)
    gaps = np.sqrt(np.maximum(squared[np.arange(len(G)), nearest], 0.0))
    fig = plt.figure(figsize=(1.1 * len(G), 2.6))
    axes = fig.subplots(2, len(G), squeeze=False)
    for j in range(len(G)):
        axes[0, j].imshow(G[j], cmap=cmap, vmin=0.0, vmax=1.0)
        axes[1, j].imshow(T[nearest[j]], cmap=cmap, vmin=0.0, vmax=1.0)
        axes[1, j].set_title(f"d={gaps[j]:.2f}", fontsize=7)
        for ax in axes[:, j]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("generated", fontsize=8)
    axes[1, 0].set_ylabel("nearest\ntraining", fontsize=8)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.02, top=0.92, wspace=0.05, hspace=0.3)
    return fig


def plot_ndb_bins(result: NDBResult, title: str = "NDB bins", reference_label: str = "real",
                  query_label: str = "generated") -> Figure:
    """Share of real and generated images in every NDB bin; statistically different bins are marked.

    Parameters
    ----------
    result : NDBResult
        The output of :func:`gmmlab.metrics.ndb`.
    title, reference_label, query_label : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(result, NDBResult):
        raise ValueError(f"plot_ndb_bins: result must be a gmmlab.metrics.NDBResult, got {type(result).__name__}.")
    order = np.argsort(result.reference_proportions)[::-1]
    x = np.arange(result.n_bins)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.09 * result.n_bins + 2), 3.2))
    ax.bar(x - 0.2, result.reference_proportions[order], width=0.4, label=reference_label, color="0.55")
    ax.bar(x + 0.2, result.query_proportions[order], width=0.4, label=query_label, color="tab:blue")
    different = np.nonzero(result.different[order])[0]
    top = max(result.reference_proportions.max(), result.query_proportions.max())
    ax.scatter(different, np.full(len(different), top * 1.05), marker="v", color="tab:red", s=12,
               label=f"different (p < alpha): {result.ndb}/{result.n_bins}")
    ax.set_xlabel("bin (sorted by the real share)")
    ax.set_ylabel("share of images")
    ax.set_title(f"{title}: NDB/K = {result.ndb_over_k:.2f}, JS = {result.js:.3f}")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
