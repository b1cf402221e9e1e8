"""Static 2-D views of clusterings with matplotlib: data, KMeans regions, GMM ellipses.

Every function takes ``ax=None`` (a new figure is made) and returns the axes it drew on. Data with more than two
features is shown in the plane of two of them (``dims``, default the first two), and the axis labels say so; a
Gaussian's ellipse in that plane is the one of its marginal over those two features, which is exact.
"""

from __future__ import annotations

import numbers
from typing import Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.patches import Ellipse

from .._validation import check_covariance_types
from ..mixture import FitData, MixtureParams, e_step, get_structure
from ._i18n import check_lang, localize

__all__ = [
    "plot_data",
    "plot_kmeans",
    "plot_gmm",
    "plot_ellipses",
    "full_covariances",
]

_POINT_SIZE = 12


# ------------------------------------------------------------------------------------------------ shared helpers


def _palette(n_colors: int) -> np.ndarray:
    """``n_colors`` distinct RGBA colours, shape (n_colors, 4): tab10, then tab20, then evenly spaced hues."""
    if n_colors <= 10:
        colours = np.asarray(plt.get_cmap("tab10").colors[:n_colors])
        return np.c_[colours, np.ones(n_colors)]
    if n_colors <= 20:
        colours = np.asarray(plt.get_cmap("tab20").colors[:n_colors])
        return np.c_[colours, np.ones(n_colors)]
    return plt.get_cmap("hsv")(np.linspace(0, 1, n_colors, endpoint=False))


def _check_X(X, caller: str) -> np.ndarray:
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{caller}: X must be a numeric array of shape (n_samples, n_features).") from None
    if array.ndim != 2:
        raise ValueError(
            f"{caller}: X must be 2-D (n_samples, n_features), got shape {array.shape}; "
            "for a single feature there is no plane to draw."
        )
    if array.shape[1] < 2:
        raise ValueError(f"{caller}: X needs at least 2 features to draw a plane, got {array.shape[1]}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{caller}: X contains NaN or infinity; drop or impute those values first.")
    return array


def _check_dims(dims, n_features: int, caller: str) -> tuple:
    ok = (
        isinstance(dims, (tuple, list))
        and len(dims) == 2
        and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims)
        and all(0 <= d < n_features for d in dims)
        and dims[0] != dims[1]
    )
    if not ok:
        raise ValueError(
            f"{caller}: dims must be two different feature indices in [0, {n_features - 1}], got {dims!r}; "
            "e.g. dims=(0, 1)."
        )
    return int(dims[0]), int(dims[1])


def _check_labels(labels, n_samples: int, name: str, caller: str) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (n_samples,):
        raise ValueError(f"{caller}: {name} must have shape ({n_samples},) (one per row of X), got {array.shape}.")
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)):
            array = array.astype(int)
        else:
            raise ValueError(f"{caller}: {name} must be integer cluster indices, got dtype {array.dtype}.")
    return array


