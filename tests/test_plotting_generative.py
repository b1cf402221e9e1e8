"""Plots of generated images (figures only, no files) and the data-copying statistic."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from gmmlab.data_copying import data_copying_statistic
from gmmlab.metrics import ndb
from gmmlab.plotting import compare_sample_grids, plot_ndb_bins, plot_nearest_training


def _images(n, seed):
    return np.random.RandomState(seed).uniform(size=(n, 5, 5))


def test_compare_sample_grids_one_panel_per_model():
    fig = compare_sample_grids({"PCA-GMM": _images(9, 0), "MFA": _images(12, 1)}, n_rows=2, n_cols=3)
    assert isinstance(fig, Figure) and len(fig.subfigs) == 2
    assert [sf._suptitle.get_text() for sf in fig.subfigs] == ["PCA-GMM", "MFA"]
    with pytest.raises(ValueError, match="non-empty mapping"):
        compare_sample_grids({})


def test_nearest_training_pairs_each_sample_with_its_nearest_image():
    train = _images(30, 2)
    generated = train[[4, 7]] + 0.01
    fig = plot_nearest_training(generated, train, n_images=2)
    shown = [ax.images[0].get_array() for ax in fig.axes[2:]]  # the bottom row
    np.testing.assert_allclose(shown[0], train[4])
    np.testing.assert_allclose(shown[1], train[7])
    with pytest.raises(ValueError, match="generated images are"):
        plot_nearest_training(_images(2, 0), np.zeros((3, 4, 4)))


def test_ndb_bins_plot_marks_the_different_bins():
    real = _images(400, 3)
    generated = np.clip(_images(400, 4) * 0.5, 0, 1)  # darker: many bins differ
    result = ndb(real, generated, n_bins=10, random_state=0)
    fig = plot_ndb_bins(result)
    assert f"NDB/K = {result.ndb_over_k:.2f}" in fig.axes[0].get_title()
    assert len(fig.axes[0].collections[0].get_offsets()) == result.ndb
    with pytest.raises(ValueError, match="NDBResult"):
        plot_ndb_bins(None)


def test_data_copying_statistic_flags_copies_and_not_fresh_samples():
    rng = np.random.RandomState(0)
    train, test, fresh = rng.normal(size=(2000, 5)), rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5))
    copies = train[rng.choice(2000, 1000)] + 0.01 * rng.normal(size=(1000, 5))
    assert abs(data_copying_statistic(train, test, fresh, n_cells=5).statistic) < 3
    assert data_copying_statistic(train, test, copies, n_cells=5).statistic < -10
    spread = data_copying_statistic(train, test, 3 * rng.normal(size=(1000, 5)), n_cells=5)
    assert spread.statistic > 3 and spread.kept.sum() >= 1


def test_per_component_samples_work_for_the_mfa_route():
    import warnings

    from gmmlab import GMMImageGenerator
    from gmmlab.plotting import plot_component_samples

    rng = np.random.RandomState(0)
    images = np.round(np.clip(rng.uniform(size=(120, 1, 1)) * np.ones((120, 5, 5)) + 0.05 * rng.normal(
        size=(120, 5, 5)), 0, 1) * 255) / 255
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generator = GMMImageGenerator(model="mfa", n_components=3, n_factors=1, random_state=0).fit(images)
    fig = plot_component_samples(generator, n_per_component=4, random_state=0)
    assert len(fig.axes) == 3 * 5
