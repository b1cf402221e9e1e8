"""Choosing K from a sweep's table: the criteria, the rules, and the :class:`Selection` with its reason."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .._validation import check_choice

__all__ = ["CRITERIA", "CRITERION_LABELS", "RULES", "Selection", "choose_n_components"]

CRITERIA: tuple[str, ...] = ("bic", "aic", "icl", "inertia")
"""Criteria :func:`choose_n_components` knows; all of them are lower-is-better."""

RULES: tuple[str, ...] = ("min", "one_se", "knee")
"""Selection rules of :func:`choose_n_components`."""


CRITERION_LABELS = {
    "bic": "BIC (lower is better, scikit-learn sign)",
    "aic": "AIC (lower is better, scikit-learn sign)",
    "icl": "ICL (lower is better, BIC's scikit-learn sign)",
    "inertia": "Inertia (within-cluster sum of squares, lower is better)",
}
"""Axis labels and plain names of the criteria, with their sign convention."""

@dataclass(frozen=True, eq=False)
class Selection:
    """The K chosen from a sweep, and why.

    Attributes
    ----------
    n_components : int
        The chosen number of components (or clusters).
    covariance_type : str or None
        The chosen covariance type (None for KMeans).
    criterion : str
        ``"bic"``, ``"aic"``, ``"icl"`` or ``"inertia"`` (all lower-is-better; BIC with scikit-learn's sign).
    rule : str
        The rule that made the choice: ``"min"``, ``"one_se"`` or ``"knee"`` (the default rule may fall back
        from ``"min"`` to ``"knee"``; ``reason`` then says so).
    reason : str
        One or two plain sentences with the numbers behind the choice.
    summary : pandas.DataFrame
        Per (covariance_type, n_components): ``mean``, ``std`` and ``se`` of the criterion over seeds and
        ``n_seeds`` (failed fits excluded).
    """

    n_components: int
    covariance_type: Optional[str]
    criterion: str
    rule: str
    reason: str
    summary: pd.DataFrame

    def __str__(self) -> str:
        return self.reason


def _summarize(results, criterion: str, owner: str, include_degenerate: bool = True) -> pd.DataFrame:
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"{owner}: results must be the DataFrame returned by sweep, got {type(results).__name__}.")
    missing = [c for c in ("n_components", "covariance_type") if c not in results.columns]
    if missing:
        raise ValueError(f"{owner}: results lacks the column(s) {missing}; pass the table returned by sweep.")
    present = [c for c in CRITERIA if c in results.columns and results[c].notna().any()]
    if criterion not in present:
        hint = " (KMeans sweeps have only 'inertia'; GMM sweeps have 'bic', 'aic' and 'icl')"
        raise ValueError(
            f"{owner}: criterion {criterion!r} has no values in this table; it has {present or 'none'}{hint}."
        )
    rows = results[results[criterion].notna()]
    if not include_degenerate and "degenerate" in rows.columns:
        kept = rows[~rows["degenerate"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
        if kept.empty:
            raise ValueError(
                f"{owner}: every fit in this table is degenerate (a collapsed component); pass "
                "include_degenerate=True to choose among them anyway, or sweep fewer components."
            )
        rows = kept
    # Covariance types keep their order of appearance; KMeans rows (no type) group together as one curve.
    type_code, type_names = pd.factorize(rows["covariance_type"], use_na_sentinel=False)
    grouped = rows.groupby([type_code, rows["n_components"].to_numpy()])[criterion]
    summary = grouped.agg(mean="mean", std="std", n_seeds="count")
    codes, ks = (summary.index.get_level_values(i).to_numpy() for i in (0, 1))
    summary = summary.reset_index(drop=True)
    summary.insert(0, "covariance_type", [None if pd.isna(type_names[c]) else str(type_names[c]) for c in codes])
    summary.insert(1, "n_components", ks.astype(int))
    summary["std"] = summary["std"].fillna(0.0)  # one seed: no spread to measure
    summary["se"] = summary["std"] / np.sqrt(summary["n_seeds"])
    return summary[["covariance_type", "n_components", "mean", "std", "se", "n_seeds"]]


def _knee(curve: pd.DataFrame) -> Optional[int]:
    """The knee of one decreasing convex curve (kneed's Kneedle), or None when it has none (or only at its first K)."""
    if len(curve) < 3:
        return None
    from kneed import KneeLocator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kneed warns when it finds no knee; None says the same
        knee = KneeLocator(
            curve["n_components"].to_numpy(), curve["mean"].to_numpy(), curve="convex", direction="decreasing"
        ).knee
    # A "knee" at the smallest K swept has no steep part before it: Kneedle returns it on noisy or nearly
    # straight curves, and choosing it would mean "fewer components than anything tried is best".
    if knee is None or knee == curve["n_components"].iloc[0]:
        return None
    return int(knee)


def _same_type(summary: pd.DataFrame, covariance_type) -> pd.Series:
    """Rows of the summary for one covariance type (None: the KMeans rows)."""
    if pd.isna(covariance_type):
        return summary["covariance_type"].isna()
    return summary["covariance_type"] == covariance_type


def _describe(row, name: str) -> str:
    """``K=4 with tied covariances (mean BIC 6764.38 over 3 seeds, std 0.52)``."""
    kind = "" if pd.isna(row["covariance_type"]) else f" with {row['covariance_type']} covariances"
    n_seeds = int(row["n_seeds"])
    if n_seeds == 1:
        return f"K={int(row['n_components'])}{kind} ({name} {row['mean']:.6g}, one seed)"
    std = row["std"] if row["std"] > 1e-9 * max(1.0, abs(row["mean"])) else 0.0  # round-off is no spread
    return f"K={int(row['n_components'])}{kind} (mean {name} {row['mean']:.6g} over {n_seeds} seeds, std {std:.3g})"


def choose_n_components(
    results: pd.DataFrame, criterion: str = "bic", rule: Optional[str] = None, include_degenerate: bool = False
) -> Selection:
    """Choose the number of components (and the covariance type) from a :func:`sweep` table.

    Parameters
    ----------
    results : pandas.DataFrame
        The table returned by :func:`sweep` (rows may be filtered, e.g. to one covariance type).
    criterion : {"bic", "aic", "icl", "inertia"}, default="bic"
        Lower is better for all of them (BIC with scikit-learn's sign). ``"inertia"`` needs a KMeans sweep.
    rule : {"min", "one_se", "knee"} or None, default=None
        ``"min"``: the lowest mean over seeds. ``"one_se"``: the smallest K whose mean is within one standard
        error (over seeds) of the lowest. ``"knee"``: the knee of the mean curve (kneed's Kneedle, convex and
        decreasing), for curves that keep decreasing. None: ``"knee"`` for inertia; otherwise ``"min"``, unless
        the curve is still decreasing at the largest K swept (its minimum is there, or the value there is within
        one standard error of the minimum: it has not turned back up beyond the noise over seeds), where it falls
        back to ``"knee"`` and ``reason`` says so. With several covariance types the choice is over all
        (type, K) pairs; with ``"knee"``, the type whose curve is lowest at its knee.
    include_degenerate : bool, default=False
        Whether rows flagged ``degenerate`` by :func:`sweep` (a component collapsed onto a few points or onto
        repeated values) may be chosen. Left out by default, as mclust leaves out singular fits.

    Returns
    -------
    Selection

    Raises
    ------
    ValueError
        If the criterion has no values in ``results`` or the rule is unknown.
    """
    owner = "choose_n_components"
    check_choice("criterion", criterion, CRITERIA, owner)
    if rule is not None:
        check_choice("rule", rule, RULES, owner)
    summary = _summarize(results, criterion, owner, include_degenerate)
    name = criterion.upper() if criterion != "inertia" else "inertia"
    label = {
        "bic": "BIC (scikit-learn sign, lower is better)",
        "aic": "AIC (scikit-learn sign, lower is better)",
        "icl": "ICL (BIC's scikit-learn sign, lower is better)",
        "inertia": "KMeans inertia",
    }[criterion]

    def selection(row, applied, reason):
        covariance_type = None if pd.isna(row["covariance_type"]) else str(row["covariance_type"])
        return Selection(int(row["n_components"]), covariance_type, criterion, applied, reason, summary)

    def knee_choice():
        """The knee rule's row: the knee of each covariance type's curve; the type lowest at its knee wins."""
        candidates = []
        for _, curve in summary.groupby(pd.factorize(summary["covariance_type"], use_na_sentinel=False)[0]):
            knee = _knee(curve)
            if knee is not None:
                candidates.append(curve[curve["n_components"] == knee].iloc[0])
        if not candidates:
            return None
        return min(candidates, key=lambda r: r["mean"])

    best = summary.loc[summary["mean"].idxmin()]  # idxmin keeps the first, i.e. the smallest K, on ties
    threshold = best["mean"] + best["se"]
    within_one_se = summary[summary["mean"] <= threshold].sort_values(["n_components", "mean"], kind="stable").iloc[0]
    if rule is None:
        rule = "knee" if criterion == "inertia" else "min"
        curve = summary[_same_type(summary, best["covariance_type"])]
        last = curve.iloc[-1]
        # "Still decreasing": the curve has not turned back up by the end of the grid, beyond the noise over seeds.
        if rule == "min" and len(curve) >= 3 and last["mean"] - best["mean"] <= max(best["se"], last["se"]):
            if best.name == last.name:
                at_end = (
                    f"{label} is lowest at the largest K swept, {_describe(best, name)}: the curve is still decreasing"
                )
            else:
                at_end = (
                    f"{label} has not turned back up by the largest K swept: its lowest value, "
                    f"{_describe(best, name)}, and {_describe(last, name)} are within one standard error"
                )
            knee = knee_choice()
            if knee is None:
                return selection(
                    best, "min", f"{at_end}, and kneed finds no knee in it; sweep larger K before trusting this choice."
                )
            return selection(
                knee,
                "knee",
                f"{at_end}, so the minimum only marks the end of the grid. The knee of the curve (kneed's Kneedle) "
                f"is at {_describe(knee, name)}, after which more components improve it much less.",
            )

    if rule == "min":
        others = summary[summary.index != best.name]
        reason = f"{label} is lowest at {_describe(best, name)}"
        runner = others.loc[others["mean"].idxmin()] if len(others) else None
        if runner is not None:
            reason += f"; the next best is {_describe(runner, name)}"
        if within_one_se["n_components"] < best["n_components"]:
            smaller = f"K={int(within_one_se['n_components'])}"
            if runner is None or runner.name != within_one_se.name:
                smaller = _describe(within_one_se, name)
            reason += f". {smaller} is within one standard error of it (the one_se rule would choose it)"
        return selection(best, "min", reason + ".")

    if rule == "one_se":
        note = "" if best["n_seeds"] > 1 else " (one seed: the standard error is 0, so this is the minimum)"
        return selection(
            within_one_se,
            "one_se",
            f"{label} is lowest at {_describe(best, name)}; the smallest K within one standard error of it "
            f"(se {best['se']:.4g}, threshold {threshold:.6g}) is {_describe(within_one_se, name)}{note}.",
        )

    knee = knee_choice()
    if knee is None:
        raise ValueError(
            f"{owner}: kneed finds no knee in the {name} curve (it needs at least 3 values of K and a decreasing, "
            "convex curve); use rule='min' or sweep a wider range of K."
        )
    return selection(
        knee,
        "knee",
        f"The knee of the {label} curve (kneed's Kneedle: where it stops dropping steeply) is at "
        f"{_describe(knee, name)}; the lowest value, {_describe(best, name)}, is only reached with more components.",
    )


