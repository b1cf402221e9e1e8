"""gmmlab's model search against scikit-learn ``n_init=10`` and R mclust, cell by cell (issue 11).

For every data set, covariance type (full, tied, diag, spherical = mclust's VVV, EEE, VVI, VII) and K = 1..9:

- gmmlab: ``gmmlab.selection.sweep(X, range(1, 10), types, strategy=..., n_jobs=1)`` (one process);
- scikit-learn: ``sklearn.mixture.GaussianMixture(K, covariance_type=t, n_init=10, random_state=0).fit(X).bic(X)``
  in a plain loop, on one BLAS/OpenMP thread (as gmmlab: on a shared 2-core machine, default threads made
  scikit-learn 3-5x slower in wall time from oversubscription, which would flatter gmmlab's ratio);
- mclust: ``mclustBIC(X, G = 1:9, modelNames = c("VVV", "EEE", "VVI", "VII"))`` through ``Rscript`` on the same
  CSV (its time: R's own elapsed time of that call, without R's start-up); skipped with a note without R.

BIC is scikit-learn's sign everywhere (``-2 log L + p ln n``, lower is better); mclust's (``2 log L - p ln n``) is
negated. Degenerate solutions are no wins: a scikit-learn fit flagged by :mod:`gmmlab.mixture._degenerate` and an
mclust NA (singular) are left out of the peers; a degenerate gmmlab row counts as a loss when a peer has a valid
value. A cell is met when gmmlab's BIC <= the better valid peer's + 1e-4 * |that BIC|.

Data: scikit-learn's bundled iris, wine, breast cancer and digits (8 principal components), raw and standardised,
and mixtures from ``gmmlab.data`` (overlap, unequal scales, outliers, rounded values). No data set shipped with R.

    .venv/bin/python benchmarks/bench_selection.py            # every data set; prints the tables
    .venv/bin/python benchmarks/bench_selection.py --quick    # 4 data sets, K = 1..6
    .venv/bin/python benchmarks/bench_selection.py --strategy sklearn --short-iter 10 --n-keep 2 --csv out.csv
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gmmlab.data import make_gmm_data, make_preset
from gmmlab.mixture._degenerate import check_degenerate
from gmmlab.mixture._search import DEFAULT_STARTS, SearchStrategy
from gmmlab.selection import sweep

TYPES = ("full", "tied", "diag", "spherical")
MCLUST_NAMES = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}
REL_TOL = 1e-4


def _standardise(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def datasets(quick: bool) -> dict:
    """Name -> data matrix."""
    from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
    from sklearn.decomposition import PCA

    raw = {
        "iris": load_iris().data,
        "wine": load_wine().data,
        "breast_cancer": load_breast_cancer().data[:, :10],  # the ten "mean" features
        "digits_pca8": PCA(8, svd_solver="full").fit_transform(load_digits().data),
    }
    sets = {}
    for name, X in raw.items():
        sets[name] = X
        sets[f"{name}_std"] = _standardise(X)
    rng = np.random.RandomState(0)
    overlap = make_preset("elongated", random_state=0).X
    scales = make_preset("blobs4_5d", random_state=0).X * np.array([1000.0, 1.0, 0.01, 1.0, 50.0])
    blobs = make_preset("blobs4", random_state=0).X
    outliers = np.vstack([blobs, rng.uniform(blobs.min(0) - 20, blobs.max(0) + 20, size=(40, 2))])
    rounded = np.round(make_preset("unequal", random_state=1).X * 2) / 2
    mixed = make_gmm_data(
        600, [0.5, 0.3, 0.2], [[0, 0, 0], [3, 1, 0], [0, 4, 2]],
        [np.diag([1.0, 0.2, 3.0]), np.eye(3) * 0.5, [[2.0, 0.9, 0.0], [0.9, 1.0, 0.3], [0.0, 0.3, 0.5]]],
        random_state=2,
    ).X
    sets.update({
        "synth_overlap": overlap,
        "synth_scales": scales,
        "synth_outliers": outliers,
        "synth_rounded": rounded,
        "synth_mixed3d": mixed,
    })
    if quick:
        keep = ("iris", "wine_std", "synth_scales", "synth_rounded")
        sets = {k: sets[k] for k in keep}
    return sets


def run_sklearn(X, ks):
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    rows = []
    data_cov = np.atleast_2d(np.cov(X.T, bias=True))
    start_all = time.perf_counter()
    for t in TYPES:
        for k in ks:
            start = time.perf_counter()
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")
                try:
                    gm = GaussianMixture(k, covariance_type=t, n_init=10, random_state=0).fit(X)
                    bic = gm.bic(X)
                    verdict = check_degenerate(gm.weights_, gm.covariances_, len(X), data_cov, covariance_type=t)
                    degenerate = verdict.degenerate
                except ValueError:  # singular covariance
                    bic, degenerate = np.nan, True
            rows.append({"covariance_type": t, "n_components": k, "sklearn_bic": bic,
                         "sklearn_degenerate": degenerate, "sklearn_seconds": time.perf_counter() - start})
    return pd.DataFrame(rows), time.perf_counter() - start_all


R_SCRIPT = r"""
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1], header = FALSE))
G <- as.integer(strsplit(args[3], ",")[[1]])
models <- c("VVV", "EEE", "VVI", "VII")
elapsed <- system.time(b <- mclustBIC(X, G = G, modelNames = models, verbose = FALSE))[["elapsed"]]
out <- data.frame(G = rep(G, 4), model = rep(colnames(b), each = length(G)), bic = as.vector(b[, , drop = FALSE]))
write.csv(out, args[2], row.names = FALSE)
cat(elapsed, "\n", file = paste0(args[2], ".time"))
"""


def mclust_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    return subprocess.run(["Rscript", "-e", "library(mclust)"], capture_output=True, check=False).returncode == 0


def run_mclust(X, ks, workdir: Path):
    data = workdir / "data.csv"
    out = workdir / "bic.csv"
    np.savetxt(data, X, delimiter=",", fmt="%.17g")
    script = workdir / "mclust.R"
    script.write_text(R_SCRIPT)
    start = time.perf_counter()
    subprocess.run(["Rscript", str(script), str(data), str(out), ",".join(map(str, ks))], check=True,
                   capture_output=True)
    wall = time.perf_counter() - start
    table = pd.read_csv(out)
    elapsed = float(Path(f"{out}.time").read_text().split()[0])
    by_name = {v: k for k, v in MCLUST_NAMES.items()}
    table = pd.DataFrame({
        "covariance_type": table["model"].map(by_name),
        "n_components": table["G"].astype(int),
        "mclust_bic": -table["bic"],  # mclust's sign is the opposite
    })
    return table, elapsed, wall


def run_gmmlab(X, ks, strategy, reg_covar=None):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extra = {} if reg_covar is None else {"reg_covar": reg_covar}
        results = sweep(X, ks, TYPES, n_jobs=1, progress=False, random_state=0, strategy=strategy, **extra)
    seconds = time.perf_counter() - start
    table = results.rename(columns={"bic": "gmmlab_bic", "degenerate": "gmmlab_degenerate",
                                    "start": "gmmlab_start", "fit_seconds": "gmmlab_seconds"})
    table = table.groupby(["covariance_type", "n_components"], as_index=False).agg(
        gmmlab_bic=("gmmlab_bic", "min"), gmmlab_degenerate=("gmmlab_degenerate", "all"),
        gmmlab_start=("gmmlab_start", "first"), gmmlab_seconds=("gmmlab_seconds", "sum"),
        gmmlab_n_iter=("n_iter", "sum"))
    return table, seconds


def markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    """A pipe table (pandas' to_markdown needs tabulate, which gmmlab does not depend on)."""

    def cell(value):
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else f"{value:.{digits}g}"
        return str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def compare(cells: pd.DataFrame) -> pd.DataFrame:
    """Adds best_peer, gap (relative, positive = gmmlab worse), met and winner to the per-cell table."""
    sk = cells["sklearn_bic"].where(~cells["sklearn_degenerate"].astype(bool))
    mc = cells["mclust_bic"] if "mclust_bic" in cells else pd.Series(np.nan, index=cells.index)
    best_peer = pd.concat([sk, mc], axis=1).min(axis=1)
    ours = cells["gmmlab_bic"].where(~cells["gmmlab_degenerate"].astype(bool))
    gap = (ours - best_peer) / best_peer.abs()
    cells = cells.assign(best_peer=best_peer, gap=gap)
    cells["met"] = np.where(best_peer.isna(), True, gap <= REL_TOL)
    candidates = pd.DataFrame({"gmmlab": ours, "sklearn": sk, "mclust": mc})
    values = candidates.to_numpy(dtype=float)
    filled = np.where(np.isnan(values), np.inf, values)
    names = np.array(candidates.columns)[filled.argmin(axis=1)]
    cells["best"] = np.where(np.isfinite(filled.min(axis=1)), names, "none")
    return cells


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="4 data sets, K = 1..6")
    parser.add_argument("--strategy", default="auto", help="'auto', 'sklearn' or 'custom' (the options below)")
    parser.add_argument("--short-iter", type=int, default=None)
    parser.add_argument("--n-keep", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None, help="seeds of each random start (custom)")
    parser.add_argument("--starts", default=None, help="e.g. hierarchical:1,kmeans:10 (custom)")
    parser.add_argument("--refine-tol", type=float, default=None)
    parser.add_argument("--refine-max-iter", type=int, default=None)
    parser.add_argument("--n-polish", type=int, default=None)
    parser.add_argument("--reg-covar", type=float, default=None, help="gmmlab's reg_covar (default 'auto')")
    parser.add_argument("--neighbour-rounds", type=int, default=None)
    parser.add_argument("--neighbour-keep", type=int, default=None)
    parser.add_argument("--halving-iter", type=int, default=None)
    parser.add_argument("--cross", action="store_true", help="also start each type from the other types' solutions")
    parser.add_argument("--only", default=None, help="comma-separated data set names")
    parser.add_argument("--no-peers", action="store_true", help="gmmlab only (for comparing strategies)")
    parser.add_argument("--peers-from", default=None,
                        help="reuse the peers' columns of an earlier --csv (scikit-learn's time: the sum of its "
                             "stored per-cell seconds; mclust's time is not stored)")
    parser.add_argument("--csv", default=None, help="write the per-cell table here")
    args = parser.parse_args(argv)

    strategy = args.strategy
    if strategy == "custom" or args.cross or any(
        v is not None for v in (args.short_iter, args.n_keep, args.seeds, args.starts, args.refine_tol,
                                args.refine_max_iter, args.n_polish, args.neighbour_rounds, args.neighbour_keep,
                                args.halving_iter)
    ):
        starts = DEFAULT_STARTS
        if args.seeds is not None:
            starts = tuple((n, 1 if n.startswith("hierarchical") else args.seeds) for n, _ in DEFAULT_STARTS)
        if args.starts:
            starts = tuple((n, int(c)) for n, c in (item.split(":") for item in args.starts.split(",")))
        base = SearchStrategy()
        strategy = SearchStrategy(starts=starts, short_iter=args.short_iter or base.short_iter,
                                  n_keep=args.n_keep or base.n_keep, cross_types=args.cross,
                                  refine_tol=base.refine_tol if args.refine_tol is None else args.refine_tol,
                                  refine_max_iter=args.refine_max_iter or base.refine_max_iter,
                                  n_polish=args.n_polish or base.n_polish,
                                  neighbour_rounds=(base.neighbour_rounds if args.neighbour_rounds is None
                                                    else args.neighbour_rounds),
                                  neighbour_keep=args.neighbour_keep or base.neighbour_keep,
                                  halving_iter=base.halving_iter if args.halving_iter is None else args.halving_iter)
    ks = list(range(1, 7 if args.quick else 10))
    sets = datasets(args.quick)
    if args.only:
        sets = {k: sets[k] for k in args.only.split(",")}
    previous = pd.read_csv(args.peers_from) if args.peers_from else None
    use_mclust = not args.no_peers and previous is None and mclust_available()
    if not args.no_peers and previous is None and not use_mclust:
        print("note: R with mclust is not installed (tools/setup_peers.sh installs it); mclust is skipped.")
    all_cells, totals = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, X in sets.items():
            X = np.ascontiguousarray(X, dtype=np.float64)
            ours, gm_seconds = run_gmmlab(X, ks, strategy, args.reg_covar)
            cells = ours
            total = {"data": name, "n": X.shape[0], "d": X.shape[1], "gmmlab_s": gm_seconds,
                     "gmmlab_em_iter": int(ours["gmmlab_n_iter"].sum())}
            if previous is not None:
                peers = previous[previous["data"] == name].drop(
                    columns=[c for c in previous.columns if c.startswith("gmmlab") or c in
                             ("best_peer", "gap", "met", "best", "data")])
                cells = cells.merge(peers, on=["covariance_type", "n_components"], how="left")
                if "sklearn_seconds" in peers:
                    # the stored run's per-cell times (its loop's total, less the loop's own negligible overhead):
                    # the ratio compares this run's gmmlab with an earlier run's scikit-learn
                    total["sklearn_s"] = float(peers["sklearn_seconds"].sum())
            elif not args.no_peers:
                theirs, sk_seconds = run_sklearn(X, ks)
                cells = cells.merge(theirs, on=["covariance_type", "n_components"])
                total["sklearn_s"] = sk_seconds
                if use_mclust:
                    mc, mc_seconds, mc_wall = run_mclust(X, ks, Path(tmp))
                    cells = cells.merge(mc, on=["covariance_type", "n_components"], how="left")
                    total.update(mclust_s=mc_seconds, mclust_wall_s=mc_wall)
            cells.insert(0, "data", name)
            if "sklearn_bic" in cells:
                cells = compare(cells)
                total.update(cells=len(cells), met=int(cells["met"].sum()), worst_gap=float(cells["gap"].max()))
            totals.append(total)
            all_cells.append(cells)
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in total.items()),
                  flush=True)
    cells = pd.concat(all_cells, ignore_index=True)
    totals = pd.DataFrame(totals)
    if args.csv:
        tmp_path = f"{args.csv}.part"
        cells.to_csv(tmp_path, index=False)
        os.replace(tmp_path, args.csv)
    print()
    print(f"strategy: {strategy!r}")
    print(markdown(totals))
    if "met" in cells and "sklearn_s" in totals:
        missed = cells[~cells["met"]]
        print()
        print(f"cells met: {int(cells['met'].sum())} / {len(cells)}; gmmlab time / sklearn time: "
              f"{totals['gmmlab_s'].sum():.1f} s / {totals['sklearn_s'].sum():.1f} s = "
              f"{totals['gmmlab_s'].sum() / totals['sklearn_s'].sum():.3f}"
              + (f"; mclust (R's elapsed) {totals['mclust_s'].sum():.1f} s" if "mclust_s" in totals else ""))
        print("best per cell:", cells["best"].value_counts().to_dict())
        if len(missed):
            columns = [c for c in ("data", "covariance_type", "n_components", "gmmlab_bic", "gmmlab_degenerate",
                                   "sklearn_bic", "sklearn_degenerate", "mclust_bic", "gap") if c in cells]
            print()
            print(markdown(missed[columns], 8))
    print()
    print("winning start of gmmlab's fits:", cells["gmmlab_start"].value_counts().to_dict())
    degenerate = int(cells["gmmlab_degenerate"].sum())
    print(f"gmmlab degenerate cells: {degenerate} of {len(cells)}")
    return cells, totals


if __name__ == "__main__":
    main()
