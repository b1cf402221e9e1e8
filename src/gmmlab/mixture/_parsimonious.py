"""The 14 parsimonious covariance structures of mclust: constrained M-steps and parameter counts.

Each component covariance is decomposed as ``Sigma_k = lambda_k D_k A_k D_k^T`` (Banfield & Raftery 1993;
Celeux & Govaert 1995): volume ``lambda_k`` (a scalar), shape ``A_k`` (diagonal, determinant 1) and orientation
``D_k`` (orthogonal). A model name gives, in that order, whether volume, shape and orientation are Equal (E) or
Variable (V) across components, with I for the identity (spherical shape, or axis-aligned orientation):
EII, VII (spherical), EEI, VEI, EVI, VVI (diagonal), EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV (general).

The M-step of each model maximises the expected complete-data log-likelihood, i.e. minimises
``sum_k n_k log|Sigma_k| + tr(W_k Sigma_k^{-1})`` under the model's constraint, where
``W_k = sum_i r_ik (x_i - m_k)(x_i - m_k)^T`` is the weighted scatter matrix of component k and
``n_k = sum_i r_ik``. The functions here are pure functions of the scatter matrices in the layout of the model's
family:

* spherical family (EII, VII): the traces ``tr(W_k)``, shape (K,); covariances are variances, shape (K,);
* diagonal family (EEI, VEI, EVI, VVI): the diagonals of ``W_k``, shape (K, d); covariances (K, d);
* general family: ``W_k``, shape (K, d, d); covariances (K, d, d), except EEE whose one shared covariance has
  scikit-learn's ``tied`` layout (d, d).

So scikit-learn's four types are the models VII (``spherical``), VVI (``diag``), EEE (``tied``) and VVV
(``full``), in scikit-learn's layouts.

``reg_covar`` is added as ``reg_covar * n_k`` to the diagonal of each scatter matrix before the constrained fit:
for the four scikit-learn types this is exactly scikit-learn's ``covariance + reg_covar * I``, and for the others
the regularised covariances still satisfy the model's constraint (adding to the covariances afterwards would
break equal volumes or shapes).

Closed forms (EII, VII, EEI, EVI, VVI, EEE, EEV, EVV, VVV) are here; the iterative M-steps are in
:mod:`._parsimonious_iterative` (VEI, VEE, VEV: Newton's method on Celeux & Govaert's profiled objectives) and
:mod:`._common_orientation` (EVE, VVE: Newton's method on the orthogonal group, Browne & McNicholas's MM
algorithm from a cold start).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ._common_orientation import eve, vve
from ._parsimonious_iterative import INNER_CONTROL, sorted_eigh, vee, vei, vev

__all__ = [
    "INNER_CONTROL",
    "MODEL_NAMES",
    "SKLEARN_ALIASES",
    "constrained_covariances",
    "constrained_m_step",
    "full_covariances",
    "mclust_bic",
    "model_family",
    "n_covariance_parameters",
    "n_mclust_parameters",
    "scatter_in_layout",
]

MODEL_NAMES = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)
"""mclust's 14 model names, in mclust's order (``mclust.options("emModelNames")``)."""

SKLEARN_ALIASES = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
"""scikit-learn's covariance types as the mclust models they are."""

_FAMILY = {
    "EII": "spherical", "VII": "spherical",
    "EEI": "diag", "VEI": "diag", "EVI": "diag", "VVI": "diag",
}


def _canonical(model: str) -> str:
    name = SKLEARN_ALIASES.get(model, model)
    if name not in MODEL_NAMES:
        raise ValueError(
            f"unknown covariance model {model!r}; use one of mclust's names {', '.join(MODEL_NAMES)} "
            f"or scikit-learn's {', '.join(SKLEARN_ALIASES)}"
        )
    return name


def model_family(model: str) -> str:
    """The layout family of a model: ``"spherical"``, ``"diag"`` or ``"full"``.

    Parameters
    ----------
    model : str
        An mclust model name or a scikit-learn covariance type.

    Returns
    -------
    str
        ``"spherical"`` for EII and VII, ``"diag"`` for EEI, VEI, EVI and VVI, ``"full"`` for the others.
    """
    return _FAMILY.get(_canonical(model), "full")


