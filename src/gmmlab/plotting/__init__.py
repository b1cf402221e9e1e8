"""Plots of gmmlab results: matplotlib functions take ``ax=None`` and return the axes; plotly ones return a Figure."""

from .selection import plot_criterion, plot_elbow

__all__ = [
    "plot_criterion",
    "plot_elbow",
]
