"""How good is a generative model of images? Measures that compare generated images with real ones.

- :func:`ndb`: Number of statistically Different Bins (Richardson & Weiss, "On GANs and GMMs", NeurIPS 2018):
  mode collapse and missing modes.
- :func:`memorisation`: are samples closer to the training images than fresh real images are (copies)?
- :func:`frechet_distance` and :func:`precision_recall`: distribution distance, fidelity and coverage in a fixed
  feature space (the PCA of the real images).
- :func:`class_histogram` with :func:`train_image_classifier`: which classes the samples look like.
- :func:`held_out_log_likelihood`, and :func:`evaluate_samples` / :func:`evaluate_generator` for all of them in one
  table.

Every function takes images as (n, height, width) or (n, n_pixels) arrays and flattens them; uint8 pixels are
divided by 255, float pixels are used as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import xlogy
from scipy.stats import norm
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state

from gmmlab._validation import check_float, check_images, check_int
from gmmlab.pipeline import exact_pca, fit_pca

__all__ = [
    "NDBResult",
    "ndb",
    "ndb_bins",
    "MemorisationResult",
    "memorisation",
    "nearest_neighbour_distances",
    "frechet_distance",
    "precision_recall",
    "train_image_classifier",
    "class_histogram",
    "held_out_log_likelihood",
    "evaluate_samples",
    "evaluate_generator",
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


# ------------------------------------------------------------------------------------------- class histogram


def train_image_classifier(train_images, train_labels, test_images, test_labels, random_state=0):
    """A PCA(50, whitened) + logistic-regression classifier of flattened images, and its test accuracy.

    Whitening makes L-BFGS converge in about 100 iterations instead of 400 (accuracy about 0.83 on
    Fashion-MNIST either way).

    Parameters
    ----------
    train_images, test_images : images (n, height, width) or (n, n_pixels)
    train_labels, test_labels : array-like of int
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    classifier : sklearn.pipeline.Pipeline
        Expects flattened images (n, n_pixels).
    test_accuracy : float
    """
    owner = "train_image_classifier"
    X = check_images(train_images, owner, "train_images", dtype=np.float32)[0]
    Xt = check_images(test_images, owner, "test_images", dtype=np.float32)[0]
    _same_width(owner, train_images=X, test_images=Xt)
    y, yt = np.asarray(train_labels), np.asarray(test_labels)
    if y.shape != (X.shape[0],) or yt.shape != (Xt.shape[0],):
        raise ValueError(
            f"{owner}: need one label per image; got {y.shape} labels for {X.shape[0]} train images and "
            f"{yt.shape} for {Xt.shape[0]} test images."
        )
    seed = check_random_state(random_state).randint(2**31 - 1)
    n_features = min(50, X.shape[1], X.shape[0])
    classifier = make_pipeline(
        exact_pca(n_features, whiten=True),
        LogisticRegression(max_iter=1000, random_state=seed),
    ).fit(X, y)
    return classifier, float(classifier.score(Xt, yt))


def class_histogram(generated, classifier, class_names: Sequence[str] | None = None) -> pd.Series:
    """Share of generated images that ``classifier`` assigns to each class.

    Parameters
    ----------
    generated : images (n, height, width) or (n, n_pixels)
    classifier : fitted classifier of flattened images predicting class indices (see
        :func:`train_image_classifier`)
    class_names : sequence of str, optional
        Name of each class index (e.g. :data:`gmmlab.data.FASHION_MNIST_CLASSES`); by default the classifier's
        ``classes_`` as text.

    Returns
    -------
    pandas.Series
        Indexed by class name, summing to 1.
    """
    G = check_images(generated, "class_histogram", "generated", dtype=np.float32)[0]
    predicted = np.asarray(classifier.predict(G)).astype(int)
    if class_names is None:
        class_names = [str(c) for c in range(int(np.max(getattr(classifier, "classes_", predicted))) + 1)]
    counts = np.bincount(predicted, minlength=len(class_names))[: len(class_names)]
    return pd.Series(counts / G.shape[0], index=list(class_names), name="share")


# --------------------------------------------------------------------------------------------------- summary


def held_out_log_likelihood(generator, images, space: str = "pca") -> float:
    """Mean log-likelihood per image of held-out images under ``generator`` (see its ``score_samples``).

    ``space="pca"`` is only comparable between generators with the same PCA; ``space="pixels"`` adds the
    discarded directions as isotropic noise and is comparable across numbers of principal components.
    """
    return float(generator.score(images, space=space))


def evaluate_samples(
    samples,
    train_images,
    test_images,
    test_labels=None,
    n_bins: int = 100,
    random_state=0,
    classifier=None,
    feature_pca=None,
    bins=None,
    class_names: Sequence[str] | None = None,
) -> dict:
    """Every sample-based measure of a set of images against the real test images.

    Parameters
    ----------
    samples : images to assess
    train_images : the images the model was fitted on (for memorisation)
    test_images : held-out real images: NDB bins, Fréchet feature space, precision/recall, memorisation baseline
    test_labels : labels of ``test_images``, to report the classifier's accuracy
    n_bins : int, default=100
    random_state : seeds the NDB bins
    classifier : fitted classifier of flattened images, optional (adds the class histogram)
    feature_pca : fitted PCA, optional
        Feature space for Fréchet distance and precision/recall; by default PCA(50) of ``test_images``.
    bins : fitted KMeans, optional
        NDB bins fitted on ``test_images`` (:func:`ndb_bins`); by default fitted here with ``n_bins`` and
        ``random_state``. Reusing one set of bins and one ``feature_pca`` makes several models comparable and
        saves the clustering.
    class_names : sequence of str, optional
        Names of the classifier's class indices (see :func:`class_histogram`).

    Returns
    -------
    dict
        ``ndb``, ``ndb_over_k``, ``js``, ``frechet_distance``, ``precision``, ``recall``, ``memorisation_ratio``,
        ``near_copy_share``, ``classifier_accuracy`` and, with a classifier, one ``share_<class>`` per class.
    """
    test = check_images(test_images, "evaluate_samples", "test_images", dtype=np.float32)[0]
    features = feature_pca if feature_pca is not None else _feature_pca(test, 50, None, "evaluate_samples")
    binned = ndb(test, samples, n_bins=n_bins, random_state=random_state, bins=bins)
    precision, recall = precision_recall(test, samples, pca=features)
    copies = memorisation(samples, train_images, test)
    row = {
        "ndb": binned.ndb,
        "ndb_over_k": binned.ndb_over_k,
        "js": binned.js,
        "frechet_distance": frechet_distance(test, samples, pca=features),
        "precision": precision,
        "recall": recall,
        "memorisation_ratio": copies.ratio,
        "near_copy_share": copies.near_copy_share,
        "classifier_accuracy": np.nan,
    }
    if classifier is not None:
        if test_labels is not None:
            row["classifier_accuracy"] = float(classifier.score(test, np.asarray(test_labels)))
        for name, share in class_histogram(samples, classifier, class_names).items():
            row[f"share_{name}"] = float(share)
    return row


def evaluate_generator(
    generator,
    train_images,
    test_images,
    test_labels=None,
    n_samples: int = 10000,
    n_bins: int = 100,
    random_state=0,
    classifier=None,
    train_labels=None,
    feature_pca=None,
    bins=None,
    class_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """All the measures of a fitted :class:`~gmmlab.generative.GMMImageGenerator` in one row.

    Parameters
    ----------
    generator : fitted GMMImageGenerator
    train_images : the images given to ``generator.fit``; memorisation uses the rows it was fitted on
        (``generator.subsample_indices_``)
    test_images, test_labels : held-out real images (the NDB reference) and their labels
    n_samples : int, default=10000
        Images drawn from the generator.
    n_bins : int, default=100
    random_state : int, default=0
        Seeds the samples and the NDB bins.
    classifier : fitted classifier of flattened images, optional
        Labels the samples; when None and ``train_labels`` is given, :func:`train_image_classifier` trains one.
    train_labels : labels of ``train_images``, optional
    feature_pca, bins : optional
        Shared feature space and NDB bins, see :func:`evaluate_samples`.
    class_names : sequence of str, optional
        Names of the classifier's class indices (see :func:`class_histogram`).

    Returns
    -------
    pandas.DataFrame
        One row: ``n_pca_components``, ``covariance_type``, ``n_components``, ``explained_variance``,
        ``held_out_log_likelihood`` (PCA space, per image), ``held_out_log_likelihood_pixels`` (all pixels,
        comparable across PCAs), then the columns of :func:`evaluate_samples`.
    """
    owner = "evaluate_generator"
    if not hasattr(generator, "gmm_"):
        raise ValueError(f"{owner}: generator must be a fitted GMMImageGenerator; call fit() first.")
    train = check_images(train_images, owner, "train_images", dtype=np.float32)[0]
    indices = generator.subsample_indices_
    if indices.size and indices.max() >= train.shape[0]:
        raise ValueError(
            f"{owner}: train_images has {train.shape[0]} images but the generator was fitted on rows up to "
            f"{indices.max()}; pass the same images given to fit()."
        )
    n_samples = check_int("n_samples", n_samples, 2, owner)
    if classifier is None and train_labels is not None and test_labels is not None:
        classifier, _ = train_image_classifier(train, train_labels, test_images, test_labels, random_state=0)
    samples, _ = generator.sample(n_samples, random_state=random_state)
    row = {
        "n_pca_components": generator.n_pca_components_,
        "covariance_type": generator.covariance_type,
        "n_components": generator.n_components_,
        "explained_variance": generator.explained_variance_,
        "held_out_log_likelihood": held_out_log_likelihood(generator, test_images),
        "held_out_log_likelihood_pixels": held_out_log_likelihood(generator, test_images, space="pixels"),
    }
    row.update(
        evaluate_samples(
            samples,
            train[indices],
            test_images,
            test_labels,
            n_bins=n_bins,
            random_state=random_state,
            classifier=classifier,
            feature_pca=feature_pca,
            bins=bins,
            class_names=class_names,
        )
    )
    return pd.DataFrame([row])
