"""Fashion-MNIST from local IDX files: locate, read, validate and describe them.

Nothing is downloaded. The files are looked up, in this order, in an explicit ``data_dir`` argument, in the
directory named by the environment variable ``GMMLAB_DATA_DIR``, and in Debian's
``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``). Each file may be gzip-compressed
(``name.gz``, as shipped) or raw IDX (``name``). Any missing, truncated or corrupt file raises
:class:`DataError`, whose message names the file, the problem and the fix.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
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

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Class names, indexed by label 0..9."""

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
"""Where Debian's ``dataset-fashion-mnist`` installs the files."""

ENV_VAR = "GMMLAB_DATA_DIR"
"""Environment variable naming a folder that holds the Fashion-MNIST files."""

SPLITS: tuple[str, ...] = ("train", "test")

FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
"""Split -> (images file name, labels file name), without the ``.gz`` suffix."""

MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
"""MD5 of the four ``.gz`` files as published by Zalando Research."""

MD5_DEBIAN: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "cf8536b0aa1a6ac5fa3f23001093305c",
    "train-labels-idx1-ubyte.gz": "10bea18fdb374794d4bb42e356e600c9",
    "t10k-images-idx3-ubyte.gz": "f78720b4224f21cce2f2ccf2d7a94c9a",
    "t10k-labels-idx1-ubyte.gz": "0d30e22e447f3c33dab9ed536400ac01",
}
"""MD5 of the ``.gz`` files as shipped by Debian's ``dataset-fashion-mnist`` 0.0~git20200523.55506a9-1.

Debian recompressed them (gzip header without the original file name, new timestamp), so they differ from
:data:`MD5` although they decompress to the same IDX data. Measured on the installed package.
"""

MD5_IDX: dict[str, str] = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
"""MD5 of the decompressed (raw IDX) files, independent of how they were compressed.

Measured on the files of Debian's ``dataset-fashion-mnist``.
"""

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_IMAGE_SHAPE = (28, 28)
_N_CLASSES = len(FASHION_MNIST_CLASSES)
_GZIP_MAGIC = b"\x1f\x8b"

# IDX type byte -> big-endian dtype of the payload.
_IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}

_ALL_FILE_NAMES = ", ".join(f"{name}.gz" for pair in FILES.values() for name in pair)
_FIX = (
    "Install it with `apt-get install dataset-fashion-mnist`, or pass data_dir=... / set "
    f"{ENV_VAR} to a folder holding {_ALL_FILE_NAMES} (gzip-compressed or raw IDX)."
)


class DataError(ValueError):
    """A data file is missing, truncated or corrupt.

    The message names the file, the problem and how to fix it.

    Parameters
    ----------
    path : str or Path
        The offending file or directory.
    problem : str
        What is wrong with it.

    Attributes
    ----------
    path : str
        The offending file or directory.
    problem : str
        What is wrong with it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}. {_FIX}")


# --------------------------------------------------------------------------------------------------------------
# locating
# --------------------------------------------------------------------------------------------------------------


def _check_split(split: str) -> str:
    if split not in FILES:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    return split


def _find_file(directory: Path, name: str) -> Path | None:
    """Return ``directory/name.gz`` or ``directory/name``, whichever exists (gz first)."""
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _candidate_dir(data_dir: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """Return the directory to use and a phrase saying where it came from."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), "data_dir argument"
    env = os.environ.get(ENV_VAR, "")
    if env:
        return Path(env).expanduser(), f"environment variable {ENV_VAR}"
    return Path(DEFAULT_DATA_DIR), "default Debian location"