def _new_axes(ax: Optional[Axes], figsize=(6, 5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _label_axes(ax: Axes, dims: tuple, n_features: int) -> None:
    # Equal scales on both axes: distances, circles and Voronoi boundaries are only true to shape that way.
    ax.set_aspect("equal", adjustable="box")
    i, j = dims
    if n_features > 2:
        ax.set_xlabel(f"feature {i} (plane of features {i}, {j} of {n_features})")
    else:
        ax.set_xlabel(f"feature {i}")
    ax.set_ylabel(f"feature {j}")


def _limits(points: np.ndarray, margin: float = 0.05) -> tuple:
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return low - margin * span, high + margin * span


def full_covariances(covariances, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Every component's full covariance matrix, shape (n_components, n_features, n_features).

    Parameters
    ----------
    covariances : array-like
        In the layout of ``covariance_type`` (as ``GaussianMixture.covariances_``): full (K, d, d), tied (d, d),
        diag (K, d) or spherical (K,).
    covariance_type : str
        "full", "tied", "diag", "spherical" or an mclust model name (EII ... VVV).
    n_components, n_features : int

    Raises
    ------
    ValueError
        If the covariance type is unknown or the shape does not match its layout.
    """
    if not isinstance(covariance_type, str):
        raise ValueError(f"full_covariances: covariance_type must be one name such as 'full', got {covariance_type!r}.")
    check_covariance_types(covariance_type, "full_covariances", name="covariance_type")
    c = np.asarray(covariances, dtype=float)
    structure = get_structure(covariance_type)
    expected = structure.covariance_shape(n_components, n_features)
    if c.shape != expected:
        raise ValueError(
            f"covariances of a {covariance_type!r} mixture with {n_components} components in {n_features} features "
            f"must have shape {expected}, got {c.shape}."
        )
    return structure.full_covariances(c, n_components, n_features)


def _mixture_parameters(model, covariance_type: Optional[str] = None) -> tuple:
    """``(means, covariances, weights, covariance_type)`` of a fitted mixture or an iteration record.

    ``model`` is a fitted ``GaussianMixture`` (gmmlab's or scikit-learn's), or any object with ``means``,
    ``covariances`` and ``weights`` (an :class:`~gmmlab.IterationRecord`), whose covariance type is then taken
    from ``covariance_type`` or from a ``covariance_type`` attribute.
    """
    if hasattr(model, "means_"):
        means, covariances, weights = model.means_, model.covariances_, model.weights_
        covariance_type = model.covariance_type
    elif hasattr(model, "means") and hasattr(model, "covariances"):
        means, covariances = model.means, model.covariances
        weights = getattr(model, "weights", None)
        covariance_type = covariance_type or getattr(model, "covariance_type", None)
        if covariances is None:
            raise ValueError(
                "this record holds no covariances (a KMeans record, or a GMM started from precisions_init); "
                "draw it with plot_kmeans instead."
            )
        if covariance_type is None:
            raise ValueError(
                "an iteration record does not know its covariance type; pass covariance_type= "
                "(e.g. history.covariance_type)."
            )
    else:
        raise TypeError(
            f"expected a fitted GaussianMixture or an IterationRecord-like object with means, covariances and "
            f"weights, got {type(model).__name__}; fit the mixture first."
        )
    means = np.asarray(means, dtype=float)
    if weights is None:
        weights = np.full(means.shape[0], 1.0 / means.shape[0])
    return means, np.asarray(covariances, dtype=float), np.asarray(weights, dtype=float), covariance_type


def _responsibilities_from_parameters(X, means, covariances, weights, covariance_type: str) -> np.ndarray:
    """Posterior probability of every component for every row of ``X``, shape (n_samples, n_components)."""
    structure = get_structure(covariance_type)
    shift = X.mean(axis=0)
    covariances = np.asarray(covariances, dtype=float)
    weights = np.clip(np.asarray(weights, dtype=float), np.finfo(float).tiny, None)
    params = MixtureParams(weights, means - shift, covariances, structure.precision_cholesky(covariances))
    _, resp = e_step(structure, params, FitData.from_samples(X, shift))
    return resp


def _nearest_center(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the closest centre (Euclidean) for every row of ``X``."""
    distances = (X**2).sum(axis=1)[:, None] - 2.0 * X @ centers.T + (centers**2).sum(axis=1)[None, :]
    return distances.argmin(axis=1)


def _record_assignments(history, record, X: np.ndarray) -> tuple:
    """``(labels, responsibilities)`` of a history record on ``X``: stored ones when they fit, else recomputed.

    Responsibilities are None for KMeans, and for a GMM record without covariances (then labels are the nearest
    mean).
    """
    n_samples, n_components = X.shape[0], record.means.shape[0]
    if history.model == "gmm":
        resp = record.responsibilities
        if resp is not None and np.shape(resp) == (n_samples, n_components):
            return np.asarray(resp).argmax(axis=1), np.asarray(resp)
        if record.covariances is not None:
            resp = _responsibilities_from_parameters(
                X, record.means, record.covariances, record.weights, history.covariance_type
            )
            return resp.argmax(axis=1), resp
    elif record.labels is not None and np.shape(record.labels) == (n_samples,):
        return np.asarray(record.labels), None
    return _nearest_center(X, np.asarray(record.means)), None


def _check_history(history, X, caller: str) -> None:
    if not hasattr(history, "records") or not hasattr(history, "model"):
        raise TypeError(
            f"{caller}: expected a gmmlab History (an estimator's history_), got {type(history).__name__}; "
            "fit GaussianMixture or TracedKMeans with record_history=True."
        )
    if len(history) == 0:
        raise ValueError(f"{caller}: the history holds no records; fit with max_iter >= 1 and record_history=True.")
    n_features = history.records[0].means.shape[1]
    if X.shape[1] != n_features:
        raise ValueError(f"{caller}: the history's model has {n_features} features but X has {X.shape[1]}.")


def _check_restart(history, restart) -> int:
    restarts = sorted({r.restart for r in history})
    if restart is None:
        return int(history.best_restart)
    if isinstance(restart, bool) or not isinstance(restart, numbers.Integral) or restart not in restarts:
        raise ValueError(
            f"restart must be one of the recorded restarts {restarts} (or None for the kept one), got {restart!r}."
        )
    return int(restart)


def _objective_limits(objectives: np.ndarray):
    """y-limits that leave out an initial state far off the rest of the curve, or None to keep the full range.

    A start from single points (k-means++, random_from_data) can have a log-likelihood millions below the
    next iteration's, which would flatten the whole curve into one line.
    """
    rest = objectives[1:]
    if rest.size < 2:
        return None
    spread_rest = float(rest.max() - rest.min())
    spread_all = float(objectives.max() - objectives.min())
    if spread_rest <= 0 or spread_all <= 20 * spread_rest:
        return None
    return float(rest.min() - 0.1 * spread_rest), float(rest.max() + 0.1 * spread_rest)


def _point_colors(n_components: int, labels=None, responsibilities=None) -> np.ndarray:
    """RGBA colour of every point: its cluster's colour, or the responsibility-weighted mix of all of them."""
    colours = _palette(n_components)
    if responsibilities is not None:
        out = np.ones((responsibilities.shape[0], 4))
        out[:, :3] = np.clip(responsibilities @ colours[:, :3], 0, 1)
        return out
    return colours[np.asarray(labels) % n_components]


# ------------------------------------------------------------------------------------------------ data


def plot_data(
    X, labels=None, ax: Optional[Axes] = None, title: Optional[str] = None, dims=(0, 1), lang: str = "en"
) -> Axes:
    """Scatter the data, coloured by its true label when given.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,), optional
        True labels (e.g. ``GMMData.y``); one colour each.
    ax : matplotlib Axes, optional
    title : str, optional
    dims : pair of int, default=(0, 1)
        The two features drawn.
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_lang(lang, "plot_data")
    X = _check_X(X, "plot_data")
    dims = _check_dims(dims, X.shape[1], "plot_data")
    ax = _new_axes(ax)
    P = X[:, dims]
    if labels is None:
        ax.scatter(P[:, 0], P[:, 1], s=_POINT_SIZE, color="0.3", alpha=0.7, linewidths=0)
    else:
        labels = _check_labels(labels, X.shape[0], "labels", "plot_data")
        values = np.unique(labels)
        colours = _palette(len(values))
        for value, colour in zip(values, colours):
            mask = labels == value
            ax.scatter(P[mask, 0], P[mask, 1], s=_POINT_SIZE, color=colour, alpha=0.8, linewidths=0, label=str(value))
        ax.legend(title="label", fontsize="small", markerscale=1.5, loc="best")
    _label_axes(ax, dims, X.shape[1])
    localize(ax, lang)
    if title is not None:
        ax.set_title(title)
    return ax


# ------------------------------------------------------------------------------------------------ KMeans


def _centers_of(model_or_centers) -> np.ndarray:
    if hasattr(model_or_centers, "cluster_centers_"):
        return np.asarray(model_or_centers.cluster_centers_, dtype=float)
    if hasattr(model_or_centers, "means"):
        return np.asarray(model_or_centers.means, dtype=float)
    if hasattr(model_or_centers, "fit") and not hasattr(model_or_centers, "cluster_centers_"):
        raise ValueError("plot_kmeans: the KMeans model is not fitted; call fit(X) first.")
    return np.asarray(model_or_centers, dtype=float)


def plot_kmeans(
    model_or_centers,
    X,
    ax: Optional[Axes] = None,
    labels=None,
    regions: bool = True,
    dims=(0, 1),
    resolution: int = 300,
    lang: str = "en",
) -> Axes:
    """KMeans: points coloured by cluster, the centres, and the Voronoi decision regions.

    Parameters
    ----------
    model_or_centers : fitted KMeans / TracedKMeans, IterationRecord, or array of shape (n_clusters, n_features)
    X : array-like of shape (n_samples, n_features)
    ax : matplotlib Axes, optional
    labels : array-like of shape (n_samples,), optional
        Cluster of every point; default the nearest centre.
    regions : bool, default=True
        Shade the region of the plane closest to each centre (an image of ``resolution`` x ``resolution``
        pixels, each coloured by the centre nearest to the pixel's centre). With more than two features the
        regions are those of the centres projected onto the plane, which the points' own labels need not follow.
    dims : pair of int, default=(0, 1)
    resolution : int, default=300
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_lang(lang, "plot_kmeans")
    X = _check_X(X, "plot_kmeans")
    centers = _centers_of(model_or_centers)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"plot_kmeans: the centres must have shape (n_clusters, {X.shape[1]}) to match X, got {centers.shape}."
        )
    dims = _check_dims(dims, X.shape[1], "plot_kmeans")
    n_clusters = centers.shape[0]
    if labels is None:
        labels = _nearest_center(X, centers)
    else:
        labels = _check_labels(labels, X.shape[0], "labels", "plot_kmeans")
    ax = _new_axes(ax)
    P, C = X[:, dims], centers[:, dims]
    colours = _palette(max(n_clusters, int(labels.max()) + 1))
    low, high = _limits(np.vstack([P, C]))
    if regions:
        xs = low[0] + (np.arange(resolution) + 0.5) * (high[0] - low[0]) / resolution
        ys = low[1] + (np.arange(resolution) + 0.5) * (high[1] - low[1]) / resolution
        grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        region = _nearest_center(grid, C).reshape(resolution, resolution)
        ax.imshow(
            region,
            origin="lower",
            extent=(low[0], high[0], low[1], high[1]),
            cmap=ListedColormap(colours[:n_clusters]),
            vmin=-0.5,
            vmax=n_clusters - 0.5,
            alpha=0.18,
            interpolation="nearest",
            aspect="auto",
            zorder=0,
        )
    ax.scatter(P[:, 0], P[:, 1], s=_POINT_SIZE, c=colours[labels % len(colours)], linewidths=0, alpha=0.8, zorder=1)
    ax.scatter(C[:, 0], C[:, 1], marker="X", s=160, c=colours[:n_clusters], edgecolors="black", linewidths=1.2,
               zorder=3)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    _label_axes(ax, dims, X.shape[1])
    return localize(ax, lang)


# ------------------------------------------------------------------------------------------------ GMM


def _check_n_std(n_std) -> tuple:
    values = (n_std,) if isinstance(n_std, numbers.Real) else tuple(n_std)
    if not values or any(isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0 for v in values):
        raise ValueError(f"n_std must be a positive number or a sequence of them, got {n_std!r}; e.g. n_std=(1, 2).")
    return tuple(float(v) for v in values)


def plot_ellipses(
    means,
    covariances,
    covariance_type: str,
    ax: Optional[Axes] = None,
    n_std=(1, 2),
    weights=None,
    dims=(0, 1),
    colors=None,
) -> Axes:
    """Draw every component's ellipses at ``n_std`` standard deviations, and its mean.

    An ellipse at ``s`` standard deviations has semi-axes ``s * sqrt(lambda)`` along the eigenvectors of the
    component's 2x2 covariance (its marginal over ``dims``), for any covariance type.

    Parameters
    ----------
    means : array-like of shape (n_components, n_features)
    covariances : array-like
        In the layout of ``covariance_type`` (see :func:`full_covariances`).
    covariance_type : str
        "full", "tied", "diag", "spherical" or an mclust model name (EII ... VVV).
    ax : matplotlib Axes, optional
    n_std : float or sequence of float, default=(1, 2)
    weights : array-like of shape (n_components,), optional
        Mixing weights; when given, the line width grows with the weight.
    dims : pair of int, default=(0, 1)
    colors : sequence of colours, optional
        One per component; default the gmmlab palette.

    Returns
    -------
    ax : matplotlib Axes
        With ``n_components * len(n_std)`` :class:`~matplotlib.patches.Ellipse` patches added.
    """
    means = np.asarray(means, dtype=float)
    if means.ndim != 2 or means.shape[1] < 2:
        raise ValueError(f"plot_ellipses: means must have shape (n_components, n_features >= 2), got {means.shape}.")
    n_components, n_features = means.shape
    dims = _check_dims(dims, n_features, "plot_ellipses")
    levels = _check_n_std(n_std)
    full = full_covariances(covariances, covariance_type, n_components, n_features)[:, dims][:, :, dims]
    colours = _palette(n_components) if colors is None else [to_rgba(c) for c in colors]
    if len(colours) < n_components:
        raise ValueError(f"plot_ellipses: colors needs one colour per component ({n_components}), got {len(colours)}.")
    if weights is None:
        widths = np.full(n_components, 1.5)
    else:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (n_components,):
            raise ValueError(f"plot_ellipses: weights must have shape ({n_components},), got {weights.shape}.")
        widths = 0.8 + 2.5 * weights / max(float(weights.max()), np.finfo(float).tiny)
    ax = _new_axes(ax)
    for k in range(n_components):
        center, radii, angle = _ellipse_geometry(means[k, list(dims)], full[k])
        for level in levels:
            ax.add_patch(
                Ellipse(
                    center,
                    width=2 * level * radii[0],
                    height=2 * level * radii[1],
                    angle=angle,
                    fill=False,
                    edgecolor=colours[k],
                    linewidth=widths[k],
                    alpha=1.0 if level == levels[0] else 0.6,
                    zorder=2,
                )
            )
        ax.scatter(*means[k, list(dims)], marker="X", s=120, color=colours[k], edgecolors="black", zorder=3)
    return ax


def _ellipse_geometry(mean2, covariance2) -> tuple:
    """``(center, (major, minor), angle_degrees)`` of the 1-standard-deviation ellipse of a 2x2 covariance."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance2)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    order = np.argsort(eigenvalues)[::-1]
    major = eigenvectors[:, order[0]]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    return tuple(mean2), tuple(np.sqrt(eigenvalues[order])), angle


def plot_gmm(
    gmm,
    X,
    ax: Optional[Axes] = None,
    n_std=(1, 2),
    soft: bool = True,
    dims=(0, 1),
    covariance_type: Optional[str] = None,
    lang: str = "en",
) -> Axes:
    """A Gaussian mixture over its data: ellipses at ``n_std`` standard deviations and the assignments.

    Parameters
    ----------
    gmm : fitted GaussianMixture, or an IterationRecord-like object
        An object with ``means``, ``covariances``, ``weights`` (and ``responsibilities``, used when they are
        stored for these rows) needs ``covariance_type`` from the argument or an attribute.
    X : array-like of shape (n_samples, n_features)
    ax : matplotlib Axes, optional
    n_std : float or sequence of float, default=(1, 2)
    soft : bool, default=True
        Colour every point by the mix of the component colours weighted by its responsibilities, so points
        between components look blended; False colours by the most probable component only (hard assignment).
    dims : pair of int, default=(0, 1)
    covariance_type : str, optional
        Needed for an iteration record (e.g. ``history.covariance_type``).
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_lang(lang, "plot_gmm")
    X = _check_X(X, "plot_gmm")
    means, covariances, weights, covariance_type = _mixture_parameters(gmm, covariance_type)
    if means.shape[1] != X.shape[1]:
        raise ValueError(f"plot_gmm: the mixture has {means.shape[1]} features but X has {X.shape[1]}.")
    dims = _check_dims(dims, X.shape[1], "plot_gmm")
    resp = getattr(gmm, "responsibilities", None)
    if resp is None or np.shape(resp) != (X.shape[0], means.shape[0]):
        resp = (
            np.asarray(gmm.predict_proba(X))
            if hasattr(gmm, "predict_proba")
            else _responsibilities_from_parameters(X, means, covariances, weights, covariance_type)
        )
    colours = _point_colors(means.shape[0], resp.argmax(axis=1), resp if soft else None)
    ax = _new_axes(ax)
    P = X[:, dims]
    ax.scatter(P[:, 0], P[:, 1], s=_POINT_SIZE, c=colours, linewidths=0, alpha=0.85, zorder=1)
    plot_ellipses(means, covariances, covariance_type, ax=ax, n_std=n_std, weights=weights, dims=dims)
    low, high = _limits(P)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    _label_axes(ax, dims, X.shape[1])
    levels = ", ".join(f"{v:g}" for v in _check_n_std(n_std))
    ax.set_title(f"GMM ({covariance_type}): {levels} sd, {'soft' if soft else 'hard'} assignment")
    return localize(ax, lang)
