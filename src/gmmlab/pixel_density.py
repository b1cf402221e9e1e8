"""Densities of 8-bit images on one scale: uniform dequantisation and bits per dimension.

An 8-bit image has integer pixels ``k in {0, ..., 255}``; a continuous density model is evaluated on the
dequantised pixels ``y = (k + u) / 256`` with ``u ~ U[0, 1)`` independent per pixel, so ``y`` lives in [0, 1)
and the model's density integrates to at most 1 over each integer cell: ``-log2`` of the probability of the
integer image is at most ``E_u[-log2 p(y)] + D log2 256``, the standard variational bound. The density of
``x = k + u`` in [0, 256)^D is ``p_[0,1](x / 256) / 256^D``, hence

    bits/dim = -(log p_[0,1](y) - D ln 256) / (D ln 2)

(natural logs; Theis, van den Oord & Bethge 2016; the convention of PixelCNN, Glow and the Fashion-MNIST
figures quoted in ``benchmarks/RESULTS.md``). gmmlab stores images as ``k / 255``; :func:`dequantize` recovers
``k`` by rounding, so the scale is exactly that convention. One draw of ``u`` per image (seeded) is used: the
reported number is a one-sample estimate of the bound, whose spread over draws is far below 0.01 bits/dim for
10,000 images of 784 pixels.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["dequantize", "bits_per_dim"]


def dequantize(images, random_state=None, dtype=np.float64) -> np.ndarray:
    """Uniformly dequantised pixels ``(round(255 x) + u) / 256`` of images ``x`` in [0, 1] (8-bit levels).

    Parameters
    ----------
    images : array-like of shape (n, ...) with values in [0, 1]
    random_state : int, RandomState instance or None
        Seeds the uniform noise ``u``.
    dtype : numpy dtype, default=float64

    Returns
    -------
    ndarray of shape (n, n_pixels), values in [0, 1)
    """
    X = np.asarray(images)
    X = X.reshape(X.shape[0], -1)
    if X.size and (X.min() < 0.0 or X.max() > 1.0):
        raise ValueError(
            f"dequantize: pixel values must lie in [0, 1] (8-bit levels k / 255), got values in "
            f"[{X.min():g}, {X.max():g}]. Fix: divide raw 0..255 pixels by 255."
        )
    rng = check_random_state(random_state)
    out = np.empty(X.shape, dtype=dtype)
    rows = max(1, 2**20 // max(X.shape[1], 1))  # by slices: no full-size float64 temporaries
    for start in range(0, X.shape[0], rows):
        stop = min(start + rows, X.shape[0])
        levels = np.rint(np.asarray(X[start:stop], dtype=np.float64) * 255.0)
        levels += rng.uniform(size=levels.shape)
        out[start:stop] = levels / 256.0
    return out


def bits_per_dim(log_density, n_dims: int) -> np.ndarray:
    """Bits per dimension of images from the log-density (nats) of their dequantised pixels in [0, 1)^D.

    ``bpd = -(log p_[0,1](y) - D ln 256) / (D ln 2)``; lower is better. Works element-wise on an array.
    """
    if isinstance(n_dims, bool) or not isinstance(n_dims, (int, np.integer)) or n_dims < 1:
        raise ValueError(f"bits_per_dim: n_dims must be a positive integer (pixels per image), got {n_dims!r}.")
    log_density = np.asarray(log_density, dtype=np.float64)
    return -(log_density - n_dims * np.log(256.0)) / (n_dims * np.log(2.0))
