"""Data for gmmlab: synthetic Gaussian mixtures with known truth, and Fashion-MNIST from local IDX files.

See :mod:`gmmlab.data.synthetic` and :mod:`gmmlab.data.fashion_mnist`.
"""

from gmmlab.data.fashion_mnist import (
    DEFAULT_DATA_DIR,
    ENV_VAR,
    FASHION_MNIST_CLASSES,
    FILES,
    MD5,
    MD5_DEBIAN,
    MD5_IDX,
    SPLITS,
    DataError,
    fashion_mnist_info,
    load_fashion_mnist,
    locate_fashion_mnist,
    read_idx,
)
from gmmlab.data.synthetic import PRESETS, GMMData, Preset, list_presets, make_gmm_data, make_preset

__all__ = [
    # synthetic
    "GMMData",
    "Preset",
    "PRESETS",
    "make_gmm_data",
    "make_preset",
    "list_presets",
    # fashion_mnist
    "DataError",
    "FASHION_MNIST_CLASSES",
    "DEFAULT_DATA_DIR",
    "ENV_VAR",
    "FILES",
    "MD5",
    "MD5_DEBIAN",
    "MD5_IDX",
    "SPLITS",
    "locate_fashion_mnist",
    "load_fashion_mnist",
    "read_idx",
    "fashion_mnist_info",
]
