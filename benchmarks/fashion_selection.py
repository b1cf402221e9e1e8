"""How many Gaussian components for Fashion-MNIST in 3 principal components? (lab part 2b)

5000 train images drawn at random (random_state=0), PCA to 3 components, tied-covariance GMMs for K = 1..30 with
3 seeds each. Prints the BIC summary over seeds (scikit-learn's sign: lower is better), the automatic choice with
its reason, and the other rules and criteria for comparison.

    .venv/bin/python benchmarks/fashion_selection.py [--n-jobs N] [--plot bic.png]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from gmmlab.data import load_fashion_mnist  # noqa: E402
from gmmlab.pipeline import gmm_vs_gaussian_components  # noqa: E402
from gmmlab.selection import choose_n_components  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--plot", help="save the BIC plot to this file")
    args = parser.parse_args()

    images, _ = load_fashion_mnist("train")
    start = time.perf_counter()
    study = gmm_vs_gaussian_components(
        images,
        n_pca_components=3,
        subsample_size=5000,
        covariance_type="tied",
        n_components_range=range(1, 31),
        random_state=0,
        n_seeds=3,
        n_jobs=args.n_jobs,
    )
    elapsed = time.perf_counter() - start
    results = study.results

    pd.set_option("display.width", 120)
    pd.set_option("display.max_rows", 100)
    print(
        f"Fashion-MNIST: {len(study.indices)} train images, {study.pca.n_components_} PCs "
        f"({100 * study.pca.explained_variance_ratio_.sum():.1f}% of the variance), tied, "
        f"K={results.n_components.min()}..{results.n_components.max()}, {results.seed.nunique()} seeds: "
        f"{len(results)} fits in {elapsed:.1f} s (subsample + PCA + sweep, n_jobs={args.n_jobs}); "
        f"all converged: {bool(results.converged.all())}"
    )
    print("\nBIC over seeds (scikit-learn sign, lower is better):")
    print(study.selection.summary.drop(columns="covariance_type").to_string(index=False, float_format="%.1f"))
    print(f"\nChoice: K={study.selection.n_components} ({study.selection.rule})")
    print(study.selection.reason)
    print("\nOther rules and criteria, for comparison:")
    for criterion, rule in [("bic", "min"), ("bic", "one_se"), ("bic", "knee"), ("icl", None), ("aic", None)]:
        choice = choose_n_components(results, criterion, rule)
        print(f"  {criterion:>3} rule={str(rule):6} -> K={choice.n_components:2d} ({choice.rule}): {choice.reason}")
    if args.plot:
        study.ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"\nplot saved to {args.plot}")


if __name__ == "__main__":
    main()
