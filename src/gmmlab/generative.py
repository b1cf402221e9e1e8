"""A Gaussian mixture as a generative model of images: subsample -> PCA -> GMM -> sample -> decode.

:class:`GMMImageGenerator` is part 2 of the lab as one estimator: it fits a PCA to a (stratified) subsample of
images, fits :class:`gmmlab.mixture.GaussianMixture` in the PCA space with a given number of components or the
number chosen by :func:`gmmlab.selection.choose_n_components`, and decodes samples back to images.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gmmlab._validation import (
    check_choice,
    check_covariance_types,
    check_float,
    check_images,
    check_int,
    check_n_components_grid,
)
from gmmlab.generative_mfa import DEFAULT_MFA_COMPONENTS, MFA_CRITERIA
from gmmlab.pipeline import ImagePipeline, subsample
from gmmlab.pixel_density import bits_per_dim, dequantize

__all__ = ["GMMImageGenerator", "CRITERIA"]

CRITERIA: tuple[str, ...] = ("bic", "aic", "icl")
"""Names accepted by ``n_components`` to choose K with that criterion (all lower-is-better, scikit-learn's sign)."""


class GMMImageGenerator(BaseEstimator):
    """Generate images with a Gaussian mixture fitted in a PCA space.

    ``fit`` draws a subsample of the images (stratified by class when labels are given), fits a PCA to it,
    and fits a :class:`gmmlab.mixture.GaussianMixture` to the projected subsample, with ``n_components``
    components or with the number chosen by a sweep over ``n_components_range`` and
    :func:`gmmlab.selection.choose_n_components`. ``sample`` draws points from the mixture and decodes them
    with the inverse PCA, clipped to [0, 1].

    With ``model="mfa"`` no PCA is used: a :class:`gmmlab.mixture.MixtureOfFactorAnalyzers` with ``n_factors``
    factors per component is fitted to the (uniformly dequantised) pixels of all the images by default, with K
    (and q, when ``n_factors`` is a list) chosen on a grid by BIC, AIC or the log-likelihood of a held-out
    validation split of the training images (``n_components="validation"``), never by a sample-quality measure
    (see :mod:`gmmlab.generative_mfa`). Both routes are densities over all pixels: :meth:`bits_per_dim`.

    Parameters
    ----------
    n_pca_components : int, float or collection of int, default=3
        Number of principal components kept; a float in (0, 1) keeps the fewest components that explain at
        least that share of the variance (e.g. 0.9); with ``n_components="validation"`` a collection of integers
        is a grid to choose from together with K.
    n_components : int or {"bic", "aic", "icl", "validation"}, default="bic"
        Number of mixture components, or the criterion used to choose it (BIC = -2 log L + p ln n, scikit-learn's
        sign, lower is better; "validation": the highest log-likelihood of held-out training images, in pixel
        space for ``"pca"`` so that different numbers of principal components compare; see
        :mod:`gmmlab.generative_validation`).
    covariance_type : str, default="tied"
        "full", "tied", "diag", "spherical" or an mclust model name (EII ... VVV).
    subsample_size : int, None or "auto", default="auto"
        Number of images used for the fit (None: all of them; "auto": 5000 for ``"pca"``, all for ``"mfa"``).
    n_components_range : iterable of int or None, default=None
        Candidate numbers of components when ``n_components`` is a criterion (None: range(1, 31) for ``"pca"``,
        (25, 50, 100, 200) for ``"mfa"``).
    n_seeds : int, default=1
        Fits per candidate in the sweep (different initialisations).
    rule : str or None, default=None
        Selection rule passed to :func:`gmmlab.selection.choose_n_components` (None: its default).
    min_explained_variance : float, default=0.5
        Warn when the PCA keeps less than this share of the variance.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsample, the sweep and the final fit.
    n_jobs : int, default=-1
        Parallel jobs of the sweep.
    tol, reg_covar, max_iter, n_init, init_params :
        Passed to every :class:`gmmlab.mixture.GaussianMixture` (sweep and final fit); all but ``init_params``
        also to every :class:`gmmlab.mixture.MixtureOfFactorAnalyzers`.
    model : {"pca", "mfa"}, default="pca"
        ``"pca"``: the lab's route (PCA, then a GMM in the PCA space). ``"mfa"``: a mixture of factor analysers
        on the pixels.
    n_factors : int or iterable of int, default=10
        ``"mfa"`` only: factors per component, or the candidates to choose from with K.
    noise : {"diagonal", "isotropic"}, default="diagonal"
        ``"mfa"`` only: the noise of each factor analyser.
    selection_size : int, default=10000
        ``"mfa"``, or ``n_components="validation"``: images of each grid fit when choosing (K, q) (and of the
        disjoint validation split for ``"validation"``; at most half the subsample for ``"pca"``); the chosen
        model is then fitted on the whole subsample.
    pixel_noise : {"isotropic", "per_direction"}, default="isotropic"
        ``"pca"`` only: the Gaussian of the discarded principal directions in the density over all pixels
        (``score_samples(space="pixels")``, :meth:`bits_per_dim`). ``"isotropic"``: probabilistic PCA's one
        variance, the mean of the discarded eigenvalues. ``"per_direction"``: each discarded direction its own
        variance, its eigenvalue on the subsample plus ``1 / (12 * 256**2)`` (the variance uniform dequantisation
        adds to every pixel): the maximum-likelihood Gaussian on those directions of the dequantised subsample,
        a far better density (measured on Fashion-MNIST, 50 PCs: 6.42 bits/dim against 6.84 for the
        isotropic noise; ``benchmarks/RESULTS.md``). It keeps the discarded directions (``discarded_components_``).

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA or None
        None for ``"mfa"``.
    gmm_ : gmmlab.mixture.GaussianMixture or gmmlab.mixture.MixtureOfFactorAnalyzers
        The mixture (in the PCA space, or on the pixels for ``"mfa"``).
    n_factors_ : int or None
        ``"mfa"``: the factors per component used.
    n_components_ : int
        Number of mixture components used.
    n_pca_components_ : int
        Number of principal components kept.
    explained_variance_ : float
        Share of the subsample's pixel variance kept by the PCA.
    subsample_indices_ : ndarray of shape (n_subsample,)
        Rows of the images given to ``fit`` that were used.
    image_shape_ : tuple of int
        Shape of one image, e.g. (28, 28).
    n_features_in_ : int
        Pixels per image.
    sweep_results_ : pandas.DataFrame or None
        One row per fit of the sweep (None when ``n_components`` is an integer).
    selection_ : gmmlab.selection.Selection, str or None
        The chosen K and the reason (None when ``n_components`` is an integer; a sentence for ``"mfa"``).
    discarded_components_, discarded_variance_ : ndarray of shape (n_pixels - n_pca_components_, n_pixels) and \
(n_pixels - n_pca_components_,), or None
        ``pixel_noise="per_direction"``: the discarded principal directions and their variances (None otherwise).

    Examples
    --------
    >>> from gmmlab.data import load_fashion_mnist
    >>> from gmmlab.generative import GMMImageGenerator
    >>> images, labels = load_fashion_mnist("train")                      # doctest: +SKIP
    >>> gen = GMMImageGenerator(n_pca_components=3, random_state=0).fit(images, labels)  # doctest: +SKIP
    >>> new_images, components = gen.sample(16, random_state=1)          # doctest: +SKIP
    """

    def __init__(
        self,
        n_pca_components: int | float = 3,
        n_components: int | str = "bic",
        covariance_type: str = "tied",
        subsample_size: int | None | str = "auto",
        n_components_range: Iterable[int] | None = None,
        n_seeds: int = 1,
        rule: str | None = None,
        min_explained_variance: float = 0.5,
        random_state=None,
        n_jobs: int = -1,
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        model: str = "pca",
        n_factors: int | Iterable[int] = 10,
        noise: str = "diagonal",
        selection_size: int = 10000,
        pixel_noise: str = "isotropic",
    ):
        self.pixel_noise = pixel_noise
        self.model = model
        self.n_factors = n_factors
        self.noise = noise
        self.selection_size = selection_size
        self.n_pca_components = n_pca_components
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.subsample_size = subsample_size
        self.n_components_range = n_components_range
        self.n_seeds = n_seeds
        self.rule = rule
        self.min_explained_variance = min_explained_variance
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params

    # ------------------------------------------------------------------------------------------------- fit

    def fit(self, images, labels=None):
        """Subsample, fit the PCA, choose or take K, and fit the mixture.

        Parameters
        ----------
        images : array-like of shape (n, height, width) or (n, n_pixels)
            Pixel values in [0, 1] (uint8 pixels are divided by 255). A flat image must be square (e.g. 784 =
            28 x 28).
        labels : array-like of shape (n,), optional
            Class of each image; when given the subsample keeps the class proportions.

        Returns
        -------
        self
        """
        owner = type(self).__name__
        X, _ = check_images(images, owner, square=True, unit_range=True, convert=False)
        candidates = self._check_params(*X.shape)
        self.n_factors_ = None
        if self.model == "mfa":
            return self._fit_mfa(X, labels, candidates)
        if self.n_components == "validation":
            from gmmlab.generative_validation import fit_pca_by_validation

            fit_pca_by_validation(self, X, labels, candidates)
            return self
        pipeline = ImagePipeline(
            self.n_pca_components, self._subsample_size(), random_state=self.random_state, owner=owner
        ).fit(X, labels)
        self._adopt(pipeline)
        self._fit_discarded(X, pipeline)
        gmm_params = self._gmm_params()
        if isinstance(self.n_components, str):
            from gmmlab.selection import choose_n_components

            self.sweep_results_ = pipeline.sweep(
                candidates, (self.covariance_type,), n_seeds=self.n_seeds, n_jobs=self.n_jobs, **gmm_params
            )
            self.selection_ = choose_n_components(self.sweep_results_, criterion=self.n_components, rule=self.rule)
            self.n_components_ = int(self.selection_.n_components)
        else:
            self.sweep_results_ = None
            self.selection_ = None
            self.n_components_ = int(self.n_components)
        self.gmm_ = pipeline.fit_mixture(self.n_components_, self.covariance_type, **gmm_params)
        return self

    @classmethod
    def from_pipeline(
        cls, pipeline: ImagePipeline, n_components: int, covariance_type: str = "tied", **params
    ) -> "GMMImageGenerator":
        """A generator fitted on a fitted :class:`gmmlab.pipeline.ImagePipeline`'s projected subsample.

        No new subsample or PCA: the mixture is fitted on ``pipeline.X_pca_``, seeded from the pipeline's random
        stream. When the pipeline has drawn nothing since its ``fit`` (a sweep given its own ``random_state`` draws
        nothing), the result equals ``GMMImageGenerator(...).fit(images, labels)`` with the pipeline's
        ``n_pca_components``, ``subsample_size`` and ``random_state``.

        Parameters
        ----------
        pipeline : ImagePipeline
            Fitted.
        n_components : int
        covariance_type : str, default="tied"
        **params
            Other constructor parameters (``tol``, ``reg_covar``, ``max_iter``, ``n_init``, ``init_params``,
            ``min_explained_variance``).

        Returns
        -------
        GMMImageGenerator
        """
        generator = cls(
            n_pca_components=pipeline.n_pca_components, n_components=n_components, covariance_type=covariance_type,
            subsample_size=pipeline.subsample_size, random_state=pipeline.random_state, **params,
        )
        pipeline._check_fitted()
        generator._check_params(len(pipeline.indices_), pipeline.n_features_in_)
        if generator.pixel_noise != "isotropic":
            raise ValueError(
                f"{cls.__name__}.from_pipeline: pixel_noise={generator.pixel_noise!r} needs the subsample's pixels, "
                "which a pipeline does not keep. Fix: fit the generator on the images (GMMImageGenerator(...).fit)."
            )
        generator._adopt(pipeline)
        generator.discarded_components_ = generator.discarded_variance_ = None
        generator.sweep_results_ = None
        generator.selection_ = None
        generator.n_components_ = int(n_components)
        generator.gmm_ = pipeline.fit_mixture(n_components, covariance_type, **generator._gmm_params())
        return generator

    def _subsample_size(self):
        """``subsample_size`` with "auto" resolved: 5000 images for the PCA route, all for the MFA route."""
        if isinstance(self.subsample_size, str) and self.subsample_size == "auto":
            return None if self.model == "mfa" else 5000
        return self.subsample_size

    def _fit_mfa(self, X, labels, candidates):
        """The pixel-space route: subsample (all by default), choose (K, q) if asked, fit the MFA."""
        from sklearn.utils import check_random_state

        from gmmlab.generative_mfa import fit_mfa_route

        owner = type(self).__name__
        rng = check_random_state(self.random_state)
        side = int(round(np.sqrt(X.shape[1])))
        size = self._subsample_size()
        indices = subsample(X.shape[0], size, labels, rng, owner)
        self.image_shape_, self.n_features_in_, self.subsample_indices_ = (side, side), X.shape[1], indices
        route = fit_mfa_route(
            X[indices], None if labels is None else np.asarray(labels)[indices], n_components=self.n_components,
            n_components_range=candidates, n_factors=self.n_factors, rng=rng, noise=self.noise, tol=self.tol,
            selection_size=min(self.selection_size, len(indices)), reg_covar=self.reg_covar,
            max_iter=self.max_iter, n_init=self.n_init,
        )
        self.pca_, self.gmm_, self.n_pca_components_, self.explained_variance_ = None, route.mfa, 0, 1.0
        self.discarded_components_ = self.discarded_variance_ = None
        self.n_components_, self.n_factors_ = route.n_components, route.n_factors
        self.sweep_results_, self.selection_ = route.table, (route.reason if route.table is not None else None)
        return self

    def _fit_discarded(self, X, pipeline: ImagePipeline) -> None:
        """``pixel_noise="per_direction"``: keep the discarded principal directions of the subsample and their
        variances (dequantisation's ``1 / (12 * 256**2)`` added; every variance is then positive)."""
        self.discarded_components_ = self.discarded_variance_ = None
        if self.pixel_noise != "per_direction" or self.n_pca_components_ >= self.n_features_in_:
            return
        from gmmlab._validation import as_float_pixels
        from gmmlab.pipeline import fit_pca

        rows = X if len(pipeline.indices_) == X.shape[0] else X[pipeline.indices_]
        full = fit_pca(np.asarray(as_float_pixels(rows), dtype=np.float64))
        q = self.n_pca_components_
        self.discarded_components_ = full.components_[q:]
        self.discarded_variance_ = np.maximum(full.explained_variance_[q:], 0.0) + 1.0 / (12 * 256.0**2)

    def _gmm_params(self) -> dict:
        return dict(
            tol=self.tol, reg_covar=self.reg_covar, max_iter=self.max_iter, n_init=self.n_init,
            init_params=self.init_params,
        )

    def _adopt(self, pipeline: ImagePipeline) -> None:
        """Take the subsample and the PCA of a fitted pipeline; warn when the PCA keeps little variance."""
        owner = type(self).__name__
        self.image_shape_ = pipeline.image_shape_
        self.n_features_in_ = pipeline.n_features_in_
        self.subsample_indices_ = pipeline.indices_
        self.pca_ = pipeline.pca_
        self.n_pca_components_ = pipeline.n_pca_components_
        self.explained_variance_ = pipeline.explained_variance_
        if self.explained_variance_ < self.min_explained_variance:
            warnings.warn(
                f"{owner}: PCA with {self.n_pca_components_} components keeps {self.explained_variance_:.1%} of "
                f"the pixel variance, below min_explained_variance={self.min_explained_variance:.0%}; decoded "
                "images will lose detail. Raise n_pca_components (or pass a share such as 0.9 to keep 90%).",
                UserWarning,
                stacklevel=3,
            )

    def _check_params(self, n_images: int, n_features: int) -> list[int] | None:
        """Validate the parameters for ``n_images`` images of ``n_features`` pixels; the K grid of a sweep."""
        owner = type(self).__name__
        check_choice("model", self.model, ("pca", "mfa"), owner)
        check_choice("pixel_noise", self.pixel_noise, ("isotropic", "per_direction"), owner)
        if self.model == "mfa":
            from gmmlab.generative_mfa import check_n_factors

            check_n_factors(self.n_factors, n_features, owner)
        if self.model == "mfa" or self.n_components == "validation":
            check_int("selection_size", self.selection_size, 2, owner)
        pcs = [self.n_pca_components]
        if self.model == "pca":
            from gmmlab.generative_validation import pca_candidates

            pcs = pca_candidates(self.n_pca_components, owner)
            if len(pcs) > 1 and self.n_components != "validation":
                raise ValueError(
                    f"{owner}: several n_pca_components ({pcs}) are candidates to choose from, which only "
                    "n_components='validation' does. Fix: pass one number of principal components, or "
                    "n_components='validation'."
                )
        for pcs_value in pcs:
            subsample_size = ImagePipeline(pcs_value, self._subsample_size(), owner=owner).check_sizes(
                n_images, n_features
            )
        if not isinstance(self.covariance_type, str):
            raise ValueError(f"{owner}: covariance_type must be one name such as 'tied', got {self.covariance_type!r}.")
        check_covariance_types(self.covariance_type, owner, name="covariance_type")
        check_float("min_explained_variance", self.min_explained_variance, 0.0, owner)
        candidates = None
        if isinstance(self.n_components, str):
            check_choice("n_components", self.n_components, CRITERIA + ("validation",) if self.model == "pca" else MFA_CRITERIA,
                         owner)
            grid = self.n_components_range
            if grid is None:
                grid = range(1, 31) if self.model == "pca" else DEFAULT_MFA_COMPONENTS
            candidates = check_n_components_grid(grid, owner, name="n_components_range", n_samples=subsample_size)
            check_int("n_seeds", self.n_seeds, 1, owner)
        else:
            k = check_int("n_components", self.n_components, 1, owner)
            if k > subsample_size:
                raise ValueError(
                    f"{owner}: n_components={k} exceeds the {subsample_size} images of the subsample. "
                    "Fix: use fewer components or a larger subsample_size."
                )
        return candidates

    # ------------------------------------------------------------------------------------------- projection

    def transform(self, images) -> np.ndarray:
        """Project images onto the principal components: (n, n_pca_components_)."""
        X = self._check_input(images)
        if self.pca_ is None:
            raise ValueError(f"{type(self).__name__}: model='mfa' has no PCA space to project onto.")
        return self.pca_.transform(X).astype(np.float64, copy=False)

    def inverse_transform(self, Z, clip: bool = True) -> np.ndarray:
        """Decode points of the PCA space to images (n, *image_shape_), clipped to [0, 1] unless ``clip=False``."""
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.n_pca_components_:
            raise ValueError(
                f"{type(self).__name__}: Z must have shape (n, {self.n_pca_components_}) (points in the PCA "
                f"space), got {Z.shape}. Fix: use the output of transform() or sample()."
            )
        X = self.pca_.inverse_transform(Z)
        if clip:
            X = np.clip(X, 0.0, 1.0)
        return X.reshape((-1, *self.image_shape_))

    # ---------------------------------------------------------------------------------------------- sampling

    def sample(self, n_samples: int = 1, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw new images from the mixture.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            Per call: an integer gives the same images every time.

        Returns
        -------
        images : ndarray of shape (n_samples, *image_shape_), in [0, 1]
        components : ndarray of shape (n_samples,)
            The mixture component each image was drawn from.
        """
        check_is_fitted(self)
        Z, components = self.gmm_.sample(n_samples, random_state=random_state)
        return self._decode(Z), components

    def sample_component(self, k: int, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` images from component ``k`` only: (n_samples, *image_shape_) in [0, 1]."""
        check_is_fitted(self)
        Z, _ = self.gmm_.sample(n_samples, random_state=random_state, component=k)
        return self._decode(Z)

    def component_means(self) -> np.ndarray:
        """The mean of every component decoded to an image: (n_components_, *image_shape_) in [0, 1]."""
        check_is_fitted(self)
        return self._decode(self.gmm_.means_)

    def _decode(self, Z) -> np.ndarray:
        """Mixture space -> images in [0, 1]: the inverse PCA, or (``"mfa"``) the pixels clipped."""
        if self.pca_ is None:
            return np.clip(Z, 0.0, 1.0).reshape((-1, *self.image_shape_))
        return self.inverse_transform(Z)

    # --------------------------------------------------------------------------------------------- density

    def score_samples(self, images, space: str = "pca") -> np.ndarray:
        """Log-density of each image.

        Parameters
        ----------
        images : array-like of shape (n, height, width) or (n, n_pixels)
        space : {"pca", "pixels"}, default="pca"
            ``"pca"``: the mixture's log-density of the projected image (comparable only between models with the
            same PCA). ``"pixels"``: a density over all pixels, the mixture on the principal components times a
            Gaussian on the discarded directions (``pixel_noise``: isotropic with their mean variance, as
            probabilistic PCA, or each direction its own variance); comparable between different numbers of
            principal components. For ``model="mfa"`` both are the mixture of factor analysers' density over the
            pixels.

        Returns
        -------
        ndarray of shape (n,)
        """
        check_choice("space", space, ("pca", "pixels"), type(self).__name__)
        X = self._check_input(images)
        if self.pca_ is None:  # the MFA route is a density over the pixels already
            return self.gmm_.score_samples(X)
        Z = self.pca_.transform(X).astype(np.float64, copy=False)
        log_density = self.gmm_.score_samples(Z)
        n_discarded = self.n_features_in_ - self.n_pca_components_
        if space == "pixels" and getattr(self, "discarded_components_", None) is not None:
            coordinates = (X - self.pca_.mean_) @ self.discarded_components_.T
            variance = self.discarded_variance_
            log_density = log_density - 0.5 * (
                np.sum(np.log(2 * np.pi * variance)) + np.einsum("ij,ij->i", coordinates / variance, coordinates)
            )
        elif space == "pixels" and n_discarded > 0:
            noise = max(float(self.pca_.noise_variance_), np.finfo(np.float64).tiny)
            residual = X - self.pca_.inverse_transform(Z)
            squared = np.einsum("ij,ij->i", residual, residual)
            log_density = log_density - 0.5 * (n_discarded * np.log(2 * np.pi * noise) + squared / noise)
        return log_density

    def score(self, images, y=None, space: str = "pca") -> float:
        """Mean log-likelihood per image (see :meth:`score_samples` for ``space``)."""
        return float(np.mean(self.score_samples(images, space=space)))

    def bits_per_dim(self, images, random_state=0) -> float:
        """Mean bits per dimension of 8-bit images under the generator's density over all pixels (lower is better).

        The images (levels ``k / 255``) are uniformly dequantised to ``(k + u) / 256`` (seeded by
        ``random_state``) and scored with ``score_samples(space="pixels")``; see :mod:`gmmlab.pixel_density` for
        the convention, ``bpd = -(log p_[0,1](y) - D ln 256) / (D ln 2)``.
        """
        X = self._check_input(images)
        log_density = self.score_samples(dequantize(X, random_state), space="pixels")
        return float(np.mean(bits_per_dim(log_density, self.n_features_in_)))

    def predict(self, images) -> np.ndarray:
        """The most responsible component of each image: (n,)."""
        if self.pca_ is None:
            return self.gmm_.predict(self._check_input(images))
        return self.gmm_.predict(self.transform(images))

    # ---------------------------------------------------------------------------------------------- analysis

    def component_composition(self, images, labels, class_names: Sequence[str] | None = None) -> pd.DataFrame:
        """What each component stands for: its weight and the classes of the images assigned to it.

        Parameters
        ----------
        images : array-like of shape (n, height, width) or (n, n_pixels)
        labels : array-like of int, shape (n,)
            Class indices into ``class_names``.
        class_names : sequence of str, optional
            Name of each class index (e.g. :data:`gmmlab.data.FASHION_MNIST_CLASSES`); by default the indices
            ``"0"``, ``"1"``, ... up to the largest label.

        Returns
        -------
        pandas.DataFrame
            One row per component (index ``component``): ``weight`` (mixing proportion), ``n_images`` (images
            whose most responsible component it is), the share of each class among those images (one column per
            class name; the shares of a row sum to 1, NaN when no image is assigned) and ``dominant_class``.
        """
        owner = type(self).__name__
        components = self.predict(images)
        labels = np.asarray(labels)
        if labels.shape != components.shape or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"{owner}: labels must be integers of shape ({components.shape[0]},) (one class index per image), "
                f"got dtype {labels.dtype} and shape {labels.shape}."
            )
        if class_names is None:
            class_names = [str(c) for c in range(int(labels.max()) + 1 if labels.size else 0)]
        names = list(class_names)
        if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(
                f"{owner}: labels must lie in [0, {len(names) - 1}] to index class_names, "
                f"got values in [{labels.min()}, {labels.max()}]."
            )
        K = self.n_components_
        counts = np.zeros((K, len(names)))
        np.add.at(counts, (components, labels), 1)
        n_images = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = counts / n_images[:, None]
        table = pd.DataFrame(shares, columns=names)
        table.insert(0, "n_images", n_images.astype(int))
        table.insert(0, "weight", self.gmm_.weights_)
        table["dominant_class"] = [names[i] if n else None for i, n in zip(counts.argmax(axis=1), n_images)]
        table.index.name = "component"
        return table

    # --------------------------------------------------------------------------------------------- helpers

    def _check_input(self, images) -> np.ndarray:
        check_is_fitted(self)
        X, shape = check_images(images, type(self).__name__, square=True, unit_range=True)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__}: images have {X.shape[1]} pixels each ({shape}), but the generator was "
                f"fitted on {self.image_shape_} images ({self.n_features_in_} pixels)."
            )
        return X
