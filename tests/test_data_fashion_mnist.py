"""Tests for gmmlab.data.fashion_mnist: the real Debian files and small IDX files written here."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from gmmlab.data import (
    DEFAULT_DATA_DIR,
    FASHION_MNIST_CLASSES,
    FILES,
    MD5,
    DataError,
    fashion_mnist_info,
    load_fashion_mnist,
    locate_fashion_mnist,
    read_idx,
)

REAL_DIR = Path(DEFAULT_DATA_DIR)
HAVE_REAL = all((REAL_DIR / f"{name}.gz").is_file() for pair in FILES.values() for name in pair)
needs_real = pytest.mark.skipif(
    not HAVE_REAL,
    reason=f"Fashion-MNIST not installed in {DEFAULT_DATA_DIR} (apt-get install dataset-fashion-mnist)",
)
FIX_HINT = "apt-get install dataset-fashion-mnist"


@pytest.fixture(autouse=True)
def _no_env_dir(monkeypatch):
    """Tests start without GMMLAB_DATA_DIR, whatever the caller's environment."""
    monkeypatch.delenv("GMMLAB_DATA_DIR", raising=False)


# ---------------------------------------------------------------------------------------------------------------
# helpers: IDX files written by the tests
# ---------------------------------------------------------------------------------------------------------------


def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | arr.ndim
    return struct.pack(f">{1 + arr.ndim}i", magic, *arr.shape) + arr.tobytes()


def write_file(path: Path, data: bytes, compress: bool) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def make_split(rng, n: int, seed_offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) + seed_offset) % 10
    return images, labels.astype(np.uint8)


