import numpy as np
import plotly.graph_objects as go
import pytest

from gmmlab.data import make_preset
from gmmlab.kmeans import TracedKMeans
from gmmlab.mixture import GaussianMixture
from gmmlab.plotting.interactive import animate_evolution


@pytest.fixture(scope="module")
def data():
    return make_preset("elongated", n_samples=400, random_state=0)


@pytest.fixture(scope="module")
def gmm_history(data):
    gm = GaussianMixture(3, random_state=0, n_init=2, init_params="k-means++", record_history=True)
    return gm.fit(data.X).history_


def test_one_frame_per_record_and_a_slider_step_per_frame(gmm_history, data):
    figure = animate_evolution(gmm_history, data.X)
    assert isinstance(figure, go.Figure)
    records = gmm_history.best()
    assert len(figure.frames) == len(records)
    steps = figure.layout.sliders[0].steps
    assert len(steps) == len(figure.frames)
    assert [s.args[0][0] for s in steps] == [f.name for f in figure.frames] == [str(r.iteration) for r in records]
    assert [b.label for b in figure.layout.updatemenus[0].buttons] == ["Play", "Pause"]


def test_frames_hold_each_iterations_means_ellipses_and_objective(gmm_history, data):
    figure = animate_evolution(gmm_history, data.X, restart=0)
    records = gmm_history.restart(0)
    n_traces = len(figure.data)
    assert n_traces == 2 + 3 + 2  # points, means, one ellipse trace per component, objective curve, current marker
    np.testing.assert_allclose(figure.data[-2].y, [r.objective for r in records])
    for frame, record in zip(figure.frames, records):
        assert max(frame.traces) < n_traces
        means = frame.data[1]
        np.testing.assert_allclose(np.c_[means.x, means.y], record.means)
        assert frame.data[-1].y == (record.objective,)
        # Colour = most probable component, opacity grows with its responsibility.
        np.testing.assert_array_equal(frame.data[0].marker.color, record.labels)
        np.testing.assert_allclose(frame.data[0].marker.opacity, 0.15 + 0.8 * record.responsibilities.max(axis=1), rtol=1e-6)
        # Each ellipse trace holds the 1- and 2-sd curves; the 2-sd one reaches twice as far from the mean.
        xs = np.array([v for v in frame.data[2].x if v is not None], dtype=float)
        ys = np.array([v for v in frame.data[2].y if v is not None], dtype=float)
        reach = np.hypot(xs - record.means[0, 0], ys - record.means[0, 1])
        half = reach.size // 2
        assert np.nanmax(reach[half:]) == pytest.approx(2 * np.nanmax(reach[:half]), rel=1e-3)  # float32 coordinates
    # The assignment changes over the iterations, so do the colours.
    assert not np.array_equal(figure.frames[0].data[0].marker.color, figure.frames[-1].data[0].marker.color)


def test_kmeans_animation_and_point_cap(data):
    km = TracedKMeans(3, random_state=0).fit(data.X)
    figure = animate_evolution(km.history_, data.X, max_points=150)
    assert len(figure.frames) == len(km.history_.best())
    assert len(figure.data) == 4  # no ellipses for KMeans
    assert len(figure.data[0].x) == 150
    shown = figure.data[0]
    rows = [int(np.flatnonzero((data.X[:, 0] == x) & (data.X[:, 1] == y))[0]) for x, y in zip(shown.x, shown.y)]
    for frame, record in zip(figure.frames, km.history_.best()):
        np.testing.assert_array_equal(frame.data[0].marker.color, record.labels[rows])


def test_static_html_export_is_self_contained(gmm_history, data, tmp_path):
    figure = animate_evolution(gmm_history, data.X, max_points=100)
    path = tmp_path / "evolution.html"
    figure.write_html(path, include_plotlyjs=True, auto_play=False)
    html = path.read_text(encoding="utf-8")
    assert '<script src="https://cdn.plot.ly' not in html
    assert "Plotly.newPlot" in html and '"frames"' in html or "addFrames" in html
    assert len(html) > 1_000_000  # plotly.js itself is inlined


def test_an_initial_state_far_below_the_rest_is_left_off_the_objective_axis(gmm_history, data):
    objectives = gmm_history.objectives(0)
    assert objectives[0] < objectives[1:].min() - 100  # a k-means++ start: one point per component
    figure = animate_evolution(gmm_history, data.X, restart=0)
    low, high = figure.layout.yaxis2.range
    assert low <= objectives[1:].min() and high >= objectives[1:].max() and low > objectives[0]
    assert "off scale" in figure.layout.annotations[0].text


def test_validation(gmm_history, data):
    with pytest.raises(ValueError, match="restart"):
        animate_evolution(gmm_history, data.X, restart=7)
    with pytest.raises(ValueError, match="max_points"):
        animate_evolution(gmm_history, data.X, max_points=0)
    with pytest.raises(ValueError, match="no records"):
        from gmmlab.history import History

        animate_evolution(History(model="gmm", objective_name="log_likelihood"), data.X)
