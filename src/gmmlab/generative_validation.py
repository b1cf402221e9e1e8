"""The PCA route of :class:`~gmmlab.generative.GMMImageGenerator` with K chosen by held-out likelihood.

``n_components="validation"`` splits the subsample into a fit split and a disjoint validation split (stratified
by class when labels are given), fits every candidate (number of principal components, K) on the fit split, and
keeps the one whose density over all pixels (``score(space="pixels")``, the same scale for every number of
principal components) gives the validation images, uniformly dequantised, the highest mean log-likelihood; the
chosen configuration is then fitted on the whole subsample. Nothing is chosen by a sample-quality measure.
"""

from __future__ import annotations

import numbers
import time
from itertools import product

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from gmmlab._validation import as_float_pixels
from gmmlab.generative_mfa import selection_rows
from gmmlab.pipeline import subsample
from gmmlab.pixel_density import dequantize

__all__ = ["pca_candidates", "fit_pca_by_validation"]

_SEED_MAX = 2**31 - 1


def pca_candidates(n_pca_components, owner: str) -> list:
    """``n_pca_components`` as a list of candidates: one value, or a collection of distinct integers."""
    if isinstance(n_pca_components, (numbers.Real, type(None))) and not isinstance(n_pca_components, bool):
        return [n_pca_components]
    try:
        values = list(n_pca_components)
    except TypeError:
        values = []
    if not values or len(set(values)) != len(values) or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(
            f"{owner}: n_pca_components must be an int, a share of variance in (0, 1), or (with "
            f"n_components='validation') a collection of distinct integers to choose from, got {n_pca_components!r}."
        )
    return sorted(int(v) for v in values)


def fit_pca_by_validation(generator, X: np.ndarray, labels, candidates) -> None:
    """Choose (principal components, K) for ``generator`` by validation and fit it in place.

    Parameters
    ----------
    generator : GMMImageGenerator
        With ``model="pca"`` and ``n_components="validation"``; its ``selection_size`` is the size of the
        validation split and of each candidate's fit split (as the MFA route's), at most half the subsample.
    X : ndarray of shape (n, n_pixels)
        The images given to ``fit``.
    labels : array-like of shape (n,) or None
    candidates : list of int
        The K grid.
    """
    owner = type(generator).__name__
    rng = check_random_state(generator.random_state)
    indices = subsample(X.shape[0], generator._subsample_size(), labels, rng, owner)
    strata = None if labels is None else np.asarray(labels)[indices]
    size = min(generator.selection_size, len(indices) // 2)
    fit_rows, valid_rows = selection_rows(len(indices), size, strata, True, rng, "the validation choice")
    held_out = dequantize(as_float_pixels(X[indices[valid_rows]]), rng)
    pcs = pca_candidates(generator.n_pca_components, owner)
    rows = []
    for q, k in product(pcs, candidates):
        candidate = clone(generator).set_params(n_pca_components=q, n_components=k, subsample_size=None,
                                                random_state=int(rng.randint(_SEED_MAX)))
        tic = time.perf_counter()
        candidate.fit(X[indices[fit_rows]])
        rows.append({"n_pca_components": q, "n_components": k, "n_iter": candidate.gmm_.n_iter_,
                     "fit_s": time.perf_counter() - tic,
                     "validation_log_likelihood": candidate.score(held_out, space="pixels")})
    table = pd.DataFrame(rows)
    best = table.loc[table["validation_log_likelihood"].idxmax()]
    q, k = int(best["n_pca_components"]), int(best["n_components"])
    final = clone(generator).set_params(n_pca_components=q, n_components=k, subsample_size=None,
                                        random_state=int(rng.randint(_SEED_MAX)))
    final.fit(X[indices])
    vars(generator).update({name: value for name, value in vars(final).items() if name.endswith("_")})
    generator.subsample_indices_ = indices
    generator.sweep_results_ = table
    generator.selection_ = (
        f"{q} principal components, K={k}: highest mean pixel-space log-likelihood "
        f"({best['validation_log_likelihood']:.1f} nats per image) of {len(valid_rows)} held-out training images, "
        f"fits on {len(fit_rows)} others, over {len(pcs)} x {len(candidates)} candidates"
    )
