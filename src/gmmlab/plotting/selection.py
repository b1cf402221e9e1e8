"""Model-selection plots: criterion curves over K with a band over seeds, and the KMeans elbow."""

from __future__ import annotations

from typing import Optional

import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..selection import CRITERION_LABELS, Selection, choose_n_components
from ._i18n import check_lang, localize

__all__ = ["plot_criterion", "plot_elbow"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def plot_criterion(
    results: pd.DataFrame, criterion: str = "bic", selection: Optional[Selection] = None, ax=None, lang: str = "en"
):
    """Mean criterion against K, one line per covariance type, a band of ± one std over seeds, the choice marked.

    Parameters
    ----------
    results : pandas.DataFrame
        A :func:`gmmlab.selection.sweep` table.
    criterion : {"bic", "aic", "icl", "inertia"}, default="bic"
        Lower is better for all of them; BIC with scikit-learn's sign (the axis label says so).
    selection : Selection, optional
        The choice to mark; by default :func:`gmmlab.selection.choose_n_components` with its default rule.
    ax : matplotlib Axes, optional
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_lang(lang, "plot_criterion")
    if selection is None:
        selection = choose_n_components(results, criterion)
    elif selection.criterion != criterion:
        raise ValueError(
            f"plot_criterion: the selection was made on {selection.criterion!r} but criterion={criterion!r}; "
            "pass the same criterion, or selection=None."
        )
    ax = _axes(ax)
    summary = selection.summary
    for covariance_type, curve in summary.groupby(summary["covariance_type"].fillna("-"), sort=False):
        label = "KMeans" if covariance_type == "-" else covariance_type
        (line,) = ax.plot(curve["n_components"], curve["mean"], marker="o", markersize=3, label=label)
        if (curve["n_seeds"] > 1).any():
            ax.fill_between(
                curve["n_components"],
                curve["mean"] - curve["std"],
                curve["mean"] + curve["std"],
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
    chosen = summary[
        (summary["n_components"] == selection.n_components)
        & (summary["covariance_type"].fillna("-") == (selection.covariance_type or "-"))
    ].iloc[0]
    kind = f", {selection.covariance_type}" if selection.covariance_type else ""
    ax.axvline(selection.n_components, color="0.4", linestyle="--", linewidth=1)
    ax.plot(
        [selection.n_components],
        [chosen["mean"]],
        marker="*",
        markersize=14,
        color="black",
        linestyle="none",
        label=f"chosen K={selection.n_components}{kind} ({selection.rule})",
    )
    ax.set_xlabel("Number of clusters K" if criterion == "inertia" else "Number of components K")
    ax.set_ylabel(CRITERION_LABELS[criterion])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize="small")
    return localize(ax, lang)


def plot_elbow(results: pd.DataFrame, selection: Optional[Selection] = None, ax=None, lang: str = "en"):
    """KMeans inertia against K (band of ± one std over seeds) with the knee marked.

    Parameters
    ----------
    results : pandas.DataFrame
        A :func:`gmmlab.selection.sweep` table with ``model="kmeans"``.
    selection : Selection, optional
        The choice to mark; by default the knee (:func:`gmmlab.selection.choose_n_components` on inertia).
    ax : matplotlib Axes, optional
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ax : matplotlib Axes
    """
    return plot_criterion(results, "inertia", selection=selection, ax=ax, lang=lang)
