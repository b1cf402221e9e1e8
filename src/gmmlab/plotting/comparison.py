"""Comparing clusterings with matplotlib: matched labels, where KMeans and a GMM disagree, robustness boxes.

Every plotting function takes ``ax=None`` (a new figure is made) and returns the axes it drew on.
"""

from __future__ import annotations

from typing import Optional

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from scipy.optimize import linear_sum_assignment

from ._i18n import check_lang, localize
from .static import _POINT_SIZE, _check_dims, _check_labels, _check_X, _label_axes, _new_axes, _palette

__all__ = ["match_labels", "disagreement", "compare_assignments", "plot_robustness"]


# ------------------------------------------------------------------------------------------------ comparison


def match_labels(reference, labels) -> np.ndarray:
    """Relabel ``labels`` so that its clusters carry the index of the ``reference`` cluster they overlap most.

    Cluster indices are arbitrary; the one-to-one matching maximising the number of agreeing points is found with
    the Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment`). Clusters of ``labels`` left without a
    partner (when it has more clusters than ``reference``) get new indices after the reference's largest.

    Parameters
    ----------
    reference, labels : array-like of shape (n_samples,)
        Integer cluster indices.

    Returns
    -------
    ndarray of shape (n_samples,)
        ``labels`` with its clusters renamed.
    """
    reference = np.asarray(reference)
    labels = np.asarray(labels)
    if reference.shape != labels.shape or reference.ndim != 1:
        raise ValueError(
            f"match_labels: reference and labels must be 1-D arrays of the same length, got shapes "
            f"{reference.shape} and {labels.shape}."
        )
    ref_values, ref_index = np.unique(reference, return_inverse=True)
    lab_values, lab_index = np.unique(labels, return_inverse=True)
    overlap = np.zeros((lab_values.size, ref_values.size), dtype=np.int64)
    np.add.at(overlap, (lab_index, ref_index), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    mapping = np.empty(lab_values.size, dtype=ref_values.dtype if ref_values.size else labels.dtype)
    mapping[rows] = ref_values[cols]
    unmatched = np.setdiff1d(np.arange(lab_values.size), rows)
    start = (ref_values.max() + 1) if ref_values.size else 0
    mapping[unmatched] = start + np.arange(unmatched.size)
    return mapping[lab_index]


def disagreement(kmeans_labels, gmm_labels) -> np.ndarray:
    """Boolean mask of the points the two clusterings put in different clusters, after matching the labels."""
    kmeans_labels = np.asarray(kmeans_labels)
    return match_labels(kmeans_labels, gmm_labels) != kmeans_labels


def compare_assignments(X, kmeans_labels, gmm_labels, ax=None, dims=(0, 1), lang: str = "en") -> np.ndarray:
    """KMeans and GMM assignments side by side, with the points on which they disagree circled in black.

    The GMM labels are first matched to the KMeans ones (:func:`match_labels`), so the same colour means the
    same cluster in both panels.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    kmeans_labels, gmm_labels : array-like of shape (n_samples,)
    ax : pair of matplotlib Axes, optional
    dims : pair of int, default=(0, 1)
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    axes : ndarray of two matplotlib Axes
    """
    check_lang(lang, "compare_assignments")
    X = _check_X(X, "compare_assignments")
    dims = _check_dims(dims, X.shape[1], "compare_assignments")
    kmeans_labels = _check_labels(kmeans_labels, X.shape[0], "kmeans_labels", "compare_assignments")
    gmm_labels = _check_labels(gmm_labels, X.shape[0], "gmm_labels", "compare_assignments")
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(12, 5), sharex=True, sharey=True)
    axes = np.asarray(ax, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(f"compare_assignments: ax must be a pair of axes, got {axes.size}.")
    matched = match_labels(kmeans_labels, gmm_labels)
    differ = matched != kmeans_labels
    colours = _palette(int(max(kmeans_labels.max(), matched.max())) + 1)
    P = X[:, dims]
    share = differ.mean() if differ.size else 0.0
    for panel, labels, name in zip(axes, (kmeans_labels, matched), ("KMeans", "GMM (labels matched to KMeans)")):
        panel.scatter(P[:, 0], P[:, 1], s=_POINT_SIZE, c=colours[labels], linewidths=0, alpha=0.8, zorder=1)
        panel.scatter(
            P[differ, 0], P[differ, 1], s=45, facecolors="none", edgecolors="black", linewidths=0.9, zorder=2,
            label=f"disagree: {int(differ.sum())} ({share:.1%})",
        )
        panel.set_title(name)
        panel.legend(loc="best", fontsize="small")
        _label_axes(panel, dims, X.shape[1])
    return localize(axes, lang)


# ------------------------------------------------------------------------------------------------ robustness


def plot_robustness(table, ax: Optional[Axes] = None, lang: str = "en") -> Axes:
    """Box plots of the ARI of every run, one box per init and covariance type, grouped by method.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`gmmlab.robustness.init_robustness` (columns method, init, covariance_type, ari).
    ax : matplotlib Axes, optional
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_lang(lang, "plot_robustness")
    needed = {"method", "init", "covariance_type", "ari"}
    missing = needed - set(getattr(table, "columns", ()))
    if missing:
        raise ValueError(
            f"plot_robustness: the table lacks columns {sorted(missing)}; pass the output of init_robustness."
        )
    if len(table) == 0:
        raise ValueError("plot_robustness: the table is empty.")
    groups = list(dict.fromkeys(zip(table["method"], table["init"])))
    types = list(dict.fromkeys(table["covariance_type"]))
    gmm_types = [t for t in types if t != "none"]
    type_colour = dict(zip(gmm_types, _palette(len(gmm_types))))
    type_colour["none"] = to_rgba("0.6")  # KMeans has no covariance type
    ax = _new_axes(ax, figsize=(max(8.0, 1.3 * len(groups)), 5))
    width = 0.8 / len(types)
    jitter = np.random.RandomState(0)
    for g, (method, init) in enumerate(groups):
        sub = table[(table["method"] == method) & (table["init"] == init)]
        present = [t for t in types if (sub["covariance_type"] == t).any()]
        for i, ctype in enumerate(present):
            values = sub.loc[sub["covariance_type"] == ctype, "ari"].dropna().to_numpy()
            if values.size == 0:
                continue
            position = g + (i - (len(present) - 1) / 2) * width
            box = ax.boxplot(values, positions=[position], widths=width * 0.85, patch_artist=True, showfliers=False)
            box["boxes"][0].set_facecolor(type_colour[ctype])
            box["boxes"][0].set_alpha(0.6)
            for median in box["medians"]:
                median.set_color("black")
            # Every run as a dot too: a box collapses to a line when all runs agree.
            offsets = jitter.uniform(-0.3, 0.3, size=values.size) * width
            ax.scatter(position + offsets, values, s=6, color="black", alpha=0.35, linewidths=0, zorder=3)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{method}\n{init}" for method, init in groups], fontsize="small")
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylabel("adjusted Rand index vs truth (1 = perfect)")
    ax.set_title("Robustness to initialisation: ARI over runs")
    ax.axhline(1.0, color="0.6", linewidth=0.8, linestyle=":")
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=type_colour[t], alpha=0.6) for t in types]
    names = ["none (KMeans)" if t == "none" else t for t in types]
    ax.legend(handles, names, title="covariance type", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return localize(ax, lang)
