"""gmmlab's EM engine against scikit-learn, side by side, on Fashion-MNIST (issue 7).

Every workload runs gmmlab and scikit-learn alternately in this one process, on the same data, with the same
seeds, initialisation (scikit-learn's KMeans), tol and max_iter; the time is the median of the repeats, wall
clock, of fitting every model of the workload and computing its BIC (what a BIC sweep does). scikit-learn runs
the way a user would: ``GaussianMixture(K, covariance_type=..., random_state=0).fit(X).bic(X)`` in a plain loop,
default thread settings.

    W1  5000 images, 3 PCs, tied, K = 1..30
    W2  5000 images, 50 PCs, tied, K = 1..30
    W3  5000 images, 50 PCs, full, K = 1..20
    W4  5000 images, 50 PCs, diag and spherical, K = 1..30
    W5  60000 images, the PCs keeping 90 % of the variance, full, K = 10, one fit
    W6  W2 through gmmlab.selection.sweep(n_jobs=-1) against the plain scikit-learn loop
    W7  sweep(n_jobs=-1) over the four covariance types, K = 1..20, 50 PCs, against the plain loop

Peak extra memory is tracemalloc's peak (it sees numpy's allocations, not BLAS or OpenMP internals) in one extra,
untimed run of the largest K of each workload per side; for W6/W7 that run calls sweep with n_jobs=1, in this
process: the work of one worker. BIC is scikit-learn's sign (-2 log L + p ln n, lower is better).

    .venv/bin/python benchmarks/bench_em.py                 # full run, writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/bench_em.py --quick         # reduced set, about a minute, prints only
    .venv/bin/python benchmarks/bench_em.py --only W2,W3 --repeats 5 --float32
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

RESULTS = Path(__file__).with_name("RESULTS.md")
TARGETS = {"W1": 4.0, "W2": 8.0, "W3": 2.5, "W4": 1.2, "W5": 2.0, "W6": 12.0, "W7": 6.0}
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


@dataclass
class Workload:
    name: str
    description: str
    X: np.ndarray
    covariance_types: tuple
    n_components: list
    sweep: bool = False  # gmmlab side through gmmlab.selection.sweep(n_jobs=-1)


@dataclass
class Row:
    name: str
    description: str
    gmmlab_s: float
    sklearn_s: float
    gmmlab_mib: float
    sklearn_mib: float
    max_rel_bic: float
    n_iter_matched: str
    repeats: int
    load: tuple = field(default_factory=tuple)
    dtype: str = "float64"
    kmeans_s: float = float("nan")

    @property
    def ratio(self) -> float:
        return self.sklearn_s / self.gmmlab_s


# ------------------------------------------------------------------------------------------------- data


def load_data(quick: bool):
    """The workloads' matrices: (X3, X50) from a fixed 5000-image subsample, X90 from all (or, quick, 10000)."""
    from sklearn.decomposition import PCA

    from gmmlab.data import load_fashion_mnist

    images, _ = load_fashion_mnist("train", flatten=True)
    images = images.astype(np.float64)
    subsample = images[np.random.RandomState(0).choice(len(images), 5000, replace=False)]
    X50 = PCA(50, svd_solver="full").fit_transform(subsample)
    X3 = np.ascontiguousarray(X50[:, :3])  # the first 3 PCs of a full SVD are PCA(3)'s
    if quick:
        images = images[np.random.RandomState(1).choice(len(images), 10000, replace=False)]
    X90 = PCA(0.90, svd_solver="covariance_eigh").fit_transform(images)
    return X3, X50, X90


