"""Shared test helpers: seeded data and environment probes."""

import os
from pathlib import Path

import numpy as np

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def blobs(seed=0, n_per=(150, 100, 120), shift=0.0, d=3):
    """Three seeded, partly overlapping anisotropic Gaussian clusters."""
    rng = np.random.RandomState(seed)
    parts = []
    for i, n in enumerate(n_per):
        A = rng.normal(size=(d, d)) * (0.5 + 0.5 * i)
        parts.append(rng.normal(size=(n, d)) @ A + rng.normal(scale=4, size=d))
    return np.vstack(parts) + shift


def fashion_available():
    return Path(FASHION_DIR, "train-images-idx3-ubyte.gz").exists() or bool(os.environ.get("GMMLAB_DATA_DIR"))
