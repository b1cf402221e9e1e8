"""Data-parallel EM on Dask (issue 14): time per EM iteration vs rows and workers, client memory, Spark MLlib
side by side, and an out-of-core fit of data larger than the workers' memory.

Scaling: n rows x 20 features (1M, 4M, 16M by default), K=10, diag and full covariances, on a LocalCluster of 1
and 2 single-threaded worker processes. The rows are generated chunk-wise on the workers (a seeded 10-component
mixture, one seed per chunk), so the client never holds the data. Every fit starts from the same parameters; the
time per iteration is the median over ``--iterations`` full EM iterations (every chunk's statistics on the
workers, the tree reduction, the M-step on the client), after the chunks were persisted on the workers. Client
memory: tracemalloc's peak of the client process over those iterations (numpy allocations).

Spark: MLlib's ``GaussianMixture`` (full covariances only, its own random initialisation) on the same rows,
generated in Spark's executors by the same function, ``local[W]``; time per iteration from two fits of different
``maxIter`` on the cached DataFrame, and the final log-likelihood of both libraries after ``--converge`` iterations
(gmmlab from its KMeans-on-a-sample start). A benchmark-only peer: skipped with a note if pyspark or Java is
missing.

Out of core (``--out-of-core``): the 60,000 Fashion-MNIST training images in 50 principal components, replicated
with jitter into a Zarr store larger than the two workers' combined ``memory_limit``, fitted (diag, K=10) reading
the store chunk by chunk every iteration; reports whether any worker was restarted.

    .venv/bin/python benchmarks/bench_distributed.py --quick          # 1M rows only, prints only
    .venv/bin/python benchmarks/bench_distributed.py                  # full run, writes its RESULTS.md section
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- bench_distributed: begin -->", "<!-- bench_distributed: end -->"
N_FEATURES, N_COMPONENTS, CHUNK_ROWS = 20, 10, 250_000


# ---------------------------------------------------------------------------------------------------------
# data, generated where it is used


def _mixture(seed=0):
    rng = np.random.RandomState(seed)
    means = rng.normal(scale=4.0, size=(N_COMPONENTS, N_FEATURES))
    factors = rng.normal(scale=0.5, size=(N_COMPONENTS, N_FEATURES, N_FEATURES)) + np.eye(N_FEATURES)
    return means, factors


def generate_chunk(index: int, n_rows: int) -> np.ndarray:
    """Rows of chunk ``index``: a seeded draw from a fixed 10-component mixture in 20 dimensions."""
    means, factors = _mixture()
    rng = np.random.RandomState(1000 + index)
    labels = rng.randint(N_COMPONENTS, size=n_rows)
    X = rng.standard_normal((n_rows, N_FEATURES))
    for k in range(N_COMPONENTS):
        members = labels == k
        X[members] = X[members] @ factors[k].T + means[k]
    return X


def _chunk_sizes(n_rows):
    sizes = [CHUNK_ROWS] * (n_rows // CHUNK_ROWS)
    if n_rows % CHUNK_ROWS:
        sizes.append(n_rows % CHUNK_ROWS)
    return sizes


def dask_data(n_rows):
    import dask
    import dask.array as da

    parts = [
        da.from_delayed(dask.delayed(generate_chunk)(i, size), (size, N_FEATURES), dtype=np.float64)
        for i, size in enumerate(_chunk_sizes(n_rows))
    ]
    return da.concatenate(parts)


def start_parameters(covariance_type):
    """The same start for every run: the generating means moved a little, unit covariances."""
    from gmmlab.mixture import get_structure

    means, _ = _mixture()
    means = means + np.random.RandomState(1).normal(scale=1.0, size=means.shape)
    shape = get_structure(covariance_type).covariance_shape(N_COMPONENTS, N_FEATURES)
    precisions = np.ones(shape) if covariance_type != "full" else np.tile(np.eye(N_FEATURES), (N_COMPONENTS, 1, 1))
    return dict(weights_init=np.full(N_COMPONENTS, 1 / N_COMPONENTS), means_init=means, precisions_init=precisions)


# ---------------------------------------------------------------------------------------------------------
# gmmlab on Dask


def cluster(n_workers, memory_limit="auto"):
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                        dashboard_address=":0", silence_logs=logging.ERROR)


def time_iterations(n_rows, covariance_type, n_workers, iterations):
    """(seconds per iteration (median), persist seconds, client tracemalloc peak MiB, mean log-likelihood)."""
    from distributed import Client

    from gmmlab.mixture import GaussianMixture, get_structure, m_step
    from gmmlab.mixture._dask import DistributedData, _check_X, _summaries

    structure = get_structure(covariance_type)
    with cluster(n_workers) as local, Client(local):
        X = dask_data(n_rows)
        gm = GaussianMixture(N_COMPONENTS, covariance_type=covariance_type, **start_parameters(covariance_type))
        X = _check_X(gm, X, reset=True)
        inits = gm._check_parameters(*X.shape, X.dtype)
        start = time.perf_counter()
        shift = _summaries(gm, X, None)
        data = DistributedData(X, None, shift, structure, persist=True)
        from distributed import futures_of, wait

        wait(futures_of(data.chunks))
        persist_seconds = time.perf_counter() - start
        params = gm._initial_params(None, shift, None, inits, structure)
        times = []
        tracemalloc.start()
        for _ in range(iterations):
            start = time.perf_counter()
            state = structure.e_state(params)
            stats = data.statistics(structure, state, N_COMPONENTS)
            log_likelihood = stats.log_likelihood / stats.total_weight
            params = m_step(structure, stats, state, 1e-6)
            times.append(time.perf_counter() - start)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return statistics.median(times), persist_seconds, peak, log_likelihood


def in_memory_iteration(n_rows, covariance_type, iterations):
    """Seconds per EM iteration of the in-memory engine on one core, from the same start (the reference)."""
    from gmmlab.mixture import FitData, GaussianMixture, get_structure
    from gmmlab.mixture._em import em_iteration
    from gmmlab.mixture._structure import Scratch
    from gmmlab.mixture._threads import one_thread

    X = np.concatenate([generate_chunk(i, size) for i, size in enumerate(_chunk_sizes(n_rows))])
    structure = get_structure(covariance_type)
    gm = GaussianMixture(N_COMPONENTS, covariance_type=covariance_type, **start_parameters(covariance_type))
    inits = gm._check_parameters(*X.shape, X.dtype)
    shift = X.mean(axis=0)
    data = FitData.from_samples(X, shift)
    del X
    structure.prepare(data)
    params = gm._initial_params(None, shift, None, inits, structure)
    scratch, times = Scratch(), []
    with one_thread():
        for _ in range(iterations):
            start = time.perf_counter()
            _, params = em_iteration(structure, params, data, 1e-6, scratch)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def gmmlab_converged(n_rows, n_workers, max_iter):
    """gmmlab's full-covariance fit from its default start (KMeans on a sample), ``max_iter`` iterations:
    (mean log-likelihood of the final parameters, n_iter, seconds)."""
    from distributed import Client

    from gmmlab.mixture import GaussianMixture

    with cluster(n_workers) as local, Client(local), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(N_COMPONENTS, covariance_type="full", random_state=0, tol=0.0, max_iter=max_iter)
        start = time.perf_counter()
        gm.fit(dask_data(n_rows))
        seconds = time.perf_counter() - start
        return gm.score(dask_data(n_rows)), gm.n_iter_, seconds


# ---------------------------------------------------------------------------------------------------------
# Spark MLlib


def spark_side(n_rows, n_workers, max_iter):
    """(seconds per iteration, final mean log-likelihood, iterations) or a note why Spark did not run."""
    try:
        from pyspark.ml.clustering import GaussianMixture as SparkGaussianMixture
        from pyspark.ml.linalg import Vectors
        from pyspark.sql import SparkSession
    except ImportError:
        return "pyspark is not installed (pip install pyspark; Java 17)"
    if shutil.which("java") is None:
        return "Java is not installed (Debian: openjdk-17-jre-headless)"
    # Spark's Python workers import this file to generate their rows, with this interpreter.
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(f"local[{n_workers}]").appName("gmmlab-bench")
        .config("spark.driver.memory", "6g").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(n_workers)).getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        sizes = _chunk_sizes(n_rows)

        def rows(index):
            return [(Vectors.dense(row),) for row in generate_chunk(index, sizes[index])]

        rdd = spark.sparkContext.parallelize(range(len(sizes)), len(sizes)).flatMap(rows)
        frame = spark.createDataFrame(rdd, ["features"]).cache()
        frame.count()

        def fit(iterations):
            model = SparkGaussianMixture(k=N_COMPONENTS, maxIter=iterations, tol=0.0, seed=0).fit(frame)
            return model

        fit(1)  # warm-up: the JVM compiles the code paths on the first fit
        start = time.perf_counter()
        one_iter = fit(1).summary.numIter
        one = time.perf_counter() - start
        start = time.perf_counter()
        six_iter = fit(6).summary.numIter  # Spark may stop before maxIter: divide by what it ran
        six = time.perf_counter() - start
        per_iteration = (six - one) / max(1, six_iter - one_iter)
        model = fit(max_iter)
        gaussians = model.gaussiansDF.toPandas()
        params = (np.array(model.weights), np.stack([v.toArray() for v in gaussians["mean"]]),
                  np.stack([c.toArray() for c in gaussians["cov"]]))
        return per_iteration, model.summary.logLikelihood / n_rows, model.summary.numIter, params
    finally:
        spark.stop()


def score_parameters(params, n_rows, n_workers):
    """Mean log-likelihood of a full-covariance mixture (weights, means, covariances) on the benchmark rows,
    computed by gmmlab's exact scorer on the cluster: the same measure for both libraries."""
    from distributed import Client

    from gmmlab.mixture import GaussianMixture, get_structure

    weights, means, covariances = params
    structure = get_structure("full")
    gm = GaussianMixture(N_COMPONENTS)
    gm.weights_, gm.means_, gm.covariances_ = weights / weights.sum(), means, covariances
    gm.precisions_cholesky_ = structure.precision_cholesky(covariances)
    gm.precisions_ = structure.precisions(gm.precisions_cholesky_)
    gm.n_features_in_, gm.converged_ = N_FEATURES, True
    with cluster(n_workers) as local, Client(local):
        return gm.score(dask_data(n_rows))