def write_dataset(folder: Path, *, compress: bool = True, n_train: int = 12, n_test: int = 5, seed: int = 0):
    """Write a tiny, valid Fashion-MNIST-shaped dataset; return {split: (images, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = make_split(rng, n, seed_offset=seed)
        img_name, lbl_name = FILES[split]
        suffix = ".gz" if compress else ""
        write_file(folder / f"{img_name}{suffix}", idx_bytes(images), compress)
        write_file(folder / f"{lbl_name}{suffix}", idx_bytes(labels), compress)
        out[split] = (images, labels)
    return out


def assert_data_error(exc_info, path: Path, *words: str):
    msg = str(exc_info.value)
    assert isinstance(exc_info.value, ValueError)
    assert str(path) in msg, msg
    assert FIX_HINT in msg and "GMMLAB_DATA_DIR" in msg and "data_dir=" in msg, msg
    for w in words:
        assert w in msg, (w, msg)


# ---------------------------------------------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------------------------------------------


def test_constants():
    assert FASHION_MNIST_CLASSES == (
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
    assert DEFAULT_DATA_DIR == "/usr/share/datasets/fashion-mnist"
    assert FILES["train"] == ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    assert FILES["test"] == ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    assert MD5["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert len(MD5) == 4
    assert issubclass(DataError, ValueError)


# ---------------------------------------------------------------------------------------------------------------
# real data
# ---------------------------------------------------------------------------------------------------------------


@needs_real
def test_real_locate_default():
    assert locate_fashion_mnist() == REAL_DIR


@needs_real
def test_real_train_full_shape_dtype_range():
    images, labels = load_fashion_mnist("train")
    assert images.shape == (60_000, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() == 1.0
    assert labels.shape == (60_000,) and labels.dtype == np.int64
    counts = np.bincount(labels, minlength=10)
    assert counts.tolist() == [6000] * 10


@needs_real
def test_real_test_split_raw_and_flat():
    images, labels = load_fashion_mnist("test", normalize=False, flatten=True, n_samples=500)
    assert images.shape == (500, 784) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() <= 9
    props = np.bincount(labels, minlength=10) / 500
    assert np.all(np.abs(props - 0.1) < 0.05)
    norm, _ = load_fashion_mnist("test", flatten=True, n_samples=500)
    np.testing.assert_allclose(norm, images / 255.0, atol=1e-6)
    full_images, full_labels = load_fashion_mnist("test", normalize=False)
    assert full_images.shape == (10_000, 28, 28)
    np.testing.assert_array_equal(full_images[:500].reshape(500, -1), images)
    np.testing.assert_array_equal(full_labels[:500], labels)


@needs_real
def test_real_info_header_counts_and_checksums():
    info = fashion_mnist_info()
    assert [(r["split"], r["kind"]) for r in info] == [
        ("train", "images"),
        ("train", "labels"),
        ("test", "images"),
        ("test", "labels"),
    ]
    assert [r["n_items"] for r in info] == [60_000, 60_000, 10_000, 10_000]
    assert info[0]["shape"] == (60_000, 28, 28)
    for r in info:
        assert r["exists"] and r["compressed"] and r["error"] is None
        assert r["size_bytes"] == Path(r["path"]).stat().st_size
        assert len(r["md5"]) == 32
        assert r["md5_expected"] == MD5[r["name"]]
        # The files decompress to the known IDX data whichever gzip wrapper they carry.
        assert r["content_ok"] and r["ok"], r
        assert r["md5_ok"] and r["md5_match"] in ("published", "debian")


@needs_real
def test_real_returns_copies_not_the_cache():
    a, la = load_fashion_mnist("test", normalize=False, n_samples=3)
    a[:] = 0
    la[:] = 0
    b, lb = load_fashion_mnist("test", normalize=False, n_samples=3)
    assert b.any() and lb.any()
    assert a.flags.writeable and b.flags.writeable


# ---------------------------------------------------------------------------------------------------------------
# small IDX files written here
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_read_idx_roundtrip(tmp_path, compress):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(4, 3, 5), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1], dtype=np.uint8)
    img = write_file(tmp_path / "img.idx", idx_bytes(images), compress)  # no .gz suffix on purpose
    lbl = write_file(tmp_path / "lbl.bin", idx_bytes(labels), compress)
    out = read_idx(img, expected_magic=2051)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.uint8 and out.flags.writeable
    np.testing.assert_array_equal(read_idx(lbl, expected_magic=2049), labels)
    out[:] = 0  # modifying the result must not corrupt the cache
    np.testing.assert_array_equal(read_idx(img), images)


def test_read_idx_multibyte_big_endian(tmp_path):
    values = np.array([[1, -2], [300000, 7]], dtype=">i4")
    data = struct.pack(">3i", 0x0C02, 2, 2) + values.tobytes()
    out = read_idx(write_file(tmp_path / "i4.idx", data, compress=False))
    np.testing.assert_array_equal(out, values.astype(np.int32))


def test_read_idx_sees_rewritten_file(tmp_path):
    path = tmp_path / "lbl.idx"
    write_file(path, idx_bytes(np.array([1, 2, 3])), compress=False)
    assert read_idx(path).tolist() == [1, 2, 3]
    write_file(path, idx_bytes(np.array([4, 5, 6, 7])), compress=True)
    assert read_idx(path).tolist() == [4, 5, 6, 7]


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_load_from_written_dataset(tmp_path, compress):
    truth = write_dataset(tmp_path / "fm", compress=compress)
    images, labels = load_fashion_mnist("train", data_dir=tmp_path / "fm", normalize=False)
    np.testing.assert_array_equal(images, truth["train"][0])
    np.testing.assert_array_equal(labels, truth["train"][1])
    assert labels.dtype == np.int64
    flat, _ = load_fashion_mnist("test", data_dir=str(tmp_path / "fm"), flatten=True, n_samples=3)
    assert flat.shape == (3, 784) and flat.dtype == np.float32
    np.testing.assert_allclose(flat, truth["test"][0][:3].reshape(3, -1) / 255.0, atol=1e-7)


def test_mixed_gz_and_raw_files(tmp_path):
    write_dataset(tmp_path, compress=True)
    # Replace one file by its raw form: name without .gz.
    lbl = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(lbl.read_bytes())
    lbl.unlink()
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw)
    _, labels = load_fashion_mnist("test", data_dir=tmp_path)
    assert labels.tolist() == [0, 1, 2, 3, 4]
    info = {(r["split"], r["kind"]): r for r in fashion_mnist_info(tmp_path)}
    raw_row = info[("test", "labels")]
    assert raw_row["name"] == "t10k-labels-idx1-ubyte" and raw_row["compressed"] is False
    assert raw_row["n_items"] == 5 and raw_row["error"] is None
    # Not the real data: checksums do not match, but the file is still described.
    assert raw_row["md5_ok"] is False and raw_row["content_ok"] is False and raw_row["ok"] is False


def test_bad_arguments(tmp_path):
    write_dataset(tmp_path)
    with pytest.raises(ValueError, match="split must be one of"):
        load_fashion_mnist("validation", data_dir=tmp_path)
    with pytest.raises(ValueError, match="between 1 and 12"):
        load_fashion_mnist("train", data_dir=tmp_path, n_samples=13)
    with pytest.raises(ValueError, match="n_samples"):
        load_fashion_mnist("train", data_dir=tmp_path, n_samples=0)


# ---------------------------------------------------------------------------------------------------------------
# lookup order
# ---------------------------------------------------------------------------------------------------------------


def test_env_var_lookup(tmp_path, monkeypatch):
    write_dataset(tmp_path / "env", seed=3)
    monkeypatch.setenv("GMMLAB_DATA_DIR", str(tmp_path / "env"))
    assert locate_fashion_mnist() == tmp_path / "env"
    _, labels = load_fashion_mnist("test")
    assert labels.tolist() == [3, 4, 5, 6, 7]


def test_data_dir_beats_env_var(tmp_path, monkeypatch):
    write_dataset(tmp_path / "env", seed=3)
    write_dataset(tmp_path / "arg", seed=6)
    monkeypatch.setenv("GMMLAB_DATA_DIR", str(tmp_path / "env"))
    assert locate_fashion_mnist(tmp_path / "arg") == tmp_path / "arg"
    _, labels = load_fashion_mnist("test", data_dir=tmp_path / "arg")
    assert labels.tolist() == [6, 7, 8, 9, 0]


def test_invalid_env_var_does_not_fall_back(tmp_path, monkeypatch):
    monkeypatch.setenv("GMMLAB_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as info:
        locate_fashion_mnist()
    assert_data_error(info, tmp_path / "nowhere", "does not exist", "environment variable GMMLAB_DATA_DIR")


@needs_real
def test_empty_env_var_means_default(monkeypatch):
    monkeypatch.setenv("GMMLAB_DATA_DIR", "")
    assert locate_fashion_mnist() == REAL_DIR


def test_locate_split_only_needs_its_files(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    assert locate_fashion_mnist(tmp_path, split="test") == tmp_path
    load_fashion_mnist("test", data_dir=tmp_path)
    with pytest.raises(DataError) as info:
        locate_fashion_mnist(tmp_path)
    assert_data_error(info, tmp_path / "train-images-idx3-ubyte.gz", "not found")


# ---------------------------------------------------------------------------------------------------------------
# missing and corrupt files
# ---------------------------------------------------------------------------------------------------------------


def test_missing_directory(tmp_path):
    with pytest.raises(DataError) as info:
        load_fashion_mnist(data_dir=tmp_path / "missing")
    assert_data_error(info, tmp_path / "missing", "does not exist", "data_dir argument")


def test_missing_file(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as info:
        load_fashion_mnist("train", data_dir=tmp_path)
    assert_data_error(info, tmp_path / "train-labels-idx1-ubyte.gz", "not found")
    with pytest.raises(DataError) as info:
        read_idx(tmp_path / "train-labels-idx1-ubyte.gz")
    assert_data_error(info, tmp_path / "train-labels-idx1-ubyte.gz", "not found")


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_truncated_payload(tmp_path, compress):
    write_dataset(tmp_path, compress=compress)
    name = "train-images-idx3-ubyte" + (".gz" if compress else "")
    path = tmp_path / name
    good = gzip.decompress(path.read_bytes()) if compress else path.read_bytes()
    write_file(path, good[:-100], compress)
    with pytest.raises(DataError) as info:
        load_fashion_mnist("train", data_dir=tmp_path)
    assert_data_error(info, path, "truncated", "9408 bytes", "9308")


def test_truncated_header(tmp_path):
    path = write_file(tmp_path / "short.idx", struct.pack(">ii", 2051, 5), compress=False)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert_data_error(info, path, "truncated")
    path = write_file(tmp_path / "tiny.idx", b"\x00\x00", compress=False)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert_data_error(info, path, "truncated")


def test_extra_bytes(tmp_path):
    path = write_file(tmp_path / "long.idx", idx_bytes(np.arange(5)) + b"\x00\x00", compress=False)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert_data_error(info, path, "2 bytes more")


@pytest.mark.parametrize("compress", [True, False], ids=["gz", "raw"])
def test_bad_magic(tmp_path, compress):
    path = write_file(tmp_path / "junk.idx", b"JUNKJUNKJUNKJUNKJUNK", compress)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert_data_error(info, path, "bad IDX magic", "2051")


def test_wrong_magic_for_kind(tmp_path):
    write_dataset(tmp_path)
    # A labels file where the images file should be.
    img = tmp_path / "t10k-images-idx3-ubyte.gz"
    img.write_bytes((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(DataError) as info:
        load_fashion_mnist("test", data_dir=tmp_path)
    assert_data_error(info, img, "wrong IDX magic number 2049", "expected 2051")


def test_wrong_image_size(tmp_path):
    write_dataset(tmp_path)
    img = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_file(img, idx_bytes(np.zeros((5, 32, 32))), compress=True)
    with pytest.raises(DataError) as info:
        load_fashion_mnist("test", data_dir=tmp_path)
    assert_data_error(info, img, "32 x 32", "28 x 28")


@pytest.mark.parametrize("damage", ["flipped-bytes", "cut-stream", "bad-header"])
def test_corrupt_gzip(tmp_path, damage):
    write_dataset(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    blob = bytearray(path.read_bytes())
    if damage == "flipped-bytes":
        for i in range(20, len(blob) - 20, 97):
            blob[i] ^= 0xFF
    elif damage == "cut-stream":
        blob = blob[: len(blob) // 2]
    else:
        blob[2] = 0x63  # unknown compression method, but still the gzip magic 1f 8b
    path.write_bytes(bytes(blob))
    with pytest.raises(DataError) as info:
        load_fashion_mnist("train", data_dir=tmp_path)
    assert_data_error(info, path, "corrupt gzip")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_count_mismatch_between_images_and_labels(tmp_path):
    write_dataset(tmp_path)
    lbl = tmp_path / "train-labels-idx1-ubyte.gz"
    write_file(lbl, idx_bytes(np.arange(11) % 10), compress=True)
    with pytest.raises(DataError) as info:
        load_fashion_mnist("train", data_dir=tmp_path)
    assert_data_error(info, tmp_path / "train-images-idx3-ubyte.gz", "12 images", "11 labels", str(lbl))


def test_label_out_of_range(tmp_path):
    write_dataset(tmp_path)
    lbl = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_file(lbl, idx_bytes(np.array([0, 1, 2, 3, 12])), compress=True)
    with pytest.raises(DataError) as info:
        load_fashion_mnist("test", data_dir=tmp_path)
    assert_data_error(info, lbl, "label 12")


def test_path_is_directory(tmp_path):
    (tmp_path / "d.idx").mkdir()
    with pytest.raises(DataError) as info:
        read_idx(tmp_path / "d.idx")
    assert_data_error(info, tmp_path / "d.idx")


def test_info_reports_problems_without_raising(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bnot really gzip")
    rows = {(r["split"], r["kind"]): r for r in fashion_mnist_info(tmp_path)}
    missing = rows[("test", "images")]
    assert missing["exists"] is False and missing["path"] is None and "not found" in missing["error"]
    corrupt = rows[("train", "labels")]
    assert corrupt["exists"] and corrupt["n_items"] is None and "corrupt gzip" in corrupt["error"]
    assert corrupt["size_bytes"] == 17 and corrupt["ok"] is False
    good = rows[("train", "images")]
    assert good["error"] is None and good["n_items"] == 12 and good["shape"] == (12, 28, 28)
    assert good["md5_ok"] is False and good["ok"] is False  # not the real Fashion-MNIST bytes
    nowhere = fashion_mnist_info(tmp_path / "nowhere")
    assert len(nowhere) == 4 and all(not r["exists"] and r["error"] for r in nowhere)