def n_covariance_parameters(model: str, n_components: int, n_features: int) -> int:
    """Number of free covariance parameters, exactly as mclust's ``nVarParams``.

    Parameters
    ----------
    model : str
        An mclust model name or a scikit-learn covariance type.
    n_components, n_features : int
        K and d.

    Returns
    -------
    int
        The count; e.g. VEV has ``K + (d - 1) + K d (d - 1) / 2``.
    """
    name = _canonical(model)
    G, d = int(n_components), int(n_features)
    rotation = d * (d - 1) // 2
    counts = {
        "EII": 1,
        "VII": G,
        "EEI": d,
        "VEI": G + (d - 1),
        "EVI": 1 + G * (d - 1),
        "VVI": G * d,
        "EEE": d * (d + 1) // 2,
        "VEE": G + (d - 1) + rotation,
        "EVE": 1 + G * (d - 1) + rotation,
        "VVE": G + G * (d - 1) + rotation,
        "EEV": 1 + (d - 1) + G * rotation,
        "VEV": G + (d - 1) + G * rotation,
        "EVV": 1 - G + G * d * (d + 1) // 2,
        "VVV": G * d * (d + 1) // 2,
    }
    return counts[name]


def n_mclust_parameters(model: str, n_components: int, n_features: int) -> int:
    """All free parameters of the mixture (covariances, means, K - 1 weights), as mclust's ``nMclustParams``."""
    return (
        n_covariance_parameters(model, n_components, n_features)
        + n_components * n_features
        + n_components
        - 1
    )


def mclust_bic(bic):
    """mclust's BIC (``2 log L - p ln n``, larger is better) from gmmlab's (``-2 log L + p ln n``).

    Parameters
    ----------
    bic : float or array-like
        BIC values in gmmlab's (scikit-learn's) sign.

    Returns
    -------
    float or ndarray
        The same values in mclust's sign.
    """
    return -np.asarray(bic, dtype=float) if np.ndim(bic) else -float(bic)


def scatter_in_layout(model: str, scatter: np.ndarray) -> np.ndarray:
    """The full scatter matrices (K, d, d) reduced to the layout :func:`constrained_covariances` takes."""
    family = model_family(model)
    if family == "spherical":
        return np.trace(scatter, axis1=1, axis2=2).copy()
    if family == "diag":
        return np.diagonal(scatter, axis1=1, axis2=2).copy()
    return scatter


def _regularised(family: str, scatter, nk, reg_covar, n_features):
    if reg_covar == 0:
        return scatter
    if family == "spherical":
        return scatter + reg_covar * n_features * nk
    if family == "diag":
        return scatter + reg_covar * nk[:, None]
    scatter = scatter.copy()
    idx = np.arange(scatter.shape[-1])
    scatter[:, idx, idx] += reg_covar * nk[:, None]
    return scatter


def _geometric_mean(values, axis=-1):
    return np.exp(np.mean(np.log(values), axis=axis))


def _eii(traces, nk, n_features):
    return np.full(nk.shape[0], traces.sum() / (nk.sum() * n_features))


def _vii(traces, nk, n_features):
    return traces / (nk * n_features)


def _eei(diagonals, nk):
    return np.broadcast_to(diagonals.sum(axis=0) / nk.sum(), diagonals.shape).copy()


def _evi(diagonals, nk):
    # B_k = diag(W_k) / |diag(W_k)|^(1/d); lambda = sum_k |diag(W_k)|^(1/d) / n.
    scale = _geometric_mean(diagonals)
    return diagonals * (scale.sum() / nk.sum() / scale)[:, None]


def _vvi(diagonals, nk):
    return diagonals / nk[:, None]


def _eee(scatter, nk):
    return scatter.sum(axis=0) / nk.sum()


def _eev(scatter, nk):
    # W_k = L_k Omega_k L_k^T (eigenvalues in decreasing order); lambda A = sum_k Omega_k / n.
    eigenvalues, eigenvectors = sorted_eigh(scatter)
    common = eigenvalues.sum(axis=0) / nk.sum()
    return (eigenvectors * common) @ np.swapaxes(eigenvectors, 1, 2)


def _evv(scatter, nk):
    # C_k = W_k / |W_k|^(1/d); lambda = sum_k |W_k|^(1/d) / n.
    sign, logdet = np.linalg.slogdet(scatter)
    scale = np.where(sign > 0, np.exp(logdet / scatter.shape[-1]), np.nan)
    return scatter * (scale.sum() / nk.sum() / scale)[:, None, None]


def _vvv(scatter, nk):
    return scatter / nk[:, None, None]


