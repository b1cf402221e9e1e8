"""gmmlab: KMeans and Gaussian mixtures you can watch, compare and select, and GMMs as generative image models.

The public API is re-exported here; see the README for a quick start. The names are loaded on first use, so
``import gmmlab`` stays light: plotly, ipywidgets, dask and matplotlib are imported only by the code that draws
or distributes.
"""

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS = {
    "COVARIANCE_TYPES": "gmmlab.mixture",
    "GaussianMixture": "gmmlab.mixture",
    "SingularCovarianceError": "gmmlab.mixture",
    "GMMImageGenerator": "gmmlab.generative",
    "History": "gmmlab.history",
    "IterationRecord": "gmmlab.history",
    "ImagePipeline": "gmmlab.pipeline",
    "TracedKMeans": "gmmlab.kmeans",
    "load_model": "gmmlab.persistence",
    "save_model": "gmmlab.persistence",
    "build_report": "gmmlab.report",
    "init_robustness": "gmmlab.robustness",
    "summarize_robustness": "gmmlab.robustness",
    "Selection": "gmmlab.selection",
    "choose_n_components": "gmmlab.selection",
    "sweep": "gmmlab.selection",
    "gmm_vs_gaussian_components": "gmmlab.pipeline",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .generative import GMMImageGenerator
    from .history import History, IterationRecord
    from .kmeans import TracedKMeans
    from .mixture import COVARIANCE_TYPES, GaussianMixture, SingularCovarianceError
    from .persistence import load_model, save_model
    from .pipeline import ImagePipeline, gmm_vs_gaussian_components
    from .report import build_report
    from .robustness import init_robustness, summarize_robustness
    from .selection import Selection, choose_n_components, sweep


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gmmlab' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
