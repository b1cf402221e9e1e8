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

from ._distances import (
    MemorisationResult,
    NDBResult,
    frechet_distance,
    memorisation,
    ndb,
    ndb_bins,
    nearest_neighbour_distances,
    precision_recall,
)
from ._evaluation import (
    class_histogram,
    evaluate_generator,
    evaluate_samples,
    held_out_log_likelihood,
    train_image_classifier,
)

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
