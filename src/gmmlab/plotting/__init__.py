"""Plots of gmmlab results: matplotlib functions take ``ax=None`` and return the axes; plotly ones return a Figure."""

from .images import image_grid, plot_component_samples, plot_gmm_3d
from .interactive import animate_evolution
from .selection import plot_criterion, plot_elbow
from .static import (
    compare_assignments,
    disagreement,
    full_covariances,
    match_labels,
    plot_data,
    plot_ellipses,
    plot_gmm,
    plot_kmeans,
    plot_robustness,
)
from .widgets import evolution_widget

__all__ = [
    "animate_evolution",
    "compare_assignments",
    "disagreement",
    "evolution_widget",
    "full_covariances",
    "image_grid",
    "match_labels",
    "plot_criterion",
    "plot_data",
    "plot_elbow",
    "plot_component_samples",
    "plot_ellipses",
    "plot_gmm",
    "plot_gmm_3d",
    "plot_kmeans",
    "plot_robustness",
]