def build_workloads(quick: bool):
    X3, X50, X90 = load_data(quick)
    d90 = X90.shape[1]
    if quick:
        k30, k20, k_full, k5 = list(range(1, 9)), list(range(1, 5)), list(range(1, 5)), [5]
        n90 = f"{len(X90)} images (quick)"
    else:
        k30, k20, k_full, k5 = list(range(1, 31)), list(range(1, 21)), list(range(1, 21)), [10]
        n90 = "60000 images"
    return [
        Workload("W1", f"5000 x 3 PCs, tied, K={_span(k30)}", X3, ("tied",), k30),
        Workload("W2", f"5000 x 50 PCs, tied, K={_span(k30)}", X50, ("tied",), k30),
        Workload("W3", f"5000 x 50 PCs, full, K={_span(k_full)}", X50, ("full",), k_full),
        Workload("W4", f"5000 x 50 PCs, diag + spherical, K={_span(k30)}", X50, ("diag", "spherical"), k30),
        Workload("W5", f"{n90} x {d90} PCs (90 % var.), full, K={_span(k5)}, one fit", X90, ("full",), k5),
        Workload("W6", f"W2 via sweep(n_jobs=-1), K={_span(k30)}", X50, ("tied",), k30, sweep=True),
        Workload("W7", f"sweep(n_jobs=-1), 4 types, K={_span(k20)}, 50 PCs", X50, COVARIANCE_TYPES, k20, sweep=True),
    ]


def _span(ks):
    return f"{ks[0]}..{ks[-1]}" if len(ks) > 1 else str(ks[0])


# ------------------------------------------------------------------------------------------------- the two sides


def run_gmmlab(workload: Workload, X, n_components, n_jobs=-1):
    """{(covariance_type, K): (bic, n_iter)} from gmmlab."""
    if workload.sweep:
        from gmmlab.selection import sweep

        # strategy="sklearn": scikit-learn's KMeans start, the path whose BIC and n_iter_ must equal the loop's.
        table = sweep(X, n_components=n_components, covariance_types=workload.covariance_types, n_seeds=1,
                      strategy="sklearn", n_jobs=n_jobs, progress=False, random_state=0)
        return {(t, int(k)): (float(b), int(i)) for t, k, b, i in
                zip(table.covariance_type, table.n_components, table.bic, table.n_iter)}
    from gmmlab.mixture import GaussianMixture

    out = {}
    for covariance_type in workload.covariance_types:
        for k in n_components:
            model = GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
            out[covariance_type, k] = (float(model.bic(X)), int(model.n_iter_))
    return out


def run_sklearn(workload: Workload, X, n_components, n_jobs=None):
    from sklearn.mixture import GaussianMixture

    out = {}
    for covariance_type in workload.covariance_types:
        for k in n_components:
            model = GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
            out[covariance_type, k] = (float(model.bic(X)), int(model.n_iter_))
    return out


def kmeans_inits(workload: Workload, X) -> float:
    """Seconds of the workload's KMeans initialisations alone, on one thread as gmmlab runs them: its floor.

    GaussianMixture runs one per fit; a sweep one per K, shared by the covariance types.
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    runs = 1 if workload.sweep else len(workload.covariance_types)
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        for _ in range(runs):
            for k in workload.n_components:
                KMeans(n_clusters=k, n_init=1, random_state=np.random.RandomState(0)).fit(X)
    return time.perf_counter() - start


def timed(function: Callable, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def peak_mib(function: Callable, *args) -> float:
    """tracemalloc's peak of extra memory during one call, in MiB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        function(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 2**20


def compare(ours: dict, theirs: dict):
    """Largest relative BIC difference and how many n_iter_ agree."""
    rel = max(abs(ours[key][0] - theirs[key][0]) / abs(theirs[key][0]) for key in theirs)
    same = sum(ours[key][1] == theirs[key][1] for key in theirs)
    return rel, f"{same}/{len(theirs)}"


def _load() -> tuple:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return ()


