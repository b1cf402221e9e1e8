"""What the report's steps share: the sizes of a run and a typed context passed from step to step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from gmmlab.data import GMMData
    from gmmlab.generative import GMMImageGenerator
    from gmmlab.kmeans import TracedKMeans
    from gmmlab.mixture import GaussianMixture
    from gmmlab.pipeline import ImagePipeline
    from gmmlab.selection import Selection


@dataclass(frozen=True)
class _Sizes:
    """How big each step is; ``fast`` shrinks everything so the report takes seconds."""

    n_synthetic: int | None  # points per synthetic preset (None: the preset's own size)
    robustness_runs: int
    robustness_covariances: tuple[str, ...]
    k_synthetic: range
    synthetic_seeds: int
    n_train: int | None  # Fashion-MNIST train images loaded (None: all 60,000)
    n_test: int | None
    subsample_size: int  # images the generators are fitted on
    k_fashion: range
    fashion_seeds: int
    high_variance: float  # share of pixel variance kept by the second PCA
    k_fashion_high: range
    high_covariances: tuple[str, ...]
    n_eval_samples: int
    n_bins: int
    n_grid: int  # images in a sample grid
    n_per_component: int
    n_jobs: int  # joblib workers for sweeps and the robustness study (1: no process start-up, for tiny runs)
    mfa_images: int = 20000  # training images the pixel-space MFA is fitted on
    mfa_components: int = 50
    mfa_factors: int = 8

    @classmethod
    def for_mode(cls, fast: bool) -> "_Sizes":
        if fast:
            return cls(
                n_synthetic=300, robustness_runs=4, robustness_covariances=("full", "spherical"),
                k_synthetic=range(1, 7), synthetic_seeds=1, n_train=3000, n_test=1000, subsample_size=1000,
                k_fashion=range(1, 9), fashion_seeds=1, high_variance=0.8, k_fashion_high=range(1, 7),
                high_covariances=("tied",), n_eval_samples=1000, n_bins=20, n_grid=36, n_per_component=6,
                n_jobs=1, mfa_images=1000, mfa_components=4, mfa_factors=3,
            )
        return cls(
            n_synthetic=None, robustness_runs=50, robustness_covariances=("full", "tied", "diag", "spherical"),
            k_synthetic=range(1, 11), synthetic_seeds=3, n_train=None, n_test=None, subsample_size=5000,
            k_fashion=range(1, 31), fashion_seeds=3, high_variance=0.8, k_fashion_high=range(1, 31),
            high_covariances=("tied", "full"), n_eval_samples=10000, n_bins=100, n_grid=64, n_per_component=8,
            n_jobs=-1,
        )




@dataclass(frozen=True, eq=False)
class SceneFits:
    """One synthetic scene (step "synthetic data") and its two fits with the true K (step "KMeans vs GMM")."""

    data: "GMMData"
    kmeans: Optional["TracedKMeans"] = None
    gmm: Optional["GaussianMixture"] = None


@dataclass(frozen=True, eq=False)
class FashionSplit:
    """The Fashion-MNIST images of the run (step "Fashion-MNIST")."""

    train: "np.ndarray"
    train_labels: "np.ndarray"
    test: "np.ndarray"
    test_labels: "np.ndarray"


@dataclass(frozen=True, eq=False)
class GeneratorStudy:
    """One PCA space of part 2: the pipeline (subsample, PCA, projection), its BIC sweep, the choice, the generator."""

    pipeline: "ImagePipeline"
    results: "pd.DataFrame"
    choice: "Selection"
    generator: "GMMImageGenerator"


@dataclass
class ReportContext:
    """The report being built, passed to every step in order.

    The settings come first; then what the page shows (``sections``, ``results`` for results.json, ``summary``);
    then what a step hands to later ones, each field filled by exactly one step (named in its comment) and read
    with :meth:`need`, so a step run out of order fails with a message that names the missing step.
    """

    seed: int
    sizes: _Sizes
    data_dir: str | None
    progress: bool
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, body)
    results: dict = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)  # key findings for the top of the page
    n_plotly: int = 0
    scenes: dict[str, SceneFits] = field(default_factory=dict)  # "synthetic data", fits by "KMeans vs GMM"
    fashion: Optional[FashionSplit] = None  # "Fashion-MNIST"
    pca3: Optional[GeneratorStudy] = None  # "3 PCs"
    high: Optional[GeneratorStudy] = None  # "more PCs"

    def add(self, section_id: str, title: str, *parts: str) -> None:
        """Append a section (its HTML parts joined) to the page."""
        self.sections.append((section_id, title, "\n".join(parts)))

    def need(self, name: str, step: str) -> Any:
        """The product ``name`` of an earlier step, or a clear error naming the ``step`` that makes it."""
        value = getattr(self, name)
        if value is None or (isinstance(value, dict) and not value):
            raise RuntimeError(f"report: this step needs {name!r}, made by the step {step!r}; run the steps in order.")
        return value
