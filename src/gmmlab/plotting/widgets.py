"""An ipywidgets view of a fit's history: move a slider through the iterations and watch the model change."""

from __future__ import annotations

import io
from typing import Optional

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._i18n import check_lang, localize
from .static import (
    _check_dims,
    _check_restart,
    _check_history,
    _check_X,
    _label_axes,
    _limits,
    _objective_limits,
    _point_colors,
    _record_assignments,
    plot_ellipses,
    plot_kmeans,
)

__all__ = ["evolution_widget"]

_OBJECTIVE_LABEL = {
    "log_likelihood": "mean log-likelihood per sample (higher is better)",
    "inertia": "inertia (lower is better)",
}


_WIDGET_WORDS = {
    "en": {"restart": "restart", "kept": "kept", "iteration": "iteration", "play": "play"},
    "es": {"restart": "reinicio", "kept": "el elegido", "iteration": "iteración", "play": "reproducir"},
}


def draw_record(
    history, record, X, ax_model, ax_objective, objectives, dims=(0, 1), n_std=(1, 2), limits=None, lang="en"
):
    """Draw one history record on two axes: the model over the data, and the objective curve up to it.

    Used by :func:`evolution_widget`; ``objectives`` is the objective of every iteration of the record's restart.
    """
    labels, resp = _record_assignments(history, record, X)
    n_components = record.means.shape[0]
    ax_model.clear()
    ax_objective.clear()
    if history.model == "gmm" and record.covariances is not None:
        P = X[:, dims]
        ax_model.scatter(P[:, 0], P[:, 1], s=10, c=_point_colors(n_components, labels, resp), linewidths=0, alpha=0.85)
        plot_ellipses(record.means, record.covariances, history.covariance_type, ax=ax_model, n_std=n_std,
                      weights=record.weights, dims=dims)
        _label_axes(ax_model, dims, X.shape[1])
        ax_model.set_title(f"GMM ({history.covariance_type}), restart {record.restart}, iteration {record.iteration}")
    else:
        plot_kmeans(record.means, X, ax=ax_model, labels=labels, dims=dims, resolution=200)
        ax_model.set_title(f"{'KMeans' if history.model == 'kmeans' else 'GMM means'}, restart {record.restart}, "
                           f"iteration {record.iteration}")
    if limits is not None:
        ax_model.set_xlim(limits[0][0], limits[1][0])
        ax_model.set_ylim(limits[0][1], limits[1][1])
    iterations = np.arange(len(objectives))
    ax_objective.plot(iterations, objectives, color="0.8", linewidth=1, marker=".", zorder=1)
    upto = record.iteration + 1
    ax_objective.plot(iterations[:upto], objectives[:upto], color="tab:blue", linewidth=2, marker="o", ms=4, zorder=2)
    ax_objective.scatter([record.iteration], [record.objective], s=80, color="tab:red", zorder=3)
    zoom = _objective_limits(objectives)
    if zoom is not None:
        ax_objective.set_ylim(*zoom)
        ax_objective.text(0.02, 0.02, f"iteration 0 off scale: {objectives[0]:.4g}", transform=ax_objective.transAxes,
                          fontsize="small", color="0.4")
    ax_objective.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_objective.set_xlabel("iteration (0 = initial state)")
    ax_objective.set_ylabel(_OBJECTIVE_LABEL.get(history.objective_name, history.objective_name))
    name = "mean log-likelihood" if history.objective_name == "log_likelihood" else history.objective_name
    ax_objective.set_title(f"{name} = {record.objective:.6g}")
    localize(ax_model, lang)
    localize(ax_objective, lang)


def evolution_widget(
    history,
    X,
    restart: Optional[int] = None,
    dims=(0, 1),
    n_std=(1, 2),
    figsize=(12, 4.8),
    lang: str = "en",
) -> widgets.VBox:
    """A slider over the iterations of a fit (and a menu over its restarts) redrawing the model at each one.

    The left panel shows the centres (KMeans, with their Voronoi regions) or the ellipses (GMM) and the
    assignments of that iteration: the stored labels / responsibilities, or those recomputed from the record's
    parameters when the history did not keep them. The right panel shows the objective so far (mean
    log-likelihood per sample for a GMM, inertia for KMeans). The figure is rendered to a PNG image widget, so the
    widget also builds and updates without a browser.

    Parameters
    ----------
    history : History
        ``GaussianMixture(record_history=True).fit(X).history_`` or ``TracedKMeans(...).fit(X).history_``.
    X : array-like of shape (n_samples, n_features)
        The data the model was fitted on (or any data with as many features).
    restart : int, optional
        The restart shown first; default the one the estimator kept.
    dims : pair of int, default=(0, 1)
        The two features drawn.
    n_std : float or sequence of float, default=(1, 2)
        Ellipse levels, in standard deviations.
    figsize : pair of float, default=(12, 4.8)
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` is the control row (restart ``Dropdown``, ``Play``, iteration ``IntSlider``) and
        ``children[1]`` the ``Image`` showing the figure.
    """
    check_lang(lang, "evolution_widget")
    X = _check_X(X, "evolution_widget")
    _check_history(history, X, "evolution_widget")
    dims = _check_dims(dims, X.shape[1], "evolution_widget")
    restart = _check_restart(history, restart)
    restarts = sorted({r.restart for r in history})

    figure = Figure(figsize=figsize)
    FigureCanvasAgg(figure)
    # Fixed margins: a constrained layout would be solved again at every redraw, tripling its cost.
    ax_model, ax_objective = figure.subplots(1, 2, width_ratios=[1.4, 1])
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.11, top=0.92, wspace=0.22)
    image = widgets.Image(format="png")
    cache = {}

    def records_of(index):
        if index not in cache:
            records = history.restart(index)
            means = np.vstack([r.means[:, dims] for r in records])
            cache[index] = (
                {r.iteration: r for r in records},
                np.array([r.objective for r in records]),
                _limits(np.vstack([X[:, dims], means])),
            )
        return cache[index]

    def redraw(*_):
        by_iteration, objectives, limits = records_of(dropdown.value)
        record = by_iteration.get(slider.value)
        if record is None:
            return
        draw_record(history, record, X, ax_model, ax_objective, objectives, dims=dims, n_std=n_std, limits=limits,
                    lang=lang)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        image.value = buffer.getvalue()

    def last_iteration(index):
        return max(records_of(index)[0])

    def change_restart(change):
        slider.unobserve(redraw, "value")
        slider.max = last_iteration(change["new"])
        play.max = slider.max
        slider.value = min(slider.value, slider.max)
        slider.observe(redraw, "value")
        redraw()

    words = _WIDGET_WORDS[lang]
    labels = [(f"{words['restart']} {r}" + (f" ({words['kept']})" if r == history.best_restart else ""), r)
              for r in restarts]
    dropdown = widgets.Dropdown(options=labels, value=restart, description=words["restart"])
    slider = widgets.IntSlider(value=0, min=0, max=last_iteration(restart), description=words["iteration"],
                               continuous_update=True)
    play = widgets.Play(value=0, min=0, max=slider.max, interval=400, description=words["play"])
    widgets.jslink((play, "value"), (slider, "value"))
    slider.observe(redraw, "value")
    dropdown.observe(change_restart, "value")
    redraw()
    return widgets.VBox([widgets.HBox([dropdown, play, slider]), image])