# ---------------------------------------------------------------------------------------------------------
# out of core


def out_of_core(replicas, memory_limit="400MiB", max_iter=5):
    """Fit a Zarr store of Fashion-MNIST (50 PCs) x ``replicas`` larger than 2 workers' memory_limit."""
    import dask
    import dask.array as da
    from distributed import Client

    from gmmlab.data import load_fashion_mnist
    from gmmlab.mixture import GaussianMixture
    from gmmlab.mixture._dask import open_lazy

    images = load_fashion_mnist("train", flatten=True)[0].astype(np.float64)
    from sklearn.decomposition import PCA

    Z = PCA(50, svd_solver="covariance_eigh", random_state=0).fit_transform(images)
    scale = Z.std(axis=0) * 0.05
    folder = Path(tempfile.mkdtemp(prefix="gmmlab-ooc-"))
    try:
        def replica(index):
            rng = np.random.RandomState(index)
            return Z + rng.normal(size=Z.shape) * scale

        parts = [da.from_delayed(dask.delayed(replica)(i), Z.shape, dtype=np.float64) for i in range(replicas)]
        big = da.concatenate(parts).rechunk((60000, 50))
        with dask.config.set(scheduler="threads", num_workers=1):
            da.to_zarr(big, str(folder / "fashion.zarr"))
        X = open_lazy(folder / "fashion.zarr")
        with cluster(2, memory_limit) as local, Client(local) as client, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            limit = sum(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
            pids = set(client.run(os.getpid).values())
            gm = GaussianMixture(N_COMPONENTS, covariance_type="diag", random_state=0, max_iter=max_iter, tol=0.0)
            start = time.perf_counter()
            gm.fit(X)
            seconds = time.perf_counter() - start
            restarted = pids != set(client.run(os.getpid).values())
        return dict(rows=X.shape[0], gib=X.nbytes / 2**30, limit_gib=limit / 2**30, seconds=seconds,
                    n_iter=gm.n_iter_, restarted=restarted, lower_bound=gm.lower_bound_)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------


def _load():
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg()[:1])
    except OSError:
        return "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1M,4M,16M", help="rows, e.g. 1M,4M,16M")
    parser.add_argument("--types", default="diag,full")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--converge", type=int, default=30, help="iterations of the gmmlab vs Spark quality run")
    parser.add_argument("--spark-size", default="1M", help="rows of the Spark comparison ('' to skip)")
    parser.add_argument("--out-of-core", type=int, default=0, metavar="REPLICAS",
                        help="replicas of Fashion-MNIST for the out-of-core run (0: skip; 48 = 1.1 GiB)")
    parser.add_argument("--quick", action="store_true", help="1M rows, 1 iteration, no Spark; prints only")
    parser.add_argument("--output", type=Path, help=f"results file (default {RESULTS.name}; none with --quick)")
    args = parser.parse_args(argv)

    def rows(text):
        text = text.strip().upper()
        return int(float(text[:-1]) * 1_000_000) if text.endswith("M") else int(text)

    if args.quick:
        args.sizes, args.iterations, args.spark_size = "1M", 1, ""
    sizes = [rows(s) for s in args.sizes.split(",") if s]
    types = args.types.split(",")
    workers = [int(w) for w in args.workers.split(",")]
    lines = [BEGIN, "", "## Data-parallel EM on Dask (issue 14)", ""]
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "benchmarks/bench_distributed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines += [
        f"Measured {when} with `{command}` on {os.cpu_count()} logical cores shared with other users (load in the "
        f"table), Python {platform.python_version()}. LocalCluster of W single-threaded worker processes (memory_limit "
        "'auto': the machine's memory split between them); rows "
        f"generated chunk-wise on the workers ({CHUNK_ROWS:,} rows per chunk), so the client never holds the "
        "data. Time per EM iteration: median of the iterations, all chunks' statistics + tree reduction + M-step "
        "on the client, from the same start; persist: one-off time to generate, centre and keep the chunks on "
        "the workers. Client MiB: tracemalloc peak of the client process during the iterations.",
        "",
        "| rows | covariance | workers | s / iteration | µs / row / iteration | persist s | client MiB | "
        "mean log-lik. | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    references = []
    for covariance_type in types:
        seconds = in_memory_iteration(sizes[0], covariance_type, args.iterations)
        references.append(f"{covariance_type} {seconds:.2f} s")
        for n_rows in sizes:
            for n_workers in workers:
                seconds, persist, peak, loglik = time_iterations(n_rows, covariance_type, n_workers,
                                                                 args.iterations)
                line = (f"| {n_rows / 1e6:g}M | {covariance_type} | {n_workers} | {seconds:.2f} | "
                        f"{seconds / n_rows * 1e6:.2f} | {persist:.1f} | {peak:.1f} | {loglik:.4f} | {_load()} |")
                print(line, flush=True)
                lines.append(line)
    lines += ["", f"Reference, the in-memory engine in one process on one core, same start, {sizes[0] / 1e6:g}M rows: "
              + ", ".join(references) + " per iteration (the difference to the 1-worker row is the Dask overhead: "
              "tasks, scheduling, transfers of parameters and statistics)."]
    print(lines[-1], flush=True)
    if args.spark_size:
        n_rows = rows(args.spark_size)
        n_workers = max(workers)
        lines += ["", f"### Spark MLlib side by side ({args.spark_size} rows x {N_FEATURES}, full, K={N_COMPONENTS}, "
                  f"{n_workers} cores)", ""]
        dask_seconds = time_iterations(n_rows, "full", n_workers, args.iterations)[0]
        spark = spark_side(n_rows, n_workers, args.converge)
        loglik, n_iter, fit_seconds = gmmlab_converged(n_rows, n_workers, args.converge)
        if isinstance(spark, str):
            lines.append(f"Spark skipped: {spark}. gmmlab: {dask_seconds:.2f} s / iteration, mean log-likelihood "
                         f"{loglik:.5f} after {n_iter} iterations.")
        else:
            spark_seconds, spark_reported, spark_iter, spark_params = spark
            spark_loglik = score_parameters(spark_params, n_rows, n_workers)
            lines += [
                "Spark: `pyspark.ml.clustering.GaussianMixture(k=10, tol=0)` on a cached DataFrame, `local[W]`; "
                "s / iteration = (fit(maxIter=6) - fit(maxIter=1)) / (difference of their numIter) after a warm-up "
                "fit. Quality: both run with "
                f"maxIter={args.converge}, tol=0, each from its own start (gmmlab: KMeans on a 100,000-row "
                "sample; Spark: its random start). Both final models are scored by the same exact pass (gmmlab's "
                "`score` on the cluster). Spark stops after the iterations shown even with tol=0, and its own "
                f"`summary.logLikelihood / n` ({spark_reported:.5f}) is not the data's mean log-likelihood under "
                "its final model (it is the same to 5 digits at 200k, 500k and 1M rows; not investigated further).",
                "",
                "| | s / iteration | mean log-likelihood | iterations |",
                "|---|---|---|---|",
                f"| gmmlab on Dask | {dask_seconds:.2f} | {loglik:.5f} | {n_iter} |",
                f"| Spark MLlib | {spark_seconds:.2f} | {spark_loglik:.5f} | {spark_iter} |",
                "",
                f"Per iteration gmmlab is **{spark_seconds / dask_seconds:.1f}x** faster (target 2x); "
                f"log-likelihood difference gmmlab - Spark = {loglik - spark_loglik:+.5f} per row (target >= 0).",
            ]
        print("\n".join(lines[-8:]), flush=True)
    if args.out_of_core:
        result = out_of_core(args.out_of_core)
        lines += [
            "",
            "### Out of core",
            "",
            f"Fashion-MNIST training images in 50 principal components, {args.out_of_core} jittered replicas: "
            f"{result['rows']:,} rows, {result['gib']:.2f} GiB in a Zarr store, against 2 workers with "
            f"{result['limit_gib']:.2f} GiB of memory_limit together. diag, K=10, {result['n_iter']} iterations "
            f"in {result['seconds']:.0f} s (chunks re-read every iteration); worker restarted: "
            f"{'YES' if result['restarted'] else 'no'}; mean log-likelihood {result['lower_bound']:.4f}.",
        ]
        print("\n".join(lines[-1:]), flush=True)
    lines += ["", END]
    output = args.output if args.output is not None else (None if args.quick else RESULTS)
    if output is not None:
        text = output.read_text(encoding="utf-8") if output.exists() else ""
        section = "\n".join(lines)
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        tmp = output.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        print(f"wrote {output}")


if __name__ == "__main__":
    main()
