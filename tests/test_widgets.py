import matplotlib

matplotlib.use("Agg")

import ipywidgets
import numpy as np
import pytest

from gmmlab.data import make_preset
from gmmlab.kmeans import TracedKMeans
from gmmlab.mixture import GaussianMixture
from gmmlab.plotting.static import _record_assignments
from gmmlab.plotting.widgets import evolution_widget


@pytest.fixture(scope="module")
def data():
    return make_preset("elongated", n_samples=300, random_state=0)


def controls(widget):
    row, image = widget.children
    dropdown, play, slider = row.children
    return dropdown, play, slider, image


def test_gmm_widget_slider_spans_the_iterations_and_redraws(data):
    gm = GaussianMixture(3, random_state=0, n_init=2, init_params="random_from_data", record_history=True).fit(data.X)
    widget = evolution_widget(gm.history_, data.X)
    assert isinstance(widget, ipywidgets.VBox)
    dropdown, play, slider, image = controls(widget)
    kept = gm.history_.best()
    assert dropdown.value == gm.history_.best_restart
    assert slider.max == kept[-1].iteration == gm.n_iter_
    assert play.max == slider.max
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
    first = image.value
    slider.value = slider.max
    assert image.value != first
    # Switching restart resets the slider's range to that restart's iterations.
    other = next(r for r in range(2) if r != gm.history_.best_restart)
    dropdown.value = other
    assert slider.max == gm.history_.restart(other)[-1].iteration


def test_kmeans_widget(data):
    km = TracedKMeans(3, init="random", n_init=2, random_state=0).fit(data.X)
    widget = evolution_widget(km.history_, data.X, restart=1)
    dropdown, _, slider, image = controls(widget)
    assert dropdown.value == 1
    assert slider.max == km.history_.restart(1)[-1].iteration
    before = image.value
    slider.value = 1
    assert image.value != before


def test_assignments_are_recomputed_when_the_history_did_not_keep_them(data):
    kept = GaussianMixture(
        3, covariance_type="tied", init_params="random_from_data", random_state=0, record_history=True
    ).fit(data.X).history_
    lean = GaussianMixture(
        3, covariance_type="tied", init_params="random_from_data", random_state=0, record_history=True,
        history_max_cells=0,
    ).fit(data.X).history_
    assert lean.records[1].responsibilities is None
    for stored, bare in zip(kept.best(), lean.best()):
        labels_stored, resp_stored = _record_assignments(kept, stored, data.X)
        labels_bare, resp_bare = _record_assignments(lean, bare, data.X)
        np.testing.assert_allclose(resp_bare, resp_stored, atol=1e-8)
        np.testing.assert_array_equal(labels_bare, labels_stored)
    widget = evolution_widget(lean, data.X)
    _, _, slider, image = controls(widget)
    before = image.value
    slider.value = slider.max
    assert image.value != before


def test_kmeans_labels_recomputed_are_the_nearest_centres(data):
    kept = TracedKMeans(3, random_state=0).fit(data.X).history_
    lean = TracedKMeans(3, random_state=0, history_max_cells=0).fit(data.X).history_
    for stored, bare in zip(kept.best(), lean.best()):
        np.testing.assert_array_equal(_record_assignments(lean, bare, data.X)[0], stored.labels)


def test_widget_validation(data):
    gm = GaussianMixture(3, random_state=0, init_params="k-means++", record_history=True).fit(data.X)
    with pytest.raises(ValueError, match="restart"):
        evolution_widget(gm.history_, data.X, restart=5)
    with pytest.raises(ValueError, match="features"):
        evolution_widget(gm.history_, np.c_[data.X, data.X])
    with pytest.raises(TypeError, match="History"):
        evolution_widget(gm, data.X)
