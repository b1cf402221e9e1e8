"""How good are GMMs as generative models of Fashion-MNIST? Honest measures on the test split (issue 4).

Each generator is fitted on 5000 stratified train images (random_state=0) with the number of components chosen by
BIC (scikit-learn's sign, lower is better; gmmlab.selection's default rule) and draws 10,000 samples, compared with
the 10,000 test images: held-out log-likelihood (per image, in the PCA space and, comparable across PCAs, over all
784 pixels), NDB/K with 100 K-means bins of the test images (Richardson & Weiss 2018; the same bins for every row),
JS divergence of the bin histograms (nats), Fréchet distance and precision/recall (k=3) in the PCA(50) space of the
test images, memorisation (median distance to the nearest of the 5000 fitted images, generated / test) and the
class histogram of the samples by a PCA(50)+logistic-regression classifier trained on the 60,000 train images.
A row of 10,000 real train images that no model saw is the reference for what "perfect" scores look like.

    .venv/bin/python benchmarks/generative_quality.py [--n-jobs N] [--quick]

With ``--pixel-space`` it builds instead the table of issue 13: every generator as a density over all 784 pixels
(test bits/dim), PCA-GMM at 3/24/81 PCs against a mixture of factor analysers whose (K, q) is chosen by the
held-out log-likelihood of a validation split of the training images; NDB/K with 100 K-means bins of 20,000
training images, near-copies and Meehan et al.'s C_T (see ``pixel_space.py``).

    .venv/bin/python benchmarks/generative_quality.py --pixel-space [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from gmmlab.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from gmmlab.generative import GMMImageGenerator
from gmmlab.metrics import evaluate_generator, evaluate_samples, ndb_bins, train_image_classifier
from gmmlab.pipeline import fit_pca

# (label, n_pca_components, covariance_type, candidate K): the 80% and 90% shares give 24 and about 80 PCs.
CONFIGS = [
    ("3 PCs, tied", 3, "tied", range(1, 31)),
    ("3 PCs, full", 3, "full", range(1, 31)),
    ("80% (24 PCs), tied", 0.8, "tied", range(1, 31)),
    ("80% (24 PCs), full", 0.8, "full", range(1, 21)),
    ("90% PCs, tied", 0.9, "tied", range(1, 31)),
    ("90% PCs, full", 0.9, "full", range(1, 16)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=-1, help="parallel fits of each BIC sweep")
    parser.add_argument("--n-samples", type=int, default=10000, help="images drawn from each generator")
    parser.add_argument("--subsample-size", type=int, default=5000)
    parser.add_argument("--n-bins", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="smoke run: small K ranges and sizes")
    parser.add_argument("--pixel-space", action="store_true", help="the pixel-space table (PCA-GMM vs MFA)")
    parser.add_argument("--mfa-only", action="store_true", help="pixel space: only the MFA row")
    parser.add_argument("--mfa-k", help="pixel space: the MFA's K grid, e.g. 100,200,400")
    parser.add_argument("--mfa-q", help="pixel space: the MFA's q grid, e.g. 5,10")
    parser.add_argument("--selection-size", type=int, help="pixel space: images per MFA grid fit and validation")
    parser.add_argument("--pca-validation", action="append", metavar="TYPE:PCS:KS",
                        help="pixel space: the PCA route chosen by validation, e.g. tied:50,100:400,800,1600 "
                             "(repeat for several covariance types)")
    args = parser.parse_args()
    if args.pca_validation:
        from pixel_space import run_pca_validation

        grids = {}
        for spec in args.pca_validation:
            covariance_type, pcs, ks = spec.split(":")
            grids[covariance_type] = ([int(v) for v in pcs.split(",")], [int(v) for v in ks.split(",")])
        run_pca_validation(grids, quick=args.quick, selection=args.selection_size or 30000)
        return
    if args.pixel_space:
        from pixel_space import run_pixel_space

        def grid(text):
            return [int(v) for v in text.split(",")] if text else None

        run_pixel_space(quick=args.quick, n_jobs=args.n_jobs, mfa_only=args.mfa_only, ks=grid(args.mfa_k),
                        qs=grid(args.mfa_q), selection=args.selection_size)
        return
    configs = CONFIGS
    if args.quick:
        args.n_samples, args.subsample_size, args.n_bins = 1000, 1000, 20
        configs = [(label, pcs, cov, range(1, 6)) for label, pcs, cov, _ in CONFIGS[:3]]

    start = time.perf_counter()
    train, train_labels = load_fashion_mnist("train", flatten=True)
    test, test_labels = load_fashion_mnist("test", flatten=True)
    if args.quick:
        train, train_labels = train[:10000], train_labels[:10000]
    classifier, accuracy = train_image_classifier(train, train_labels, test, test_labels, random_state=0)
    bins = ndb_bins(test, n_bins=args.n_bins, random_state=0)
    features = fit_pca(test.astype(np.float64), 50)
    shared = dict(classifier=classifier, feature_pca=features, bins=bins, class_names=FASHION_MNIST_CLASSES)
    print(
        f"Setup (load, classifier, {args.n_bins} NDB bins, feature PCA) in {time.perf_counter() - start:.0f} s; "
        f"classifier test accuracy {accuracy:.3f}",
        flush=True,
    )

    rows, reasons, fit_rows = [], [], None
    for label, n_pca, covariance_type, candidates in configs:
        tic = time.perf_counter()
        generator = GMMImageGenerator(
            n_pca_components=n_pca,
            n_components="bic",
            covariance_type=covariance_type,
            subsample_size=args.subsample_size,
            n_components_range=candidates,
            n_seeds=1,
            random_state=0,
            n_jobs=args.n_jobs,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # 3 PCs keep ~53%: reported in the table instead
            generator.fit(train, train_labels)
        fitted = time.perf_counter() - tic
        row = evaluate_generator(
            generator, train, test, test_labels, n_samples=args.n_samples, random_state=0, **shared
        ).iloc[0].to_dict()
        row.update(model=label, K_range=f"{min(candidates)}..{max(candidates)}", rule=generator.selection_.rule,
                   fit_s=fitted, total_s=time.perf_counter() - tic)
        rows.append(row)
        reasons.append(f"- {label}: {generator.selection_.reason}")
        if fit_rows is None:
            fit_rows = generator.subsample_indices_
        assert np.array_equal(fit_rows, generator.subsample_indices_)
        print(f"{label}: K={generator.n_components_}, {row['total_s']:.0f} s", flush=True)

    # Reference: real train images no model saw, scored like samples (memorisation against the fitted rows,
    # which every generator above shares: same size, labels and random_state).
    pool = np.setdiff1d(np.arange(len(train)), fit_rows)
    real = train[np.random.RandomState(1).choice(pool, size=min(args.n_samples, pool.size), replace=False)]
    reference = evaluate_samples(real, train[fit_rows], test, test_labels, random_state=0, **shared)
    reference.update(model="real train images (unseen)", n_components=np.nan, n_pca_components=784,
                     covariance_type="-", explained_variance=1.0, held_out_log_likelihood=np.nan,
                     held_out_log_likelihood_pixels=np.nan, rule="-", K_range="-")
    table = pd.DataFrame(rows + [reference])

    print(f"\nFashion-MNIST test split as reference; {args.subsample_size} stratified train images per fit, "
          f"{args.n_samples} samples, {args.n_bins} NDB bins; classifier accuracy {accuracy:.3f}; "
          f"total {time.perf_counter() - start:.0f} s\n")
    print(_markdown(table))
    print("\nClass histogram of the samples (share per class, classifier labels):\n")
    shares = table[["model"] + [f"share_{name}" for name in FASHION_MNIST_CLASSES]].copy()
    shares.columns = ["model", *FASHION_MNIST_CLASSES]
    print(_to_markdown(shares, floatfmt=".3f"))
    print("\nWhy each K (BIC, scikit-learn sign):\n")
    print("\n".join(reasons))


def _markdown(table: pd.DataFrame) -> str:
    view = pd.DataFrame(
        {
            "model": table["model"],
            "PCs": table["n_pca_components"].map(lambda v: f"{int(v)}"),
            "var. kept": table["explained_variance"].map(lambda v: f"{v:.0%}"),
            "K (BIC)": [
                "-" if pd.isna(k) else f"{int(k)} ({rule}, {span})"
                for k, rule, span in zip(table["n_components"], table["rule"], table["K_range"])
            ],
            "LL/img PCA": table["held_out_log_likelihood"].map(_num),
            "LL/img pixels": table["held_out_log_likelihood_pixels"].map(_num),
            "NDB/K": table["ndb_over_k"].map(lambda v: f"{v:.2f}"),
            "JS": table["js"].map(lambda v: f"{v:.3f}"),
            "Fréchet": table["frechet_distance"].map(lambda v: f"{v:.2f}"),
            "precision": table["precision"].map(lambda v: f"{v:.2f}"),
            "recall": table["recall"].map(lambda v: f"{v:.2f}"),
            "memo. ratio": table["memorisation_ratio"].map(lambda v: f"{v:.2f}"),
            "near-copies": table["near_copy_share"].map(lambda v: f"{v:.1%}"),
        }
    )
    return _to_markdown(view)


def _num(value) -> str:
    return "-" if pd.isna(value) else f"{value:.2f}"


def _to_markdown(frame: pd.DataFrame, floatfmt: str | None = None) -> str:
    cells = frame.astype(object).map(lambda v: format(v, floatfmt) if floatfmt and isinstance(v, float) else str(v))
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(row) + " |" for row in cells.to_numpy()]
    return "\n".join([header, rule, *body])


if __name__ == "__main__":
    main()