def locate_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None, *, split: str | None = None
) -> Path:
    """Find the directory that holds the Fashion-MNIST files.

    The first location given wins, with no silent fallback: the ``data_dir`` argument if not None, else the
    environment variable ``GMMLAB_DATA_DIR`` if set and non-empty, else ``/usr/share/datasets/fashion-mnist``.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory to use instead of the environment variable and the default.
    split : {"train", "test"}, optional
        Only require the two files of this split; by default all four files must be there.

    Returns
    -------
    pathlib.Path
        The directory (each file in it is ``name.gz`` or raw ``name``).

    Raises
    ------
    DataError
        If the directory does not exist or lacks a required file.
    ValueError
        If ``split`` is not "train" or "test".
    """
    splits = SPLITS if split is None else (_check_split(split),)
    directory, origin = _candidate_dir(data_dir)
    if not directory.is_dir():
        raise DataError(directory, f"Fashion-MNIST directory (from the {origin}) does not exist")
    for s in splits:
        for name in FILES[s]:
            if _find_file(directory, name) is None:
                raise DataError(
                    directory / f"{name}.gz",
                    f"file not found (neither {name}.gz nor {name} is in {directory}, from the {origin})",
                )
    return directory


# --------------------------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """Read a file, decompressing it if it starts with the gzip magic bytes."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except IsADirectoryError:
        raise DataError(path, "is a directory, not an IDX file") from None
    except OSError as exc:
        raise DataError(path, f"cannot be read ({exc.strerror or exc})") from None
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(path, f"corrupt gzip data ({type(exc).__name__}: {exc}); the file is damaged") from None


