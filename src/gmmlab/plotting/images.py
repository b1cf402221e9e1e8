"""Pictures of an image generator: grids of images, samples per component, and the mixture in 3-D (plotly)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Optional

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.utils import check_random_state

from gmmlab._validation import check_images

from ._i18n import check_lang, localize
from .static import _check_n_std, _palette, full_covariances

__all__ = ["image_grid", "plot_component_samples", "plot_gmm_3d"]


def _as_images(images, caller: str) -> np.ndarray:
    """(n, height, width) or (n, n_pixels) with a square n_pixels -> (n, height, width), uint8 scaled to [0, 1]."""
    pixels, shape = check_images(images, caller, square=True)
    return pixels.reshape(-1, *shape)


def image_grid(
    images,
    n_cols: int = 10,
    titles: Optional[Sequence[str]] = None,
    cmap: str = "gray",
    fig: Optional[Figure] = None,
) -> Figure:
    """Show images in a grid (the lab's ``visualize_subset_in_grid``).

    Parameters
    ----------
    images : array-like of shape (n, height, width) or (n, n_pixels)
        Pixel values in [0, 1] (uint8 pixels are divided by 255).
    n_cols : int, default=10
        Images per row; the number of rows follows.
    titles : sequence of str, optional
        One title per image.
    cmap : str, default="gray"
    fig : matplotlib Figure, optional
        Draw into this (empty) figure instead of a new one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    caller = "image_grid"
    array = _as_images(images, caller)
    if isinstance(n_cols, bool) or not isinstance(n_cols, numbers.Integral) or n_cols < 1:
        raise ValueError(f"{caller}: n_cols must be an integer >= 1, got {n_cols!r}.")
    n = array.shape[0]
    if titles is not None and len(titles) != n:
        raise ValueError(f"{caller}: got {len(titles)} titles for {n} images; pass one per image.")
    n_cols = min(int(n_cols), n)
    n_rows = -(-n // n_cols)
    if fig is None:
        fig = plt.figure(figsize=(1.2 * n_cols, 1.2 * n_rows + (0.3 * n_rows if titles is not None else 0)))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < n:
            ax.imshow(array[index], cmap=cmap, vmin=0.0, vmax=1.0)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize=8)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92 if titles is not None else 0.99,
                        wspace=0.05, hspace=0.35 if titles is not None else 0.05)
    return fig


