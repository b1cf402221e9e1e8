"""Model selection: sweeps over K x covariance type x seeds, information criteria, and an automatic choice.

:func:`sweep` fits every combination of a grid and returns one tidy row per fit; :func:`choose_n_components`
turns the table into a :class:`Selection` (the chosen K, the covariance type, and the reason in plain words);
:func:`gmmlab.pipeline.gmm_vs_gaussian_components` (the PCA + BIC study of the lab assignment, part 2a) builds on
them. Nothing here draws: :mod:`gmmlab.plotting.selection` plots these tables.

BIC, AIC and ICL use scikit-learn's sign: ``BIC = -2 log L + p ln n``, lower is better (R mclust reports the
opposite sign, higher is better).

Seeds: the ``s``-th seed of a sweep (``s = 0 .. n_seeds - 1``) fits with ``random_state = random_state + s``, so
``GaussianMixture(n_components=K, covariance_type=t, random_state=row.random_state).fit(X)`` reproduces any row.
"""

from __future__ import annotations

from ._choice import CRITERIA, CRITERION_LABELS, RULES, Selection, choose_n_components
from ._sweep import BACKENDS, COLUMNS, MODELS, STRATEGIES, sweep

__all__ = [
    "BACKENDS",
    "COLUMNS",
    "CRITERIA",
    "CRITERION_LABELS",
    "MODELS",
    "RULES",
    "STRATEGIES",
    "Selection",
    "choose_n_components",
    "sweep",
]


def __getattr__(name: str):
    # The assignment's study plots, so it lives a layer above (gmmlab.pipeline); this keeps the old import working
    # without making selection depend on plotting.
    if name in ("gmm_vs_gaussian_components", "ComponentStudy"):
        from .. import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
