"""The ``gmmlab`` command: the end-to-end report, sweeps, fits and samples from the shell.

``gmmlab report`` writes the self-contained HTML report of the whole assignment; ``gmmlab sweep``, ``gmmlab fit``
and ``gmmlab sample`` run model selection, fit a mixture and draw from it on Fashion-MNIST or on your own
``.npy``/``.csv`` data; ``gmmlab data info`` says where Fashion-MNIST is and checks it.

Any user error (unknown file, bad format, bad option value) prints one line ``gmmlab: error: ...`` on stderr and
exits with status 2; ``--debug`` shows the traceback instead. Every output file is written to a temporary name
and renamed when complete.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ._inputs import (
    _DATA_HELP,
    _PROG,
    UsageError,
    _covariances,
    _covariance,
    _jobs,
    _Parser,
    _pca,
    _positive_int,
    _seed,
    load_data,
    parse_k,
)

__all__ = ["main", "load_data", "parse_k", "UsageError", "build_parser"]


# --------------------------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------------------------


def _say(args, message: str) -> None:
    if not args.quiet:
        print(message)


def _check_out(path: str, suffixes: Sequence[str]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise UsageError(f"--out {path}: the file name must end in {' or '.join(suffixes)}")
    if not out.parent.is_dir():
        raise UsageError(f"--out {path}: folder {out.parent} does not exist")
    return out


def _project(X: np.ndarray, n_pca):
    """X in its first ``n_pca`` principal components (the image pipeline, on every sample) and the PCA."""
    if n_pca is None:
        return X, None
    from gmmlab.pipeline import ImagePipeline

    if isinstance(n_pca, int) and n_pca > min(X.shape):
        raise UsageError(f"--pca {n_pca}: the data has only {X.shape[0]} samples and {X.shape[1]} features")
    pipeline = ImagePipeline(n_pca, subsample_size=None, owner="--pca").fit(X)
    return pipeline.X_pca_, pipeline.pca_


def _cmd_sweep(args) -> int:
    from gmmlab.selection import choose_n_components, sweep

    if args.scheduler and args.backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    out = _check_out(args.out, (".csv",)) if args.out else None
    X, _ = load_data(args.data, args.data_dir)
    if max(args.k) > X.shape[0]:
        raise UsageError(f"--k goes up to {max(args.k)} but the data has only {X.shape[0]} samples")
    X, pca = _project(X, args.pca)
    criterion = args.criterion or ("inertia" if args.model == "kmeans" else "bic")
    if (criterion == "inertia") != (args.model == "kmeans"):
        raise UsageError(f"--criterion {criterion} does not apply to --model {args.model}")
    where = f" in {X.shape[1]} principal components ({pca.explained_variance_ratio_.sum():.1%} of the variance)" \
        if pca is not None else ""
    _say(args, f"{args.data}: {X.shape[0]} samples x {X.shape[1]} features{where}")
    start = time.perf_counter()
    results = sweep(
        X,
        n_components=args.k,
        covariance_types=args.covariance,
        n_seeds=args.seeds,
        model=args.model,
        n_jobs=args.jobs,
        backend=args.backend,
        scheduler_address=args.scheduler,
        progress=not args.quiet,
        random_state=args.seed,
        **({"strategy": args.strategy} if args.model == "gmm" else {}),
    )
    elapsed = time.perf_counter() - start
    choice = choose_n_components(results, criterion=criterion, rule=args.rule)
    if out is not None:
        from gmmlab.persistence import atomic_path

        with atomic_path(out) as tmp:
            results.to_csv(tmp, index=False)
    summary = choice.summary.rename(columns={"mean": f"{criterion}_mean", "std": f"{criterion}_std"})
    if args.model == "kmeans":
        summary = summary.drop(columns="covariance_type")
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_rows", 200, "display.float_format", "{:.6g}".format):
        print(summary.drop(columns="se").to_string(index=False))
    sign = " (scikit-learn sign: -2 log L + p ln n, lower is better)" if criterion in ("bic", "aic", "icl") else ""
    kind = f", covariance {choice.covariance_type}" if choice.covariance_type else ""
    print(f"\nChosen: K={choice.n_components}{kind} by {criterion}{sign}, rule {choice.rule}.")
    print(f"Reason: {choice.reason}")
    _say(args, f"{len(results)} fits in {elapsed:.1f} s" + (f"; table written to {out}" if out else ""))
    return 0


def _cmd_fit(args) -> int:
    from gmmlab.mixture import GaussianMixture
    from gmmlab.persistence import save_model

    out = _check_out(args.out, (".npz",))
    if args.scheduler and args.backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    if args.backend == "dask":  # data-parallel EM: the data stays lazy, chunks are read where they are fitted
        from gmmlab.mixture import _dask

        if args.pca is not None or args.model == "mfa":
            raise UsageError("--backend dask fits a GMM on the stored features: drop --pca (project the data before "
                             "storing it) and --model mfa")
        if _dask.is_lazy_source(args.data):
            Z = _dask.open_lazy(args.data)
        else:
            import dask.array as da

            Z = da.from_array(load_data(args.data, args.data_dir)[0])
        pca = None
        gm = GaussianMixture(n_components=args.k, covariance_type=args.covariance, n_init=args.n_init,
                             random_state=args.seed)
        scores = _dask.fit_on_cluster(gm, Z, args.scheduler)
    else:
        if Path(args.data).suffix.lower() == ".zarr" or Path(args.data).is_dir():
            raise UsageError(f"{args.data}: a Zarr store or .npy stack is read lazily; add --backend dask")
        X, _ = load_data(args.data, args.data_dir)
        if args.k > X.shape[0]:
            raise UsageError(f"--k {args.k} exceeds the {X.shape[0]} samples of the data")
        Z, pca = _project(X, args.pca)
        if args.model == "mfa":
            from gmmlab.mixture import MixtureOfFactorAnalyzers

            if pca is not None:
                raise UsageError("--model mfa fits the features themselves (e.g. pixels); drop --pca")
            if not 0 <= args.n_factors < Z.shape[1]:
                raise UsageError(
                    f"--n-factors {args.n_factors} must lie in [0, {Z.shape[1] - 1}] (below the features)"
                )
            gm = MixtureOfFactorAnalyzers(args.k, n_factors=args.n_factors, noise=args.noise, n_init=args.n_init,
                                          random_state=args.seed).fit(Z)
            args.covariance = f"MFA (q={args.n_factors}, {args.noise} noise)"
        else:
            gm = GaussianMixture(
                n_components=args.k, covariance_type=args.covariance, n_init=args.n_init, random_state=args.seed
            ).fit(Z)
        scores = {"log_likelihood": gm.score(Z), "bic": gm.bic(Z)}
    save_model(gm, out, pca=pca)
    space = f"{Z.shape[1]} principal components ({pca.explained_variance_ratio_.sum():.1%} of the variance)" \
        if pca is not None else f"{Z.shape[1]} features"
    print(
        f"Fitted a {args.covariance} GMM with K={args.k} on {Z.shape[0]} samples in {space}: "
        f"{'converged' if gm.converged_ else 'NOT converged'} after {gm.n_iter_} EM iterations, "
        f"mean log-likelihood {scores['log_likelihood']:.6g}, BIC {scores['bic']:.6g} (scikit-learn sign, "
        "lower is better)."
    )
    print(f"Saved to {out}")
    return 0


def _cmd_sample(args) -> int:
    from gmmlab.persistence import load_model

    out = _check_out(args.out, (".png", ".csv", ".npy"))
    model, pca, meta = load_model(args.model)
    gmm = getattr(model, "gmm_", model)
    if args.component is not None and not 0 <= args.component < gmm.n_components:
        raise UsageError(f"--component {args.component}: the model has components 0..{gmm.n_components - 1}")
    Z, components = gmm.sample(args.n, random_state=args.seed, component=args.component)
    X = pca.inverse_transform(Z) if pca is not None else Z
    suffix = out.suffix.lower()
    if suffix == ".png":
        if X.shape[1] != 784:
            raise UsageError(
                f"--out {out}: a PNG grid needs a model of 28x28 images (784 pixels), this one has {X.shape[1]} "
                "features; write .csv or .npy instead"
            )
        _save_grid(np.clip(X, 0.0, 1.0).reshape(-1, 28, 28), components, out, args)
    else:
        from gmmlab.persistence import atomic_path

        with atomic_path(out) as tmp:
            if suffix == ".npy":
                with open(tmp, "wb") as fh:
                    np.save(fh, X)
            else:
                np.savetxt(tmp, X, delimiter=",", fmt="%.10g")
    which = f"component {args.component}" if args.component is not None else f"all {gmm.n_components} components"
    print(f"Drew {args.n} samples from {which} of {args.model}; wrote {out}")
    return 0


def _save_grid(images: np.ndarray, components: np.ndarray, out: Path, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gmmlab.persistence import atomic_path
    from gmmlab.plotting.images import image_grid

    n_cols = int(np.ceil(np.sqrt(len(images))))
    fig = image_grid(images, n_cols=n_cols, titles=[f"k={c}" for c in components] if len(images) <= 100 else None)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def _cmd_report(args) -> int:
    from gmmlab.config import fast_mode
    from gmmlab.report import build_report

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: folder {out.parent} does not exist")
    fast = args.fast or fast_mode()
    start = time.perf_counter()
    index = build_report(out, fast=fast, data_dir=args.data_dir, seed=args.seed, progress=not args.quiet)
    print(f"Report written to {index} ({'fast' if fast else 'full'} mode, {time.perf_counter() - start:.0f} s)")
    return 0


def _cmd_data_info(args) -> int:
    from gmmlab.data import fashion_mnist_info

    rows = fashion_mnist_info(args.data_dir)
    folder = Path(rows[0]["path"]).parent if rows[0]["path"] else None
    print(f"Fashion-MNIST folder: {folder or '(not found)'}")
    for row in rows:
        print(f"\n{row['split']} {row['kind']}: {row['path'] or row['name'] + ' (missing)'}")
        if not row["exists"]:
            continue
        match = {"published": "matches the published MD5", "debian": "matches Debian's recompressed .gz",
                 "idx": "matches the raw IDX MD5", None: "UNKNOWN checksum"}[row["md5_match"]]
        print(f"  size {row['size_bytes']:,} bytes, {'gzip' if row['compressed'] else 'raw IDX'}")
        print(f"  md5 {row['md5']}  md5_ok={row['md5_ok']} ({match}; published .gz: {row['md5_expected']})")
        print(f"  content md5 {row['content_md5']}  content_ok={row['content_ok']}")
        if row["n_items"] is not None:
            print(f"  {row['n_items']:,} {row['kind']}, array shape {row['shape']}")
    print(
        "\nNote: Debian recompressed the .gz files, so their MD5 differs from the published one; content_ok "
        "checks the decompressed IDX data, which is what matters."
    )
    errors = [row["error"] for row in rows if row["error"]] + [
        f"{row['path']}: content differs from the published Fashion-MNIST" for row in rows
        if row["error"] is None and not row["content_ok"]
    ]
    if errors:
        raise UsageError(f"{len(errors)} of the 4 files are unusable; first: {errors[0].splitlines()[0]}")
    return 0


# --------------------------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------------------------


def _covariance_names() -> tuple[str, ...]:
    from gmmlab.mixture import ALL_COVARIANCE_TYPES

    return ALL_COVARIANCE_TYPES


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``gmmlab`` command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress bars or chatter")
    common.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument("--data-dir", metavar="DIR", help="folder holding the Fashion-MNIST IDX files "
                          "(default: $GMMLAB_DATA_DIR, then /usr/share/datasets/fashion-mnist)")

    parser = _Parser(
        prog=_PROG,
        description="KMeans and Gaussian mixtures you can watch, compare and select, and GMMs as generative "
        "models of Fashion-MNIST images.",
        epilog="Examples:\n  gmmlab report --out report --fast\n  gmmlab sweep fashion-mnist:train:5000 --pca 3 "
        "--covariance tied --k 1:30\n  gmmlab data info\n\nRun 'gmmlab COMMAND --help' for each command.",
        formatter_class=_formatter,
    )
    from gmmlab import __version__

    parser.add_argument("--version", action="version", version=f"gmmlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "report", parents=[common, data_dir], formatter_class=_formatter,
        help="write the end-to-end HTML report of the assignment",
        description="Run part 1 (synthetic data: KMeans vs GMM, the EM evolution, robustness to initialisation, "
        "choosing K by inertia and BIC) and part 2 (Fashion-MNIST: BIC sweeps in PCA spaces, sampled images, "
        "the 3D view, quality metrics) and write DIR/index.html (self-contained, works offline) and "
        "DIR/results.json (every figure's numbers).",
        epilog="Example:\n  gmmlab report --out report          # full report, a few minutes\n"
        "  gmmlab report --out /tmp/r --fast   # small sizes, well under a minute (also GMMLAB_FAST=1)",
    )
    p.add_argument("--out", default="report", metavar="DIR", help="output folder (default: report)")
    p.add_argument("--fast", action="store_true", help="small sizes, for a quick look or CI")
    p.add_argument("--seed", type=_seed, default=0, metavar="N", help="random seed (default: 0)")
    p.set_defaults(func=_cmd_report)

    p = commands.add_parser(
        "sweep", parents=[common, data_dir], formatter_class=_formatter,
        help="fit GMMs (or KMeans) over a grid of K and choose K",
        description="Fit a GMM (or KMeans) for every K x covariance type x seed, print the criterion per K "
        "(mean and std over seeds) and the chosen K with its reason. BIC/AIC/ICL use scikit-learn's sign "
        "(-2 log L + p ln n): lower is better.",
        epilog="Examples:\n  gmmlab sweep fashion-mnist:train:5000 --pca 3 --covariance tied --k 1:30\n"
        "  gmmlab sweep points.csv --model kmeans --k 1:10 --out results.csv\n"
        "  gmmlab sweep data.npy --backend dask --scheduler tcp://host:8786\n\nDATA is " + _DATA_HELP + ".",
    )
    p.add_argument("data", metavar="DATA", help="fashion-mnist[:train|test][:N], a .npy or a .csv file")
    p.add_argument("--model", choices=("gmm", "kmeans"), default="gmm", help="default: gmm")
    p.add_argument("--k", type=parse_k, default=parse_k("1:20"), metavar="GRID",
                   help="K values: 1:30 (inclusive), 2:30:2 or 2,4,8 (default: 1:20)")
    p.add_argument("--covariance", type=_covariances, default=["full"], metavar="TYPES",
                   help="comma-separated covariance types among " + ", ".join(_covariance_names())
                   + " (default: full)")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="fits per K (default: 1 with the gmm search, else 3)")
    p.add_argument("--strategy", choices=("auto", "sklearn", "mclust"), default="auto",
                   help="gmm fits: auto = gmmlab's model search (default), sklearn = scikit-learn's kmeans start, "
                   "mclust = one EM from mclust's hierarchical start")
    p.add_argument("--pca", type=_pca, metavar="N", help="project on N principal components first "
                   "(or a share such as 0.9 of the variance)")
    p.add_argument("--criterion", choices=("bic", "aic", "icl", "inertia"),
                   help="default: bic for gmm, inertia for kmeans")
    p.add_argument("--rule", choices=("min", "one_se", "knee"), help="selection rule (default: min, or the "
                   "knee when the curve keeps decreasing; knee for inertia)")
    p.add_argument("--jobs", type=_jobs, default=-1, metavar="N", help="parallel jobs, -1 = all cores (default)")
    p.add_argument("--backend", choices=("dask",), help="run the fits on a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--seed", type=_seed, default=0, metavar="N", help="base random seed (default: 0)")
    p.add_argument("--out", metavar="FILE.csv", help="write the full table (one row per fit)")
    p.set_defaults(func=_cmd_sweep)

    p = commands.add_parser(
        "fit", parents=[common, data_dir], formatter_class=_formatter,
        help="fit one GMM and save it to a .npz file",
        description="Fit a Gaussian mixture with K components (optionally in a PCA space) and save it with "
        "gmmlab.persistence (arrays + JSON metadata, never pickle).",
        epilog="Example:\n  gmmlab fit fashion-mnist:train:5000 --pca 3 --k 10 --covariance tied --out model.npz\n"
        "  gmmlab fit big.zarr --backend dask --k 10 --covariance diag --out model.npz\n\n"
        "DATA is " + _DATA_HELP + ".",
    )
    p.add_argument("data", metavar="DATA", help="fashion-mnist[:train|test][:N], a .npy or a .csv file; with "
                   "--backend dask also a .zarr store or a .npy stack folder (read lazily)")
    p.add_argument("--k", type=_positive_int, required=True, metavar="K", help="number of components")
    p.add_argument("--backend", choices=("dask",), help="data-parallel EM on a Dask cluster (data may exceed RAM)")
    p.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--covariance", type=_covariance, default="full", metavar="TYPE",
                   help="one of " + ", ".join(_covariance_names()) + " (default: full)")
    p.add_argument("--pca", type=_pca, metavar="N", help="fit in N principal components (or a share such as 0.9)")
    p.add_argument("--model", choices=("gmm", "mfa"), default="gmm", help="gmm, or a mixture of factor analysers")
    p.add_argument("--n-factors", type=int, default=10, metavar="Q", help="factors per component (mfa; default 10)")
    p.add_argument("--noise", choices=("diagonal", "isotropic"), default="diagonal",
                   help="noise of the factor analysers (mfa; default: diagonal)")
    p.add_argument("--n-init", type=_positive_int, default=1, metavar="N", help="EM restarts (default: 1)")
    p.add_argument("--seed", type=_seed, default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to save the model")
    p.set_defaults(func=_cmd_fit)

    p = commands.add_parser(
        "sample", parents=[common], formatter_class=_formatter,
        help="draw samples from a saved model",
        description="Draw samples from a model saved by 'gmmlab fit'. A .png output shows them as an image grid "
        "(models of 28x28 images, e.g. Fashion-MNIST in a PCA space); .csv or .npy outputs hold the samples in "
        "the original feature space.",
        epilog="Example:\n  gmmlab sample model.npz -n 64 --seed 1 --out grid.png\n"
        "  gmmlab sample model.npz -n 16 --component 3 --out shirts.png",
    )
    p.add_argument("model", metavar="MODEL.npz", help="a model saved by 'gmmlab fit'")
    p.add_argument("-n", type=_positive_int, default=64, metavar="N", help="number of samples (default: 64)")
    p.add_argument("--component", type=int, metavar="K", help="draw from this component only (0-based)")
    p.add_argument("--seed", type=_seed, default=0, metavar="N", help="random seed (default: 0)")
    p.add_argument("--out", required=True, metavar="FILE", help="grid.png, samples.csv or samples.npy")
    p.set_defaults(func=_cmd_sample)

    p = commands.add_parser(
        "data", formatter_class=_formatter, help="about the Fashion-MNIST files",
        description="Commands about the data.", epilog="Example:\n  gmmlab data info --data-dir /path/to/fashion",
    )
    data_commands = p.add_subparsers(dest="data_command", metavar="COMMAND", parser_class=_Parser)
    data_commands.required = True
    p = data_commands.add_parser(
        "info", parents=[common, data_dir], formatter_class=_formatter,
        help="where Fashion-MNIST is, sizes and checksums",
        description="Show where the Fashion-MNIST files are, their sizes and checksums (of the file as stored "
        "and of the decompressed IDX content), and exit with status 2 if any is missing or damaged.",
        epilog="Example:\n  gmmlab data info\n  GMMLAB_DATA_DIR=/data/fashion gmmlab data info",
    )
    p.set_defaults(func=_cmd_data_info)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gmmlab`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a usage or data error, 1 on an unexpected failure, 130 when
        interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and argparse errors
        return int(exc.code or 0)
    # Warnings (e.g. an EM run that did not converge) are shown as one line each, not with source lines.
    warnings.showwarning = lambda message, category, *rest, **kw: print(
        f"{_PROG}: warning: {_one_line(message)}", file=sys.stderr
    )
    from gmmlab.data import DataError
    from gmmlab.persistence import ModelFileError

    try:
        return args.func(args)
    except (UsageError, DataError, ModelFileError, ValueError, OSError) as exc:
        if args.debug:
            raise
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, with the way to see more
        if args.debug:
            raise
        print(f"{_PROG}: error: unexpected {type(exc).__name__}: {_one_line(exc)} (rerun with --debug for the "
              "traceback)", file=sys.stderr)
        return 1