def _parse_header(path: Path, data: bytes) -> tuple[int, str, tuple[int, ...], int]:
    """Return (magic, dtype, dims, header length) of an IDX byte string."""
    if len(data) < 4:
        raise DataError(path, f"too short for an IDX header ({len(data)} bytes); the file is truncated")
    (magic,) = struct.unpack(">i", data[:4])
    zero, type_code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or type_code not in _IDX_DTYPES or ndim < 1:
        raise DataError(
            path,
            f"bad IDX magic number {magic} (0x{magic & 0xFFFFFFFF:08X}); expected {IMAGES_MAGIC} for images or "
            f"{LABELS_MAGIC} for labels, so this is not an IDX file",
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(
            path, f"header declares {ndim} dimensions but the file ends after {len(data)} bytes; it is truncated"
        )
    dims = struct.unpack(f">{ndim}i", data[4:header_len])
    if any(n < 0 for n in dims):
        raise DataError(path, f"negative dimension in IDX header {dims}; the file is corrupt")
    return magic, _IDX_DTYPES[type_code], tuple(int(n) for n in dims), header_len


@functools.lru_cache(maxsize=8)
def _read_idx_cached(path_str: str, mtime_ns: int, size: int, expected_magic: int | None) -> np.ndarray:
    # mtime_ns and size are only part of the cache key, so a rewritten file is read again.
    path = Path(path_str)
    data = _read_bytes(path)
    magic, dtype, dims, header_len = _parse_header(path, data)
    if expected_magic is not None and magic != expected_magic:
        kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(expected_magic, "this kind of data")
        raise DataError(
            path,
            f"wrong IDX magic number {magic}: expected {expected_magic} ({kind}); is it the right file?",
        )
    itemsize = np.dtype(dtype).itemsize
    expected = int(np.prod(dims, dtype=np.int64)) * itemsize
    payload = len(data) - header_len
    if payload < expected:
        raise DataError(
            path,
            f"truncated: header says {' x '.join(map(str, dims))} items ({expected} bytes of data) "
            f"but only {payload} bytes follow",
        )
    if payload > expected:
        raise DataError(
            path,
            f"has {payload - expected} bytes more than its header ({' x '.join(map(str, dims))}) declares; "
            "the file is corrupt",
        )
    arr = np.frombuffer(data, dtype=dtype, count=expected // itemsize, offset=header_len).reshape(dims)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    arr.setflags(write=False)
    return arr


def _read_idx_shared(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Like :func:`read_idx` but returns the cached read-only array (no copy)."""
    p = Path(path)
    try:
        resolved = p.resolve()
        st = resolved.stat()
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except OSError as exc:
        raise DataError(p, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return _read_idx_cached(str(resolved), st.st_mtime_ns, st.st_size, expected_magic)
    except DataError as exc:
        # Report the path as the caller spelled it.
        raise DataError(p, exc.problem) from None


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw.

    Compression is detected by the gzip magic bytes (``1f 8b``), not by the file name. The big-endian header
    (magic number, then one int32 per dimension) is checked against the payload length.

    Parameters
    ----------
    path : str or path-like
        The file.
    expected_magic : int, optional
        If given (2051 for images, 2049 for labels), the file's magic number must equal it.

    Returns
    -------
    ndarray
        A new (writable) array of the header's shape, e.g. ``(count, rows, cols)`` uint8 for images and
        ``(count,)`` uint8 for labels, in native byte order.

    Raises
    ------
    DataError
        If the file is missing, not gzip/IDX, has a bad magic number, or is truncated or too long.
    """
    return _read_idx_shared(path, expected_magic).copy()


def _split_paths(directory: Path, split: str) -> tuple[Path, Path]:
    images_name, labels_name = FILES[split]
    images_path = _find_file(directory, images_name)
    labels_path = _find_file(directory, labels_name)
    assert images_path is not None and labels_path is not None  # guaranteed by locate_fashion_mnist
    return images_path, labels_path


def _check_n_samples(n_samples: object, available: int) -> int | None:
    if n_samples is None:
        return None
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be a positive integer or None, got {n_samples!r}.")
    if not 1 <= n_samples <= available:
        raise ValueError(
            f"n_samples must be between 1 and {available} (the split's size), got {n_samples}; "
            "pass n_samples=None for the whole split."
        )
    return int(n_samples)


def load_fashion_mnist(
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    normalize: bool = True,
    flatten: bool = False,
    n_samples: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of Fashion-MNIST.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    data_dir : str or path-like, optional
        Directory holding the files; see :func:`locate_fashion_mnist` for the lookup order.
    normalize : bool, default=True
        Return float32 pixels in [0, 1] (pixel / 255); otherwise the raw uint8 values.
    flatten : bool, default=False
        Return images as rows of 784 pixels instead of 28 x 28 arrays.
    n_samples : int, optional
        Keep only the first ``n_samples`` images (cheap, for tests and fast runs).

    Returns
    -------
    images : ndarray of shape (n, 28, 28) or (n, 784)
        float32 in [0, 1] if ``normalize`` else uint8.
    labels : ndarray of shape (n,), int64
        Class indices 0..9; names in :data:`FASHION_MNIST_CLASSES`.

    Raises
    ------
    DataError
        If a file is missing, truncated or corrupt, or images and labels disagree.
    ValueError
        If ``split`` or ``n_samples`` is invalid.

    Notes
    -----
    Decoded files are cached (keyed by path, modification time and size); the arrays returned are always
    fresh copies, so modifying them does not affect later calls.
    """
    _check_split(split)
    directory = locate_fashion_mnist(data_dir, split=split)
    images_path, labels_path = _split_paths(directory, split)
    images = _read_idx_shared(images_path, IMAGES_MAGIC)
    labels = _read_idx_shared(labels_path, LABELS_MAGIC)
    if images.shape[1:] != _IMAGE_SHAPE:
        raise DataError(
            images_path,
            f"images are {images.shape[1]} x {images.shape[2]}, but Fashion-MNIST images are 28 x 28; "
            "is it the right file?",
        )
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            images_path,
            f"holds {images.shape[0]} images but {labels_path} holds {labels.shape[0]} labels; "
            "the two files do not belong together",
        )
    if labels.size and int(labels.max()) >= _N_CLASSES:
        raise DataError(labels_path, f"has label {int(labels.max())}, but classes are 0..{_N_CLASSES - 1}")

    n = _check_n_samples(n_samples, images.shape[0])
    images = images[:n]
    labels = labels[:n]
    if normalize:
        out = images.astype(np.float32)
        out *= np.float32(1.0 / 255.0)
    else:
        out = images.copy()
    if flatten:
        out = out.reshape(out.shape[0], -1)
    return out, labels.astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# description
# --------------------------------------------------------------------------------------------------------------


def _content_md5(arr: np.ndarray, magic: int) -> str:
    """MD5 of the raw IDX bytes, rebuilt from a validated uint8 array (header + payload)."""
    h = hashlib.md5(struct.pack(f">{1 + arr.ndim}i", magic, *arr.shape))
    h.update(np.ascontiguousarray(arr).data)
    return h.hexdigest()


def fashion_mnist_info(data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Describe the four Fashion-MNIST files: size, checksums and contents.

    Missing or corrupt files do not raise: they are reported in the ``error`` field, so this can back a
    ``gmmlab data info`` command.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Directory to inspect; same lookup order as :func:`locate_fashion_mnist`.

    Returns
    -------
    list of dict
        One dict per file (train images, train labels, test images, test labels) with keys:

        - ``split``: "train" or "test"; ``kind``: "images" or "labels"
        - ``name``: file name found (``.gz`` or raw); ``path``: full path as str, or None if missing
        - ``exists``: bool; ``compressed``: bool (gzip magic bytes present), None if missing
        - ``size_bytes``: size on disk
        - ``md5``: MD5 of the file as stored; ``md5_expected``: the published MD5 of the ``.gz``
        - ``md5_ok``: True if ``md5`` is a known-good sum: the published one (:data:`MD5`), Debian's
          recompressed one (:data:`MD5_DEBIAN`) or, for a raw file, the IDX one (:data:`MD5_IDX`)
        - ``md5_match``: which of those matched: "published", "debian", "idx" or None
        - ``content_md5``: MD5 of the decompressed IDX data; ``content_ok``: it equals :data:`MD5_IDX`
        - ``n_items``: number of images or labels; ``shape``: the full array shape
        - ``ok``: True when the file reads without error and its decompressed content is the known one
        - ``error``: the :class:`DataError` message, or None

    Notes
    -----
    Debian's package ships recompressed ``.gz`` files whose MD5 differs from the published one; the data
    inside is checked by ``content_md5``, which does not depend on the compression.
    """
    directory, _ = _candidate_dir(data_dir)
    rows: list[dict[str, Any]] = []
    for split in SPLITS:
        for kind, name, magic in zip(("images", "labels"), FILES[split], (IMAGES_MAGIC, LABELS_MAGIC)):
            path = _find_file(directory, name) if directory.is_dir() else None
            row: dict[str, Any] = {
                "split": split,
                "kind": kind,
                "name": f"{name}.gz" if path is None else path.name,
                "path": None if path is None else str(path),
                "exists": path is not None,
                "compressed": None,
                "size_bytes": None,
                "md5": None,
                "md5_expected": MD5[f"{name}.gz"],
                "md5_ok": False,
                "md5_match": None,
                "content_md5": None,
                "content_ok": False,
                "n_items": None,
                "shape": None,
                "ok": False,
                "error": None,
            }
            rows.append(row)
            if path is None:
                row["error"] = str(DataError(directory / f"{name}.gz", "file not found"))
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:
                row["error"] = str(DataError(path, f"cannot be read ({exc.strerror or exc})"))
                continue
            row["size_bytes"] = len(raw)
            row["compressed"] = raw[:2] == _GZIP_MAGIC
            md5 = hashlib.md5(raw).hexdigest()
            del raw
            row["md5"] = md5
            known = (
                {"published": MD5[f"{name}.gz"], "debian": MD5_DEBIAN[f"{name}.gz"]}
                if row["compressed"]
                else {"idx": MD5_IDX[name]}
            )
            row["md5_match"] = next((src for src, ref in known.items() if ref == md5), None)
            row["md5_ok"] = row["md5_match"] is not None
            try:
                arr = _read_idx_shared(path, magic)
            except DataError as exc:
                row["error"] = str(exc)
                continue
            row["n_items"] = int(arr.shape[0])
            row["shape"] = tuple(int(s) for s in arr.shape)
            row["content_md5"] = _content_md5(arr, magic)
            row["content_ok"] = row["content_md5"] == MD5_IDX[name]
            row["ok"] = row["content_ok"]
    return rows