def constrained_covariances(
    model: str,
    scatter: np.ndarray,
    nk: np.ndarray,
    *,
    previous: Optional[np.ndarray] = None,
    reg_covar: float = 0.0,
    n_features: Optional[int] = None,
    tol: Optional[float] = None,
    max_iter: Optional[int] = None,
) -> np.ndarray:
    """The M-step of one of mclust's 14 models: the covariances that maximise the expected log-likelihood.

    Parameters
    ----------
    model : str
        An mclust model name (EII ... VVV) or a scikit-learn covariance type (an alias).
    scatter : ndarray
        The weighted scatter matrices in the model family's layout: traces (K,) for EII/VII, diagonals (K, d)
        for EEI/VEI/EVI/VVI, matrices (K, d, d) otherwise (see :func:`scatter_in_layout`).
    nk : ndarray of shape (K,)
        The components' total responsibilities.
    previous : ndarray, optional
        The previous covariances in this model's layout; they warm-start the iterative M-steps (VEI, VEE, VEV,
        EVE, VVE), which read the first component's only (its shape, or its orientation), and are ignored by
        the closed forms.
    reg_covar : float, default=0
        Added as ``reg_covar * n_k`` to the diagonal of each scatter matrix (see the module docstring).
    n_features : int, optional
        d; needed only for the spherical family, whose scatter (traces) does not carry it.
    tol, max_iter : optional
        Inner tolerance and iteration cap of the iterative M-steps; defaults in :data:`INNER_CONTROL`.

    Returns
    -------
    ndarray
        The covariances: (K,) for EII/VII, (K, d) for the diagonal family, (d, d) for EEE, (K, d, d) otherwise.
        All NaN when the scatter is degenerate (a zero variance or an empty component makes the constrained
        estimate undefined).
    """
    return constrained_m_step(
        model, scatter, nk, previous=previous, reg_covar=reg_covar, n_features=n_features, tol=tol, max_iter=max_iter
    )[0]


def constrained_m_step(model, scatter, nk, *, previous=None, reg_covar=0.0, n_features=None, tol=None,
                       max_iter=None):
    """:func:`constrained_covariances`, whether the iterative solver converged, and EVE's and VVE's orientation.

    Returns ``(covariances, complete, orientation)``. ``complete`` is False only when an iterative M-step
    stopped at ``max_iter`` (the engine passes a small cap inside the EM loop, :attr:`InnerControl.em_max_iter`:
    a generalised EM step). ``orientation`` is EVE's and VVE's :class:`~._common_orientation.Orientation` (their
    common D; None for the other models), which they also accept as ``previous``.
    """
    name = _canonical(model)
    family = model_family(name)
    nk = np.asarray(nk, dtype=float)
    scatter = np.asarray(scatter, dtype=float)
    if family == "spherical":
        if n_features is None:
            raise ValueError("n_features is needed for the spherical models (EII, VII): the traces do not carry it")
    else:
        n_features = scatter.shape[-1]
    scatter = _regularised(family, scatter, nk, reg_covar, n_features)
    # A degenerate scatter (a zero variance, an empty component) gives non-finite covariances, never a warning
    # or a LAPACK error: the caller decides (the engine raises SingularCovarianceError).
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            covariances, complete, orientation = _dispatch(name, scatter, nk, n_features, previous, tol, max_iter)
        except np.linalg.LinAlgError:
            covariances, complete, orientation = None, True, None
    if covariances is None or not np.all(np.isfinite(covariances)):
        shape = scatter.shape[-1:] * 2 if name == "EEE" else scatter.shape
        return np.full(shape, np.nan), True, None
    return covariances, complete, orientation


_CLOSED_FORMS = {
    "EII": lambda scatter, nk, n_features: _eii(scatter, nk, n_features),
    "VII": lambda scatter, nk, n_features: _vii(scatter, nk, n_features),
    "EEI": lambda scatter, nk, n_features: _eei(scatter, nk),
    "EVI": lambda scatter, nk, n_features: _evi(scatter, nk),
    "VVI": lambda scatter, nk, n_features: _vvi(scatter, nk),
    "EEE": lambda scatter, nk, n_features: _eee(scatter, nk),
    "EEV": lambda scatter, nk, n_features: _eev(scatter, nk),
    "EVV": lambda scatter, nk, n_features: _evv(scatter, nk),
    "VVV": lambda scatter, nk, n_features: _vvv(scatter, nk),
}
_SOLVERS = {"VEI": vei, "VEE": vee, "VEV": vev, "EVE": eve, "VVE": vve}


def _dispatch(name, scatter, nk, n_features, previous, tol, max_iter):
    if name in _CLOSED_FORMS:
        return _CLOSED_FORMS[name](scatter, nk, n_features), True, None
    control = INNER_CONTROL[name]
    covariances, _, converged, *orientation = _SOLVERS[name](
        scatter,
        nk,
        previous,
        control.tol if tol is None else tol,
        control.max_iter if max_iter is None else max_iter,
    )
    return covariances, converged, orientation[0] if orientation else None


def full_covariances(model: str, covariances: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    """The covariances of any model as full matrices, shape (K, d, d)."""
    family = model_family(model)
    covariances = np.asarray(covariances, dtype=float)
    if family == "spherical":
        return covariances[:, None, None] * np.eye(n_features)
    if family == "diag":
        return np.einsum("kj,ij->kij", covariances, np.eye(n_features))
    if covariances.ndim == 2:
        return np.broadcast_to(covariances, (n_components, n_features, n_features)).copy()
    return covariances