def plot_component_samples(
    generator,
    n_per_component: int = 8,
    random_state=None,
    composition: Optional[pd.DataFrame] = None,
    cmap: str = "gray",
    lang: str = "en",
) -> Figure:
    """Images drawn from each component of a fitted generator: one row per component.

    The first column is the component's decoded mean; the row label names the component, its weight and, when
    ``composition`` is given, the class that dominates its images.

    Parameters
    ----------
    generator : fitted :class:`~gmmlab.generative.GMMImageGenerator`
    n_per_component : int, default=8
    random_state : int, RandomState instance or None
    composition : pandas.DataFrame, optional
        The output of ``generator.component_composition(images, labels)``.
    cmap : str, default="gray"
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    matplotlib.figure.Figure
    """
    caller = "plot_component_samples"
    check_lang(lang, caller)
    if not hasattr(generator, "gmm_"):
        raise ValueError(f"{caller}: generator must be a fitted GMMImageGenerator; call fit() first.")
    if isinstance(n_per_component, bool) or not isinstance(n_per_component, numbers.Integral) or n_per_component < 1:
        raise ValueError(f"{caller}: n_per_component must be an integer >= 1, got {n_per_component!r}.")
    rng = check_random_state(random_state)
    K = generator.n_components_
    means = generator.component_means()
    weights = generator.gmm_.weights_
    fig = plt.figure(figsize=(1.1 * (n_per_component + 1) + 2.0, 1.1 * K))
    axes = fig.subplots(K, n_per_component + 1, squeeze=False)
    for k in range(K):
        row = np.concatenate([means[k : k + 1], generator.sample_component(k, n_per_component, random_state=rng)])
        for column, ax in enumerate(axes[k]):
            ax.imshow(row[column], cmap=cmap, vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
        label = f"k={k}  w={weights[k]:.2f}"
        if composition is not None and "dominant_class" in composition:
            dominant = composition["dominant_class"].iloc[k]
            if isinstance(dominant, str):
                label += f"\n{dominant} ({composition[dominant].iloc[k]:.0%})"
        # Text, not a y label: matplotlib re-centres a horizontal y label at draw time, over the image.
        axes[k, 0].text(-0.08, 0.5, label, transform=axes[k, 0].transAxes, ha="right", va="center", fontsize=8)
    axes[0, 0].set_title("mean", fontsize=8)
    fig.subplots_adjust(left=0.15, wspace=0.05, hspace=0.05)
    return localize(fig, lang)


def _ellipsoid_mesh(mean, covariance, scale: float, n_u: int = 24, n_v: int = 12):
    """Vertices and triangles of the ellipsoid ``(x - mean)^T C^-1 (x - mean) = scale^2``."""
    values, vectors = np.linalg.eigh(covariance)
    radii = scale * np.sqrt(np.clip(values, 0.0, None))
    u = np.linspace(0, 2 * np.pi, n_u, endpoint=False)
    v = np.linspace(0, np.pi, n_v)
    uu, vv = np.meshgrid(u, v)
    sphere = np.stack([np.cos(uu) * np.sin(vv), np.sin(uu) * np.sin(vv), np.cos(vv)], axis=-1).reshape(-1, 3)
    points = mean + (sphere * radii) @ vectors.T
    i, j, k = [], [], []
    for a in range(n_v - 1):
        for b in range(n_u):
            p0, p1 = a * n_u + b, a * n_u + (b + 1) % n_u
            q0, q1 = p0 + n_u, p1 + n_u
            i += [p0, p1]
            j += [p1, q1]
            k += [q0, q0]
    # float32 vertices and int16 indices: plotly stores them as compact typed arrays (a notebook holds many).
    return points.astype(np.float32), *(np.array(t, dtype=np.int16) for t in (i, j, k))


def plot_gmm_3d(
    generator_or_gmm,
    Z,
    labels=None,
    n_std=(1, 2),
    max_points: int = 3000,
    class_names: Optional[Sequence[str]] = None,
    random_state=0,
    lang: str = "en",
) -> "go.Figure":
    """The data in its 3 leading principal components with one ellipsoid per mixture component (plotly).

    For a mixture in more than 3 dimensions each ellipsoid is the component's marginal on the first 3 (its mean's
    first 3 entries and the top-left 3 x 3 block of its full covariance). The figure embeds everything it needs:
    ``fig.write_html(path, include_plotlyjs=True)`` works offline.

    Parameters
    ----------
    generator_or_gmm : fitted GMMImageGenerator or GaussianMixture (gmmlab's or scikit-learn's)
    Z : array-like of shape (n, d)
        Points in the mixture's space (``generator.transform(images)``), d >= 3.
    labels : array-like of int, shape (n,), optional
        Colours the points (one trace per label, named by ``class_names``).
    n_std : float or sequence of float, default=(1, 2)
        Ellipsoids at these numbers of standard deviations.
    max_points : int, default=3000
        At most this many points are drawn (a random subset).
    class_names : sequence of str, optional
        Names of the label values 0, 1, ... (e.g. :data:`gmmlab.data.FASHION_MNIST_CLASSES`); by default the
        labels themselves.
    random_state : int, RandomState instance or None, default=0
        Chooses the subset of points.
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    plotly.graph_objects.Figure
        One Scatter3d trace per label (one in all without labels), then one Mesh3d per component and level.
    """
    import plotly.graph_objects as go  # only the 3-D view needs plotly

    caller = "plot_gmm_3d"
    check_lang(lang, caller)
    gmm = getattr(generator_or_gmm, "gmm_", generator_or_gmm)
    if not hasattr(gmm, "means_"):
        raise ValueError(f"{caller}: expected a fitted GMMImageGenerator or GaussianMixture; call fit() first.")
    means = np.asarray(gmm.means_, dtype=float)
    K, d = means.shape
    if d < 3:
        raise ValueError(f"{caller}: the mixture lives in {d} dimensions; a 3-D view needs at least 3.")
    covariances = full_covariances(gmm.covariances_, gmm.covariance_type, K, d)[:, :3, :3]
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2 or Z.shape[1] != d:
        raise ValueError(
            f"{caller}: Z must have shape (n, {d}), points in the mixture's space, got {Z.shape}. "
            "Fix: pass generator.transform(images)."
        )
    levels = _check_n_std(n_std)
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 1:
        raise ValueError(f"{caller}: max_points must be an integer >= 1, got {max_points!r}.")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (Z.shape[0],):
            raise ValueError(f"{caller}: labels must have shape ({Z.shape[0]},), one per point, got {labels.shape}.")
    keep = np.arange(Z.shape[0])
    if Z.shape[0] > max_points:
        keep = np.sort(check_random_state(random_state).choice(Z.shape[0], max_points, replace=False))
    points = Z[keep, :3].astype(np.float32)

    fig = go.Figure()
    if labels is None:
        fig.add_trace(
            go.Scatter3d(
                x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers", name="data",
                marker=dict(size=2, color="#555555", opacity=0.5),
            )
        )
    else:
        shown = labels[keep]
        values = np.unique(labels)
        colours = _palette(len(values))
        for index, value in enumerate(values):
            mask = shown == value
            name = str(class_names[int(value)]) if class_names is not None else str(value)
            rgb = ",".join(str(int(round(255 * c))) for c in colours[index][:3])
            fig.add_trace(
                go.Scatter3d(
                    x=points[mask, 0], y=points[mask, 1], z=points[mask, 2], mode="markers", name=name,
                    marker=dict(size=2, color=f"rgb({rgb})", opacity=0.6),
                )
            )
    component_colours = _palette(K)
    weights = np.asarray(gmm.weights_, dtype=float)
    for k in range(K):
        rgb = ",".join(str(int(round(255 * c))) for c in component_colours[k][:3])
        for level in levels:
            vertices, i, j, kk = _ellipsoid_mesh(means[k, :3], covariances[k], level)
            hover = f"component {k}<br>weight {weights[k]:.3f}<br>{level:g} std"
            fig.add_trace(
                go.Mesh3d(
                    x=vertices[:, 0], y=vertices[:, 1], z=vertices[:, 2], i=i, j=j, k=kk,
                    color=f"rgb({rgb})", opacity=0.35 / level, name=f"component {k} ({level:g} std)",
                    hovertext=hover, hoverinfo="text", showlegend=level == levels[0],
                    legendgroup=f"component {k}",
                )
            )
    fig.update_layout(
        scene=dict(xaxis_title="PC1", yaxis_title="PC2", zaxis_title="PC3"),
        title=f"{K} components, {gmm.covariance_type} covariances" + (" (marginal on PC1-PC3)" if d > 3 else ""),
        legend=dict(itemsizing="constant"),
        margin=dict(l=0, r=0, t=40, b=0),
    )
    return localize(fig, lang)
