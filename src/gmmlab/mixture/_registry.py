"""The covariance structures the engine knows, by name."""

from __future__ import annotations

from ._diagonal import DiagonalCovariance, SphericalCovariance
from ._full import FullCovariance
from ._parsimonious import MODEL_NAMES
from ._parsimonious_structures import PARSIMONIOUS_STRUCTURES
from ._structure import CovarianceStructure
from ._tied import TiedCovariance

__all__ = [
    "ALL_COVARIANCE_TYPES",
    "COVARIANCE_TYPES",
    "MCLUST_MODEL_NAMES",
    "STRUCTURES",
    "get_structure",
    "n_mixture_parameters",
]

STRUCTURES: dict[str, CovarianceStructure] = {
    structure.name: structure
    for structure in (FullCovariance(), TiedCovariance(), DiagonalCovariance(), SphericalCovariance())
    + PARSIMONIOUS_STRUCTURES
}
"""One instance per covariance structure, by its ``covariance_type`` name (scikit-learn's four, then mclust's
other ten; mclust's names of scikit-learn's four are aliases)."""

_BY_ANY_NAME = {**{alias: s for s in STRUCTURES.values() for alias in s.aliases}, **STRUCTURES}

COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")
"""scikit-learn's four covariance types: what sweeps, tables and plots use by default, in their order."""

MCLUST_MODEL_NAMES: tuple[str, ...] = MODEL_NAMES
"""mclust's 14 models (EII ... VVV) in mclust's order; VII, VVI, EEE, VVV are the scikit-learn types."""

ALL_COVARIANCE_TYPES: tuple[str, ...] = COVARIANCE_TYPES + MCLUST_MODEL_NAMES
"""Every name ``covariance_type`` accepts: scikit-learn's four and mclust's 14 (4 of them the same models)."""


def get_structure(covariance_type: str) -> CovarianceStructure:
    """The structure of a covariance type (its name or an alias, e.g. "VVV" is "full"); assumes a validated name."""
    return _BY_ANY_NAME[covariance_type]


def n_mixture_parameters(structure: CovarianceStructure, n_components: int, n_features: int) -> int:
    """Free parameters of a mixture: covariances, means and the K - 1 free weights."""
    return int(structure.n_parameters(n_components, n_features) + n_components * n_features + n_components - 1)