def measure(workload: Workload, repeats: int, dtype=np.float64, sklearn_reference=None) -> Row:
    """Alternate the two sides ``repeats`` times (gmmlab first on even repeats), then one memory run each."""
    X = workload.X.astype(dtype)
    ks = workload.n_components
    load_start = _load()
    ours_times, theirs_times = [], []
    ours = theirs = None
    for repeat in range(repeats):
        sides = ["gmmlab", "sklearn"] if repeat % 2 == 0 else ["sklearn", "gmmlab"]
        for side in sides:
            if side == "gmmlab":
                seconds, ours = timed(run_gmmlab, workload, X, ks)
                ours_times.append(seconds)
            elif sklearn_reference is None:
                seconds, theirs = timed(run_sklearn, workload, workload.X, ks)
                theirs_times.append(seconds)
    largest = [ks[-1]]
    ours_mib = peak_mib(run_gmmlab, workload, X, largest, 1)
    if sklearn_reference is None:
        theirs_mib = peak_mib(run_sklearn, workload, workload.X, largest)
        sklearn_s = statistics.median(theirs_times)
    else:
        theirs, sklearn_s, theirs_mib = sklearn_reference
    rel, matched = compare(ours, theirs)
    row = Row(workload.name, workload.description, statistics.median(ours_times), sklearn_s, ours_mib, theirs_mib,
              rel, matched, repeats, load_start + _load(), np.dtype(dtype).name, kmeans_inits(workload, X))
    row.theirs = theirs  # kept for the float32 rows
    return row


# ------------------------------------------------------------------------------------------------- report


def machine() -> list[str]:
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import gmmlab

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    pools = []
    for pool in threadpool_info():
        words = [pool.get("internal_api", "?"), pool.get("version"), pool.get("architecture")]
        name = " ".join(word for word in words if word)
        pools.append(f"{name}, {pool['num_threads']} threads ({Path(pool['filepath']).name})")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (shared with other users during the run: see the load column)",
        f"- Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, gmmlab {gmmlab.__version__}",
        "- Thread pools (threadpoolctl): " + "; ".join(pools),
    ]


def _mib(value: float) -> str:
    return f"{value:.1f}"


def table(rows: list[Row], float32: bool = False) -> list[str]:
    head = ("| | workload | gmmlab s | scikit-learn s | ratio | target | of gmmlab s: KMeans inits "
            "| gmmlab MiB | scikit-learn MiB | max rel. BIC diff | n_iter_ equal | load (1 min, start/end) |")
    if float32:
        head = head.replace("gmmlab s", "gmmlab float32 s").replace("scikit-learn s", "scikit-learn float64 s")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for row in rows:
        target = TARGETS.get(row.name)
        met = "" if target is None or float32 else (" ✓" if row.ratio >= target else " ✗")
        load = "/".join(f"{row.load[i]:.1f}" for i in (0, 3)) if len(row.load) >= 4 else "?"
        lines.append(
            f"| {row.name} | {row.description} | {row.gmmlab_s:.2f} | {row.sklearn_s:.2f} | **{row.ratio:.1f}x**{met} "
            f"| {'' if float32 or target is None else f'{target:g}x'} | {row.kmeans_s:.2f} "
            f"| {_mib(row.gmmlab_mib)} | {_mib(row.sklearn_mib)} "
            f"| {row.max_rel_bic:.1e} | {row.n_iter_matched} | {load} |"
        )
    return lines


