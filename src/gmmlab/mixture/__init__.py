"""The EM engine: :class:`GaussianMixture`, :class:`MixtureOfFactorAnalyzers`, the covariance structures it dispatches on, and the one EM loop.

Public engine names (what the sweep, the plots and persistence use): :data:`COVARIANCE_TYPES`,
:func:`get_structure` (the :class:`CovarianceStructure` of a covariance type: layouts, parameter counts, the
E- and M-steps), :class:`FitData`, :class:`MixtureParams`, :class:`SufficientStatistics`, :func:`fit_em`,
:func:`initial_params`, :func:`criteria`, :func:`e_step`, :func:`n_mixture_parameters`, :func:`one_thread`.
See ``docs/architecture.md``.
"""

from ._em import EMResult, chunk_statistics, criteria, e_step, fit_em, initial_params, m_step, most_probable_component
from ._gaussian_mixture import GaussianMixture
from ._mfa import MixtureOfFactorAnalyzers
from ._init import INIT_METHODS, initial_responsibilities
from ._memory import InsufficientMemoryError
from ._parsimonious import mclust_bic
from ._registry import (
    ALL_COVARIANCE_TYPES,
    COVARIANCE_TYPES,
    MCLUST_MODEL_NAMES,
    STRUCTURES,
    get_structure,
    n_mixture_parameters,
)
from ._structure import CovarianceStructure, FitData, MixtureParams, SingularCovarianceError, SufficientStatistics
from ._threads import one_thread

__all__ = [
    "ALL_COVARIANCE_TYPES",
    "COVARIANCE_TYPES",
    "MCLUST_MODEL_NAMES",
    "INIT_METHODS",
    "STRUCTURES",
    "CovarianceStructure",
    "EMResult",
    "FitData",
    "GaussianMixture",
    "InsufficientMemoryError",
    "MixtureOfFactorAnalyzers",
    "MixtureParams",
    "SingularCovarianceError",
    "SufficientStatistics",
    "chunk_statistics",
    "criteria",
    "e_step",
    "fit_em",
    "get_structure",
    "initial_params",
    "initial_responsibilities",
    "m_step",
    "mclust_bic",
    "most_probable_component",
    "n_mixture_parameters",
    "one_thread",
]
