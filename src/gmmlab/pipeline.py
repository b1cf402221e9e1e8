"""Images -> subsample -> exact PCA -> GMM sweep: the one pipeline behind every image workflow of gmmlab.

:class:`ImagePipeline` draws a subsample of images (stratified by class when labels are given), fits an exact PCA
to it (:func:`fit_pca`) and keeps the projected subsample; :meth:`ImagePipeline.sweep` runs
:func:`gmmlab.selection.sweep` over several covariance types and K in one call on that projection, and
:meth:`ImagePipeline.fit_mixture` fits one :class:`gmmlab.mixture.GaussianMixture` there.
:class:`gmmlab.generative.GMMImageGenerator`, the CLI's ``--pca``, the report and
:func:`gmm_vs_gaussian_components` (the assignment's study, which also plots) are built on it.

Random numbers: ``random_state`` seeds one stream (a ``RandomState``). The subsample draws from it first; a sweep
or a mixture fit given no ``random_state`` of its own takes its seed from the same stream, in call order.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from ._validation import (
    as_float_pixels,
    check_covariance_types,
    check_int,
    check_images,
    check_n_components_grid,
    check_n_jobs,
)

__all__ = ["ImagePipeline", "exact_pca", "fit_pca", "subsample", "ComponentStudy", "gmm_vs_gaussian_components"]

_SEED_MAX = 2**31 - 1


def exact_pca(n_components: Union[int, float, None] = None, **params: Any) -> PCA:
    """The (unfitted) exact PCA gmmlab uses everywhere.

    ``svd_solver="covariance_eigh"``: the eigendecomposition of the (n_features, n_features) covariance matrix,
    exact (unlike the randomized solver scikit-learn picks for large data) and fast when n_samples >> n_features.
    ``n_components`` is an int, a share of variance in (0, 1) or None (all components); ``params`` go to
    :class:`sklearn.decomposition.PCA` (e.g. ``whiten=True``).
    """
    return PCA(n_components=n_components, svd_solver="covariance_eigh", **params)


def fit_pca(X: np.ndarray, n_components: Union[int, float, None] = None) -> PCA:
    """:func:`exact_pca` fitted on ``X`` of shape (n_samples, n_features)."""
    return exact_pca(n_components).fit(X)


def subsample(n_items: int, size: Optional[int], labels=None, random_state=None, owner: str = "") -> np.ndarray:
    """Sorted indices of ``size`` of ``n_items`` items drawn without replacement (all of them when None or equal).

    With ``labels`` (shape (n_items,)) the draw is stratified: the class proportions are kept
    (``train_test_split(..., stratify=labels)``); without, ``RandomState.choice``. Nothing is drawn from
    ``random_state`` when every item is kept.
    """
    prefix = f"{owner}: " if owner else ""
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n_items,):
            raise ValueError(f"{prefix}labels must have shape ({n_items},), one per image, got {labels.shape}.")
    if size is None or size == n_items:
        return np.arange(n_items)
    rng = check_random_state(random_state)
    if labels is None:
        return np.sort(rng.choice(n_items, size=size, replace=False))
    try:
        chosen, _ = train_test_split(np.arange(n_items), train_size=size, stratify=labels, random_state=rng)
    except ValueError as error:
        raise ValueError(
            f"{prefix}cannot draw a stratified subsample of {size} images: {error} "
            "Fix: raise subsample_size, or fit without labels for a plain random subsample."
        ) from None
    return np.sort(chosen)


def _check_n_pca_components(value, limit_features: int, limit_samples: int, owner: str):
    """An int in [1, min(pixels, subsample)], a share of variance in (0, 1), or None (every component)."""
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        if not 0 < value < 1:
            raise ValueError(
                f"{owner}: a fractional n_pca_components is the share of variance to keep and must lie in (0, 1); "
                f"got {value!r}. Pass an integer for a number of components."
            )
        return float(value)
    value = check_int("n_pca_components", value, 1, owner)
    limit = min(limit_features, limit_samples)
    if value > limit:
        raise ValueError(
            f"{owner}: n_pca_components={value} is more than min(pixels per image={limit_features}, "
            f"subsample_size={limit_samples}) = {limit}; keep at most {limit} components."
        )
    return value


class ImagePipeline:
    """Subsample images, fit an exact PCA to the subsample and keep it projected; then sweep or fit GMMs there.

    Parameters
    ----------
    n_pca_components : int, float or None
        Principal components kept, a share of the variance in (0, 1) (the fewest components reaching it), or None
        for all of them.
    subsample_size : int or None, default=None
        Images drawn without replacement (None: all of them).
    random_state : int, RandomState instance or None, default=None
        Seeds the stream the subsample (and, unless given their own, the sweeps and mixture fits) draw from.
    owner : str, default="ImagePipeline"
        Name used in error messages (the public function or estimator built on the pipeline).

    Attributes
    ----------
    indices_ : ndarray of shape (n_subsample,)
        Sorted rows of the images given to ``fit`` that form the subsample.
    pca_ : sklearn.decomposition.PCA
        Fitted on the subsample's pixels (:func:`fit_pca`).
    X_pca_ : ndarray of shape (n_subsample, n_pca_components_)
        The subsample in PCA coordinates: the data every sweep and mixture fit uses.
    n_pca_components_ : int
    explained_variance_ : float
        Share of the subsample's pixel variance kept.
    image_shape_ : tuple of int
        Shape of one image ((height, width), or (n_pixels,) for flat non-square images).
    n_features_in_ : int
        Pixels per image.
    results_ : pandas.DataFrame or None
        The table of the last :meth:`sweep`.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.RandomState(0).rand(200, 8, 8)
    >>> pipeline = ImagePipeline(n_pca_components=3, subsample_size=150, random_state=0).fit(images)
    >>> results = pipeline.sweep(range(1, 4), ("full", "tied"), n_jobs=1)
    >>> pipeline.X_pca_.shape, len(results)
    ((150, 3), 6)
    """

    def __init__(
        self,
        n_pca_components: Union[int, float, None],
        subsample_size: Optional[int] = None,
        random_state=None,
        owner: str = "ImagePipeline",
    ):
        self.n_pca_components = n_pca_components
        self.subsample_size = subsample_size
        self.random_state = random_state
        self.owner = owner
        self.results_: Optional[pd.DataFrame] = None

    def check_sizes(self, n_images: int, n_pixels: int) -> int:
        """Validate ``subsample_size`` and ``n_pca_components`` for ``n_images`` images; the subsample size."""
        owner = self.owner
        if self.subsample_size is None:
            size = n_images
        else:
            size = check_int("subsample_size", self.subsample_size, 2, owner)
            if size > n_images:
                raise ValueError(
                    f"{owner}: subsample_size={size} is more than the {n_images} images given; "
                    f"use subsample_size <= {n_images} (or None for all)."
                )
        _check_n_pca_components(self.n_pca_components, n_pixels, size, owner)
        return size

    def fit(self, images, labels=None) -> "ImagePipeline":
        """Draw the subsample, fit the PCA on it and project it.

        Parameters
        ----------
        images : array-like of shape (n, height, width) or (n, n_pixels)
            uint8 pixels are divided by 255; float pixels are used as given.
        labels : array-like of shape (n,), optional
            Class of each image; when given the subsample keeps the class proportions.

        Returns
        -------
        self
        """
        X, image_shape = check_images(images, self.owner, min_images=2, convert=False)
        size = self.check_sizes(*X.shape)
        self._rng = check_random_state(self.random_state)
        self.indices_ = subsample(X.shape[0], size, labels, self._rng, self.owner)
        rows = X if size == X.shape[0] else X[self.indices_]  # every image: no copy of the data set
        pixels = np.asarray(as_float_pixels(rows), dtype=np.float64)
        self.pca_ = fit_pca(pixels, self.n_pca_components)
        self.X_pca_ = self.pca_.transform(pixels)
        self.n_pca_components_ = int(self.pca_.n_components_)
        self.explained_variance_ = float(self.pca_.explained_variance_ratio_.sum())
        self.image_shape_ = image_shape
        self.n_features_in_ = int(X.shape[1])
        self.results_ = None
        return self

    def _seed(self, random_state) -> int:
        if random_state is None:
            return int(self._rng.randint(_SEED_MAX))
        return random_state

    def sweep(
        self,
        n_components: Union[int, Iterable[int]] = range(1, 31),
        covariance_types: Union[str, Sequence[str]] = ("full",),
        n_seeds: int = 1,
        random_state: Optional[int] = None,
        n_jobs: Optional[int] = -1,
        progress: bool = False,
        **estimator_params: Any,
    ) -> pd.DataFrame:
        """:func:`gmmlab.selection.sweep` on the projected subsample, every covariance type in one call.

        ``random_state`` None takes the sweep's base seed from the pipeline's stream. The table is also kept as
        ``results_``.
        """
        from .selection import sweep

        self._check_fitted()
        self.results_ = sweep(
            self.X_pca_,
            n_components,
            covariance_types,
            n_seeds=n_seeds,
            n_jobs=n_jobs,
            progress=progress,
            random_state=self._seed(random_state),
            **estimator_params,
        )
        return self.results_

    def fit_mixture(self, n_components: int, covariance_type: str = "full", random_state=None, **params: Any):
        """A :class:`gmmlab.mixture.GaussianMixture` fitted on the projected subsample.

        ``random_state`` None takes the seed from the pipeline's stream.
        """
        from .mixture import GaussianMixture

        self._check_fitted()
        return GaussianMixture(
            n_components=n_components, covariance_type=covariance_type, random_state=self._seed(random_state),
            **params,
        ).fit(self.X_pca_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "X_pca_"):
            raise ValueError(f"{self.owner}: this pipeline is not fitted yet; call fit(images) first.")


# ---------------------------------------------------------------------------------------------------------
# the assignment's study: PCA, sweep, plot


@dataclass(frozen=True, eq=False)
class ComponentStudy:
    """What :func:`gmm_vs_gaussian_components` returns.

    Attributes
    ----------
    results : pandas.DataFrame
        The :func:`gmmlab.selection.sweep` table.
    pca : sklearn.decomposition.PCA
        Fitted on the subsample.
    ax : matplotlib.axes.Axes
        The BIC plot.
    selection : gmmlab.selection.Selection
        The default choice (:func:`gmmlab.selection.choose_n_components` with ``criterion="bic"``).
    X_pca : ndarray of shape (subsample_size, n_pca_components)
        The subsample in PCA coordinates (the data the GMMs were fitted on).
    indices : ndarray of shape (subsample_size,)
        Rows of ``images`` in the subsample.
    """

    results: pd.DataFrame
    pca: Any
    ax: Any
    selection: Any
    X_pca: np.ndarray
    indices: np.ndarray


def gmm_vs_gaussian_components(
    images,
    n_pca_components: int,
    subsample_size: Optional[int],
    covariance_type: Union[str, Sequence[str]] = "tied",
    n_components_range: Iterable[int] = range(1, 31),
    random_state: int = 0,
    n_seeds: int = 1,
    ax=None,
    n_jobs: Optional[int] = -1,
    progress: bool = False,
) -> ComponentStudy:
    """Subsample images, project them on their first principal components, sweep GMMs and plot BIC against K.

    Parameters
    ----------
    images : array-like of shape (n, height, width) or (n, n_pixels)
        uint8 pixels are scaled to [0, 1]; float pixels are used as given.
    n_pca_components : int
        Principal components to keep.
    subsample_size : int or None
        Images drawn at random without replacement (``random_state``); None keeps them all.
    covariance_type : str or sequence of str, default="tied"
        One covariance type, or several to compare.
    n_components_range : iterable of int, default=range(1, 31)
    random_state : int, default=0
        Seeds the subsample, the PCA and the sweep.
    n_seeds : int, default=1
    ax : matplotlib Axes, optional
        Where to plot; a new figure when None.
    n_jobs : int or None, default=-1
    progress : bool, default=False

    Returns
    -------
    ComponentStudy
        ``results``, ``pca``, ``ax``, ``selection``, plus the projected subsample ``X_pca`` and its ``indices``.
    """
    from .selection import choose_n_components

    owner = "gmm_vs_gaussian_components"
    random_state = check_int("random_state", random_state, 0, owner)
    # The grid and the sweep's parameters fail here, before the PCA.
    check_covariance_types(covariance_type, owner)
    check_int("n_seeds", n_seeds, 1, owner)
    check_n_jobs(n_jobs, owner)
    pipeline = ImagePipeline(n_pca_components, subsample_size, random_state=random_state, owner=owner)
    X, _ = check_images(images, owner, min_images=2, convert=False)
    size = pipeline.check_sizes(*X.shape)
    check_n_components_grid(n_components_range, owner, name="n_components_range", n_samples=size)
    pipeline.fit(X)
    results = pipeline.sweep(
        n_components_range, covariance_type, n_seeds=n_seeds, random_state=random_state, n_jobs=n_jobs,
        progress=progress,
    )
    selection = choose_n_components(results, "bic")
    from .plotting.selection import plot_criterion  # drawing is the layer above: loaded only here

    ax = plot_criterion(results, "bic", selection=selection, ax=ax)
    explained = 100 * pipeline.explained_variance_
    size, n_pcs = len(pipeline.indices_), pipeline.n_pca_components_
    ax.set_title(f"{size} images, {n_pcs} PCs ({explained:.0f}% of the variance)")
    return ComponentStudy(results, pipeline.pca_, ax, selection, pipeline.X_pca_, pipeline.indices_)
