"""Issue 13's table: PCA-GMM and a mixture of factor analysers as densities over all pixels of Fashion-MNIST.

Rows: the assignment's route (PCA, then a GMM with K by BIC on 5,000 stratified training images; 3 PCs tied, 24 and
81 PCs full) and the MFA route of ``GMMImageGenerator(model="mfa")``, whose (K, q) is chosen on a grid by the mean
log-likelihood of 10,000 held-out training images (fits on 10,000 others) and then fitted on all 60,000 uniformly
dequantised training images. Nothing is chosen by a sample-quality measure or on the test set.

Columns, all on the 10,000 test images unless said otherwise:
- test bits/dim: uniform dequantisation (seed 0), ``-(log p_[0,1](y) - 784 ln 256) / (784 ln 2)``; the PCA route
  is a pixel density through probabilistic PCA's isotropic noise on the discarded directions.
- NDB/K: 100 K-means bins of 20,000 training images, 10,000 samples, alpha 0.05; the real test images' NDB/K
  against the same bins is the floor.
- near-copies: share of samples closer (pixel L2) to their nearest training image than the 1st percentile of
  the test images' nearest-training distances (so about 1 % for real test images), against each model's own
  training images.
- C_T (Meehan et al. 2020, 20 K-means cells of the training images, cells with >= 20 samples and test images):
  in pixels, and in the top 64 principal components of the training images. The PCA space is the one to read:
  pixel L2 rewards smooth samples (a PCA-GMM sample has no detail beyond its PCs) and punishes the MFA's
  independent per-pixel noise, so in pixels C_T mixes copying with smoothness; the top 64 PCs (~86 % of the
  variance) keep the shape of a garment and drop both.
- fit: seconds, EM iterations, seconds per iteration after the initialisation, peak traced memory.

``--pca-validation`` (:func:`run_pca_validation`) builds instead the rows of the PCA route with (principal
components, K) chosen by the pixel-space log-likelihood of held-out training images
(``GMMImageGenerator(n_components="validation", pixel_noise="per_direction")``), one row per covariance type,
each with its grid table, and the rows of the assignment's route for comparison are not refitted.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from gmmlab.data import load_fashion_mnist
from gmmlab.data_copying import data_copying_statistic
from gmmlab.generative import GMMImageGenerator
from gmmlab.metrics import memorisation, ndb, ndb_bins
from gmmlab.mixture import MixtureOfFactorAnalyzers
from gmmlab.pixel_density import bits_per_dim, dequantize

LITERATURE = [
    ("hidden Chow-Liu tree PC (Liu, Mandt & Van den Broeck, ICLR 2022)", 3.34),
    ("PixelVAE (as reported there)", 3.66),
]

_INIT_SECONDS: list = []


def _timed_initialisation():
    """Wrap MixtureOfFactorAnalyzers' start so the benchmark can split init time from EM iterations."""
    original = MixtureOfFactorAnalyzers._initial_params

    def timed(self, *args, **kwargs):
        tic = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            _INIT_SECONDS.append(time.perf_counter() - tic)

    MixtureOfFactorAnalyzers._initial_params = timed


def _fit(generator, train, labels):
    _INIT_SECONDS.clear()
    tracemalloc.start()
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generator.fit(train, labels)
    seconds = time.perf_counter() - tic
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def _evaluate(label, generator, train, test, reference, bins, feature_pca, n_samples, seconds, peak, extra):
    fitted_on = train[generator.subsample_indices_]
    tic = time.perf_counter()
    samples, _ = generator.sample(n_samples, random_state=0)
    samples = samples.reshape(n_samples, -1)
    binned = ndb(reference, samples, bins=bins)
    copies = memorisation(samples, fitted_on, test)
    ct_pixels = data_copying_statistic(fitted_on, test, samples, random_state=0).statistic
    ct_pca = data_copying_statistic(feature_pca.transform(fitted_on), feature_pca.transform(test),
                                    feature_pca.transform(samples), random_state=0).statistic
    row = {
        "model": label,
        "test bits/dim": generator.bits_per_dim(test),
        "NDB/K": binned.ndb_over_k,
        "JS": binned.js,
        "near-copies": copies.near_copy_share,
        "memo. ratio": copies.ratio,
        "C_T pixels": ct_pixels,
        "C_T PCA-64": ct_pca,
        "fit images": len(fitted_on),
        "fit s": seconds,
        "peak MiB": peak,
        "eval s": time.perf_counter() - tic,
    }
    row.update(extra)
    print(f"{label}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()
                                   if k != "model"), flush=True)
    return row, samples


def _data(quick: bool):
    train, train_labels = load_fashion_mnist("train", flatten=True)
    test, _ = load_fashion_mnist("test", flatten=True)
    if quick:
        return train[:6000], train_labels[:6000], test[:2000]
    return train, train_labels, test


