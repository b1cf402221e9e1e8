"""gmmlab: KMeans and Gaussian mixtures you can watch, compare and select, and GMMs as generative image models.

The public API is re-exported here; see the README for a quick start.
"""

__version__ = "0.1.0"

from .generative import GMMImageGenerator
from .history import History, IterationRecord
from .kmeans import TracedKMeans
from .mixture import COVARIANCE_TYPES, GaussianMixture, SingularCovarianceError
from .persistence import load_model, save_model
from .report import build_report
from .robustness import init_robustness, summarize_robustness
from .selection import Selection, choose_n_components, gmm_vs_gaussian_components, sweep

__all__ = [
    "__version__",
    "COVARIANCE_TYPES",
    "GMMImageGenerator",
    "GaussianMixture",
    "History",
    "IterationRecord",
    "Selection",
    "SingularCovarianceError",
    "TracedKMeans",
    "build_report",
    "choose_n_components",
    "init_robustness",
    "load_model",
    "save_model",
    "summarize_robustness",
    "gmm_vs_gaussian_components",
    "sweep",
]
