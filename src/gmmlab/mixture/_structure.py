"""The engine's contract: the data a fit holds, the sufficient statistics EM adds up, and the protocol every
covariance structure implements.

A covariance structure (``full``, ``tied``, ``diag``, ``spherical``, ...) is one small object, a subclass of
:class:`CovarianceStructure`. The EM loop in :mod:`._em` owns blocks of samples, threads, sample weights,
restarts and convergence; it calls the structure for everything that depends on the shape of the covariances:

1. ``prepare(data)`` once per fit (or per chunk of a distributed fit): constants of the data, e.g. the Gram
   matrix for ``tied``;
2. ``e_state(params)`` once per iteration: the E-step's constants (precision factors, linear forms);
3. per block of samples, ``log_prob(state, block, out, scratch, exact)`` writes the weighted log-densities
   ``log w_k + log N(x | k)`` into ``out`` (K, m), and, once the loop has turned them into responsibilities and
   multiplied them by the sample weights, ``accumulate(state, block, resp, stats, scratch)`` adds the block's
   sufficient statistics; ``accumulate`` is always called right after ``log_prob`` on the same block and may reuse
   what ``log_prob`` left in ``scratch``;
4. ``finish(stats, data)`` once per chunk, after its last block;
5. ``covariances_from_statistics(stats, means, state, reg_covar)``: the M-step.

:class:`SufficientStatistics` add up (``+=``) over blocks and over chunks, so weighted, chunked and data-parallel
EM are the same code: the loop builds them, a Dask reduction can add them.

Everything works on centred data (the engine subtracts one shift per fit: a mixture's likelihood does not depend
on translation, and centred data keeps the expanded distance formulas accurate). Layouts of ``covariances`` and
``precisions_cholesky`` are the structure's own (scikit-learn's for its four types).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

import numpy as np
from scipy import linalg

__all__ = [
    "CovarianceStructure",
    "FitData",
    "MixtureParams",
    "Scratch",
    "SingularCovarianceError",
    "SufficientStatistics",
    "LinearState",
    "linear_log_prob",
    "mixture_bias",
    "new_statistics",
]

LOG_2PI = math.log(2.0 * math.pi)


class SingularCovarianceError(ValueError):
    """A component's covariance is not positive definite (a collapsed or singleton component)."""


def singular_message(dtype) -> str:
    """The error text for a covariance that is not positive definite: what happened and the fixes."""
    message = (
        "Fitting the mixture model failed because some components have an ill-defined (singular) covariance, "
        "for instance a component that collapsed onto one point or a few duplicated samples. "
        "Fix: increase reg_covar (for example reg_covar=1e-4), decrease n_components, or scale the input data."
    )
    if np.dtype(dtype) == np.float32:
        message += " Passing float64 data instead of float32 also improves the numerical accuracy."
    return message


