"""The :class:`MixtureOfFactorAnalyzers` estimator: a Gaussian mixture whose covariances are low rank plus noise."""

from __future__ import annotations

import numbers
import warnings
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._validation import check_choice, check_data, check_float, check_int
from ..history import History
from ._em import criteria, e_step, fit_em
from ._factor_structure import NOISE_TYPES, FactorAnalyzerStructure, FactorCovariances
from ._structure import FitData, MixtureParams
from ._threads import one_thread

__all__ = ["MixtureOfFactorAnalyzers"]


class MixtureOfFactorAnalyzers(DensityMixin, BaseEstimator):
    """Mixture of factor analysers (MFA) fitted by EM: each covariance is ``W_k W_k^T + Psi_k``.

    Every component is a Gaussian whose covariance has ``n_factors`` free directions (the loadings ``W_k``,
    shape (d, q)) plus a diagonal noise ``Psi_k`` (``noise="diagonal"``: factor analysis, Ghahramani & Hinton
    1996) or an isotropic one ``sigma_k^2 I`` (``noise="isotropic"``: mixtures of probabilistic PCA, Tipping &
    Bishop 1999). That is enough freedom to model images in pixel space (Richardson & Weiss 2018) at a cost of
    O(n d q K) per EM iteration: with the Woodbury identity and the matrix determinant lemma no (d, d) matrix is
    ever formed, and the M-step works from O(K d q) sufficient statistics.

    The initialisation follows Richardson & Weiss: KMeans, then a probabilistic PCA of each cluster (a randomized
    SVD of its centred rows). The scikit-learn contract of :class:`~gmmlab.mixture.GaussianMixture` holds:
    ``fit``, ``predict``, ``predict_proba``, ``score_samples``, ``score``, ``bic``, ``aic``, ``sample``.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components ``K``.
    n_factors : int, default=1
        Factors per component ``q``, ``0 <= q < n_features`` (0 is a diagonal or spherical GMM).
    noise : {"diagonal", "isotropic"}, default="diagonal"
    tol : float, default=1e-3
        EM stops when the lower bound (mean log-likelihood per sample) changes by less than this.
    reg_covar : float, default=1e-6
        Added to every noise variance, which keeps every covariance positive definite.
    max_iter : int, default=100
        Maximum EM iterations per initialisation.
    n_init : int, default=1
        Initialisations; the one with the best lower bound is kept.
    random_state : int, RandomState instance or None, default=None
        Seeds KMeans and the randomized SVDs of the initialisation; all restarts draw from one stream.
    verbose : int, default=0
        1 prints the lower bound of every iteration.
    record_history : bool, default=False
        Keep every EM iteration of every restart in ``history_`` (weights, means and the objective; the loadings
        are not copied into the history).
    history_max_cells : int, default=1_000_000
        Largest ``n_samples * n_components`` for which the history also keeps responsibilities and labels.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    loadings_ : ndarray of shape (n_components, n_features, n_factors)
        ``W_k``, defined up to a rotation of the factors.
    noise_variances_ : ndarray of shape (n_components, n_features) (diagonal) or (n_components,) (isotropic)
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
    lower_bounds_ : list of float
    history_ : History or None
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gmmlab import MixtureOfFactorAnalyzers
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (200, 5)), rng.normal(6, 1, (200, 5))]
    >>> mfa = MixtureOfFactorAnalyzers(n_components=2, n_factors=2, random_state=0).fit(X)
    >>> sorted(mfa.means_[:, 0].round(0).tolist())
    [0.0, 6.0]
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        n_factors: int = 1,
        noise: str = "diagonal",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        random_state=None,
        verbose: int = 0,
        record_history: bool = False,
        history_max_cells: int = 1_000_000,
    ):
        self.n_components = n_components
        self.n_factors = n_factors
        self.noise = noise
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose
        self.record_history = record_history
        self.history_max_cells = history_max_cells

    # ------------------------------------------------------------------------------------------------ checks

    def _check_parameters(self, n_samples: int, n_features: int) -> None:
        owner = type(self).__name__
        check_int("n_components", self.n_components, 1, owner)
        check_int("n_factors", self.n_factors, 0, owner)
        check_choice("noise", self.noise, NOISE_TYPES, owner)
        check_float("tol", self.tol, 0.0, owner)
        check_float("reg_covar", self.reg_covar, 0.0, owner)
        check_int("max_iter", self.max_iter, 0, owner)
        check_int("n_init", self.n_init, 1, owner)
        check_int("verbose", self.verbose, 0, owner)
        check_int("history_max_cells", self.history_max_cells, 0, owner)
        if self.n_factors >= n_features:
            raise ValueError(
                f"{owner}: n_factors={self.n_factors} must be smaller than the {n_features} features (a factor "
                f"analyser with q >= d is not identifiable). Fix: use n_factors <= {n_features - 1}, or a full "
                "GaussianMixture."
            )
        if n_samples < self.n_components:
            raise ValueError(
                f"{owner}: Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"n_samples = {n_samples}. Fix: use n_components <= {n_samples} or pass more samples."
            )

    def _structure(self) -> FactorAnalyzerStructure:
        return FactorAnalyzerStructure(self.n_factors, self.noise)

    # ------------------------------------------------------------------------------------------------ fitting

    def fit(self, X, y=None, sample_weight=None):
        """Estimate the mixture by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float64 or float32 (kept: a float32 fit does its products in float32, its statistics in float64).
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of every sample in the M-step and the lower bound (the initial KMeans is
            weighted too).

        Returns
        -------
        self
        """
        X = check_data(self, X, reset=True, ensure_min_samples=2)
        n_samples, n_features = X.shape
        self._check_parameters(n_samples, n_features)
        with one_thread():  # as GaussianMixture: immune to other processes holding the cores
            return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight):
        owner = type(self).__name__
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (n_samples,) or not np.all(np.isfinite(sample_weight)) or np.any(
                sample_weight < 0
            ) or sample_weight.sum() <= 0:
                raise ValueError(
                    f"{owner}: sample_weight must be {n_samples} finite non-negative numbers with a positive sum, "
                    f"got shape {sample_weight.shape}."
                )
        structure = self._structure()
        random_state = check_random_state(self.random_state)
        shift = X.mean(axis=0)
        history = None
        if self.record_history:
            history = History(model="gmm", objective_name="log_likelihood", covariance_type=structure.name)
        # The starts need X; the engine then works on one centred (d, n) copy of it.
        starts = [self._initial_params(X, shift, structure, random_state, sample_weight) for _ in range(self.n_init)]
        data = FitData.from_samples(X, shift, sample_weight)
        result = fit_em(
            data, shift, starts.__getitem__, structure, n_init=self.n_init, tol=self.tol, max_iter=self.max_iter,
            reg_covar=self.reg_covar, history=history, history_max_cells=self.history_max_cells,
            verbose=self.verbose,
        )
        if not result.converged and self.max_iter > 0:
            warnings.warn(
                f"{owner}: EM did not converge in max_iter={self.max_iter} iterations (last change of the lower "
                "bound above tol). Raise max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        params = result.params
        self.weights_ = params.weights
        self.means_ = params.means
        self.loadings_ = params.covariances.loadings
        self.noise_variances_ = params.covariances.noise
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = result.lower_bound
        self.lower_bounds_ = result.lower_bounds
        self.history_ = history
        return self

    def _initial_params(self, X, shift, structure, random_state, sample_weight) -> MixtureParams:
        """KMeans labels, then each cluster's mean and probabilistic PCA (in coordinates centred on ``shift``)."""
        K = self.n_components
        kmeans = KMeans(n_clusters=K, n_init=1, random_state=random_state).fit(X, sample_weight=sample_weight)
        labels = kmeans.labels_
        weights_per_sample = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        nk = np.bincount(labels, weights=weights_per_sample, minlength=K) + 10 * np.finfo(np.float64).eps
        means = np.asarray(kmeans.cluster_centers_, dtype=np.float64) - shift
        covariances = structure.ppca_covariances(X - shift, labels, means, self.reg_covar, random_state)
        dtype = X.dtype
        return MixtureParams((nk / nk.sum()).astype(dtype), means.astype(dtype), covariances.astype(dtype), None)

    # ------------------------------------------------------------------------------------------------ inference

    def _covariances(self) -> FactorCovariances:
        return FactorCovariances(self.loadings_, self.noise_variances_)

    def _centred(self, X):
        """(data centred on the mixture's mean, the parameters in the same coordinates and the data's dtype)."""
        check_is_fitted(self, "loadings_")
        X = check_data(self, X, reset=False)
        shift = (self.weights_ @ self.means_).astype(X.dtype)
        params = MixtureParams(self.weights_.astype(X.dtype), (self.means_ - shift).astype(X.dtype),
                               self._covariances().astype(X.dtype), None)
        return FitData.from_samples(X, shift), params

    def _log_density(self, X, want_resp: bool):
        data, params = self._centred(X)
        return e_step(self._structure(), params, data)

    def score_samples(self, X):
        """Log-density of every sample under the mixture, shape (n_samples,) (float64)."""
        return self._log_density(X, False)[0].astype(np.float64)

    def score(self, X, y=None):
        """Mean log-likelihood per sample of ``X`` (higher is better)."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X):
        """Posterior probability of every component for every sample, shape (n_samples, n_components)."""
        return self._log_density(X, True)[1]

    def predict(self, X):
        """The most probable component of every sample, shape (n_samples,)."""
        return self.predict_proba(X).argmax(axis=1)

    def component_covariance(self, k: int) -> np.ndarray:
        """The dense (d, d) covariance ``W_k W_k^T + Psi_k`` of component ``k`` (mind the memory for large d)."""
        check_is_fitted(self, "loadings_")
        self._check_component(k)
        return self._covariances().component(k).astype(np.float64)

    # ------------------------------------------------------------------------------------------------ criteria

    def _n_parameters(self) -> int:
        K, d = self.means_.shape
        return int(self._structure().n_parameters(K, d) + K * d + K - 1)

    @property
    def n_parameters_(self) -> int:
        """Free parameters: loadings up to rotation ``K (d q - q (q - 1) / 2)``, noise, means and weights - 1."""
        check_is_fitted(self, "loadings_")
        return self._n_parameters()

    def criteria(self, X) -> dict:
        """Mean log-likelihood, BIC, AIC and ICL of ``X`` in one pass (the engine's :func:`criteria`)."""
        data, params = self._centred(X)
        return criteria(self._structure(), params, data)

    def icl(self, X) -> float:
        """Integrated completed likelihood: BIC plus twice the entropy of the responsibilities; lower is better."""
        return self.criteria(X)["icl"]

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log L + p ln n`` (scikit-learn's sign; lower is better)."""
        return self.criteria(X)["bic"]

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log L + 2 p``; lower is better."""
        return self.criteria(X)["aic"]

    # ------------------------------------------------------------------------------------------------ sampling

    def _check_component(self, component) -> None:
        if isinstance(component, bool) or not isinstance(component, numbers.Integral) or not (
            0 <= component < self.n_components
        ):
            raise ValueError(
                f"component must be an integer in [0, {self.n_components - 1}] (the fitted model has "
                f"{self.n_components} components), got {component!r}."
            )

    def sample(self, n_samples: int = 1, random_state=None, component: Optional[int] = None):
        """Draw new samples ``mu_k + W_k u + Psi_k^{1/2} e`` from the mixture (or from one component).

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            Per call: an integer seed gives the same draws every time.
        component : int or None
            Draw every sample from this component only.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            The component each sample was drawn from (shuffled order, as :meth:`GaussianMixture.sample`).
        """
        check_is_fitted(self, "loadings_")
        n_samples = check_int("n_samples", n_samples, 1, type(self).__name__)
        rng = check_random_state(random_state)
        if component is not None:
            self._check_component(component)
            counts = np.zeros(self.n_components, dtype=int)
            counts[component] = n_samples
        else:
            counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        structure, covariances = self._structure(), self._covariances()
        pieces, labels = [], []
        for k, count in enumerate(counts):
            if count:
                pieces.append(structure.sample_component(rng, self.means_, covariances, k, count))
                labels.append(np.full(count, k))
        X = np.concatenate(pieces).astype(self.means_.dtype, copy=False)
        y = np.concatenate(labels)
        order = rng.permutation(n_samples)
        return X[order], y[order]
