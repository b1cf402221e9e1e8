"""The default model search: many starts, a few EM iterations each, the best few to convergence (em-EM).

Biernacki, Celeux & Govaert (2003), "Choosing starting values for the EM algorithm for getting the highest
likelihood in multivariate Gaussian mixture models", CSDA 41:561-575: a short EM from each of many starts ranks
them far better than the starts themselves, and costs a fraction of running each to convergence. Here:

1. **starts** (:data:`DEFAULT_STARTS`): the cut at K of mclust's model-based hierarchical tree (VVV criterion,
   scaled SVD; and Ward's), KMeans on the standardised and on the raw columns, k-means++ and random data points
   (scikit-learn's), several seeds of the random ones;
2. **screening**: ``halving_iter`` EM iterations from each start, then the better half on to ``short_iter``
   (stopping earlier below ``short_tol``);
3. **continuation**: the ``n_keep`` best by log-likelihood run to convergence (``tol``, ``max_iter``), and the
   hierarchical start whatever its rank (``always_continue``); while fewer than ``n_keep`` of them end
   non-degenerate, the next ones in the ranking continue; the ``n_polish`` best of them and the hierarchical start
   then go on to ``continue_tol`` (1e-5: scikit-learn's 1e-3 stops on plateaus that EM leaves after more iterations);
4. **choice**: the best by log-likelihood among the non-degenerate ones (:mod:`._degenerate`; a degenerate one only
   when all are), **refined** to ``refine_tol`` (1e-8 on the mean log-likelihood per sample);
5. in a sweep over K, **neighbours** (:func:`neighbour_starts`): the same search from the solution at K - 1 with
   one component split and at K + 1 with two merged, kept where it is better; a second round for the cells next to
   one that improved (``neighbour_rounds``).

Under the search, ``reg_covar="auto"`` is relative to the data (:func:`resolve_reg_covar`).

All EM runs go through the engine's :func:`~._em.fit_em`. The defaults were chosen by measurement with
``benchmarks/bench_selection.py`` (see ``benchmarks/RESULTS.md``, "Model search").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.utils import check_random_state

from ._degenerate import check_degenerate
from ._em import e_step, fit_em, initial_params
from ._hierarchical import MAX_SAMPLES, HierarchicalTree, hierarchical_tree
from ._init import INIT_METHODS
from ._full import FullCovariance
from ._structure import MixtureParams, SingularCovarianceError

__all__ = [
    "DEFAULT_STARTS", "MCLUST_STRATEGY", "RELATIVE_REG_COVAR", "SearchResult", "SearchStrategy", "build_tree",
    "neighbour_starts", "resolve_reg_covar", "search_em", "start_responsibilities",
]

RELATIVE_REG_COVAR = 1e-6
"""``reg_covar="auto"`` with the search: this share of the data's smallest variance (over all directions) is added
to every variance (see :func:`resolve_reg_covar`)."""

SKLEARN_REG_COVAR = 1e-6
"""``reg_covar="auto"`` with scikit-learn's initialisations: scikit-learn's absolute default, so fits match it."""

DEFAULT_STARTS: tuple = (
    ("hierarchical", 1),
    ("hierarchical-ward", 1),
    ("kmeans-standardized", 3),
    ("kmeans", 8),
    ("k-means++", 3),
    ("random_from_data", 3),
)
"""(init name, number of seeds) of the default search; the hierarchical starts are deterministic."""


@dataclass(frozen=True)
class SearchStrategy:
    """Settings of the em-EM search (see the module docstring).

    Attributes
    ----------
    starts : tuple of (str, int)
        Init names (keys of ``INIT_METHODS``) and how many seeds of each.
    short_iter : int
        EM iterations of the screening of every start.
    short_tol : float
        The screening of a start stops earlier when its lower bound changes less than this.
    n_keep : int
        Starts continued to convergence: the best ``n_keep`` after screening, and further ones in the ranking while
        fewer than ``n_keep`` of the continued ones are non-degenerate (a degenerate fit is no candidate, so it does
        not fill a place: on iris diag K = 8 the four best-screened neighbour starts all collapsed).
    refine_tol : float
        Tolerance of the final refinement of the winner (0: no refinement).
    refine_max_iter : int
        Iteration cap of the refinement. Measured on 7 benchmark data sets (252 cells): refining without a cap
        (up to 500 iterations) cost about 20 % of the search's time and changed no cell's outcome against the
        peers (the polish to ``continue_tol`` already did the work), so the refinement is capped: at 20, then
        (second tuning, 468 cells) at 5, again without changing a cell.
    cross_types : bool
        In a sweep over several covariance types, also start each type from the other types' solutions.
    continue_tol : float
        The ``n_polish`` best continued starts (and ``always_continue``) then go on to this tolerance (when it is
        below the sweep's ``tol``). scikit-learn's 1e-3 on the mean
        log-likelihood per sample stops EM on plateaus it would leave after more iterations; mclust's relative 1e-5
        on the total is about 1e-5 per sample for unit-scale log-densities.
    n_polish : int
        How many of the continued starts go on to ``continue_tol``.
    always_continue : tuple of str
        Starts continued to convergence whatever their rank after screening (mclust's own start, the
        hierarchical tree, can rank low after a few iterations and still end best).
    neighbour_rounds : int
        In a sweep, rounds of starts from the neighbouring K's solutions (:func:`neighbour_starts`: K - 1's with
        one component split, K + 1's with two merged). The first round searches every cell; a later one only the
        cells next to one whose log-likelihood the previous round raised by more than the sweep's ``tol`` (per
        sample), in that covariance type and only from that neighbour (the other's starts were tried already).
        0: none. Measured (``benchmarks/bench_selection.py``, 468 cells): a second round lowers the BIC of 76
        cells by more than 0.01 (61 by more than 1, at most by 244) and wins the last cell against the peers,
        iris diag K = 9 (split from the K = 8 optimum the first round found), for 12 % more EM iterations than one
        round; a third round would lower 36 more (at most by 185) for another 4 %, and change no cell's outcome.
    neighbour_keep : int
        Those starts are screened as the others; this many continue to convergence (as ``n_keep``) and all of
        them on to ``continue_tol``: after a loose ``tol`` the better of two is often not the better after
        ``continue_tol`` (iris diag K = 8: 702.57 against 700.11 in BIC, the order reversed).
    halving_iter : int
        When > 0 (and below ``short_iter``), the screening runs every start this many iterations first, and only
        the better half (at least ``n_keep``) on to ``short_iter``. 0: every start runs ``short_iter``.
    """

    starts: tuple = DEFAULT_STARTS
    short_iter: int = 10
    short_tol: float = 1e-4
    n_keep: int = 8
    refine_tol: float = 1e-8
    refine_max_iter: int = 5
    cross_types: bool = False
    continue_tol: float = 1e-5
    n_polish: int = 2
    always_continue: tuple = ("hierarchical",)
    neighbour_rounds: int = 2
    halving_iter: int = 3
    neighbour_keep: int = 2

    def validate(self, owner: str) -> SearchStrategy:
        """Raise a ValueError naming the bad setting; return self."""
        if not self.starts:
            raise ValueError(f"{owner}: the search needs at least one start.")
        for entry in self.starts:
            if not (isinstance(entry, tuple) and len(entry) == 2):
                raise ValueError(f"{owner}: each start must be a pair (init name, number of seeds), got {entry!r}.")
            name, count = entry
            if name not in INIT_METHODS:
                raise ValueError(
                    f"{owner}: unknown start {name!r}; known starts are {', '.join(map(repr, INIT_METHODS))}."
                )
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
                raise ValueError(f"{owner}: the number of seeds of start {name!r} must be an integer >= 1.")
        for name, low in (("short_iter", 1), ("n_keep", 1), ("n_polish", 1), ("refine_max_iter", 1),
                          ("neighbour_rounds", 0), ("neighbour_keep", 1), ("halving_iter", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}.")
        for name in ("short_tol", "continue_tol", "refine_tol"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}.")
        return self

    @property
    def n_starts(self) -> int:
        return int(sum(count for _, count in self.starts))


MCLUST_STRATEGY = SearchStrategy(
    starts=(("hierarchical", 1),), n_keep=1, n_polish=1, refine_tol=0.0, always_continue=(), neighbour_rounds=0,
    halving_iter=0,
)
"""mclust's own procedure (``sweep(strategy="mclust")``): one start per K, the cut of the VVV hierarchical tree on
scaled SVD coordinates (mclust's ``hc`` default), EM to 1e-5 (``continue_tol``; mclust's ``tol[1]`` is 1e-5
relative to the log-likelihood, looser than 1e-5 per sample on most data). One EM per (model, K), as
``mclustBIC``: measured on two of ``benchmarks/bench_models.py``'s data sets (14 models x K = 1..9), the BIC equals
mclustBIC's within 1e-4 (relative) on 200 of 245 cells and is better on 44 (EM run further), worse on one (VVE,
whose M-step mclust stops early)."""


@dataclass
class SearchResult:
    """The winner of a search and how it was found."""

    result: object  # EMResult of the winner (caller's coordinates)
    start: str  # the init name of the start that won
    degenerate: bool
    reason: str
    n_iter: int  # all EM iterations of the search, every start included
    candidates: list = field(default_factory=list)  # (start name, lower bound after screening)


def resolve_reg_covar(reg_covar, X_centred, sample_weight=None, *, search: bool) -> float:
    """The regularisation a fit adds to every variance: ``reg_covar`` itself, or what ``"auto"`` stands for.

    ``"auto"`` is :data:`SKLEARN_REG_COVAR` (1e-6, scikit-learn's absolute value, so that fits from scikit-learn's
    initialisations stay identical to scikit-learn's) unless ``search`` (gmmlab's model search,
    ``init_params="auto"`` or ``sweep(strategy="auto")``); then it is :data:`RELATIVE_REG_COVAR` (1e-6) times the
    smallest eigenvalue of the data's (weighted) covariance: the data's variance along its thinnest direction.
    That is never more than a relative 1e-6 on any variance of any component that is not itself collapsed, and
    it moves with the data: multiplying the data by c multiplies the fitted covariances by c^2 and changes nothing
    else, rotating it rotates them. An absolute 1e-6 is a bias that depends on the units. Measured on
    scikit-learn's data sets (``benchmarks/bench_selection.py``): on breast cancer (raw), whose smallest column
    variance is 5e-5, it is 2 % of that variance and shifts every likelihood (K = 1: BIC -5832.6 against mclust's
    unregularised -5837.1); on the same data standardised, columns of variance 1 but a thinnest direction of
    variance 2.8e-4 (radius, perimeter and area are nearly collinear), it still cost full fits 0.4-0.7 BIC
    units against mclust. The floor, 10 machine epsilons of the largest eigenvalue, keeps collinear data
    (a smallest eigenvalue of 0) numerically positive definite. ``X_centred`` (n, d) is centred by the
    (weighted) mean.
    """
    if not (isinstance(reg_covar, str) and reg_covar == "auto"):
        return float(reg_covar)
    if not search:
        return SKLEARN_REG_COVAR
    if sample_weight is None:
        covariance = X_centred.T @ X_centred / X_centred.shape[0]
    else:
        covariance = (X_centred.T * sample_weight) @ X_centred / float(np.sum(sample_weight))
    eigenvalues = np.linalg.eigvalsh(np.atleast_2d(np.asarray(covariance, dtype=np.float64)))
    largest = float(eigenvalues[-1])
    if not largest > 0:  # every column constant: no scale to be relative to
        return SKLEARN_REG_COVAR
    floor = 10 * float(np.finfo(X_centred.dtype).eps) * largest
    return max(RELATIVE_REG_COVAR * float(eigenvalues[0]), floor)


def build_tree(X_centred, strategy: SearchStrategy, random_state) -> dict | None:
    """The hierarchical trees the strategy's starts need, grown once for every K (None when none)."""
    models = {name: model for name, model in (("hierarchical", "VVV"), ("hierarchical-ward", "EII"))}
    trees = {}
    for name, _ in strategy.starts:
        if name in models and name not in trees:
            trees[name] = hierarchical_tree(X_centred, models[name], "SVD", MAX_SAMPLES, random_state)
    return trees or None