def _measures(train, test, n_bins: int, bin_images: int, start: float):
    """NDB bins of ``bin_images`` training images, their reference images, the test set's NDB, the C_T PCA."""
    rng = np.random.RandomState(0)
    bin_rows = rng.choice(len(train), bin_images, replace=False)
    bins = ndb_bins(train[bin_rows], n_bins=n_bins, random_state=0)
    reference = train[bin_rows]
    floor = ndb(reference, test, bins=bins)
    feature_pca = PCA(n_components=64, svd_solver="covariance_eigh").fit(train.astype(np.float64))
    print(f"Setup {time.perf_counter() - start:.0f} s; real test images NDB/K {floor.ndb_over_k:.2f}", flush=True)
    return bins, reference, floor, feature_pca


def run_pca_validation(covariance_grids: dict, quick: bool = False, selection: int = 30000) -> None:
    """The PCA route with (principal components, K) chosen by held-out pixel-space likelihood, per covariance type.

    ``covariance_grids`` maps a covariance type to its (PCs grid, K grid). Each candidate is fitted on
    ``selection`` training images and scored on ``selection`` others; the chosen one is refitted on all of them.
    """
    start = time.perf_counter()
    train, train_labels, test = _data(quick)
    n_bins, bin_images, n_samples = (20, 2000, 1000) if quick else (100, 20000, 10000)
    if quick:
        selection = min(selection, 2000)
    bins, reference, floor, feature_pca = _measures(train, test, n_bins, bin_images, start)
    rows = []
    for covariance_type, (pcs, ks) in covariance_grids.items():
        generator = GMMImageGenerator(n_pca_components=pcs, n_components="validation", n_components_range=ks,
                                      covariance_type=covariance_type, pixel_noise="per_direction",
                                      subsample_size=None, selection_size=selection, random_state=0)
        seconds, peak = _fit(generator, train, train_labels)
        grid = generator.sweep_results_
        final_seconds = seconds - float(grid["fit_s"].sum())
        print(f"\n{covariance_type} grid (fits on {selection}, validation on {selection} others):\n")
        print(grid.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        extra = {"K": generator.n_components_, "q / PCs": generator.n_pca_components_,
                 "chosen by": "validation log-lik. (pixels)", "EM iters": generator.gmm_.n_iter_, "s/iter": np.nan}
        row, _ = _evaluate(f"PCA-GMM {covariance_type}, per-direction noise", generator, train, test, reference,
                           bins, feature_pca, n_samples, final_seconds, peak, extra)
        rows.append(row)
    real = {"model": "real test images", "NDB/K": floor.ndb_over_k, "JS": floor.js, "near-copies": 0.01}
    table = pd.concat([pd.DataFrame(rows), pd.DataFrame([real])], ignore_index=True)
    columns = ["model", "K", "q / PCs", "chosen by", "test bits/dim", "NDB/K", "JS", "near-copies", "memo. ratio",
               "C_T pixels", "C_T PCA-64", "fit images", "fit s", "EM iters", "peak MiB"]
    print(f"\nTotal {time.perf_counter() - start:.0f} s\n")
    print(_markdown(table[columns]))


def run_pixel_space(quick: bool = False, n_jobs: int = -1, mfa_only: bool = False, ks=None, qs=None,
                    selection=None) -> None:
    """Fit every generator, print the table (markdown) and keep the samples for the figures.

    ``mfa_only`` skips the PCA-GMM rows and the timing fit; ``ks``, ``qs`` and ``selection`` override the MFA
    grid and the size of its fit and validation splits.
    """
    start = time.perf_counter()
    _timed_initialisation()
    train, train_labels, test = _data(quick)
    if quick:
        sizes = dict(n_bins=20, bin_images=2000, n_samples=1000, pca_subsample=1000, selection=1000,
                     ks=[5, 10], qs=[2, 5], timing=(10, 5))
        pca_configs = [("PCA-GMM 3 PCs, tied", 3, "tied", range(1, 6))]
    else:
        sizes = dict(n_bins=100, bin_images=20000, n_samples=10000, pca_subsample=5000, selection=10000,
                     ks=[50, 100, 200], qs=[5, 10], timing=(100, 10))
        pca_configs = [
            ("PCA-GMM 3 PCs, tied", 3, "tied", range(1, 31)),
            ("PCA-GMM 24 PCs, full", 24, "full", range(1, 21)),
            ("PCA-GMM 81 PCs, full", 81, "full", range(1, 16)),
        ]
    if mfa_only:
        pca_configs = []
    sizes.update({key: value for key, value in (("ks", ks), ("qs", qs), ("selection", selection)) if value})
    bins, reference, floor, feature_pca = _measures(train, test, sizes["n_bins"], sizes["bin_images"], start)

    rows, grids = [], {}
    for label, pcs, covariance_type, candidates in pca_configs:
        generator = GMMImageGenerator(n_pca_components=pcs, n_components="bic", covariance_type=covariance_type,
                                      subsample_size=sizes["pca_subsample"], n_components_range=candidates,
                                      random_state=0, n_jobs=n_jobs)
        seconds, peak = _fit(generator, train, train_labels)
        extra = {"K": generator.n_components_, "q / PCs": pcs, "chosen by": f"BIC over K in {candidates.start}.."
                 f"{candidates.stop - 1}", "EM iters": generator.gmm_.n_iter_, "s/iter": np.nan}
        row, samples = _evaluate(label, generator, train, test, reference, bins, feature_pca, sizes["n_samples"], seconds,
                                 peak, extra)
        rows.append(row)
        grids[label] = samples

    generator = GMMImageGenerator(model="mfa", n_components="validation", n_components_range=sizes["ks"],
                                  n_factors=sizes["qs"], selection_size=sizes["selection"], tol=1.0, max_iter=60,
                                  random_state=0)
    seconds, peak = _fit(generator, train, train_labels)
    mfa = generator.gmm_
    final_init = _INIT_SECONDS[-1]
    grid_seconds = float(generator.sweep_results_["fit_s"].sum())
    final_seconds = seconds - grid_seconds
    extra = {"K": generator.n_components_, "q / PCs": generator.n_factors_,
             "chosen by": f"validation log-lik. ({sizes['selection']} held-out train)", "EM iters": mfa.n_iter_,
             "s/iter": (final_seconds - final_init) / mfa.n_iter_}
    row, samples = _evaluate(f"MFA K={generator.n_components_}, q={generator.n_factors_}", generator, train, test,
                             reference, bins, feature_pca, sizes["n_samples"], final_seconds, peak, extra)
    rows.append(row)
    grids["MFA"] = samples
    print("\nMFA grid (fits on the selection split):\n")
    print(generator.sweep_results_.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    print(f"\nChosen: {generator.selection_}; final fit on {len(train)} images: {final_seconds:.0f} s "
          f"(init {final_init:.0f} s, {mfa.n_iter_} iterations), grid {grid_seconds:.0f} s", flush=True)

    timing = None
    if not mfa_only and (generator.n_components_, generator.n_factors_) != sizes["timing"]:
        k, q = sizes["timing"]
        Y = dequantize(train, 0, dtype=np.float32)
        _INIT_SECONDS.clear()
        tracemalloc.start()
        tic = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            timed = MixtureOfFactorAnalyzers(k, n_factors=q, tol=1.0, max_iter=60, random_state=0).fit(Y)
        total = time.perf_counter() - tic
        timing = (k, q, total, _INIT_SECONDS[-1], timed.n_iter_, tracemalloc.get_traced_memory()[1] / 2**20,
                  float(np.mean(bits_per_dim(timed.score_samples(dequantize(test, 0, np.float32)), 784))))
        tracemalloc.stop()

    table = pd.DataFrame(rows)
    real = {"model": "real test images", "NDB/K": floor.ndb_over_k, "JS": floor.js, "near-copies": 0.01}
    anchors = [{"model": name, "test bits/dim": bpd} for name, bpd in LITERATURE]
    table = pd.concat([table, pd.DataFrame([real] + anchors)], ignore_index=True)
    columns = ["model", "K", "q / PCs", "chosen by", "test bits/dim", "NDB/K", "JS", "near-copies", "memo. ratio",
               "C_T pixels", "C_T PCA-64", "fit images", "fit s", "EM iters", "s/iter", "peak MiB"]
    print(f"\nFashion-MNIST, {len(train)} train / {len(test)} test images; {sizes['n_bins']} NDB bins on "
          f"{sizes['bin_images']} train images; {sizes['n_samples']} samples; total "
          f"{time.perf_counter() - start:.0f} s\n")
    print(_markdown(table[columns]))
    if timing is not None:
        k, q, total, init, n_iter, peak, bpd = timing
        print(f"\nTiming fit: MFA K={k}, q={q} on all {len(train)} dequantised images (float32, one core): "
              f"{total:.0f} s = init {init:.0f} s + {n_iter} iterations x {(total - init) / n_iter:.1f} s; "
              f"peak traced memory {peak:.0f} MiB; test bits/dim {bpd:.3f}")
    np.savez_compressed("/tmp/gmmlab_pixel_space_samples.npz", **{k.replace(" ", "_"): v[:100] for k, v in
                                                                   grids.items()})


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "-"
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    view = frame.astype(object).where(frame.notna(), None)
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in view.to_numpy()]
    return "\n".join([header, rule, *body])
