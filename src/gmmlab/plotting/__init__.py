"""Plots of gmmlab results: matplotlib functions take ``ax=None`` and return the axes; plotly ones return a Figure.

The functions are loaded on first use, so drawing a matplotlib figure does not import plotly or ipywidgets.
"""

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS = {
    "animate_evolution": "gmmlab.plotting.interactive",
    "compare_assignments": "gmmlab.plotting.comparison",
    "disagreement": "gmmlab.plotting.comparison",
    "evolution_widget": "gmmlab.plotting.widgets",
    "full_covariances": "gmmlab.plotting.static",
    "image_grid": "gmmlab.plotting.images",
    "match_labels": "gmmlab.plotting.comparison",
    "plot_criterion": "gmmlab.plotting.selection",
    "plot_data": "gmmlab.plotting.static",
    "plot_elbow": "gmmlab.plotting.selection",
    "plot_component_samples": "gmmlab.plotting.images",
    "plot_ellipses": "gmmlab.plotting.static",
    "plot_gmm": "gmmlab.plotting.static",
    "plot_gmm_3d": "gmmlab.plotting.images",
    "plot_kmeans": "gmmlab.plotting.static",
    "plot_robustness": "gmmlab.plotting.comparison",
}

__all__ = list(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .images import image_grid, plot_component_samples, plot_gmm_3d
    from .interactive import animate_evolution
    from .selection import plot_criterion, plot_elbow
    from .comparison import compare_assignments, disagreement, match_labels, plot_robustness
    from .static import full_covariances, plot_data, plot_ellipses, plot_gmm, plot_kmeans
    from .widgets import evolution_widget


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gmmlab.plotting' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