def start_responsibilities(X_centred, n_components: int, strategy: SearchStrategy, random_state, trees=None):
    """Every start's initial responsibilities: a list of (init name, (n, K) array).

    Hierarchical starts come from ``trees`` when given (one tree for every K); a start that cannot be made (a
    tree with fewer distinct rows than K) is left out.
    """
    rng = check_random_state(random_state)
    starts = []
    for name, count in strategy.starts:
        if trees is not None and name in trees:
            tree: HierarchicalTree = trees[name]
            if n_components <= tree.n_groups:
                starts.append((name, tree.responsibilities(n_components, X_centred.dtype)))
            continue
        for _ in range(count):
            try:
                starts.append((name, INIT_METHODS[name](X_centred, n_components, rng)))
            except ValueError:  # e.g. fewer distinct rows than K for a hierarchical start
                continue
    return starts


def neighbour_starts(structure, data, fewer=None, more=None) -> list:
    """Starts for K components from the solutions at K - 1 (``fewer``) and K + 1 (``more``).

    ``fewer`` and ``more`` are :class:`MixtureParams` in the coordinates of ``data`` (centred: a sweep's rows carry
    them in the caller's, and shift them by the data's mean first; uncentred, every start is off by that mean).

    Split (as in Ueda et al. 2000, "SMEM algorithm for mixture models", along the principal axis instead of a
    random direction): each component of the K - 1 solution in turn is replaced by two of half its weight, their
    means half a standard deviation either side of its mean along its principal axis, their principal variance
    three quarters of its own; the start is the responsibilities under that mixture.
    Merge: the K pairs of the K + 1 solution whose responsibilities are the most correlated (SMEM's merge
    criterion) each become one component (measured: merging every pair instead, 36 starts at K = 8, cost 19 % more
    EM iterations over the benchmark's sweeps and won no cell that these do not). Both return responsibilities
    (n, K), so every
    structure builds its own start from them. EM from random and clustering starts at each K separately is a
    lottery among nearby optima (measured: scikit-learn's ten KMeans restarts beat 19 em-EM starts on some diag
    cells of iris and digits); a solution one component away is a start of another kind, and on those cells it
    finds better optima than either.
    """
    starts = []
    n_features = data.features.shape[0]
    if fewer is not None:
        n_fewer = fewer.means.shape[0]
        covariances = structure.full_covariances(fewer.covariances, n_fewer, n_features)
        full = FullCovariance()
        for k in range(n_fewer):
            eigenvalues, vectors = np.linalg.eigh(covariances[k])
            step = 0.5 * np.sqrt(max(eigenvalues[-1], 0.0)) * vectors[:, -1]
            if not np.any(step):
                continue
            narrower = covariances[k] - np.outer(step, step)  # the principal variance times 3/4
            split = MixtureParams(
                np.concatenate([np.delete(fewer.weights, k), [fewer.weights[k] / 2] * 2]),
                np.vstack([np.delete(fewer.means, k, axis=0), fewer.means[k] + step, fewer.means[k] - step]),
                None,
                full.precision_cholesky(np.concatenate([np.delete(covariances, k, axis=0), [narrower] * 2])),
            )
            starts.append(("split", e_step(full, split, data)[1]))
    if more is not None:
        resp = e_step(structure, more, data)[1]
        n_more = resp.shape[1]
        norms = np.sqrt(np.einsum("ij,ij->j", resp, resp))
        correlation = (resp.T @ resp) / np.maximum(np.outer(norms, norms), np.finfo(resp.dtype).tiny)
        pairs = [(correlation[i, j], i, j) for i in range(n_more) for j in range(i + 1, n_more)]
        for _, i, j in sorted(pairs, reverse=True)[: n_more - 1]:
            merged = np.delete(resp, j, axis=1)
            merged[:, i] += resp[:, j]
            starts.append(("merge", merged))
    return starts


