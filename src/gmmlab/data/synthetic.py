"""Synthetic data drawn from a Gaussian mixture with known truth.

:func:`make_gmm_data` samples points from a mixture given explicitly by its weights, means and covariances and
returns them together with the true labels and parameters. :func:`make_preset` does the same for a few named
scenes (see :data:`PRESETS` and :func:`list_presets`) used throughout the tests, notebooks and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_random_state

__all__ = [
    "GMMData",
    "Preset",
    "PRESETS",
    "make_gmm_data",
    "make_preset",
    "list_presets",
]

_WEIGHT_TOL = 1e-6
# Relative tolerance for symmetry and for the smallest eigenvalue of a covariance matrix.
_COV_RTOL = 1e-8


class GMMData(NamedTuple):
    """A sample from a Gaussian mixture together with the mixture that generated it.

    Access the fields by name (``data.X``, ``data.y``); being a tuple, ``X, y, weights, means, covariances =
    data`` also works.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        The points, in random order.
    y : ndarray of shape (n_samples,), int64
        Index of the component each point was drawn from.
    weights : ndarray of shape (n_components,)
        Mixing proportions (sum to 1).
    means : ndarray of shape (n_components, n_features)
        Component means.
    covariances : ndarray of shape (n_components, n_features, n_features)
        Full covariance matrix of each component, whatever form was given.
    """

    X: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def n_components(self) -> int:
        """Number of mixture components."""
        return int(self.weights.shape[0])

    @property
    def n_features(self) -> int:
        """Dimension of the points."""
        return int(self.means.shape[1])


# --------------------------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------------------------


def _check_n_samples(n_samples: object) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}; pass e.g. n_samples=500.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}; pass e.g. n_samples=500.")
    return int(n_samples)


def _check_weights(weights: ArrayLike) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.shape[0] < 1:
        raise ValueError(
            f"weights must be a non-empty 1-D array of mixing proportions, got shape {w.shape}; "
            "pass one weight per component, e.g. weights=[0.5, 0.5]."
        )
    if not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite, got {w.tolist()}.")
    if np.any(w < 0):
        raise ValueError(
            f"weights must be non-negative, got {w.tolist()}; mixing proportions are probabilities in [0, 1]."
        )
    total = float(w.sum())
    if abs(total - 1.0) > _WEIGHT_TOL:
        raise ValueError(
            f"weights must sum to 1 (within {_WEIGHT_TOL:g}), got sum {total:.8g} for {w.tolist()}; "
            "divide them by their sum, e.g. weights=np.asarray(w) / np.sum(w)."
        )
    # Renormalise so the multinomial draw sees an exact probability vector.
    return w / total


def _check_means(means: ArrayLike, n_components: int) -> np.ndarray:
    m = np.asarray(means, dtype=float)
    if m.ndim != 2:
        raise ValueError(
            f"means must be a 2-D array of shape (n_components, n_features), got shape {m.shape}; "
            "for 1-D data pass e.g. means=[[0.0], [5.0]]."
        )
    if m.shape[0] != n_components:
        raise ValueError(
            f"means has {m.shape[0]} rows but weights has {n_components} entries; "
            "give one mean per component (means.shape[0] == len(weights))."
        )
    if m.shape[1] < 1:
        raise ValueError(f"means must have at least one column (feature), got shape {m.shape}.")
    if not np.all(np.isfinite(m)):
        raise ValueError("means must be finite; found NaN or infinity.")
    return m


def _check_covariances(covariances: ArrayLike, n_components: int, n_features: int) -> np.ndarray:
    c = np.asarray(covariances, dtype=float)
    K, d = n_components, n_features
    accepted = f"full ({K}, {d}, {d}), diagonal ({K}, {d}) or spherical ({K},)"
    if not np.all(np.isfinite(c)):
        raise ValueError("covariances must be finite; found NaN or infinity.")
    if c.shape == (K,):
        if np.any(c < 0):
            raise ValueError(
                f"spherical covariances (variances) must be non-negative, got {c.tolist()}."
            )
        return c[:, None, None] * np.eye(d)[None, :, :]
    if c.shape == (K, d):
        if np.any(c < 0):
            bad = np.argwhere(c < 0)[0]
            raise ValueError(
                f"diagonal covariances (variances) must be non-negative, got {c[tuple(bad)]!r} "
                f"for component {bad[0]}, feature {bad[1]}."
            )
        full = np.zeros((K, d, d))
        idx = np.arange(d)
        full[:, idx, idx] = c
        return full
    if c.shape == (K, d, d):
        for k in range(K):
            ck = c[k]
            scale = max(float(np.max(np.abs(ck))), 1.0)
            if not np.allclose(ck, ck.T, rtol=0.0, atol=_COV_RTOL * scale):
                raise ValueError(
                    f"covariance matrix of component {k} is not symmetric: {ck.tolist()}; "
                    "pass a symmetric matrix, e.g. (C + C.T) / 2."
                )
            min_eig = float(np.linalg.eigvalsh(ck).min())
            if min_eig < -_COV_RTOL * scale:
                raise ValueError(
                    f"covariance matrix of component {k} is not positive semi-definite "
                    f"(smallest eigenvalue {min_eig:.3g}): {ck.tolist()}; "
                    "a covariance can be built as A @ A.T for any real matrix A."
                )
        return c.copy()
    raise ValueError(
        f"covariances has shape {c.shape}, which matches none of the accepted forms for "
        f"{K} components in {d} dimensions: {accepted}."
    )


def _sqrt_factor(cov: np.ndarray) -> np.ndarray:
    """Return A with A @ A.T == cov; works for singular (PSD) matrices where Cholesky fails."""
    eigval, eigvec = np.linalg.eigh(cov)
    return eigvec * np.sqrt(np.clip(eigval, 0.0, None))


# --------------------------------------------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------------------------------------------


def make_gmm_data(
    n_samples: int,
    weights: ArrayLike,
    means: ArrayLike,
    covariances: ArrayLike,
    random_state: int | np.random.RandomState | None = None,
) -> GMMData:
    """Draw points from a Gaussian mixture with known parameters.

    The number of points per component is drawn from the multinomial distribution with probabilities
    ``weights``; each point is then drawn from its component's Gaussian and the rows are shuffled.

    Parameters
    ----------
    n_samples : int
        Number of points, at least 1.
    weights : array-like of shape (n_components,)
        Mixing proportions: non-negative, summing to 1 (within 1e-6).
    means : array-like of shape (n_components, n_features)
        Component means.
    covariances : array-like
        Either full matrices of shape (n_components, n_features, n_features) (symmetric positive
        semi-definite), diagonals of shape (n_components, n_features), or one variance per component of
        shape (n_components,) (spherical). Always returned as full matrices.
    random_state : int, RandomState instance or None, default=None
        Seed or generator, normalised with :func:`sklearn.utils.check_random_state`; an int gives
        reproducible draws.

    Returns
    -------
    GMMData
        Named tuple ``(X, y, weights, means, covariances)``.

    Raises
    ------
    ValueError
        If ``n_samples`` < 1, the weights are negative or do not sum to 1, the shapes disagree, or a
        covariance is not symmetric positive semi-definite.

    Examples
    --------
    >>> data = make_gmm_data(300, [0.5, 0.5], [[0, 0], [5, 5]], [1.0, 2.0], random_state=0)
    >>> data.X.shape, data.y.shape, data.covariances.shape
    ((300, 2), (300,), (2, 2, 2))
    """
    n = _check_n_samples(n_samples)
    w = _check_weights(weights)
    m = _check_means(means, w.shape[0])
    K, d = m.shape
    cov = _check_covariances(covariances, K, d)

    rng = check_random_state(random_state)
    counts = rng.multinomial(n, w)
    X = np.empty((n, d), dtype=np.float64)
    y = np.empty(n, dtype=np.int64)
    start = 0
    for k in range(K):
        nk = int(counts[k])
        if nk == 0:
            continue
        z = rng.standard_normal(size=(nk, d))
        X[start : start + nk] = m[k] + z @ _sqrt_factor(cov[k]).T
        y[start : start + nk] = k
        start += nk
    order = rng.permutation(n)
    return GMMData(X=X[order], y=y[order], weights=w, means=m.copy(), covariances=cov)


# --------------------------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------------------------


def _readonly(a: ArrayLike) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


def _rotated_cov(angle_deg: float, sd_major: float, sd_minor: float) -> np.ndarray:
    t = np.deg2rad(angle_deg)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return R @ np.diag([sd_major**2, sd_minor**2]) @ R.T


@dataclass(frozen=True)
class Preset:
    """A named Gaussian mixture scene.

    Attributes
    ----------
    name : str
        Key in :data:`PRESETS`.
    description : str
        One-line description.
    n_samples : int
        Default number of points.
    weights, means, covariances : ndarray
        The mixture, as accepted by :func:`make_gmm_data` (read-only arrays).
    """

    name: str
    description: str
    n_samples: int
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def n_components(self) -> int:
        """Number of mixture components."""
        return int(self.weights.shape[0])


def _build_presets() -> dict[str, Preset]:
    presets = [
        Preset(
            name="blobs4",
            description="4 round, equal, well separated 2-D clusters (BIC should recover K=4)",
            n_samples=800,
            weights=_readonly([0.25, 0.25, 0.25, 0.25]),
            means=_readonly([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]]),
            covariances=_readonly([1.0, 1.0, 1.0, 1.0]),
        ),
        Preset(
            name="elongated",
            description=(
                "3 elongated, tilted, partly overlapping 2-D clusters with unequal weights and sizes "
                "(KMeans cuts across them, a full-covariance GMM follows them)"
            ),
            n_samples=1000,
            weights=_readonly([0.5, 0.3, 0.2]),
            means=_readonly([[0.0, 0.0], [0.5, 2.2], [1.0, 4.4]]),
            covariances=_readonly(
                [
                    _rotated_cov(15.0, 4.0, 0.45),
                    _rotated_cov(15.0, 3.0, 0.35),
                    _rotated_cov(5.0, 2.0, 0.5),
                ]
            ),
        ),
        Preset(
            name="unequal",
            description="3 round 2-D clusters with very different variances (0.3^2 to 2.5^2) and weights (60/30/10%)",
            n_samples=1000,
            weights=_readonly([0.6, 0.3, 0.1]),
            means=_readonly([[0.0, 0.0], [4.0, 0.0], [1.5, 5.5]]),
            covariances=_readonly([0.3**2, 1.0**2, 2.5**2]),
        ),
        Preset(
            name="blobs4_5d",
            description="4 well separated 5-D clusters with diagonal covariances",
            n_samples=1000,
            weights=_readonly([0.25, 0.25, 0.25, 0.25]),
            means=_readonly(
                [
                    [0.0, 0.0, 0.0, 0.0, 0.0],
                    [8.0, 0.0, 0.0, 0.0, 0.0],
                    [0.0, 8.0, 0.0, 0.0, 0.0],
                    [0.0, 0.0, 8.0, 0.0, 0.0],
                ]
            ),
            covariances=_readonly(
                [
                    [1.0, 1.0, 1.0, 1.0, 1.0],
                    [1.5, 0.5, 1.0, 1.0, 1.0],
                    [0.5, 1.5, 1.0, 0.8, 1.2],
                    [1.0, 1.0, 1.5, 1.2, 0.6],
                ]
            ),
        ),
    ]
    return {p.name: p for p in presets}


PRESETS: dict[str, Preset] = _build_presets()
"""Named scenes for :func:`make_preset`, keyed by name."""


def list_presets() -> dict[str, str]:
    """Return the preset names with a one-line description of each.

    Returns
    -------
    dict of str to str
        ``{name: description}``, in definition order.
    """
    return {name: p.description for name, p in PRESETS.items()}


def make_preset(
    name: str,
    n_samples: int | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> GMMData:
    """Draw a sample from one of the named scenes in :data:`PRESETS`.

    Parameters
    ----------
    name : str
        Preset name; see :func:`list_presets`.
    n_samples : int, optional
        Number of points; defaults to the preset's own (500-1500).
    random_state : int, RandomState instance or None, default=None
        Seed or generator passed to :func:`make_gmm_data`.

    Returns
    -------
    GMMData
        The points, their true labels and the preset's mixture parameters.

    Raises
    ------
    ValueError
        If ``name`` is not a known preset (the message lists the valid names).
    """
    try:
        preset = PRESETS[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in PRESETS)
        raise ValueError(f"unknown preset {name!r}; valid names are {valid}.") from None
    return make_gmm_data(
        preset.n_samples if n_samples is None else n_samples,
        preset.weights,
        preset.means,
        preset.covariances,
        random_state=random_state,
    )
