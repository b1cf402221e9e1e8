"""A generator's whole assessment: the class histogram of its samples, held-out likelihood, and every measure in one
row (see :mod:`gmmlab.metrics`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state

from gmmlab._validation import check_images, check_int
from gmmlab.pipeline import exact_pca

from ._distances import _feature_pca, _same_width, frechet_distance, memorisation, ndb, precision_recall

__all__ = [
    "train_image_classifier",
    "class_histogram",
    "held_out_log_likelihood",
    "evaluate_samples",
    "evaluate_generator",
]


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