def _partition_key(resp: np.ndarray) -> bytes:
    """The same key for two starts that are the same partition up to the order of the components."""
    labels = np.argmax(resp, axis=1)
    covered = resp.max(axis=1) > 0
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    canonical = np.argsort(np.argsort(first))[inverse.ravel()]
    hard = np.array_equal(resp.max(axis=1)[covered], np.ones(int(covered.sum()), dtype=resp.dtype))
    if not hard:  # soft starts ("random") are never merged
        return resp.tobytes()
    return np.where(covered, canonical, -1).tobytes()


def _verdict(structure, params, data, reg_covar, data_covariance):
    n_components, n_features = params.means.shape
    return check_degenerate(
        params.weights, structure.full_covariances(params.covariances, n_components, n_features), data.n_samples,
        data_covariance,
        covariance_type=structure.name, reg_covar=reg_covar,
    )


def search_em(
    data,
    shift,
    X_centred,
    structure,
    starts,
    *,
    strategy: SearchStrategy,
    tol: float,
    max_iter: int,
    reg_covar: float,
    data_covariance=None,
) -> SearchResult:
    """em-EM from ``starts`` (see :func:`start_responsibilities`) for one covariance structure.

    ``data`` is the engine's :class:`~._structure.FitData` (centred by ``shift``), ``X_centred`` its (n, d) view.
    Raises :class:`SingularCovarianceError` when every start fails.
    """
    if data_covariance is None:
        data_covariance = np.cov(X_centred.T, bias=True).reshape(X_centred.shape[1], X_centred.shape[1])
    run = {"reg_covar": reg_covar, "n_init": 1}
    total_iter = 0
    screened = []
    seen = set()
    for name, resp in starts:
        # Identical partitions (every start at K = 1, KMeans on raw and standardised columns on clear clusters...)
        # would run the same EM again.
        key = _partition_key(resp)
        if key in seen:
            continue
        seen.add(key)
        try:
            first = initial_params(structure, X_centred, resp, reg_covar)
            short = fit_em(data, shift, lambda _, start=first: start, structure, tol=strategy.short_tol,
                           max_iter=min(strategy.halving_iter or strategy.short_iter, strategy.short_iter, max_iter),
                           **run)
        except SingularCovarianceError:
            continue
        total_iter += short.n_iter
        if np.isfinite(short.lower_bound):
            screened.append((short.lower_bound, name, short))
    if not screened:
        raise SingularCovarianceError("every start of the search ended with a singular covariance")
    screened.sort(key=lambda item: -item[0])
    if 0 < strategy.halving_iter < min(strategy.short_iter, max_iter):
        # The better half (at least n_keep, and the always-continued starts) go on to short_iter.
        n_go_on = max(strategy.n_keep, (len(screened) + 1) // 2)
        further = []
        for rank, (lower_bound, name, short) in enumerate(screened):
            if rank >= n_go_on and name not in strategy.always_continue:
                continue
            if not short.converged:
                try:
                    short = fit_em(data, shift, lambda _, start=short.params.shifted(-shift): start, structure,
                                   tol=strategy.short_tol,
                                   max_iter=min(strategy.short_iter, max_iter) - strategy.halving_iter, **run)
                except SingularCovarianceError:
                    continue
                total_iter += short.n_iter
            if np.isfinite(short.lower_bound):
                further.append((short.lower_bound, name, short))
        if further:
            screened = sorted(further, key=lambda item: -item[0])
    finished = []
    for rank, (_, name, short) in enumerate(screened):
        # The n_keep best continue; further ones while fewer than n_keep of the continued ones are non-degenerate.
        if rank >= strategy.n_keep and name not in strategy.always_continue and sum(
            not verdict.degenerate for *_, verdict in finished
        ) >= strategy.n_keep:
            continue
        centred = short.params.shifted(-shift)
        try:
            if short.converged and strategy.short_tol <= tol:
                result = short
            else:
                result = fit_em(data, shift, lambda _, start=centred: start, structure, tol=tol, max_iter=max_iter,
                                **run)
                total_iter += result.n_iter
        except SingularCovarianceError:
            continue
        verdict = _verdict(structure, result.params, data, reg_covar, data_covariance)
        finished.append((result.lower_bound, name, result, verdict))
    if not finished:
        raise SingularCovarianceError("every continued start of the search ended with a singular covariance")
    # The best non-degenerate candidate; a degenerate one only when nothing else is left.
    order = lambda item: (bool(item[3].degenerate), -item[0])
    finished.sort(key=order)
    if strategy.continue_tol < tol:
        # The best few, and the always-continued starts, leave the plateaus a loose tol stops on.
        polished = []
        for rank, (lower_bound, name, result, verdict) in enumerate(finished):
            if result.converged and (rank < strategy.n_polish or name in strategy.always_continue):
                centred = result.params.shifted(-shift)
                try:
                    further = fit_em(data, shift, lambda _, start=centred: start, structure, tol=strategy.continue_tol,
                                     max_iter=max_iter, **run)
                    total_iter += further.n_iter
                    # Converged at the sweep's tol already: a tighter tol not reached within max_iter is no failure.
                    result, lower_bound = replace(further, converged=True), further.lower_bound
                    verdict = _verdict(structure, result.params, data, reg_covar, data_covariance)
                except SingularCovarianceError:
                    pass
            polished.append((lower_bound, name, result, verdict))
        finished = sorted(polished, key=order)
    _, name, best, verdict = finished[0]
    if strategy.refine_tol > 0 and best.converged:  # polish a converged fit; never exceed a user's max_iter
        centred = best.params.shifted(-shift)
        try:
            refined = fit_em(data, shift, lambda _, start=centred: start, structure, tol=strategy.refine_tol,
                             max_iter=strategy.refine_max_iter, **run)
            total_iter += refined.n_iter
            refined = replace(refined, converged=True)  # the refinement is capped on purpose
            refined_verdict = _verdict(structure, refined.params, data, reg_covar, data_covariance)
            if verdict.degenerate or not refined_verdict.degenerate:
                best, verdict = refined, refined_verdict
        except SingularCovarianceError:
            pass
    candidates = [(n, float(lb)) for lb, n, _ in screened]
    return SearchResult(best, name, bool(verdict.degenerate), verdict.reason, total_iter, candidates)
