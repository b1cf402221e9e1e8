"""The command line's inputs: argument types (one-line errors) and the DATA argument (Fashion-MNIST, .npy, .csv)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

__all__ = ["UsageError", "load_data", "parse_k"]

_PROG = "gmmlab"
_DATA_HELP = (
    "fashion-mnist[:train|test][:N] (optionally only the first N images), a .npy file of shape "
    "(n_samples, n_features) or (n, height, width), or a .csv file of numbers (one row per sample)"
)


class UsageError(ValueError):
    """A bad command line: the message is printed as one line and the exit status is 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (``gmmlab: error: ...``) with a pointer to ``--help``."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{_PROG}: error: {message} (see '{self.prog} --help')\n")


# --------------------------------------------------------------------------------------------------------------
# argument values
# --------------------------------------------------------------------------------------------------------------


def parse_k(text: str) -> list[int]:
    """Parse a number-of-components grid: ``"5"``, ``"1:30"`` (inclusive), ``"2:30:2"`` or ``"2,4,8"``.

    Raises
    ------
    argparse.ArgumentTypeError
        If the text is not such a grid or a value is below 1.
    """
    try:
        if ":" in text:
            parts = [int(p) for p in text.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] < 1):
                raise ValueError
            values = list(range(parts[0], parts[1] + 1, parts[2] if len(parts) == 3 else 1))
        else:
            values = [int(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid K grid {text!r}; use a number (5), an inclusive range (1:30, 2:30:2) or a list (2,4,8)"
        ) from None
    from gmmlab._validation import check_n_components_grid

    try:
        return check_n_components_grid(values, name="K")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"invalid K grid {text!r}: {error}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"the seed must be in [0, 2**32), got {value}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer (-1 for all cores), got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"--jobs must be a positive integer or -1 (all cores), got {value}")
    return value


def _pca(text: str) -> int | float:
    """An int >= 1 (components) or a float in (0, 1) (share of the variance to keep)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value.is_integer() and value >= 1:
        return int(value)
    if 0 < value < 1:
        return value
    raise argparse.ArgumentTypeError(
        f"--pca takes a number of components (>= 1) or a share of variance in (0, 1), got {text!r}"
    )


def _covariances(text: str) -> list[str]:
    from gmmlab._validation import check_covariance_types

    from gmmlab.mixture import MCLUST_MODEL_NAMES

    values = [v.strip() for v in text.split(",") if v.strip()]
    if values == ["mclust"]:  # shorthand for mclust's 14 models
        return list(MCLUST_MODEL_NAMES)
    try:
        return check_covariance_types(values, name="--covariance")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error} (comma-separated; 'mclust' for mclust's 14 models)") from None


def _covariance(text: str) -> str:
    from gmmlab._validation import check_covariance_types

    try:
        return check_covariance_types([text], name="--covariance")[0]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# --------------------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------------------


def load_data(spec: str, data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Load the ``DATA`` argument of ``gmmlab sweep``/``fit`` as a float array.

    Parameters
    ----------
    spec : str
        ``fashion-mnist[:train|test][:N]``, a ``.npy`` file or a ``.csv`` file of numbers.
    data_dir : str, optional
        Where Fashion-MNIST is (see :func:`gmmlab.data.locate_fashion_mnist`).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Images are flattened (Fashion-MNIST: 784 pixels in [0, 1]).
    labels : ndarray or None
        Fashion-MNIST class labels, None for files.

    Raises
    ------
    UsageError
        If the spec, the file or its content is not usable.
    """
    if spec.split(":")[0].lower() == "fashion-mnist":
        return _load_fashion(spec, data_dir)
    path = Path(spec)
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise UsageError(f"{spec}: unknown data; DATA is {_DATA_HELP}")
    if not path.is_file():
        raise UsageError(f"{spec}: file not found" if not path.exists() else f"{spec}: not a file")
    if suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise UsageError(f"{spec}: not a numeric .npy array ({str(exc).splitlines()[0]})") from None
        except OSError as exc:
            raise UsageError(f"{spec}: cannot read it as .npy ({exc})") from None
        if X.dtype.kind not in "biuf":
            raise UsageError(f"{spec}: holds {X.dtype} values; expected numbers")
        if X.ndim == 3:
            X = X.reshape(len(X), -1)
        if X.ndim != 2:
            raise UsageError(f"{spec}: has shape {X.shape}; expected (n_samples, n_features) or (n, height, width)")
        X = X.astype(np.float64)
    else:
        X = _read_csv(path, spec)
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise UsageError(f"{spec}: has shape {X.shape}; need at least 2 samples and 1 feature")
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        raise UsageError(f"{spec}: holds NaN or infinity (first at row {bad[0][0]}, column {bad[0][1]})")
    return X, None


def _read_csv(path: Path, spec: str) -> np.ndarray:
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        header = False
        try:
            [float(v) for v in first.split(",")]
        except ValueError:
            header = True  # a first line that is not numbers is taken as column names
        return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=int(header), dtype=np.float64)
    except UnicodeDecodeError:
        raise UsageError(f"{spec}: not a text .csv file") from None
    except ValueError as exc:
        raise UsageError(f"{spec}: not a .csv of numbers ({str(exc).splitlines()[0]})") from None


def _load_fashion(spec: str, data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    from gmmlab.data import load_fashion_mnist

    parts = spec.split(":")[1:]
    split, n = "train", None
    if parts and parts[0] in ("train", "test"):
        split = parts.pop(0)
    if parts:
        if len(parts) > 1 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise UsageError(f"{spec}: bad Fashion-MNIST spec; use fashion-mnist[:train|test][:N] with N >= 1")
        n = int(parts[0])
    images, labels = load_fashion_mnist(split, data_dir=data_dir, flatten=True, n_samples=n)
    return images.astype(np.float64), labels