@dataclass(frozen=True)
class MixtureParams:
    """Weights (K,), means (K, d), covariances and precision Cholesky factors in the structure's layout.

    ``covariances`` is None when only the precisions are known (a user's ``precisions_init``).
    ``m_step_complete`` is False when the M-step that gave them stopped an iterative inner solver at its cap
    (a generalised EM step, see :attr:`SufficientStatistics.m_step_complete`); ``m_step_state`` is what that
    M-step handed to the next E-step (:attr:`SufficientStatistics.m_step_state`; None by default).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: Optional[Any]
    precisions_cholesky: Any
    m_step_complete: bool = True
    m_step_state: Any = None

    def shifted(self, offset) -> "MixtureParams":
        """The same mixture translated by ``offset`` (d,)."""
        return MixtureParams(self.weights, self.means + offset, self.covariances, self.precisions_cholesky,
                             self.m_step_complete, self.m_step_state)


@dataclass
class FitData:
    """The samples of a fit (or of one chunk of it) as the engine holds them.

    Attributes
    ----------
    features : ndarray of shape (n_features, n_samples)
        The centred samples, transposed and C-ordered: a block of samples is ``n_features`` contiguous pieces, the
        layout the blocked products read fastest (a transposed view of X would cost no memory but slows the full
        E-step by 10-20 %).
    sample_weight : ndarray of shape (n_samples,) or None
        None means every sample weighs 1.
    gram : ndarray of shape (n_features, n_features) or None
        ``features @ diag(sample_weight) @ features.T``, filled by :meth:`CovarianceStructure.prepare` for the
        structures that need it.
    """

    features: np.ndarray
    sample_weight: Optional[np.ndarray] = None
    gram: Optional[np.ndarray] = None

    @classmethod
    def from_samples(cls, X, shift=None, sample_weight=None) -> "FitData":
        """``X`` (n, d) minus ``shift`` (d,), transposed into a new C-ordered array."""
        features = np.empty((X.shape[1], X.shape[0]), dtype=X.dtype)
        if shift is None:
            features[...] = X.T
        else:
            np.subtract(X.T, shift[:, np.newaxis], out=features)
        return cls(features, sample_weight)

    @property
    def n_samples(self) -> int:
        return self.features.shape[1]

    @property
    def total_weight(self) -> float:
        return float(self.n_samples if self.sample_weight is None else self.sample_weight.sum(dtype=np.float64))

    def samples(self) -> np.ndarray:
        """The centred samples as a (n, d) view."""
        return self.features.T


@dataclass
class SufficientStatistics:
    """Responsibility-weighted sums over samples: what one EM iteration needs from the data.

    All of them add up over blocks and chunks (``stats += other``).

    Attributes
    ----------
    nk : ndarray of shape (n_components,)
        ``sum_i w_i r_ik``.
    first : ndarray of shape (n_components, n_features)
        ``sum_i w_i r_ik x_i`` (centred coordinates).
    second : ndarray or object with ``__iadd__``
        The structure's second moments (see each structure's ``new_second``).
    log_likelihood : float
        ``sum_i w_i log p(x_i)`` under the parameters the E-step used.
    total_weight : float
        ``sum_i w_i``.
    allow_capped_m_step : bool
        Set by the EM loop: whether an iterative M-step (mclust's iterative models) may stop its inner solver at
        the small cap it has inside the loop (a generalised EM step, which still lowers the M-step objective). The
        loop asks for a complete M-step (False) before it declares convergence.
    m_step_complete : bool
        Set to False by ``covariances_from_statistics`` when its inner solver stopped at that cap; True for every
        closed-form M-step.
    m_step_state : object or None
        Set by ``covariances_from_statistics`` for the structure's next ``e_state``, which finds it in
        ``params.m_step_state`` (EVE and VVE: the common orientation D the covariances were built from).
    """

    nk: np.ndarray
    first: np.ndarray
    second: Any
    log_likelihood: float = 0.0
    total_weight: float = 0.0
    allow_capped_m_step: bool = True
    m_step_complete: bool = True
    m_step_state: Any = None

    def __iadd__(self, other: "SufficientStatistics") -> "SufficientStatistics":
        self.nk += other.nk
        self.first += other.first
        if self.second is None:
            self.second = other.second
        elif other.second is not None:
            self.second += other.second
        self.log_likelihood += other.log_likelihood
        self.total_weight += other.total_weight
        return self


class Scratch:
    """Flat buffers reused across blocks and iterations, one per purpose; they only grow."""

    __slots__ = ("log_prob", "block", "gathered")

    def __init__(self):
        self.log_prob = self.block = self.gathered = None

    def take(self, purpose: str, shape, dtype) -> np.ndarray:
        """A C-ordered array of ``shape`` backed by the buffer of ``purpose``; its content is undefined."""
        size = math.prod(shape)
        buffer = getattr(self, purpose)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = np.empty(size, dtype=dtype)
            setattr(self, purpose, buffer)
        return buffer[:size].reshape(shape)


@dataclass(frozen=True)
class LinearState:
    """E-step constants of a structure whose log-densities are linear in a block's feature rows.

    ``log w_k + log N(x | k) = linear[k] @ features(x) + bias[k]`` (+ a term the same for every component, which
    ``tied`` leaves out). ``precisions_cholesky`` is kept for the exact per-sample term.
    """

    linear: np.ndarray
    bias: np.ndarray
    means: np.ndarray
    precisions_cholesky: Any


def mixture_bias(weights, log_det, n_features):
    """The part of ``log w_k + log N(x | k)`` that does not depend on x, given log det of the precision factor."""
    return np.log(weights) + log_det - 0.5 * n_features * LOG_2PI


# ---------------------------------------------------------------------------------------------------------
# LAPACK helpers shared by the structures with matrix precisions


@lru_cache(maxsize=None)
def lapack(names: tuple, dtype_char: str):
    """LAPACK/BLAS routines for a dtype, looked up once: scipy's lookups cost more than a small call."""
    dtype = np.dtype(dtype_char)
    return tuple(
        linalg.get_blas_funcs(name, dtype=dtype) if name in ("trmm", "syrk") else
        linalg.lapack.get_lapack_funcs(name, dtype=dtype)
        for name in names
    )


def inverse_cholesky(covariance):
    """U = L^-T, the upper-triangular precision factor (precision = U U^T), from covariance = L L^T.

    LAPACK directly: scipy.linalg's wrappers spend more on checks than a 50 x 50 factorisation takes.
    """
    potrf, trtri = lapack(("potrf", "trtri"), covariance.dtype.char)
    cov_chol, info = potrf(covariance, lower=1, clean=1)
    if info == 0:
        inverse, info = trtri(cov_chol, lower=1)
    if info != 0:
        raise SingularCovarianceError(singular_message(covariance.dtype))
    return inverse.T


def triangular_inverses(upper):
    """U^-1 for a stack of upper-triangular U, shape (K, d, d)."""
    (trtri,) = lapack(("trtri",), upper.dtype.char)
    return np.stack([trtri(u, lower=0)[0] for u in upper])


def upper_cholesky_of_precision(precision):
    """U upper triangular with precision = U U^T: the lower Cholesky factor of the reversed matrix, reversed."""
    try:
        lower = linalg.cholesky(precision[::-1, ::-1], lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise SingularCovarianceError(
            "precisions_init is not positive definite; pass symmetric positive definite precision matrices."
        ) from None
    return lower[::-1, ::-1]


def covariances_from_upper_factors(precisions_cholesky):
    """Sigma = (U U^T)^-1 for one (d, d) or a stack (K, d, d) of upper precision factors."""
    inverse = np.linalg.inv(precisions_cholesky)
    return np.swapaxes(inverse, -1, -2) @ inverse


# ---------------------------------------------------------------------------------------------------------
# the protocol


class CovarianceStructure:
    """One covariance structure of a Gaussian mixture: its layout, its E-step and its M-step.

    Subclasses implement every method that raises ``NotImplementedError``; see the module docstring for the
    order in which the EM loop calls them. Instances hold no data and no state: one instance serves every fit.

    Attributes
    ----------
    name : str
        The name ``covariance_type`` takes (scikit-learn's for its four types).
    aliases : tuple of str
        Other names of the same structure (e.g. mclust's ``"VVV"`` for ``"full"``).
    """

    name: str = ""
    aliases: tuple = ()

    # -- layout and counts ------------------------------------------------------------------------------------

    def covariance_shape(self, n_components: int, n_features: int) -> tuple:
        """Shape of ``covariances_`` (and of ``precisions_init``)."""
        raise NotImplementedError

    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free covariance parameters (means and weights not included)."""
        raise NotImplementedError

    def component_covariance(self, covariances, k: int, n_features: int) -> np.ndarray:
        """The (d, d) covariance matrix of component ``k``."""
        raise NotImplementedError

    def full_covariances(self, covariances, n_components: int, n_features: int) -> np.ndarray:
        """Every component's (d, d) covariance matrix, shape (K, d, d)."""
        return np.stack([self.component_covariance(covariances, k, n_features) for k in range(n_components)])

    def block_rows(self, n_components: int, n_features: int) -> int:
        """Floats held per sample of a block by the E/M pass (sizes the blocks to stay in cache)."""
        return n_components + n_features + 1

    # -- factors ----------------------------------------------------------------------------------------------

    def precision_cholesky(self, covariances):
        """The precision factors of ``covariances``; raises :class:`SingularCovarianceError`."""
        raise NotImplementedError

    def precision_cholesky_from_precisions(self, precisions):
        raise NotImplementedError

    def precisions(self, precisions_cholesky):
        raise NotImplementedError

    def covariances_from_cholesky(self, precisions_cholesky):
        raise NotImplementedError

    # -- the EM pass ------------------------------------------------------------------------------------------

    def prepare(self, data: FitData) -> None:
        """Per-fit (per-chunk) constants of the data; nothing by default."""

    def initial_covariances(self, X_centred, resp, nk, means, reg_covar):
        """M-step from a whole (n, K) responsibility matrix (the initialisation), on centred data (n, d)."""
        raise NotImplementedError

    def e_state(self, params: MixtureParams):
        """The E-step's per-iteration constants."""
        raise NotImplementedError

    def log_prob(self, state, block: np.ndarray, out: np.ndarray, scratch: Scratch, exact: bool) -> None:
        """Write ``log w_k + log N(x | k)`` of the block's samples (columns of ``block``, (d, m)) into ``out``.

        When ``exact`` is False a structure may leave out a per-sample term that is the same for every component
        (it cancels in the responsibilities); it then adds its total in :meth:`finish`.
        """
        raise NotImplementedError

    def new_second(self, n_components: int, n_features: int, dtype):
        """Zeroed second-moment statistics, added up by :meth:`accumulate`."""
        raise NotImplementedError

    def accumulate(self, state, block: np.ndarray, resp: np.ndarray, stats: SufficientStatistics,
                   scratch: Scratch) -> None:
        """Add the block's sufficient statistics; ``resp`` (K, m) already carries the sample weights."""
        raise NotImplementedError

    def finish(self, state, stats: SufficientStatistics, data: FitData) -> None:
        """Once per chunk after its last block: terms that depend on the chunk as a whole; nothing by default."""

    def covariances_from_statistics(self, stats: SufficientStatistics, means, state, reg_covar):
        """The M-step: covariances from the statistics and the new means (centred coordinates)."""
        raise NotImplementedError

    # -- sampling ---------------------------------------------------------------------------------------------

    def sample_component(self, rng, means, covariances, k: int, n_samples: int) -> np.ndarray:
        """``n_samples`` draws from component ``k``, shape (n_samples, d)."""
        factor = np.linalg.cholesky(self.component_covariance(covariances, k, means.shape[1]))
        return means[k] + rng.standard_normal((n_samples, means.shape[1])) @ factor.T


def new_statistics(structure: CovarianceStructure, n_components: int, n_features: int, dtype):
    """Zeroed :class:`SufficientStatistics` for ``structure``."""
    return SufficientStatistics(
        nk=np.zeros(n_components, dtype=dtype),
        first=np.zeros((n_components, n_features), dtype=dtype),
        second=structure.new_second(n_components, n_features, dtype),
    )


def linear_log_prob(state: LinearState, features: np.ndarray, out: np.ndarray) -> None:
    """Log-densities linear in a block's feature rows: ``out = linear @ features + bias``."""
    np.matmul(state.linear, features, out=out)
    out += state.bias[:, np.newaxis]


