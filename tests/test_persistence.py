"""Saving and loading fitted models: exact round trips, atomic writes, and rejection of damaged files."""

import json
import os

import numpy as np
import pytest
from sklearn.decomposition import PCA

from gmmlab.generative import GMMImageGenerator
from gmmlab.mixture import COVARIANCE_TYPES, GaussianMixture
from gmmlab.persistence import FORMAT_VERSION, ModelFileError, atomic_path, load_model, save_model
from helpers import blobs


@pytest.fixture(scope="module")
def data():
    return blobs(seed=0, d=4)


def _fit(X, covariance_type="full", k=3):
    return GaussianMixture(n_components=k, covariance_type=covariance_type, random_state=0).fit(X)


def _read(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _write(path, arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _edit_metadata(path, **changes):
    arrays = _read(path)
    meta = json.loads(str(arrays["metadata_json"]))
    meta.update(changes)
    arrays["metadata_json"] = np.array(json.dumps(meta))
    _write(path, arrays)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_round_trip_gives_identical_results(tmp_path, data, covariance_type):
    gm = _fit(data, covariance_type)
    path = save_model(gm, tmp_path / "model.npz")
    model, pca, meta = load_model(path)
    assert pca is None
    assert isinstance(model, GaussianMixture)
    np.testing.assert_array_equal(model.predict(data), gm.predict(data))
    np.testing.assert_array_equal(model.predict_proba(data), gm.predict_proba(data))
    np.testing.assert_array_equal(model.score_samples(data), gm.score_samples(data))
    assert model.bic(data) == gm.bic(data)
    np.testing.assert_array_equal(model.sample(50, random_state=3)[0], gm.sample(50, random_state=3)[0])
    assert model.get_params() == gm.get_params()
    assert (model.converged_, model.n_iter_, model.lower_bound_) == (gm.converged_, gm.n_iter_, gm.lower_bound_)
    assert meta["covariance_type"] == covariance_type
    assert (meta["n_components"], meta["n_features"], meta["pca_present"]) == (3, 4, False)
    assert meta["format_version"] == FORMAT_VERSION


def test_round_trip_with_pca(tmp_path, data):
    X = np.hstack([data, data @ np.random.RandomState(1).normal(size=(4, 6))])
    pca = PCA(n_components=3, random_state=0).fit(X)
    Z = pca.transform(X)
    gm = _fit(Z, "tied")
    model, pca2, meta = load_model(save_model(gm, tmp_path / "m.npz", pca=pca))
    np.testing.assert_array_equal(pca2.transform(X), Z)
    np.testing.assert_array_equal(pca2.inverse_transform(Z), pca.inverse_transform(Z))
    np.testing.assert_array_equal(model.predict(pca2.transform(X)), gm.predict(Z))
    assert meta["pca_present"] and meta["pca"]["n_features"] == 10


def test_round_trip_of_an_image_generator(tmp_path):
    rng = np.random.RandomState(0)
    prototypes = rng.uniform(size=(3, 64))
    images = np.clip(prototypes[rng.randint(3, size=300)] + rng.normal(scale=0.1, size=(300, 64)), 0, 1)
    generator = GMMImageGenerator(n_pca_components=5, n_components=3, subsample_size=200,
                                  n_components_range=range(1, 6), random_state=0).fit(images)
    model, pca, meta = load_model(save_model(generator, tmp_path / "generator.npz"))
    assert isinstance(model, GMMImageGenerator) and meta["model_class"] == "GMMImageGenerator"
    assert pca is model.pca_
    assert model.get_params() == generator.get_params()
    assert model.image_shape_ == (8, 8)
    np.testing.assert_array_equal(model.subsample_indices_, generator.subsample_indices_)
    np.testing.assert_array_equal(model.sample(20, random_state=1)[0], generator.sample(20, random_state=1)[0])
    np.testing.assert_array_equal(model.sample_component(2, 5, random_state=1),
                                  generator.sample_component(2, 5, random_state=1))
    np.testing.assert_array_equal(model.predict(images), generator.predict(images))
    np.testing.assert_array_equal(model.score_samples(images, space="pixels"),
                                  generator.score_samples(images, space="pixels"))
    with pytest.raises(ValueError, match="own PCA"):
        save_model(generator, tmp_path / "other.npz", pca=generator.pca_)


def test_save_leaves_no_temporary_file_and_replaces_old_one(tmp_path, data):
    path = tmp_path / "model.npz"
    save_model(_fit(data, k=2), path)
    save_model(_fit(data, k=3), path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert load_model(path).model.n_components == 3


def test_interrupted_save_keeps_old_file_and_leaves_nothing(tmp_path, data, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(_fit(data, k=2), path)
    before = path.read_bytes()

    def broken_savez(fh, **arrays):
        fh.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(KeyboardInterrupt):
        save_model(_fit(data, k=3), path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == before


def test_atomic_path_removes_temporary_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_save_rejects_bad_input(tmp_path, data):
    with pytest.raises(ValueError, match="not fitted"):
        save_model(GaussianMixture(2), tmp_path / "m.npz")
    with pytest.raises(TypeError, match="GaussianMixture"):
        save_model(PCA(2).fit(data), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="components"):
        save_model(_fit(data), tmp_path / "m.npz", pca=PCA(2).fit(data))
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def full_model(data):
    return _fit(data, "full")


@pytest.fixture
def saved(tmp_path, full_model):
    return save_model(full_model, tmp_path / "model.npz")


def _assert_rejected(path, match):
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_rejects_wrong_format_version(saved):
    _edit_metadata(saved, format_version=FORMAT_VERSION + 1)
    _assert_rejected(saved, "format version")


def test_rejects_missing_array(saved):
    arrays = _read(saved)
    del arrays["precisions_cholesky"]
    _write(saved, arrays)
    _assert_rejected(saved, "missing array.*precisions_cholesky")


def test_rejects_unexpected_array(saved):
    arrays = _read(saved)
    arrays["extra"] = np.zeros(3)
    _write(saved, arrays)
    _assert_rejected(saved, "unexpected array.*extra")


def test_rejects_shape_mismatch(saved):
    arrays = _read(saved)
    arrays["means"] = arrays["means"][:, :2]
    _write(saved, arrays)
    _assert_rejected(saved, r"means has shape \(3, 2\), expected \(3, 4\)")


def test_rejects_covariance_type_not_matching_arrays(saved):
    arrays = _read(saved)
    meta = json.loads(str(arrays["metadata_json"]))
    meta["covariance_type"] = meta["params"]["covariance_type"] = "diag"
    arrays["metadata_json"] = np.array(json.dumps(meta))
    _write(saved, arrays)
    _assert_rejected(saved, "covariance_type 'diag'")


def test_rejects_modified_values(saved):
    arrays = _read(saved)
    arrays["means"] = arrays["means"] + 1.0
    _write(saved, arrays)
    _assert_rejected(saved, "checksum")


def test_rejects_wrong_dtype(saved):
    arrays = _read(saved)
    arrays["weights"] = np.array(["a", "b", "c"])
    _write(saved, arrays)
    _assert_rejected(saved, "weights has dtype")


def test_rejects_unknown_covariance_type(saved):
    _edit_metadata(saved, covariance_type="banana")
    _assert_rejected(saved, "banana")


def test_rejects_npz_without_metadata(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(2) / 2)
    _assert_rejected(path, "not written by gmmlab")


def test_rejects_non_npz_files(tmp_path):
    text = tmp_path / "model.npz"
    text.write_text("hello")
    _assert_rejected(text, "not an .npz")
    npy = tmp_path / "array.npy"
    np.save(npy, np.zeros(3))
    _assert_rejected(npy, "not an .npz")
    _assert_rejected(tmp_path / "nowhere.npz", "file not found")
    _assert_rejected(tmp_path, "directory")


def test_never_unpickles(saved):
    arrays = _read(saved)
    arrays["means"] = np.array([{"evil": 1}], dtype=object)
    with open(saved, "wb") as fh:
        np.savez(fh, **arrays)  # numpy pickles object arrays when saving
    _assert_rejected(saved, "pickled")


def test_rejects_garbled_metadata(saved):
    arrays = _read(saved)
    arrays["metadata_json"] = np.array("{not json")
    _write(saved, arrays)
    _assert_rejected(saved, "not valid JSON")
