"""Image plots: grids, samples per component, and the offline 3-D view of a mixture."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gmmlab.generative import GMMImageGenerator
from gmmlab.mixture import GaussianMixture
from gmmlab.plotting.images import image_grid, plot_component_samples, plot_gmm_3d
from gmmlab.plotting.static import full_covariances


def shape_images(n=240, seed=0):
    rng = np.random.RandomState(seed)
    shapes = np.zeros((3, 8, 8))
    shapes[0, :, 3:5] = 0.9
    shapes[1, 3:5, :] = 0.9
    shapes[2, 1:7, 1:7] = 0.7
    labels = np.arange(n) % 3
    return np.clip(shapes[labels] + rng.normal(scale=0.1, size=(n, 8, 8)), 0, 1), labels


@pytest.fixture(scope="module")
def generator():
    images, labels = shape_images()
    gen = GMMImageGenerator(n_pca_components=5, n_components=3, covariance_type="full", subsample_size=None)
    return gen.set_params(random_state=0).fit(images, labels), images, labels


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_image_grid_layout_and_titles():
    images, _ = shape_images(23)
    fig = image_grid(images, n_cols=10, titles=[f"#{i}" for i in range(23)])
    shown = image_axes(fig)
    assert len(shown) == 23 and len(fig.axes) == 30  # 3 rows of 10, the last 7 cells empty
    assert [ax.get_title() for ax in shown[:2]] == ["#0", "#1"]
    np.testing.assert_array_equal(shown[5].images[0].get_array(), images[5])
    flat = image_grid(images.reshape(23, -1), n_cols=4)
    assert len(image_axes(flat)) == 23 and len(flat.axes) == 24


def test_image_grid_draws_into_a_given_figure():
    images, _ = shape_images(4)
    fig = plt.figure()
    assert image_grid(images, n_cols=2, fig=fig) is fig
    assert len(image_axes(fig)) == 4


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        (np.zeros((3, 10)), {}, "square number of pixels"),
        (np.zeros((0, 4, 4)), {}, "n >= 1"),
        (np.zeros((3, 4, 4)), {"n_cols": 0}, "n_cols"),
        (np.zeros((3, 4, 4)), {"titles": ["a"]}, "1 titles for 3 images"),
    ],
)
def test_image_grid_rejects_bad_input(images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_grid(images, **kwargs)


def test_component_samples_one_row_per_component(generator):
    gen, images, labels = generator
    composition = gen.component_composition(images, labels, class_names=("vertical", "horizontal", "square"))
    fig = plot_component_samples(gen, n_per_component=4, random_state=0, composition=composition)
    assert len(image_axes(fig)) == 3 * 5  # the mean, then 4 samples, per component
    row_labels = [text.get_text() for ax in fig.axes for text in ax.texts]
    assert len(row_labels) == 3
    for k, label in enumerate(row_labels):
        assert label.startswith(f"k={k}  w={gen.gmm_.weights_[k]:.2f}")
        assert composition["dominant_class"].iloc[k] in label
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), gen.component_means()[0])
    plain = plot_component_samples(gen, n_per_component=2)
    assert len(image_axes(plain)) == 3 * 3


def test_gmm_3d_traces_and_hover(generator):
    gen, images, labels = generator
    Z = gen.transform(images)
    fig = plot_gmm_3d(gen, Z, labels, n_std=(1, 2), class_names=("vertical", "horizontal", "square"))
    assert len(fig.data) == 3 + 3 * 2  # one scatter per class, two ellipsoids per component
    scatters = [t for t in fig.data if t.type == "scatter3d"]
    meshes = [t for t in fig.data if t.type == "mesh3d"]
    assert [t.name for t in scatters] == ["vertical", "horizontal", "square"]
    assert sum(len(t.x) for t in scatters) == len(images)
    assert len(meshes) == 6
    assert "component 0" in meshes[0].hovertext and f"{gen.gmm_.weights_[0]:.3f}" in meshes[0].hovertext
    scene = fig.layout.scene
    assert (scene.xaxis.title.text, scene.yaxis.title.text, scene.zaxis.title.text) == ("PC1", "PC2", "PC3")
    unlabelled = plot_gmm_3d(gen.gmm_, Z, n_std=1, max_points=50)
    assert len(unlabelled.data) == 1 + 3
    assert len(unlabelled.data[0].x) == 50


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_ellipsoids_are_the_marginal_on_the_first_three_dims(covariance_type):
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(150, 5)) @ rng.normal(size=(5, 5)), rng.normal(size=(150, 5)) + 6]
    gmm = GaussianMixture(n_components=2, covariance_type=covariance_type, random_state=0).fit(X)
    fig = plot_gmm_3d(gmm, X, n_std=(1, 2))
    covariances = full_covariances(gmm.covariances_, covariance_type, 2, 5)
    meshes = [t for t in fig.data if t.type == "mesh3d"]
    for index, mesh in enumerate(meshes):
        k, level = divmod(index, 2)
        vertices = np.c_[mesh.x, mesh.y, mesh.z] - gmm.means_[k, :3]
        precision = np.linalg.inv(covariances[k, :3, :3])
        radius = np.einsum("ij,jk,ik->i", vertices, precision, vertices)
        np.testing.assert_allclose(radius, (level + 1) ** 2, rtol=1e-6)
        assert max(mesh.i.max(), mesh.j.max(), mesh.k.max()) < len(mesh.x)


def test_gmm_3d_html_works_offline(generator, tmp_path):
    gen, images, labels = generator
    fig = plot_gmm_3d(gen, gen.transform(images), labels)
    path = tmp_path / "gmm3d.html"
    fig.write_html(path, include_plotlyjs=True)
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*src=[\"'][^\"']*cdn\.plot\.ly", html)
    assert "Plotly.newPlot" in html or "Plotly.react" in html


def test_gmm_3d_rejects_bad_input(generator):
    gen, images, _ = generator
    with pytest.raises(ValueError, match="gen.transform|generator.transform"):
        plot_gmm_3d(gen, images.reshape(len(images), -1))
    flat = GaussianMixture(n_components=2, random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
    with pytest.raises(ValueError, match="at least 3"):
        plot_gmm_3d(flat, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="fitted"):
        plot_gmm_3d(GMMImageGenerator(), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="labels must have shape"):
        plot_gmm_3d(gen, gen.transform(images), labels=np.zeros(3))
