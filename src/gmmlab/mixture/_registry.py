"""The covariance structures the engine knows, by name."""

from __future__ import annotations

from ._diagonal import DiagonalCovariance, SphericalCovariance
from ._full import FullCovariance
from ._structure import CovarianceStructure
from ._tied import TiedCovariance

__all__ = ["COVARIANCE_TYPES", "STRUCTURES", "get_structure", "n_mixture_parameters"]

STRUCTURES: dict[str, CovarianceStructure] = {
    structure.name: structure
    for structure in (FullCovariance(), TiedCovariance(), DiagonalCovariance(), SphericalCovariance())
}
"""One instance per covariance structure, by its ``covariance_type`` name."""

_BY_ANY_NAME = {**{alias: s for s in STRUCTURES.values() for alias in s.aliases}, **STRUCTURES}

COVARIANCE_TYPES: tuple[str, ...] = tuple(STRUCTURES)
"""The names ``covariance_type`` accepts, in the order tables and plots list them."""


def get_structure(covariance_type: str) -> CovarianceStructure:
    """The structure of a covariance type (its name or an alias); assumes a validated name."""
    return _BY_ANY_NAME[covariance_type]


def n_mixture_parameters(structure: CovarianceStructure, n_components: int, n_features: int) -> int:
    """Free parameters of a mixture: covariances, means and the K - 1 free weights."""
    return int(structure.n_parameters(n_components, n_features) + n_components * n_features + n_components - 1)
