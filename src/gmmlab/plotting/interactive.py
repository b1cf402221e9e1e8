"""Plotly views that keep working in a static HTML export: the animated evolution of a fit."""

from __future__ import annotations

import numbers

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._i18n import check_lang, localize
from .static import (
    _check_dims,
    _check_history,
    _check_n_std,
    _check_restart,
    _check_X,
    _ellipse_geometry,
    _limits,
    _objective_limits,
    _palette,
    _record_assignments,
    full_covariances,
)

__all__ = ["animate_evolution"]

_OBJECTIVE_LABEL = {
    "log_likelihood": "mean log-likelihood per sample (higher is better)",
    "inertia": "inertia (lower is better)",
}


def _hex(colours: np.ndarray) -> list:
    rgb = np.round(np.clip(colours[:, :3], 0, 1) * 255).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]


def _ellipse_path(mean2, covariance2, levels, n_points: int = 60) -> tuple:
    """x and y of the closed curves at every level, separated by NaN (one plotly line trace, drawn with gaps).

    float32 arrays: plotly stores them as compact typed arrays, so many animation frames stay small.
    """
    center, radii, angle = _ellipse_geometry(mean2, covariance2)
    t = np.linspace(0, 2 * np.pi, n_points)
    theta = np.radians(angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    xs, ys = [], []
    for level in levels:
        curve = rotation @ np.vstack([level * radii[0] * np.cos(t), level * radii[1] * np.sin(t)])
        xs += list(curve[0] + center[0]) + [np.nan]
        ys += list(curve[1] + center[1]) + [np.nan]
    return np.asarray(xs, dtype=np.float32), np.asarray(ys, dtype=np.float32)


def animate_evolution(
    history,
    X,
    restart=None,
    max_points: int = 2000,
    dims=(0, 1),
    n_std=(1, 2),
    frame_duration: int = 400,
    lang: str = "en",
) -> go.Figure:
    """A plotly animation of one restart of a fit: one frame per iteration, a play button and a slider.

    Each frame shows the points coloured by that iteration's assignment (for a GMM the most probable component,
    with an opacity that grows with its responsibility, so uncertain points fade), the centres / means, the GMM
    ellipses at ``n_std`` standard deviations, and, in a second panel, the objective curve with the current
    iteration marked (mean log-likelihood per sample for a GMM, inertia for KMeans). Everything lives in the
    figure's frames, so it plays in a static HTML export (``fig.write_html(path, include_plotlyjs=True)`` works
    offline) where widgets do not run.

    Parameters
    ----------
    history : History
        The ``history_`` of a ``GaussianMixture`` or ``TracedKMeans`` fitted with ``record_history=True``.
    X : array-like of shape (n_samples, n_features)
    restart : int, optional
        Which restart to animate; default the one the estimator kept.
    max_points : int, default=2000
        At most this many points are drawn (a fixed random subset), to keep the figure light.
    dims : pair of int, default=(0, 1)
    n_std : float or sequence of float, default=(1, 2)
    frame_duration : int, default=400
        Milliseconds per frame when playing.
    lang : {"en", "es"}, default="en"
        Language of the titles, axis labels and legends.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    check_lang(lang, "animate_evolution")
    X = _check_X(X, "animate_evolution")
    _check_history(history, X, "animate_evolution")
    dims = _check_dims(dims, X.shape[1], "animate_evolution")
    restart = _check_restart(history, restart)
    levels = _check_n_std(n_std)
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 1:
        raise ValueError(f"animate_evolution: max_points must be a positive integer, got {max_points!r}.")
    records = history.restart(restart)
    n_components, n_features = records[0].means.shape
    shown = np.arange(X.shape[0])
    if X.shape[0] > max_points:
        shown = np.sort(np.random.RandomState(0).choice(X.shape[0], max_points, replace=False))
    P = X[shown][:, dims]
    colours = _palette(n_components)
    component_hex = _hex(colours)
    ellipses = history.model == "gmm" and all(r.covariances is not None for r in records)
    objectives = np.array([r.objective for r in records])
    iterations = np.array([r.iteration for r in records])

    # Numbers, not one colour string per point: plotly validates strings one by one, and the HTML stays small.
    colorscale = [
        [bound, component_hex[k]] for k in range(n_components) for bound in (k / n_components, (k + 1) / n_components)
    ]

    def state(record):
        labels, resp = _record_assignments(history, record, X)
        opacity = 0.85 if resp is None else (0.15 + 0.8 * resp[shown].max(axis=1)).astype(np.float32)
        centres = record.means[:, dims]
        traces = [
            go.Scatter(marker=dict(color=labels[shown], opacity=opacity)),
            go.Scatter(x=centres[:, 0], y=centres[:, 1]),
        ]
        if ellipses:
            full = full_covariances(record.covariances, history.covariance_type, n_components, n_features)
            for k in range(n_components):
                xs, ys = _ellipse_path(record.means[k, list(dims)], full[k][np.ix_(dims, dims)], levels)
                traces.append(go.Scatter(x=xs, y=ys))
        traces.append(go.Scatter(x=[record.iteration], y=[record.objective], text=[f"{record.objective:.6g}"]))
        return traces

    model = "GMM" if history.model == "gmm" else "KMeans"
    kind = f" ({history.covariance_type})" if history.model == "gmm" else ""
    name = "mean log-likelihood" if history.objective_name == "log_likelihood" else history.objective_name

    figure = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1)
    first = state(records[0])
    figure.add_trace(
        go.Scatter(
            x=P[:, 0], y=P[:, 1], mode="markers", name="points", hoverinfo="skip",
            marker=dict(size=6, color=first[0].marker.color, opacity=first[0].marker.opacity, colorscale=colorscale,
                        cmin=-0.5, cmax=n_components - 0.5),
        ),
        row=1, col=1,
    )
    figure.add_trace(
        go.Scatter(x=first[1].x, y=first[1].y, mode="markers", name="centres" if history.model == "kmeans" else "means",
                   marker=dict(symbol="x", size=14, color=component_hex, line=dict(width=1.5, color="black"))),
        row=1, col=1,
    )
    n_ellipses = n_components if ellipses else 0
    for k in range(n_ellipses):
        figure.add_trace(
            go.Scatter(x=first[2 + k].x, y=first[2 + k].y, mode="lines", line=dict(color=component_hex[k], width=2),
                       name=f"component {k}", hoverinfo="skip"),
            row=1, col=1,
        )
    figure.add_trace(
        go.Scatter(x=iterations, y=objectives, mode="lines+markers", line=dict(color="lightgray"), name=name),
        row=1, col=2,
    )
    figure.add_trace(
        go.Scatter(x=first[-1].x, y=first[-1].y, text=first[-1].text, mode="markers+text", textposition="top center",
                   marker=dict(size=12, color="crimson"), name="current iteration"),
        row=1, col=2,
    )
    # Frames update the points, centres, ellipses and the current marker, never the static objective curve; the
    # current value is text on that marker because plotly.js does not reliably apply layout (title) changes in frames.
    animated = list(range(2 + n_ellipses)) + [3 + n_ellipses]
    frames = [
        go.Frame(data=state(record), traces=animated, name=str(record.iteration))
        for record in records
    ]
    figure.frames = frames
    low, high = _limits(np.vstack([P] + [r.means[:, dims] for r in records]))
    step = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    figure.update_layout(
        title_text=f"{model}{kind}: evolution of restart {restart} ({len(records)} states; {name} on the right)",
        height=580,
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.02, yanchor="bottom"),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0.1,
                y=0.0,
                xanchor="right",
                yanchor="top",
                pad=dict(t=75, r=10),
                buttons=[
                    dict(label="Play", method="animate",
                         args=[None, dict(frame=dict(duration=frame_duration, redraw=True), fromcurrent=True,
                                          transition=dict(duration=0))]),
                    dict(label="Pause", method="animate", args=[[None], step]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                currentvalue=dict(prefix="iteration "),
                x=0.12,
                len=0.88,
                y=0.0,
                yanchor="top",
                pad=dict(t=60),
                steps=[dict(label=frame.name, method="animate", args=[[frame.name], step]) for frame in frames],
            )
        ],
    )
    axis_note = f" (plane of features {dims[0]}, {dims[1]} of {n_features})" if n_features > 2 else ""
    figure.update_xaxes(range=[low[0], high[0]], title_text=f"feature {dims[0]}{axis_note}", row=1, col=1)
    figure.update_yaxes(range=[low[1], high[1]], title_text=f"feature {dims[1]}", scaleanchor="x", scaleratio=1,
                        row=1, col=1)
    figure.update_xaxes(title_text="iteration (0 = initial state)", dtick=max(1, len(records) // 10), row=1, col=2)
    figure.update_yaxes(title_text=_OBJECTIVE_LABEL.get(history.objective_name, history.objective_name), row=1, col=2)
    zoom = _objective_limits(objectives)
    if zoom is not None:
        figure.update_yaxes(range=list(zoom), row=1, col=2)
        figure.add_annotation(text=f"iteration 0 off scale: {objectives[0]:.4g}", xref="x2 domain", yref="y2 domain",
                              x=0.02, y=0.02, xanchor="left", yanchor="bottom", showarrow=False,
                              font=dict(size=11, color="gray"))
    return localize(figure, lang)
