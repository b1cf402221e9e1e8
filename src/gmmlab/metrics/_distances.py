"""Distribution measures of generated images against real ones: NDB, memorisation, Frechet distance, precision and
recall (see :mod:`gmmlab.metrics`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy
from scipy.stats import norm
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state

from gmmlab._validation import check_float, check_images, check_int
from gmmlab.pipeline import fit_pca

__all__ = [
    "NDBResult",
    "ndb",
    "ndb_bins",
    "MemorisationResult",
    "memorisation",
    "nearest_neighbour_distances",
    "frechet_distance",
    "precision_recall",
]


def _same_width(owner: str, **arrays: np.ndarray) -> None:
    widths = {name: array.shape[1] for name, array in arrays.items()}
    if len(set(widths.values())) > 1:
        listed = ", ".join(f"{name} has {width}" for name, width in widths.items())
        raise ValueError(f"{owner}: the image sets must have the same number of pixels per image; {listed}.")


# ------------------------------------------------------------------------------------------------------- NDB


@dataclass(frozen=True, eq=False)
class NDBResult:
    """Outcome of :func:`ndb`.

    Attributes
    ----------
    ndb : int
        Number of bins whose share differs significantly between reference and query.
    n_bins : int
    ndb_over_k : float
        ``ndb / n_bins``: 0 for a perfect model; about ``alpha`` for an independent sample of the same data.
    js : float
        Jensen-Shannon divergence between the two bin histograms, in nats (natural log; at most ln 2).
    p_values : ndarray of shape (n_bins,)
        Two-sided p-value of the two-proportion z-test of each bin.
    reference_proportions, query_proportions : ndarray of shape (n_bins,)
        Share of each set that falls in each bin.
    different : ndarray of bool, shape (n_bins,)
        ``p_values < alpha``.
    """

    ndb: int
    n_bins: int
    ndb_over_k: float
    js: float
    p_values: np.ndarray
    reference_proportions: np.ndarray
    query_proportions: np.ndarray
    different: np.ndarray


def ndb(reference, query, n_bins: int = 100, alpha: float = 0.05, random_state=None, bins=None) -> NDBResult:
    """Number of statistically Different Bins between reference images and generated (query) images.

    The reference images are clustered by K-means into ``n_bins`` bins; every query image goes to the bin of its
    nearest centre. For each bin a two-proportion z-test (pooled standard error) compares the reference share
    with the query share; a bin differs when its two-sided p-value is below ``alpha`` (Richardson & Weiss 2018).

    Parameters
    ----------
    reference : array-like of shape (n_ref, height, width) or (n_ref, n_pixels)
        Real images (e.g. the test split), at least ``n_bins`` of them.
    query : array-like, same pixels per image
        Images to assess (e.g. samples of a generator).
    n_bins : int, default=100
    alpha : float, default=0.05
        Significance level of each per-bin test.
    random_state : int, RandomState instance or None
        Seeds the K-means.
    bins : fitted sklearn.cluster.KMeans, optional
        Bins already fitted on ``reference`` (see :func:`ndb_bins`), to compare several query sets with the same
        bins and skip the clustering; ``n_bins`` and ``random_state`` are then ignored.

    Returns
    -------
    NDBResult
    """
    owner = "ndb"
    R = check_images(reference, owner, "reference", dtype=np.float32)[0]
    Q = check_images(query, owner, "query", dtype=np.float32)[0]
    _same_width(owner, reference=R, query=Q)
    alpha = check_float("alpha", alpha, 0.0, owner, strict=True)
    if alpha >= 1:
        raise ValueError(f"{owner}: alpha must lie in (0, 1), got {alpha!r}.")
    if bins is None:
        bins = ndb_bins(R, n_bins=n_bins, random_state=random_state)
    elif not hasattr(bins, "cluster_centers_") or bins.cluster_centers_.shape[1] != R.shape[1]:
        raise ValueError(
            f"{owner}: bins must be a KMeans fitted on images with {R.shape[1]} pixels (see ndb_bins), "
            f"got {type(bins).__name__}."
        )
    n_bins = bins.cluster_centers_.shape[0]
    dtype = bins.cluster_centers_.dtype
    p = np.bincount(bins.predict(R.astype(dtype, copy=False)), minlength=n_bins) / R.shape[0]
    q = np.bincount(bins.predict(Q.astype(dtype, copy=False)), minlength=n_bins) / Q.shape[0]
    n_r, n_q = R.shape[0], Q.shape[0]
    pooled = (p * n_r + q * n_q) / (n_r + n_q)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_r + 1 / n_q))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (p - q) / se, 0.0)
    p_values = 2 * norm.sf(np.abs(z))
    different = p_values < alpha
    count = int(different.sum())
    return NDBResult(
        ndb=count,
        n_bins=n_bins,
        ndb_over_k=count / n_bins,
        js=_jensen_shannon(p, q),
        p_values=p_values,
        reference_proportions=p,
        query_proportions=q,
        different=different,
    )


def ndb_bins(reference, n_bins: int = 100, random_state=None) -> KMeans:
    """The NDB bins: K-means with ``n_bins`` clusters fitted on the flattened reference images.

    One k-means++ start (``n_init=1``, at most 100 Lloyd iterations): the bins only need to tile the reference
    data, not to be the best clustering. Pass the result to :func:`ndb` as ``bins`` to reuse it.
    """
    owner = "ndb_bins"
    R = check_images(reference, owner, "reference", dtype=np.float32)[0]
    n_bins = check_int("n_bins", n_bins, 2, owner)
    if n_bins > R.shape[0]:
        raise ValueError(f"{owner}: n_bins={n_bins} exceeds the {R.shape[0]} reference images; use fewer bins.")
    seed = check_random_state(random_state).randint(2**31 - 1)
    return KMeans(n_clusters=n_bins, n_init=1, max_iter=100, random_state=seed).fit(R)


def _jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.sum(xlogy(p, p) - xlogy(p, m))
        kl_q = np.sum(xlogy(q, q) - xlogy(q, m))
    return float(max(0.5 * (kl_p + kl_q), 0.0))


# ----------------------------------------------------------------------------------------------- memorisation


def nearest_neighbour_distances(queries, references, chunk_size: int = 2048) -> np.ndarray:
    """Euclidean distance from every query image to its nearest reference image.

    Exact brute force by chunked matrix products in float32 (``|a|^2 + |b|^2 - 2 a.b``), so 10,000 x 60,000
    Fashion-MNIST images take seconds; the float32 rounding is about 1e-3 on pixel distances of order 1-10.

    Parameters
    ----------
    queries : array-like of shape (n_q, ...) images
    references : array-like of shape (n_r, ...) images with the same pixels per image
    chunk_size : int, default=2048
        Query rows per block (memory is ``chunk_size * n_r`` floats).

    Returns
    -------
    ndarray of shape (n_q,)
    """
    owner = "nearest_neighbour_distances"
    Q = check_images(queries, owner, "queries", dtype=np.float32)[0].astype(np.float32, copy=False)
    R = check_images(references, owner, "references", dtype=np.float32)[0].astype(np.float32, copy=False)
    _same_width(owner, queries=Q, references=R)
    chunk_size = check_int("chunk_size", chunk_size, 1, owner)
    r_norms = np.einsum("ij,ij->i", R, R)
    out = np.empty(Q.shape[0], dtype=np.float64)
    for start in range(0, Q.shape[0], chunk_size):
        block = Q[start : start + chunk_size]
        squared = r_norms[None, :] - 2.0 * (block @ R.T)
        best = squared.min(axis=1) + np.einsum("ij,ij->i", block, block)
        out[start : start + chunk_size] = np.sqrt(np.maximum(best, 0.0))
    return out


@dataclass(frozen=True, eq=False)
class MemorisationResult:
    """Outcome of :func:`memorisation`.

    Attributes
    ----------
    ratio : float
        Median nearest-training-image distance of the generated images divided by that of the held-out test
        images. About 1: samples are as far from the training set as new real images; near 0: copies; above 1:
        samples lie away from every training image (e.g. blurry).
    near_copy_share : float
        Share of generated images closer to their nearest training image than ``threshold``.
    threshold : float
        The near-copy distance (by default the ``near_copy_quantile`` of the test-to-train distances).
    test_near_copy_share : float
        The same share for the test images (about ``near_copy_quantile`` by construction when the threshold is
        the default).
    generated_distances, test_distances : ndarray
        Nearest-training-image distance of every generated and every test image.
    """

    ratio: float
    near_copy_share: float
    threshold: float
    test_near_copy_share: float
    generated_distances: np.ndarray
    test_distances: np.ndarray


def memorisation(
    generated, train, test, near_copy_quantile: float = 0.01, threshold: float | None = None
) -> MemorisationResult:
    """Do generated images copy the training images? (the data-copying test of Meehan et al. 2020, simplified).

    Compares the distance from each generated image to its nearest training image with the same distance for
    held-out test images, which the model never saw.

    Parameters
    ----------
    generated : images generated by the model
    train : the images the model was fitted on (for a :class:`~gmmlab.generative.GMMImageGenerator`, the
        subsample ``images[generator.subsample_indices_]``; a superset also works)
    test : held-out real images
    near_copy_quantile : float in (0, 1), default=0.01
        When ``threshold`` is None, a generated image is a near-copy if it is closer to the training set than
        this quantile of the test images are.
    threshold : float, optional
        Explicit near-copy distance (in pixel units), overriding ``near_copy_quantile``.

    Returns
    -------
    MemorisationResult
    """
    owner = "memorisation"
    G = check_images(generated, owner, "generated", dtype=np.float32)[0]
    T = check_images(train, owner, "train", dtype=np.float32)[0]
    H = check_images(test, owner, "test", dtype=np.float32)[0]
    _same_width(owner, generated=G, train=T, test=H)
    if threshold is None:
        near_copy_quantile = check_float("near_copy_quantile", near_copy_quantile, 0.0, owner, strict=True)
        if near_copy_quantile >= 1:
            raise ValueError(f"{owner}: near_copy_quantile must lie in (0, 1), got {near_copy_quantile!r}.")
    else:
        threshold = check_float("threshold", threshold, 0.0, owner)
    generated_distances = nearest_neighbour_distances(G, T)
    test_distances = nearest_neighbour_distances(H, T)
    if threshold is None:
        threshold = float(np.quantile(test_distances, near_copy_quantile))
    test_median = float(np.median(test_distances))
    ratio = float(np.median(generated_distances)) / test_median if test_median > 0 else float("nan")
    return MemorisationResult(
        ratio=ratio,
        near_copy_share=float(np.mean(generated_distances < threshold)),
        threshold=float(threshold),
        test_near_copy_share=float(np.mean(test_distances < threshold)),
        generated_distances=generated_distances,
        test_distances=test_distances,
    )


# --------------------------------------------------------------------------------- feature-space distances


def _feature_pca(real: np.ndarray, n_pca_components: int, pca, owner: str) -> PCA:
    if pca is not None:
        if not hasattr(pca, "transform") or not hasattr(pca, "components_"):
            raise ValueError(f"{owner}: pca must be a fitted sklearn.decomposition.PCA, got {type(pca).__name__}.")
        return pca
    n_pca_components = check_int("n_pca_components", n_pca_components, 1, owner)
    limit = min(real.shape)
    if n_pca_components > limit:
        raise ValueError(
            f"{owner}: n_pca_components={n_pca_components} exceeds min(n_real, n_pixels) = {limit}; use fewer."
        )
    return fit_pca(real.astype(np.float64), n_pca_components)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(real, generated, n_pca_components: int = 50, pca=None) -> float:
    """Fréchet distance between Gaussians fitted to real and generated images in a fixed PCA feature space.

    ``||mu_r - mu_g||^2 + Tr(C_r + C_g - 2 (C_r C_g)^{1/2})``, the formula of FID, with the PCA of the real images
    (``n_pca_components`` components) as features instead of an Inception network, so it is cheap and needs no
    download; values are only comparable with the same feature space (pass ``pca`` to share one).

    Parameters
    ----------
    real, generated : images with the same pixels per image
    n_pca_components : int, default=50
    pca : fitted sklearn.decomposition.PCA, optional
        Feature space to use instead of fitting one on ``real``.

    Returns
    -------
    float
        Zero for identical sets; in squared pixel units of the feature space.

    Notes
    -----
    ``Tr((C_r C_g)^{1/2})`` is computed as the sum of square roots of the eigenvalues of the symmetric matrix
    ``C_r^{1/2} C_g C_r^{1/2}`` (same eigenvalues as ``C_r C_g``), with tiny negative round-off eigenvalues clipped
    to zero: no complex parts to discard, unlike a general ``scipy.linalg.sqrtm``.
    """
    owner = "frechet_distance"
    R = check_images(real, owner, "real", dtype=np.float32)[0]
    G = check_images(generated, owner, "generated", dtype=np.float32)[0]
    _same_width(owner, real=R, generated=G)
    if R.shape[0] < 2 or G.shape[0] < 2:
        raise ValueError(f"{owner}: need at least 2 images in each set to estimate a covariance.")
    features = _feature_pca(R, n_pca_components, pca, owner)
    A = features.transform(R).astype(np.float64)
    B = features.transform(G).astype(np.float64)
    mean_a, mean_b = A.mean(axis=0), B.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(A, rowvar=False))
    cov_b = np.atleast_2d(np.cov(B, rowvar=False))
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = float(np.sum(np.sqrt(np.clip(cross, 0.0, None))))
    distance = float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)
    return max(distance, 0.0)


def precision_recall(real, generated, k: int = 3, n_pca_components: int = 50, pca=None) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) in the PCA feature space of the real images.

    Around every real point draw the ball reaching its ``k``-th nearest real neighbour; precision is the share
    of generated points inside at least one real ball (fidelity). Recall is the converse with balls around the
    generated points (coverage of the real data).

    Parameters
    ----------
    real, generated : images with the same pixels per image, each more than ``k`` of them
    k : int, default=3
    n_pca_components : int, default=50
    pca : fitted sklearn.decomposition.PCA, optional

    Returns
    -------
    precision, recall : float
    """
    owner = "precision_recall"
    R = check_images(real, owner, "real", dtype=np.float32)[0]
    G = check_images(generated, owner, "generated", dtype=np.float32)[0]
    _same_width(owner, real=R, generated=G)
    k = check_int("k", k, 1, owner)
    if min(R.shape[0], G.shape[0]) <= k:
        raise ValueError(f"{owner}: each set needs more than k={k} images.")
    features = _feature_pca(R, n_pca_components, pca, owner)
    A = features.transform(R).astype(np.float64)
    B = features.transform(G).astype(np.float64)
    radii_a = _kth_neighbour_radius(A, k)
    radii_b = _kth_neighbour_radius(B, k)
    return _share_inside(B, A, radii_a), _share_inside(A, B, radii_b)


def _squared_distances(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    squared = np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", Y, Y)[None, :] - 2.0 * (X @ Y.T)
    return np.maximum(squared, 0.0)


def _kth_neighbour_radius(X: np.ndarray, k: int, chunk_size: int = 2048) -> np.ndarray:
    radii = np.empty(X.shape[0])
    for start in range(0, X.shape[0], chunk_size):
        squared = _squared_distances(X[start : start + chunk_size], X)
        # Column k of the sorted row: index 0 is the point itself (distance 0).
        radii[start : start + chunk_size] = np.sqrt(np.partition(squared, k, axis=1)[:, k])
    return radii


def _share_inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk_size: int = 2048) -> float:
    inside = np.empty(points.shape[0], dtype=bool)
    for start in range(0, points.shape[0], chunk_size):
        squared = _squared_distances(points[start : start + chunk_size], centres)
        inside[start : start + chunk_size] = (squared <= radii[None, :] ** 2).any(axis=1)
    return float(inside.mean())
