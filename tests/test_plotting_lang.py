"""lang="es": every plotting function labels its figure in Spanish, and stays English by default."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gmmlab.data import make_preset  # noqa: E402
from gmmlab.kmeans import TracedKMeans  # noqa: E402
from gmmlab.mixture import GaussianMixture  # noqa: E402
from gmmlab.plotting import (  # noqa: E402
    animate_evolution,
    compare_assignments,
    evolution_widget,
    plot_criterion,
    plot_data,
    plot_gmm,
    plot_kmeans,
    plot_robustness,
)
from gmmlab.plotting._i18n import translate  # noqa: E402
from gmmlab.robustness import init_robustness  # noqa: E402
from gmmlab.selection import sweep  # noqa: E402

ENGLISH = re.compile(
    r"\b(the|of|per|vs|lower|higher|better|iteration|points|mean|truth|chosen|covariance|components?|number|"
    r"inertia|restart|disagree|assignment|feature|label|perfect|initial|state)\b"
)


def _texts(axes):
    out = []
    for ax in np.ravel(axes):
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [legend.get_title().get_text()] + [t.get_text() for t in legend.get_texts()]
    return [t for t in out if t]


@pytest.fixture(scope="module")
def fitted():
    data = make_preset("blobs4", n_samples=200, random_state=0)
    gmm = GaussianMixture(4, random_state=0, record_history=True).fit(data.X)
    kmeans = TracedKMeans(4, random_state=0).fit(data.X)
    return data, gmm, kmeans


def test_matplotlib_functions_speak_spanish_only_when_asked(fitted):
    data, gmm, kmeans = fitted
    results = sweep(data.X, range(1, 4), ("full", "tied"), n_seeds=1, progress=False, random_state=0)
    robustness = init_robustness(data.X, data.y, 4, covariance_types=("full",), n_runs=2, random_state=0)
    draws = [
        lambda lang: plot_data(data.X, data.y, lang=lang),
        lambda lang: plot_kmeans(kmeans, data.X, lang=lang),
        lambda lang: plot_gmm(gmm, data.X, lang=lang),
        lambda lang: compare_assignments(data.X, kmeans.labels_, gmm.predict(data.X), lang=lang),
        lambda lang: plot_robustness(robustness, lang=lang),
        lambda lang: plot_criterion(results, "bic", lang=lang),
    ]
    for draw in draws:
        english = _texts(draw("en"))
        spanish = _texts(draw("es"))
        plt.close("all")
        assert any(ENGLISH.search(t) for t in english), english  # the default stays English
        assert not [t for t in spanish if ENGLISH.search(t)], spanish


def test_plotly_animation_and_widget_speak_spanish(fitted):
    data, gmm, _ = fitted
    figure = animate_evolution(gmm.history_, data.X, lang="es")
    shown = [figure.layout.title.text, figure.layout.xaxis.title.text, figure.layout.xaxis2.title.text]
    shown += [trace.name for trace in figure.data if trace.name]
    shown += [button.label for menu in figure.layout.updatemenus for button in menu.buttons]
    assert not [t for t in shown if ENGLISH.search(t) or t in ("Play", "Pause")], shown
    widget = evolution_widget(gmm.history_, data.X, lang="es")
    assert widget.children[0].children[2].description == "iteración"


def test_numbers_in_translated_labels_use_a_decimal_comma():
    assert translate("disagree: 12 (4.5%)", "es") == "discrepan: 12 (4,5 %)"
    assert translate("chosen K=3, full (knee)", "es") == "K elegido=3, full (regla: codo)"
    assert translate("something unknown", "es") == "something unknown"


def test_unknown_language_is_refused_with_the_choices(fitted):
    data, gmm, _ = fitted
    with pytest.raises(ValueError, match="lang must be one of"):
        plot_gmm(gmm, data.X, lang="fr")


def test_a_legend_drawn_again_stays_in_spanish(fitted):
    data, _, _ = fitted
    results = sweep(data.X, range(1, 4), "tied", n_seeds=1, progress=False, random_state=0)
    ax = plot_criterion(results, "bic", lang="es")
    ax.legend(fontsize="x-small")  # rebuilt from the artists' labels
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")
    assert not [t for t in texts if ENGLISH.search(t)], texts
