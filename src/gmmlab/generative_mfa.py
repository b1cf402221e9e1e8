"""The pixel-space route of :class:`~gmmlab.generative.GMMImageGenerator`: a mixture of factor analysers on images.

``fit_mfa_route`` dequantises the training images (so that the model is a density on the same [0, 1)^D scale
that bits/dim are measured on, and no pixel that is constant inside a cluster can collapse a noise variance),
chooses the number of components K and of factors q on a grid when asked to, by a criterion computed on training
data only (BIC or AIC of fits on a stratified selection subsample, or the held-out log-likelihood of a disjoint
validation split of the training images; never by a sample-quality measure), then fits the chosen (K, q) on all
the images it was given.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from gmmlab.mixture import MixtureOfFactorAnalyzers
from gmmlab.pixel_density import dequantize

__all__ = ["MFA_CRITERIA", "DEFAULT_MFA_COMPONENTS", "MFARoute", "fit_mfa_route", "check_n_factors", "selection_rows"]

MFA_CRITERIA: tuple[str, ...] = ("bic", "aic", "validation")
"""How the MFA route chooses (K, q): BIC / AIC (lower is better) or the validation log-likelihood (higher)."""

DEFAULT_MFA_COMPONENTS: tuple[int, ...] = (25, 50, 100, 200)
"""The K grid of the MFA route when ``n_components_range`` is not given."""

_SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class MFARoute:
    """What :func:`fit_mfa_route` found: the fitted model, the grid table (or None) and why that (K, q)."""

    mfa: MixtureOfFactorAnalyzers
    n_components: int
    n_factors: int
    table: pd.DataFrame | None
    reason: str


def check_n_factors(n_factors, n_features: int, owner: str) -> list[int]:
    """``n_factors`` as a sorted list of candidate q (an int gives one), each in [0, n_features)."""
    values = [n_factors] if isinstance(n_factors, numbers.Integral) and not isinstance(n_factors, bool) else None
    if values is None:
        try:
            values = list(n_factors)
        except TypeError:
            values = []
    ok = values and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v < n_features
                        for v in values)
    if not ok or len(set(values)) != len(values):
        raise ValueError(
            f"{owner}: n_factors must be an integer in [0, {n_features - 1}] (factors per component, fewer than the "
            f"{n_features} pixels) or a collection of distinct such integers to choose from, got {n_factors!r}."
        )
    return sorted(int(v) for v in values)


def _mfa(n_components, n_factors, params, rng) -> MixtureOfFactorAnalyzers:
    return MixtureOfFactorAnalyzers(n_components, n_factors=n_factors, random_state=int(rng.randint(_SEED_MAX)),
                                    **params)


def fit_mfa_route(
    X,
    labels,
    *,
    n_components,
    n_components_range,
    n_factors,
    selection_size: int,
    rng,
    noise: str = "diagonal",
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    max_iter: int = 100,
    n_init: int = 1,
) -> MFARoute:
    """Dequantise ``X`` (n, D) in [0, 1], choose (K, q) if asked, and fit the mixture of factor analysers.

    Parameters
    ----------
    X : ndarray of shape (n, D)
        The training images (8-bit levels scaled to [0, 1]).
    labels : ndarray of shape (n,) or None
        Classes, to stratify the selection subsample and the validation split.
    n_components : int or {"bic", "aic", "validation"}
    n_components_range : sequence of int
        The K grid (used when ``n_components`` is a criterion).
    n_factors : int or sequence of int
        q, or the q grid.
    selection_size : int
        Images each grid fit uses (and, for ``"validation"``, the size of the disjoint validation split).
    rng : numpy.random.RandomState
    noise, tol, reg_covar, max_iter, n_init :
        Passed to every :class:`~gmmlab.mixture.MixtureOfFactorAnalyzers`.
    """
    params = dict(noise=noise, tol=tol, reg_covar=reg_covar, max_iter=max_iter, n_init=n_init)
    Y = dequantize(X, rng, dtype=np.float32)
    factors = check_n_factors(n_factors, X.shape[1], "GMMImageGenerator")
    if not isinstance(n_components, str) and len(factors) == 1:
        mfa = _mfa(int(n_components), factors[0], params, rng).fit(Y)
        return MFARoute(mfa, int(n_components), factors[0], None, "given")
    criterion = "bic" if not isinstance(n_components, str) else n_components
    ks = [int(n_components)] if not isinstance(n_components, str) else list(n_components_range)
    fit_rows, valid_rows = selection_rows(len(Y), selection_size, labels, criterion == "validation", rng)
    rows = []
    for k, q in product(ks, factors):
        tic = time.perf_counter()
        mfa = _mfa(k, q, params, rng).fit(Y[fit_rows])
        row = {"n_components": k, "n_factors": q, "n_parameters": mfa.n_parameters_, "n_iter": mfa.n_iter_,
               "fit_s": time.perf_counter() - tic, "log_likelihood": mfa.score(Y[fit_rows])}
        row["bic"] = mfa.bic(Y[fit_rows])
        row["aic"] = mfa.aic(Y[fit_rows])
        if valid_rows is not None:
            row["validation_log_likelihood"] = mfa.score(Y[valid_rows])
        rows.append(row)
    table = pd.DataFrame(rows)
    if criterion == "validation":
        best = table.loc[table["validation_log_likelihood"].idxmax()]
        reason = (f"highest mean log-likelihood ({best['validation_log_likelihood']:.1f} nats per image) of "
                  f"{len(valid_rows)} held-out training images, fits on {len(fit_rows)} others")
    else:
        best = table.loc[table[criterion].idxmin()]
        reason = f"lowest {criterion.upper()} ({best[criterion]:.6g}) of fits on {len(fit_rows)} training images"
    k, q = int(best["n_components"]), int(best["n_factors"])
    reason = f"K={k}, q={q}: {reason} over K in {ks} x q in {factors}"
    mfa = _mfa(k, q, params, rng).fit(Y)
    return MFARoute(mfa, k, q, table, reason)


def selection_rows(n_images: int, size: int, labels, validation: bool, rng, owner: str = "the MFA selection"):
    """Rows of the selection fits and (for validation) a disjoint validation split of the same size."""
    indices = np.arange(n_images)
    need = 2 * size if validation else size
    if need > n_images:
        raise ValueError(
            f"GMMImageGenerator: {owner} needs {need} images ({'two splits of ' if validation else ''}"
            f"selection_size={size}) but got {n_images}. Fix: lower selection_size."
        )
    if need == n_images:
        chosen = rng.permutation(indices)
    else:
        chosen, _ = train_test_split(indices, train_size=need, stratify=labels, random_state=rng)
    if not validation:
        return np.sort(chosen), None
    strata = None if labels is None else np.asarray(labels)[chosen]
    fit_rows, valid_rows = train_test_split(chosen, train_size=size, stratify=strata, random_state=rng)
    return np.sort(fit_rows), np.sort(valid_rows)