def write_results(path: Path, command: str, rows: list[Row], rows32: list[Row], rows1: list[Row], started: str):
    lines = [
        "# gmmlab vs scikit-learn: EM benchmarks (issue 7)",
        "",
        f"Measured {started} with `{command}` (median of {rows[0].repeats if rows else '?'} alternating repeats; "
        "wall-clock seconds to fit every model of the workload and compute its BIC).",
        "",
        *machine(),
        "",
        "BIC is scikit-learn's sign (-2 log L + p ln n, lower is better). Memory: tracemalloc peak of extra "
        "allocations in one untimed run of the workload's largest K per side (numpy arrays; BLAS and OpenMP "
        "internals are not seen); for W6/W7 the gmmlab run is sweep(n_jobs=1) in-process, the work of one worker. "
        "The ratio is scikit-learn seconds / gmmlab seconds; ✓ marks a met target. \"KMeans inits\" is the time "
        "of the workload's KMeans initialisations alone, on one thread as gmmlab runs them (measured separately): "
        "scikit-learn's own KMeans, which parity requires, so a floor for the gmmlab column. How the engine gets "
        "there, and why a fit runs on one core: [README.md](README.md).",
        "",
        *table(rows),
    ]
    if rows32:
        lines += [
            "",
            "## float32 path",
            "",
            "gmmlab on `X.astype(np.float32)` (dtype follows X, as in scikit-learn) against the float64 "
            "scikit-learn runs above; the BIC difference is against those float64 fits. KMeans on float32 data may "
            "start elsewhere, so n_iter_ need not match.",
            "",
            *table(rows32, float32=True),
        ]
    if rows1:
        lines += [
            "",
            "## Both sides on one thread",
            "",
            "The same workloads with scikit-learn also limited to one BLAS and OpenMP thread "
            "(`threadpoolctl.threadpool_limits(1)` around both): the algorithmic ratio, without the threading.",
            "",
            *table(rows1),
        ]
    # keep the section bench_models.py maintains in the same file
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    start = previous.find("<!-- bench_models: start -->")
    kept = previous[start:].rstrip("\n") if start >= 0 else ""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n" + (f"\n{kept}\n" if kept else ""), encoding="utf-8")
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller K ranges, one repeat, W5 on 10000 images")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W2,W3")
    parser.add_argument("--repeats", type=int, help="repeats per side (default 3; 1 with --quick)")
    parser.add_argument("--float32", action="store_true", help="add the float32 rows (W1-W5)")
    parser.add_argument("--single-thread", action="store_true",
                        help="add a table with both sides limited to one BLAS/OpenMP thread (W1-W5)")
    parser.add_argument("--output", type=Path, help=f"results file (default {RESULTS.name}; none with --quick)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    if repeats < 1:
        parser.error("--repeats must be >= 1")
    output = args.output if args.output is not None else (None if args.quick else RESULTS)

    warnings.simplefilter("ignore")  # ConvergenceWarnings of large K, on both sides alike
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    command = " ".join(["benchmarks/bench_em.py", *(argv if argv is not None else sys.argv[1:])])
    workloads = build_workloads(args.quick)
    if args.only:
        wanted = [name.strip().upper() for name in args.only.split(",") if name.strip()]
        unknown = sorted(set(wanted) - {w.name for w in workloads})
        if unknown:
            parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from W1..W7")
        workloads = [w for w in workloads if w.name in wanted]

    # Warm both engines up (imports, thread pools, first-call costs) outside the timings.
    warm = Workload("warm", "", workloads[0].X[:500], ("full",), [2])
    run_gmmlab(warm, warm.X, [2]), run_sklearn(warm, warm.X, [2])

    rows, rows32 = [], []
    print(f"{'':4}{'gmmlab s':>10}{'sklearn s':>11}{'ratio':>8}{'KMeans':>8}{'gm MiB':>9}{'sk MiB':>9}{'rel BIC':>10}"
          "  n_iter  load", flush=True)
    for workload in workloads:
        row = measure(workload, repeats)
        rows.append(row)
        _print(row)
        if args.float32 and not workload.sweep:
            row32 = measure(workload, repeats, np.float32, (row.theirs, row.sklearn_s, row.sklearn_mib))
            rows32.append(row32)
            _print(row32)
    rows1 = []
    if args.single_thread:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            for workload in workloads:
                if not workload.sweep:
                    rows1.append(measure(workload, repeats))
                    rows1[-1].dtype = "1 thread"
                    _print(rows1[-1])
    if output is not None:
        write_results(output, command, rows, rows32, rows1, started)
        print(f"wrote {output}")
    return 0


def _print(row: Row) -> None:
    tag = row.name + {"float32": "/32", "1 thread": "/1t"}.get(row.dtype, "")
    load = "/".join(f"{v:.1f}" for v in row.load[:1] + row.load[3:4])
    print(f"{tag:6}{row.gmmlab_s:8.2f}{row.sklearn_s:11.2f}{row.ratio:7.1f}x{row.kmeans_s:8.2f}{row.gmmlab_mib:9.1f}"
          f"{row.sklearn_mib:9.1f}"
          f"{row.max_rel_bic:10.1e}  {row.n_iter_matched:>6}  {load}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
