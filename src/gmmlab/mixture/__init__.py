"""The EM engine: :class:`GaussianMixture` and the covariance math it dispatches on."""

from ._covariance import COVARIANCE_OPS, SingularCovarianceError
from ._gaussian_mixture import GaussianMixture

COVARIANCE_TYPES = tuple(COVARIANCE_OPS)

__all__ = ["GaussianMixture", "COVARIANCE_TYPES", "SingularCovarianceError"]
