"""The :class:`GaussianMixture` estimator: scikit-learn's contract and results, a faster engine, and a history."""

from __future__ import annotations

import numbers
import warnings
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._validation import check_choice, check_data, check_float, check_int, check_reg_covar, check_sample_weight
from ..history import History
from ._em import criteria, e_step, fit_em, initial_params, most_probable_component
from ._init import INIT_METHODS, initial_responsibilities
from ._full import FullCovariance
from ._registry import ALL_COVARIANCE_TYPES, get_structure, n_mixture_parameters
from ._search import SearchStrategy, build_tree, resolve_reg_covar, search_em, start_responsibilities
from ._tied import TiedCovariance
from ._memory import check_fit_memory
from ._structure import FitData, MixtureParams
from ._threads import one_thread

__all__ = ["GaussianMixture"]


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM: scikit-learn's estimator, results and parameters, plus a history.

    With the same ``random_state`` and ``init_params`` it starts from the same point as
    :class:`sklearn.mixture.GaussianMixture` 1.9 and reaches the same BIC (to about 1e-10 relative in float64)
    and the same ``n_iter_``, except where scikit-learn is numerically wrong: its tied start from k-means++ or
    random_from_data responsibilities (only K non-zero rows) inflates the first covariance by about n / K, and its
    initial M-step on uncentred data fails for ``X + 1e8``; gmmlab weighs every sample by its responsibility and
    centres the data once per fit, so those tied fits differ from scikit-learn's and ``fit(X + c)`` is ``fit(X)``
    moved by ``c`` (see the README). It is faster (2-30x on Fashion-MNIST, see ``benchmarks/RESULTS.md``) and lighter:
    the samples are visited in cache-sized blocks folded straight into the M-step, so no (n_samples,
    n_components) array is held; a ``tied`` iteration costs O(n d K) instead of O(n d^2 K); a ``full`` one
    whitens with triangular products and gathers each scatter matrix only over the samples that weigh in it.

    A fit runs on one core: BLAS and OpenMP (scikit-learn's KMeans initialisation included) are limited to one
    thread inside ``fit`` and the prediction methods, which is faster for these many small products and immune
    to other processes holding cores. To use several cores, fit several models at once (as
    :func:`gmmlab.selection.sweep` does).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : str, default="full"
        ``full``: each component has its own general covariance; ``tied``: one covariance shared by all;
        ``diag``: each has its own diagonal covariance; ``spherical``: each has its own single variance. Or one
        of mclust's 14 models (Sigma_k = lambda_k D_k A_k D_k^T, volume / shape / orientation Equal or Variable
        across components, I for identity): EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV;
        VII, VVI, EEE and VVV are spherical, diag, tied and full (the same fits). Layouts: (K,) for EII/VII,
        (K, d) for the diagonal models, (d, d) for EEE/tied, (K, d, d) for the other rotated models.
    tol : float, default=1e-3
        EM stops when the lower bound (mean log-likelihood per sample) changes by less than this.
    reg_covar : float or "auto", default="auto"
        Added to the diagonal of every covariance so that it stays positive definite. ``"auto"``: 1e-6 with
        scikit-learn's initialisations (scikit-learn's value: those fits stay identical to scikit-learn's); with
        ``init_params="auto"``, 1e-6 times the data's smallest variance over all directions, so that the fit does
        not depend on the data's units (an absolute 1e-6 is a visible bias on directions of variance 1e-4 and below;
        see :func:`gmmlab.mixture._search.resolve_reg_covar`). The value used is ``reg_covar_``.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the one with the best lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data", "ward", "kmeans-standardized", \
            "hierarchical", "hierarchical-ward", "auto"}, default="kmeans"
        How the initial responsibilities are drawn. scikit-learn's four are identical to scikit-learn;
        ``"ward"``: Ward's agglomerative clustering of the whitened data (no randomness below 4000 samples);
        ``"kmeans-standardized"`` runs KMeans on unit-variance columns; ``"hierarchical"`` cuts mclust's default
        model-based hierarchical tree at K (``"hierarchical-ward"``: Ward's criterion); see
        :mod:`gmmlab.mixture._init`. ``"auto"`` runs the em-EM search of :mod:`gmmlab.mixture._search` (19
        starts of all the kinds above, 3 EM iterations each and 10 for the better half, the 8 best to convergence,
        the best 2 on to tol 1e-5,
        the winner refined toward 1e-8, a degenerate optimum only when nothing else was found): each of the
        ``n_init`` restarts is one whole search; ``n_iter_`` is then the final run's iterations, ``search_n_iter_``
        all of the search's and ``search_start_`` the start that won. It usually finds better optima than
        ``n_init=10`` in about its time (see ``benchmarks/RESULTS.md``, "Model search"); ``record_history`` is not
        available with it.
    weights_init, means_init, precisions_init : array-like, default=None
        User-provided initial weights (K,), means (K, d) and precisions (layout of ``covariance_type``).
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation; all restarts draw from one stream, as in scikit-learn.
    warm_start : bool, default=False
        Start the next ``fit`` from this fit's solution (``n_init`` is then ignored).
    verbose : int, default=0
        1 prints each initialisation and every ``verbose_interval`` iterations; 2 also the timings and changes.
    verbose_interval : int, default=10
        Iterations between two progress messages.
    record_history : bool, default=False
        Keep every EM iteration of every restart in ``history_`` (see :class:`gmmlab.History`).
    history_max_cells : int, default=1_000_000
        Largest ``n_samples * n_components`` for which the history also keeps the responsibilities and labels
        of every iteration (parameters and the objective are always kept).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray, layout of ``covariance_type``
    precisions_ : ndarray, layout of ``covariance_type``
    precisions_cholesky_ : ndarray, layout of ``covariance_type``
    converged_ : bool
    reg_covar_ : float
        The regularisation the fit added to every variance (``reg_covar``, or what ``"auto"`` resolved to).
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean log-likelihood per sample reached by the best initialisation.
    lower_bounds_ : list of float
        Lower bound at every iteration of the best initialisation.
    history_ : History or None
        Every iteration of every restart when ``record_history=True``, else None.
    n_features_in_ : int

    Examples
    --------
    >>> from gmmlab import GaussianMixture
    >>> import numpy as np
    >>> X = np.r_[np.random.RandomState(0).normal(0, 1, (100, 2)), np.random.RandomState(1).normal(6, 1, (100, 2))]
    >>> gm = GaussianMixture(n_components=2, random_state=0, record_history=True).fit(X)
    >>> gm.means_.round(0)[np.argsort(gm.means_[:, 0])].tolist()
    [[0.0, 0.0], [6.0, 6.0]]
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float | str = "auto",
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        record_history: bool = False,
        history_max_cells: int = 1_000_000,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.record_history = record_history
        self.history_max_cells = history_max_cells

    # ------------------------------------------------------------------------------------------------ checks

    def _check_parameters(self, n_samples: int, n_features: int, dtype):
        owner = type(self).__name__
        check_int("n_components", self.n_components, 1, owner)
        check_choice("covariance_type", self.covariance_type, ALL_COVARIANCE_TYPES, owner)
        check_float("tol", self.tol, 0.0, owner)
        check_reg_covar(self.reg_covar, owner)
        check_int("max_iter", self.max_iter, 0, owner)
        check_int("n_init", self.n_init, 1, owner)
        check_choice("init_params", self.init_params, tuple(INIT_METHODS) + ("auto",), owner)
        if self.init_params == "auto" and self.record_history:
            raise ValueError(
                f"{owner}: record_history=True needs one EM path, but init_params='auto' runs many short ones; "
                "use another init_params (e.g. 'kmeans') to record the history."
            )
        check_int("verbose", self.verbose, 0, owner)
        check_int("verbose_interval", self.verbose_interval, 1, owner)
        check_int("history_max_cells", self.history_max_cells, 0, owner)
        if n_samples < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"n_samples = {n_samples}. Fix: use n_components <= {n_samples} or pass more samples."
            )
        k, d = self.n_components, n_features
        inits = {}
        if self.weights_init is not None:
            weights = _as_array("weights_init", self.weights_init, (k,), dtype, owner)
            if np.any(weights < 0) or np.any(weights > 1) or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
                raise ValueError(
                    f"{owner}: weights_init must be non-negative and sum to 1, got sum {weights.sum():.6g}; "
                    "normalise it with w / w.sum()."
                )
            inits["weights"] = weights
        if self.means_init is not None:
            inits["means"] = _as_array("means_init", self.means_init, (k, d), dtype, owner)
        if self.precisions_init is not None:
            shape = get_structure(self.covariance_type).covariance_shape(k, d)
            precisions = _as_array("precisions_init", self.precisions_init, shape, dtype, owner)
            if isinstance(get_structure(self.covariance_type), (FullCovariance, TiedCovariance)):  # matrices
                if not np.allclose(precisions, np.swapaxes(precisions, -1, -2)):
                    raise ValueError(f"{owner}: precisions_init must be symmetric matrices.")
            elif np.any(precisions <= 0):
                raise ValueError(f"{owner}: precisions_init must be strictly positive, got a value <= 0.")
            inits["precisions"] = precisions
        return inits

    # ------------------------------------------------------------------------------------------------ fitting

    def fit(self, X, y=None, sample_weight=None):
        """Estimate the mixture by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or dask.array.Array
            A Dask array (row chunks) is fitted where its chunks live, data-parallel (see
            :func:`gmmlab.mixture._dask.fit_dask`): only parameters and sufficient statistics travel.
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every sample (None: all 1). A sample with integer weight w counts as w
            repeated rows (the same fit); weight 0 ignores it. The KMeans initialisation, every E/M
            statistic and the lower bound (a weighted mean) use them; ``n_iter_`` and the criteria too.

        Returns
        -------
        self : GaussianMixture
        """
        self.fit_predict(X, y, sample_weight=sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Estimate the mixture by EM and return the component of every sample.

        Parameters are those of :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            A lazy dask array when ``X`` is one.

        Raises
        ------
        gmmlab.mixture.InsufficientMemoryError
            Before anything large is allocated, when the estimated peak of an in-memory fit exceeds the
            available memory (the message names the estimate and the alternatives).
        """
        if _is_dask_array(X) or _is_dask_array(sample_weight):
            from ._dask import fit_dask  # dask is imported on this path only

            return fit_dask(self, X, sample_weight)
        X = check_data(self, X, reset=True, ensure_min_samples=2)
        n_samples, n_features = X.shape
        inits = self._check_parameters(n_samples, n_features, X.dtype)
        owner = type(self).__name__
        sample_weight = check_sample_weight(sample_weight, n_samples, X.dtype, owner, self.n_components)
        structure = get_structure(self.covariance_type)
        history_cells = 0
        if self.record_history and n_samples * self.n_components <= self.history_max_cells:
            history_cells = 2 * n_samples * self.n_components * (self.max_iter + 1) * self.n_init
        check_fit_memory(structure, n_samples, n_features, self.n_components, X.dtype, owner, history_cells)
        with one_thread():
            return self._fit(X, inits, sample_weight)

    def _fit(self, X, inits, sample_weight=None):
        structure = get_structure(self.covariance_type)
        random_state = check_random_state(self.random_state)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        shift = X.mean(axis=0) if sample_weight is None else (sample_weight @ X) / sample_weight.sum()
        need_resp = do_init and not {"weights", "means", "precisions"} <= inits.keys()
        weighted = {} if sample_weight is None else {"sample_weight": sample_weight}
        first_resp = None
        if need_resp and self.init_params == "kmeans":
            # KMeans centres its own copy of X, so the first start is drawn before the engine's centred copy
            # exists: the two copies never coexist in memory.
            first_resp = initial_responsibilities(X, self.n_components, self.init_params, random_state, **weighted)
        data = FitData.from_samples(X, shift, sample_weight)
        X_centred = data.samples()  # a (n, d) view: the engine keeps one centred copy of the data
        if do_init or not hasattr(self, "reg_covar_"):
            self.reg_covar_ = resolve_reg_covar(self.reg_covar, X_centred, sample_weight,
                                                search=self.init_params == "auto")

        if do_init and self.init_params == "auto" and not {"weights", "means", "precisions"} & inits.keys():
            # The search's starts ignore sample weights; its EM runs use them (data carries them).
            params = self._store(self._search(data, shift, X_centred, structure, random_state), structure, None)
        else:

            def initialize(restart):
                resp = None
                if restart == 0 and first_resp is not None:
                    resp = first_resp
                elif need_resp:
                    # On the centred data: a start must not depend on where the data sit (k-means++ distances
                    # lose every digit on data far from the origin).
                    resp = initial_responsibilities(X_centred, self.n_components, self.init_params, random_state,
                                                    **weighted)
                return self._initial_params(X_centred, shift, resp, inits, structure, sample_weight)

            params = self._run_em(structure, data, shift, initialize)
        # A final E-step, so that fit_predict(X) always equals fit(X).predict(X).
        return most_probable_component(structure, params.shifted(-shift), data)

    def _run_em(self, structure, data, shift, initialize, statistics=None) -> MixtureParams:
        """EM from ``initialize`` (or from the previous fit under ``warm_start``); sets the fitted attributes.

        ``data`` is None when ``statistics`` (a distributed pass) is given. Returns the best parameters in the
        caller's coordinates.
        """
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        start_lower_bound = -np.inf
        if not do_init:
            previous = MixtureParams(self.weights_, self.means_ - shift, self.covariances_, self.precisions_cholesky_)

            def initialize(restart):
                return previous

            start_lower_bound = self.lower_bound_

        history = None
        if self.record_history:
            history = History(model="gmm", objective_name="log_likelihood", covariance_type=self.covariance_type)
        result = fit_em(
            data,
            shift,
            initialize,
            structure,
            n_init=n_init,
            tol=self.tol,
            max_iter=self.max_iter,
            reg_covar=self.reg_covar_,
            start_lower_bound=start_lower_bound,
            history=history,
            history_max_cells=self.history_max_cells,
            verbose=self.verbose,
            verbose_interval=self.verbose_interval,
            statistics=statistics,
        )
        return self._store(result, structure, history)

    def _search(self, data, shift, X_centred, structure, random_state):
        """``init_params="auto"``: the em-EM search, ``n_init`` times from one random stream; the best is kept."""
        strategy = SearchStrategy()
        trees = build_tree(X_centred, strategy, random_state)
        data_covariance = np.atleast_2d(np.cov(X_centred.T, bias=True))
        best = None
        for _ in range(self.n_init):
            starts = start_responsibilities(X_centred, self.n_components, strategy, random_state, trees)
            found = search_em(
                data, shift, X_centred, structure, starts, strategy=strategy, tol=self.tol, max_iter=self.max_iter,
                reg_covar=self.reg_covar_, data_covariance=data_covariance,
            )
            rank = (found.degenerate, -found.result.lower_bound)
            if best is None or rank < (best.degenerate, -best.result.lower_bound):
                best = found
        self.search_start_ = best.start
        self.search_n_iter_ = best.n_iter
        return best.result

    def _store(self, result, structure, history):
        """Keep the fitted parameters of ``result`` (and ``history``); return them (caller's coordinates)."""
        if not result.converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, or increase "
                "max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
            )
        params = result.params
        self.weights_ = params.weights
        self.means_ = params.means
        self.precisions_cholesky_ = params.precisions_cholesky
        self.covariances_ = (
            params.covariances
            if params.covariances is not None
            else structure.covariances_from_cholesky(params.precisions_cholesky)
        )
        self.precisions_ = structure.precisions(params.precisions_cholesky)
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = result.lower_bound
        self.lower_bounds_ = result.lower_bounds
        self.history_ = history
        return params

    def _initial_params(self, X_centred, shift, resp, inits, structure, sample_weight=None):
        """The starting parameters in centred coordinates: from ``resp`` (n, K), overridden by user inits."""
        weights = means = covariances = precisions_cholesky = None
        if resp is not None:
            start = initial_params(structure, X_centred, resp, self.reg_covar_, sample_weight)
            weights, means, covariances, precisions_cholesky = start.weights, start.means, start.covariances, (
                start.precisions_cholesky
            )
        weights = inits.get("weights", weights)
        means = inits["means"] - shift if "means" in inits else means
        if "precisions" in inits:
            precisions_cholesky = structure.precision_cholesky_from_precisions(inits["precisions"])
            covariances = None
        return MixtureParams(weights, means, covariances, precisions_cholesky)

    # ------------------------------------------------------------------------------------------------ inference

    def _fitted_params(self):
        """(the centred parameters, their shift, the structure) of the fitted model."""
        check_is_fitted(self)
        shift = self.weights_ @ self.means_
        params = MixtureParams(self.weights_, self.means_ - shift, self.covariances_, self.precisions_cholesky_)
        return params, shift, get_structure(self.covariance_type)

    def _fitted_data(self, X, sample_weight=None):
        """(``X`` as the engine's centred data, the centred parameters, the structure), for the exact passes."""
        params, shift, structure = self._fitted_params()
        X = check_data(self, X, reset=False)
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype, type(self).__name__)
        return FitData.from_samples(X, shift, sample_weight), params, structure

    def _log_prob_and_resp(self, X):
        data, params, structure = self._fitted_data(X)
        return e_step(structure, params, data)

    def score_samples(self, X):
        """Log-density of every sample under the mixture, shape (n_samples,) (lazy for a dask array)."""
        if _is_dask_array(X):
            from ._dask import dask_score_samples

            return dask_score_samples(self, X)
        return self._log_prob_and_resp(X)[0]

    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood per sample of ``X`` (higher is better); weighted mean with ``sample_weight``."""
        if sample_weight is None and not _is_dask_array(X):
            return float(self.score_samples(X).mean())
        return self._criteria(X, sample_weight)["log_likelihood"]

    def predict(self, X):
        """The most probable component of every sample, shape (n_samples,) (lazy for a dask array)."""
        if _is_dask_array(X):
            from ._dask import dask_predict

            return dask_predict(self, X)
        data, params, structure = self._fitted_data(X)
        return most_probable_component(structure, params, data)

    def predict_proba(self, X):
        """Posterior probability (responsibility) of every component for every sample, shape (n, K).

        Lazy for a dask array.
        """
        if _is_dask_array(X):
            from ._dask import dask_predict_proba

            return dask_predict_proba(self, X)
        return self._log_prob_and_resp(X)[1]

    def _n_parameters(self) -> int:
        return n_mixture_parameters(get_structure(self.covariance_type), self.n_components, self.means_.shape[1])

    @property
    def n_parameters_(self) -> int:
        """Number of free parameters of the fitted model (means, covariances and weights)."""
        check_is_fitted(self)
        return self._n_parameters()

    def _criteria(self, X, sample_weight=None) -> dict:
        if _is_dask_array(X) or _is_dask_array(sample_weight):
            from ._dask import dask_criteria

            return dask_criteria(self, X, sample_weight)
        data, params, structure = self._fitted_data(X, sample_weight)
        return criteria(structure, params, data)

    def bic(self, X, sample_weight=None) -> float:
        """Bayesian information criterion, scikit-learn's sign: ``-2 log L + p ln n``; lower is better.

        R mclust reports the opposite sign (``2 log L - p ln n``, higher is better).

        With ``sample_weight``, log L is the weighted sum ``sum_i w_i log p(x_i)`` and n is the total weight
        ``sum_i w_i``: integer weights then give exactly the BIC of the data with every row repeated w_i times,
        which is what a weight means here (a count of identical observations). Non-integer weights are read the
        same way, as fractional counts: rescaling all weights by c rescales log L and n (so the BIC is not
        invariant to it); normalise the weights to the number of observations they stand for (e.g. to sum to
        the number of samples) when they are frequencies or importance weights.
        """
        return self._criteria(X, sample_weight)["bic"]

    def aic(self, X, sample_weight=None) -> float:
        """Akaike information criterion ``-2 log L + 2 p``; lower is better (weighted log L with weights)."""
        return self._criteria(X, sample_weight)["aic"]

    def icl(self, X, sample_weight=None) -> float:
        """Integrated completed likelihood, BIC plus twice the entropy of the responsibilities; lower is better.

        ``ICL = BIC + 2 * sum_i sum_k -r_ik log r_ik`` (Biernacki, Celeux & Govaert 2000), the sign convention of
        :meth:`bic`. It penalises components that overlap, so it tends to pick fewer, better separated ones.
        With ``sample_weight`` the entropy is weighted too (see :meth:`bic` for what n is).
        """
        return self._criteria(X, sample_weight)["icl"]

    def sample(self, n_samples: int = 1, random_state=None, component: Optional[int] = None):
        """Draw new samples from the fitted mixture (or from one of its components).

        Unlike scikit-learn, the random state is per call (an integer seed gives reproducible draws; None draws
        fresh ones) and the samples come in shuffled order, not grouped by component.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
        component : int or None
            Draw every sample from this component only.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            The component each sample was drawn from.
        """
        check_is_fitted(self)
        n_samples = check_int("n_samples", n_samples, 1, type(self).__name__)
        rng = check_random_state(random_state)
        structure = get_structure(self.covariance_type)
        if component is not None:
            if isinstance(component, bool) or not isinstance(component, numbers.Integral) or not (
                0 <= component < self.n_components
            ):
                raise ValueError(
                    f"component must be an integer in [0, {self.n_components - 1}] (the fitted model has "
                    f"{self.n_components} components), got {component!r}."
                )
            counts = np.zeros(self.n_components, dtype=int)
            counts[component] = n_samples
        else:
            counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        pieces, labels = [], []
        for k, count in enumerate(counts):
            if count == 0:
                continue
            pieces.append(structure.sample_component(rng, self.means_, self.covariances_, k, count))
            labels.append(np.full(count, k))
        X = np.concatenate(pieces).astype(self.means_.dtype, copy=False)
        y = np.concatenate(labels)
        order = rng.permutation(n_samples)
        return X[order], y[order]


def _is_dask_array(value) -> bool:
    """Whether ``value`` is a dask array, without importing dask (the core must not import it)."""
    return type(value).__module__.startswith("dask.array")


def _as_array(name, value, shape, dtype, owner):
    try:
        array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be numeric, got {value!r}.") from None
    if array.shape != tuple(shape):
        raise ValueError(f"{owner}: {name} must have shape {tuple(shape)}, got {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{owner}: {name} contains NaN or infinity.")
    return array
