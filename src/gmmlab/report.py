"""The end-to-end report: the whole assignment, run on real data, as one self-contained HTML page.

:func:`build_report` runs part 1 (synthetic Gaussian mixtures: KMeans vs GMM, the optimisation step by step,
robustness to initialisation, choosing K by inertia and by BIC) and part 2 (Fashion-MNIST: BIC sweeps in PCA
spaces, sampled images, samples per component, the 3D view, quality metrics) and writes ``index.html`` and
``results.json`` (the numbers behind every figure and table).

The page works offline: matplotlib figures are embedded as base64 PNG, plotly's JavaScript is inlined once and
every plotly figure is a ``<div>`` drawn by it; nothing is fetched from the network. A tiny inline script records
any JavaScript error in the ``data-js-errors`` attribute of ``<html>`` so that a headless browser can check it.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import math
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["build_report"]

BIC_NOTE = (
    "BIC uses scikit-learn's sign: BIC = &minus;2&nbsp;log&nbsp;L + p&nbsp;ln&nbsp;n, so <b>lower is better</b> "
    "(R's mclust reports the opposite sign, 2&nbsp;log&nbsp;L &minus; p&nbsp;ln&nbsp;n, where higher is better)."
)


@dataclass(frozen=True)
class _Sizes:
    """How big each step is; ``fast`` shrinks everything so the report takes seconds."""

    n_synthetic: int | None  # points per synthetic preset (None: the preset's own size)
    robustness_runs: int
    robustness_covariances: tuple[str, ...]
    k_synthetic: range
    synthetic_seeds: int
    n_train: int | None  # Fashion-MNIST train images loaded (None: all 60,000)
    n_test: int | None
    subsample_size: int  # images the generators are fitted on
    k_fashion: range
    fashion_seeds: int
    high_variance: float  # share of pixel variance kept by the second PCA
    k_fashion_high: range
    high_covariances: tuple[str, ...]
    n_eval_samples: int
    n_bins: int
    n_grid: int  # images in a sample grid
    n_per_component: int
    n_jobs: int  # joblib workers for sweeps and the robustness study (1: no process start-up, for tiny runs)

    @classmethod
    def for_mode(cls, fast: bool) -> "_Sizes":
        if fast:
            return cls(
                n_synthetic=300, robustness_runs=4, robustness_covariances=("full", "spherical"),
                k_synthetic=range(1, 7), synthetic_seeds=1, n_train=3000, n_test=1000, subsample_size=1000,
                k_fashion=range(1, 9), fashion_seeds=1, high_variance=0.8, k_fashion_high=range(1, 7),
                high_covariances=("tied",), n_eval_samples=1000, n_bins=20, n_grid=36, n_per_component=6,
                n_jobs=1,
            )
        return cls(
            n_synthetic=None, robustness_runs=50, robustness_covariances=("full", "tied", "diag", "spherical"),
            k_synthetic=range(1, 11), synthetic_seeds=3, n_train=None, n_test=None, subsample_size=5000,
            k_fashion=range(1, 31), fashion_seeds=3, high_variance=0.8, k_fashion_high=range(1, 31),
            high_covariances=("tied", "full"), n_eval_samples=10000, n_bins=100, n_grid=64, n_per_component=8,
            n_jobs=-1,
        )


@dataclass
class _Page:
    """The report being built: its sections (HTML) and the numbers behind them."""

    seed: int
    sizes: _Sizes
    data_dir: str | None
    progress: bool
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, body)
    results: dict = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)  # key findings for the top of the page
    state: dict = field(default_factory=dict)  # objects shared between steps
    n_plotly: int = 0

    def add(self, section_id: str, title: str, *parts: str) -> None:
        self.sections.append((section_id, title, "\n".join(parts)))


# --------------------------------------------------------------------------------------------------------------
# HTML pieces
# --------------------------------------------------------------------------------------------------------------


def _png(fig, alt: str) -> str:
    """A matplotlib figure as an embedded PNG; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _plotly(page: _Page, fig, height: int = 560) -> str:
    """A plotly figure as a div drawn by the inlined plotly.js (included once in the page head)."""
    page.n_plotly += 1
    fig.update_layout(height=height)
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        auto_play=False,
        div_id=f"plotly-{page.n_plotly}",
        config={"displaylogo": False, "responsive": True},
    )


def _table(frame: pd.DataFrame, digits: int = 4, columns: dict[str, str] | None = None) -> str:
    """An HTML table: numbers right-aligned with ``digits`` significant digits, text left-aligned and escaped."""
    names = [str((columns or {}).get(c, c)) for c in frame.columns]
    head = "".join(f"<th>{_e(name)}</th>" for name in names)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            if isinstance(value, (bool, np.bool_)) or value is None:
                cells.append(f"<td>{'' if value is None else value}</td>")
            elif isinstance(value, (int, np.integer)):
                cells.append(f'<td class="num">{value}</td>')
            elif isinstance(value, (float, np.floating)):
                text = "" if math.isnan(value) else f"{value:.{digits}g}"
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _p(*sentences: str) -> str:
    return "<p>" + " ".join(sentences) + "</p>"


def _e(text: Any) -> str:
    return html.escape(str(text))


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def _jsonable(value: Any) -> Any:
    """Plain JSON types only: numpy scalars and arrays converted, NaN and infinity as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _selection_dict(selection) -> dict:
    return {
        "n_components": selection.n_components,
        "covariance_type": selection.covariance_type,
        "criterion": selection.criterion,
        "rule": selection.rule,
        "reason": selection.reason,
    }


def _figure(n_rows: int = 1, n_cols: int = 1, size=(6.0, 4.5), **kwargs):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size[0] * n_cols, size[1] * n_rows), squeeze=False,
                             layout="constrained", **kwargs)
    return fig, axes


# --------------------------------------------------------------------------------------------------------------
# part 1: synthetic data
# --------------------------------------------------------------------------------------------------------------

_PRESETS = ("elongated", "blobs4")


def _synthetic_data(page: _Page) -> None:
    from gmmlab.data import PRESETS, make_preset
    from gmmlab.plotting.static import plot_data

    fig, axes = _figure(1, 2, size=(5.5, 4.5))
    info = {}
    rows = []
    for ax, name in zip(axes[0], _PRESETS):
        data = make_preset(name, n_samples=page.sizes.n_synthetic, random_state=page.seed)
        page.state[name] = data
        plot_data(data.X, data.y, ax=ax, title=f"{name}: {data.n_components} true components")
        info[name] = {
            "description": PRESETS[name].description,
            "n_samples": int(data.X.shape[0]),
            "weights": data.weights,
            "means": data.means,
            "covariances": data.covariances,
            "counts": np.bincount(data.y, minlength=data.n_components),
        }
        for k in range(data.n_components):
            sd = np.sqrt(np.linalg.eigvalsh(data.covariances[k]))
            rows.append({
                "scene": name, "component": k, "weight": data.weights[k],
                "mean": f"({data.means[k][0]:.2f}, {data.means[k][1]:.2f})",
                "std. dev. along the axes of the ellipse": f"{sd[1]:.2f} x {sd[0]:.2f}",
                "points drawn": int(np.sum(data.y == k)),
            })
    page.results.setdefault("part1", {})["data"] = info
    page.add(
        "p1-data", "1a. The data: samples from Gaussian mixtures",
        _p(
            "Each point is drawn by first choosing a component k with probability w<sub>k</sub> (its weight) and "
            "then drawing from the normal distribution N(&mu;<sub>k</sub>, &Sigma;<sub>k</sub>). The data are "
            "therefore a sample of a <b>Gaussian mixture</b>, exactly the model a GMM fits, so a GMM with the "
            "right number of components and full covariances is an appropriate model by construction.",
            f"<i>elongated</i>: {_e(PRESETS['elongated'].description)}. <i>blobs4</i>: "
            f"{_e(PRESETS['blobs4'].description)}. Colours are the true components.",
        ),
        _png(fig, "synthetic data coloured by true component"),
        _table(pd.DataFrame(rows), digits=3),
    )


def _kmeans_vs_gmm(page: _Page) -> None:
    from sklearn.metrics import adjusted_rand_score

    from gmmlab.kmeans import TracedKMeans
    from gmmlab.mixture import GaussianMixture
    from gmmlab.plotting.static import compare_assignments, disagreement, plot_gmm, plot_kmeans

    fig, axes = _figure(2, 2, size=(5.5, 4.5))
    rows, numbers = [], {}
    for row_axes, name in zip(axes, _PRESETS):
        data = page.state[name]
        k = data.n_components
        km = TracedKMeans(n_clusters=k, n_init=10, random_state=page.seed, record_history=False).fit(data.X)
        gm = GaussianMixture(n_components=k, covariance_type="full", n_init=5, random_state=page.seed).fit(data.X)
        page.state[f"{name}_kmeans"], page.state[f"{name}_gmm"] = km, gm
        gm_labels = gm.predict(data.X)
        plot_kmeans(km, data.X, ax=row_axes[0])
        row_axes[0].set_title(f"{name}: KMeans, K={k}")
        plot_gmm(gm, data.X, ax=row_axes[1])
        row_axes[1].set_title(f"{name}: GMM (full), K={k}, ellipses at 1 and 2 sd")
        differ = disagreement(km.labels_, gm_labels)
        entry = {
            "n_components": k,
            "ari_kmeans": adjusted_rand_score(data.y, km.labels_),
            "ari_gmm": adjusted_rand_score(data.y, gm_labels),
            "n_disagree": int(np.sum(differ)),
            "share_disagree": float(np.mean(differ)),
            "kmeans_inertia": km.inertia_,
            "gmm_bic": gm.bic(data.X),
            "kmeans_centers": km.cluster_centers_,
            "gmm_means": gm.means_,
            "gmm_weights": gm.weights_,
            "gmm_covariances": gm.covariances_,
            "share_uncertain_gmm": float(np.mean(gm.predict_proba(data.X).max(axis=1) < 0.9)),
        }
        numbers[name] = entry
        rows.append({
            "scene": name, "K": k, "ARI KMeans vs truth": entry["ari_kmeans"], "ARI GMM vs truth": entry["ari_gmm"],
            "points where they disagree": f"{entry['n_disagree']} ({entry['share_disagree']:.1%})",
            "GMM points with max responsibility < 0.9": f"{entry['share_uncertain_gmm']:.1%}",
        })
    elongated = page.state["elongated"]
    fig2, axes2 = _figure(1, 2, size=(5.5, 4.5), sharex=True, sharey=True)
    compare_assignments(elongated.X, page.state["elongated_kmeans"].labels_,
                        page.state["elongated_gmm"].predict(elongated.X), ax=axes2[0])
    page.results["part1"]["kmeans_vs_gmm"] = numbers
    e, b = numbers["elongated"], numbers["blobs4"]
    page.summary.append((
        "1b KMeans vs GMM (elongated, true K=3)",
        f"ARI against the truth: KMeans {e['ari_kmeans']:.2f}, GMM {e['ari_gmm']:.2f}; they disagree on "
        f"{e['share_disagree']:.0%} of the points.",
    ))
    page.add(
        "p1-compare", "1b. KMeans vs GMM with the true number of clusters",
        _p(
            "KMeans assigns every point to its nearest centre: the clusters are the cells of a Voronoi diagram "
            "(straight boundaries, implicitly round clusters of equal size). A GMM models each cluster with its "
            "own weight and covariance and assigns points softly, by the posterior probability (responsibility) "
            "of each component; colours blend where components overlap. The adjusted Rand index (ARI) compares "
            "each assignment with the true components (1 = perfect, about 0 = chance).",
            f"On <i>elongated</i> the clusters are long, tilted and unequal: KMeans reaches an ARI of "
            f"{e['ari_kmeans']:.2f} and the GMM {e['ari_gmm']:.2f}, and their hard assignments differ on "
            f"{e['share_disagree']:.0%} of the points (circled below). On <i>blobs4</i>, round and equal clusters "
            f"where KMeans' implicit assumptions hold, the ARIs are {b['ari_kmeans']:.2f} and {b['ari_gmm']:.2f} and "
            f"they differ on {b['share_disagree']:.1%} of the points.",
        ),
        _png(fig, "KMeans regions and GMM ellipses on both scenes"),
        _table(pd.DataFrame(rows), digits=3),
        _p("The points where the two hard assignments differ on <i>elongated</i> (GMM labels matched to KMeans):"),
        _png(fig2, "KMeans and GMM assignments side by side with disagreements circled"),
    )


def _evolution(page: _Page) -> None:
    from gmmlab.kmeans import TracedKMeans
    from gmmlab.mixture import GaussianMixture
    from gmmlab.plotting.interactive import animate_evolution

    data = page.state["elongated"]
    k = data.n_components
    # Random starts make the path visible; the KMeans-initialised fit above starts almost at the solution.
    gm = GaussianMixture(n_components=k, covariance_type="full", init_params="random_from_data", max_iter=200,
                         random_state=page.seed, record_history=True).fit(data.X)
    km = TracedKMeans(n_clusters=k, init="random", n_init=1, random_state=page.seed, record_history=True).fit(data.X)
    gm_objectives = gm.history_.objectives()
    km_objectives = km.history_.objectives()
    page.results["part1"]["evolution"] = {
        "gmm": {"init_params": "random_from_data", "n_iter": gm.n_iter_, "converged": gm.converged_,
                "mean_log_likelihood_per_iteration": gm_objectives,
                "means_per_iteration": [r.means for r in gm.history_.best()]},
        "kmeans": {"init": "random", "n_iter": km.n_iter_, "inertia_per_iteration": km_objectives,
                   "centers_per_iteration": [r.means for r in km.history_.best()]},
    }
    page.add(
        "p1-evolution", "1b. How the parameters evolve during the optimisation",
        _p(
            "Press <b>Play</b> or drag the slider: each frame is one iteration, from the initial state (iteration "
            "0). For the GMM (EM from means placed on random data points, <code>init_params='random_from_data'"
            "</code>) the ellipses are the covariances at 1 and 2 standard deviations and the colours the "
            "responsibilities; the right panel shows the mean log-likelihood per sample, which EM never decreases: "
            f"{gm_objectives[1]:.3f} after the first EM step, {gm_objectives[-1]:.3f} after {len(gm_objectives) - 1}"
            " (the initial state, each component built from a single data point, has a degenerate covariance "
            f"and a log-likelihood of {gm_objectives[0]:.3g}).",
        ),
        _plotly(page, animate_evolution(gm.history_, data.X), height=600),
        _p(
            "The same for KMeans (Lloyd's algorithm from random centres): centres move to the mean of their cell "
            f"and the inertia (within-cluster sum of squares) drops from {km_objectives[0]:.1f} to "
            f"{km_objectives[-1]:.1f} in {len(km_objectives) - 1} iterations.",
        ),
        _plotly(page, animate_evolution(km.history_, data.X), height=600),
    )


def _robustness(page: _Page) -> None:
    from gmmlab.plotting.static import plot_robustness
    from gmmlab.robustness import init_robustness, summarize_robustness

    data = page.state["elongated"]
    sizes = page.sizes
    table = init_robustness(data.X, data.y, data.n_components, covariance_types=sizes.robustness_covariances,
                            n_runs=sizes.robustness_runs, random_state=page.seed, n_jobs=sizes.n_jobs)
    summary = summarize_robustness(table)
    fig, axes = _figure(1, 1, size=(12, 5))
    plot_robustness(table, ax=axes[0, 0])
    page.results["part1"]["robustness"] = {"summary": _records(summary), "runs": _records(table)}
    good = [c for c in summary.columns if c.startswith("share_ari_ge")][0]
    gmm_full = summary[(summary["method"] == "gmm") & (summary["covariance_type"] == "full")].set_index("init")
    kmeans = summary[summary["method"] == "kmeans"].set_index("init")
    kmeans_runs = table.loc[table["method"] == "kmeans", "ari"]
    kmeans_best = kmeans[good].max()
    kmeans_verb = "never recovers" if kmeans_best == 0 else "rarely recovers" if kmeans_best < 0.5 else "often recovers"
    kmeans_same = (
        f", so from every start it lands on nearly the same partition (ARI between {kmeans_runs.min():.2f} and "
        f"{kmeans_runs.max():.2f}): robust to the start, but not to the shape of the clusters."
        if kmeans_runs.max() - kmeans_runs.min() < 0.05 else "."
    )
    restricted = summary[(summary["method"] == "gmm") & (summary["covariance_type"] != "full")]
    full_text = ", ".join(f"{init} {row[good]:.0%}" for init, row in gmm_full.iterrows())
    kmeans_text = ", ".join(f"{init} {row[good]:.0%}" for init, row in kmeans.iterrows())
    page.summary.append((
        "1c Robustness to initialisation (elongated)",
        f"share of runs with ARI >= 0.9 — GMM full: {full_text}; KMeans: {kmeans_text}.",
    ))
    notes = []
    if "random" in gmm_full.index and gmm_full.loc["random", "n_iter_mean"] < 5:
        notes.append(
            f"Random responsibilities start every component near the global mean, so the first EM steps barely "
            f"change the likelihood: EM stops after {gmm_full.loc['random', 'n_iter_mean']:.1f} iterations on "
            f"average (the change is below <code>tol</code>), far from the solution (mean ARI "
            f"{gmm_full.loc['random', 'ari_mean']:.2f})."
        )
    if len(restricted):
        best = restricted.loc[restricted["ari_mean"].idxmax()]
        notes.append(
            "Restricted covariances cannot represent tilted, elongated clusters whatever the start: the best of "
            f"them ({best['covariance_type']}, {best['init']}) reaches a mean ARI of only {best['ari_mean']:.2f}."
        )
    page.add(
        "p1-robustness", "1c. Robustness to the initialisation and the covariance type",
        _p(
            f"{sizes.robustness_runs} runs per configuration on <i>elongated</i> (the same seeds for every "
            "configuration), each with a single initialisation (<code>n_init=1</code>). KMeans: k-means++, "
            "random, and a deliberately bad start with every centre inside the largest true cluster; GMM: "
            "kmeans, k-means++, random responsibilities, random data points, and the bad start, for each "
            "covariance type. Each box is the distribution of the ARI against the truth (1 = perfect).",
        ),
        _p(
            f"<b>KMeans</b> {kmeans_verb} these clusters (share of runs with ARI &ge; 0.9: {kmeans_text}; best "
            f"mean ARI {kmeans['ari_mean'].max():.2f}): its objective prefers round cells of similar size{kmeans_same}",
            f"A <b>full-covariance GMM</b> can represent the truth, and reaches it from good starts (share of runs "
            f"with ARI &ge; 0.9 by init: {full_text}); EM is a local method, so from poor starts some runs stop "
            "in a worse local optimum. The GMM is the more flexible model and the more sensitive to the start; "
            "restarts (<code>n_init</code>, keeping the best likelihood) and a KMeans initialisation remove most "
            "of that sensitivity.", *notes,
        ),
        _png(fig, "ARI distributions by method, init and covariance type"),
        _table(summary, digits=3),
    )


def _synthetic_selection(page: _Page) -> None:
    from gmmlab.mixture import COVARIANCE_TYPES
    from gmmlab.plotting.selection import plot_criterion, plot_elbow
    from gmmlab.selection import choose_n_components, sweep

    sizes = page.sizes
    fig, axes = _figure(2, 2, size=(6, 4.2))
    numbers, rows = {}, []
    for col, name in enumerate(_PRESETS):
        data = page.state[name]
        kmeans = sweep(data.X, n_components=sizes.k_synthetic, n_seeds=sizes.synthetic_seeds, model="kmeans",
                       progress=False, random_state=page.seed, n_jobs=sizes.n_jobs)
        knee = choose_n_components(kmeans, criterion="inertia")
        gmm = sweep(data.X, n_components=sizes.k_synthetic, covariance_types=COVARIANCE_TYPES,
                    n_seeds=sizes.synthetic_seeds, progress=False, random_state=page.seed, n_jobs=sizes.n_jobs)
        by_bic = choose_n_components(gmm, criterion="bic")
        full_only = choose_n_components(gmm[gmm["covariance_type"] == "full"], criterion="bic")
        plot_elbow(kmeans, knee, ax=axes[0, col])
        axes[0, col].set_title(f"{name} (true K={data.n_components}): KMeans inertia")
        plot_criterion(gmm, "bic", by_bic, ax=axes[1, col])
        axes[1, col].set_title(f"{name}: GMM BIC, lower is better")
        numbers[name] = {
            "true_n_components": data.n_components,
            "kmeans_sweep": _records(kmeans), "kmeans_choice": _selection_dict(knee),
            "gmm_sweep": _records(gmm), "gmm_choice": _selection_dict(by_bic),
            "gmm_full_choice": _selection_dict(full_only),
        }
        for method, choice in (("KMeans, inertia knee", knee), ("GMM, BIC over all covariance types", by_bic),
                               ("GMM full, BIC", full_only)):
            rows.append({"scene": name, "true K": data.n_components, "method": method,
                         "chosen K": choice.n_components, "covariance": choice.covariance_type or "",
                         "reason": choice.reason})
    page.results["part1"]["selection"] = numbers
    page.summary.append((
        "1d Choosing K",
        "; ".join(
            f"{name} (true {entry['true_n_components']}): inertia knee K={entry['kmeans_choice']['n_components']}, "
            f"BIC K={entry['gmm_choice']['n_components']} ({entry['gmm_choice']['covariance_type']})"
            for name, entry in numbers.items()
        ) + ".",
    ))
    page.add(
        "p1-selection", "1d. Choosing the number of clusters: inertia (KMeans) and BIC (GMM)",
        _p(
            "The KMeans inertia (within-cluster sum of squares) always decreases as K grows, so its minimum is "
            "useless; the usual choice is the <b>elbow</b> or knee, where adding a cluster stops paying off "
            "(found here with kneed's Kneedle algorithm). BIC penalises the log-likelihood by the number of "
            "free parameters, so it has a real minimum: the chosen K balances fit and complexity, over K and "
            f"over the covariance types. Bands show &plusmn; one standard deviation over {sizes.synthetic_seeds} "
            "seed(s).", BIC_NOTE,
        ),
        _png(fig, "inertia elbows and BIC curves on both scenes"),
        _table(pd.DataFrame(rows), digits=4),
    )


# --------------------------------------------------------------------------------------------------------------
# part 2: Fashion-MNIST
# --------------------------------------------------------------------------------------------------------------


def _fashion_data(page: _Page) -> None:
    from sklearn.decomposition import PCA

    from gmmlab.data import FASHION_MNIST_CLASSES, load_fashion_mnist
    from gmmlab.plotting.images import image_grid

    sizes = page.sizes
    train, train_labels = load_fashion_mnist("train", data_dir=page.data_dir, n_samples=sizes.n_train)
    test, test_labels = load_fashion_mnist("test", data_dir=page.data_dir, n_samples=sizes.n_test)
    page.state.update(train=train, train_labels=train_labels, test=test, test_labels=test_labels)
    rng = np.random.RandomState(page.seed)
    subset = rng.choice(len(train), min(sizes.subsample_size, len(train)), replace=False)
    pca = PCA(svd_solver="covariance_eigh").fit(train[subset].reshape(len(subset), -1))
    cumulative = np.cumsum(pca.explained_variance_ratio_)
    thresholds = {f"{share:.0%}": int(np.searchsorted(cumulative, share) + 1) for share in (0.5, 0.7, 0.8, 0.9, 0.95)}
    examples = np.concatenate([np.flatnonzero(train_labels == c)[:6] for c in range(10)])
    grid = image_grid(train[examples], n_cols=12, titles=[FASHION_MNIST_CLASSES[c] for c in train_labels[examples]])
    fig, axes = _figure(1, 1, size=(7, 3.8))
    ax = axes[0, 0]
    ax.plot(np.arange(1, len(cumulative) + 1), cumulative, color="C0")
    for label, n in thresholds.items():
        ax.plot([n], [cumulative[n - 1]], "o", color="C3")
        ax.annotate(f"{label}: {n} PCs", (n, cumulative[n - 1]), textcoords="offset points", xytext=(6, -12),
                    fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel("number of principal components (log scale)")
    ax.set_ylabel("share of pixel variance kept")
    ax.set_title(f"PCA of {len(subset)} training images")
    ax.grid(alpha=0.3)
    page.results["part2"] = {"data": {
        "n_train": int(len(train)), "n_test": int(len(test)), "pca_subsample": int(len(subset)),
        "cumulative_explained_variance": cumulative, "n_components_for_share": thresholds,
    }}
    page.add(
        "p2-data", "2. Fashion-MNIST and its principal components",
        _p(
            f"{len(train):,} training and {len(test):,} test images of 28&times;28 grey pixels in 10 classes "
            "(Xiao, Rasul &amp; Vollgraf 2017), read from the local IDX files. Fitting a GMM on 784 pixels is slow "
            "and needs many parameters, so, as the assignment asks, the images are first projected onto their "
            "leading principal components and the GMM is fitted in that space. The curve shows how much of the "
            "pixel variance each number of components keeps: "
            + ", ".join(f"{n} PCs keep {label}" for label, n in thresholds.items()) + ".",
        ),
        _png(grid, "six training images of each class"),
        _png(fig, "cumulative explained variance of the PCA"),
    )


def _generator_section(page: _Page, key: str, n_pca, covariance_types, k_range, n_seeds, title: str,
                       intro: str) -> None:
    """Sweep K with BIC in one PCA space, fit the chosen generator, and show its samples."""
    from gmmlab.data import FASHION_MNIST_CLASSES
    from gmmlab.generative import GMMImageGenerator
    from gmmlab.plotting.images import image_grid, plot_component_samples
    from gmmlab.plotting.selection import plot_criterion
    from gmmlab.selection import choose_n_components, sweep

    sizes = page.sizes
    train, labels = page.state["train"], page.state["train_labels"]
    # The generator's own sweep covers one covariance type; for several, sweep here and refit with the winner.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 3 PCs keep ~50%: the text says so, with the number
        probe = GMMImageGenerator(n_pca_components=n_pca, n_components=1, covariance_type="tied",
                                  subsample_size=sizes.subsample_size, random_state=page.seed).fit(train, labels)
    Z = probe.transform(train[probe.subsample_indices_])
    results = sweep(Z, n_components=k_range, covariance_types=covariance_types, n_seeds=n_seeds,
                    progress=False, random_state=page.seed, n_jobs=sizes.n_jobs)
    choice = choose_n_components(results, criterion="bic")
    per_type = {t: choose_n_components(results[results["covariance_type"] == t], criterion="bic")
                for t in covariance_types}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        generator = GMMImageGenerator(
            n_pca_components=probe.n_pca_components_, n_components=choice.n_components,
            covariance_type=choice.covariance_type, subsample_size=sizes.subsample_size, random_state=page.seed,
        ).fit(train, labels)
    page.state[f"{key}_generator"] = generator
    page.state[f"{key}_Z"] = Z

    fig, axes = _figure(1, 1, size=(8, 4.5))
    plot_criterion(results, "bic", choice, ax=axes[0, 0])
    axes[0, 0].set_title(f"BIC vs K in {generator.n_pca_components_} PCs ({generator.explained_variance_:.0%} "
                         "of the variance); lower is better")
    images, components = generator.sample(sizes.n_grid, random_state=page.seed)
    samples_fig = image_grid(images, n_cols=int(np.ceil(np.sqrt(sizes.n_grid))),
                             titles=[f"k={c}" for c in components])
    means_fig = image_grid(generator.component_means(), n_cols=min(10, generator.n_components_),
                           titles=[f"k={k}, w={w:.2f}" for k, w in enumerate(generator.gmm_.weights_)])
    composition = generator.component_composition(train, labels)
    per_component_fig = plot_component_samples(generator, n_per_component=sizes.n_per_component,
                                               random_state=page.seed, composition=composition)
    shown = composition[["weight", "n_images", "dominant_class"]].copy()
    shares = composition[list(FASHION_MNIST_CLASSES)]
    shown["share of dominant class"] = shares.max(axis=1)
    shown["top 3 classes"] = [
        ", ".join(f"{name} {row[name]:.0%}" for name in row.sort_values(ascending=False).index[:3])
        if row.notna().any() else "" for _, row in shares.iterrows()
    ]
    shown = shown.reset_index()
    purity = float(np.nansum(composition["n_images"] * shares.max(axis=1)) / composition["n_images"].sum())
    dominant = ", ".join(f"k={k}: {name}" for k, name in composition["dominant_class"].items() if name)
    other = page.results["part2"].get("pca3") if key != "pca3" else None
    compare = (
        f" (in {other['n_pca_components']} PCs with K={other['n_components']}: {other['purity']:.0%}); the "
        "components follow shapes that the PCA keeps, which only partly coincide with the labels"
        if other else
        "; a component gathers images of similar shape (and brightness), which only partly coincides with the labels"
    )
    numbers = {
        "n_pca_components": generator.n_pca_components_,
        "explained_variance": generator.explained_variance_,
        "subsample_size": int(len(generator.subsample_indices_)),
        "sweep": _records(results),
        "choice": _selection_dict(choice),
        "choice_per_covariance_type": {t: _selection_dict(s) for t, s in per_type.items()},
        "n_components": generator.n_components_,
        "covariance_type": generator.covariance_type,
        "weights": generator.gmm_.weights_,
        "composition": _records(composition.reset_index()),
        "purity": purity,
        "sampled_components": components,
    }
    page.results["part2"][key] = numbers
    change = ""
    if other:
        same = [t for t in per_type if t == other["covariance_type"]]
        k_same = per_type[same[0]].n_components if same else choice.n_components
        change = (
            f" With {other['covariance_type']} covariances, K goes from {other['n_components']} in "
            f"{other['n_pca_components']} PCs to {k_same} in {generator.n_pca_components_} PCs"
            + (": the same number." if k_same == other["n_components"] else ".")
        )
    per_type_text = "; ".join(f"{t}: K={s.n_components}" for t, s in per_type.items()) if len(per_type) > 1 else ""
    page.summary.append((
        f"2 BIC in {generator.n_pca_components_} PCs ({generator.explained_variance_:.0%} of the variance)",
        f"chosen K={choice.n_components} ({choice.covariance_type}, rule {choice.rule})"
        + (f"; per covariance type {per_type_text}" if per_type_text else "") + "; share of images whose component's "
        f"dominant class is their own: {purity:.0%}.",
    ))
    page.add(
        f"p2-{key}", title,
        _p(intro, BIC_NOTE),
        _png(fig, f"BIC against K in {generator.n_pca_components_} principal components"),
        _p(f"<b>Choice:</b> {_e(choice.reason)}"
           + (f" Per covariance type: {_e(per_type_text)}." if per_type_text else "") + change + (
               " Why does BIC keep improving? The images are not a few Gaussian clouds: every extra component "
               "fits the curved, uneven density a little better, and with thousands of images the gain in "
               "log-likelihood outweighs the p ln n penalty, so the elbow is the useful choice."
               if choice.rule == "knee" else "")),
        _p(
            f"<b>New images</b> sampled from the fitted GMM (K={generator.n_components_}, "
            f"{generator.covariance_type}): points drawn in the {generator.n_pca_components_}-dimensional PCA "
            "space and mapped back to pixels with the inverse PCA (clipped to [0, 1]); the title is the "
            "component each image came from. These images did not exist in the data set.",
        ),
        _png(samples_fig, "images sampled from the GMM"),
        _p("The mean of every component, decoded to an image, with its weight:"),
        _png(means_fig, "component means decoded to images"),
        _p(
            f"<b>Samples of each component</b> (one row per component, {sizes.n_per_component} images each; the "
            "first column is the component's mean). The images of one component look alike because a component "
            "is one Gaussian bump of the density: it covers one region of the PCA space, i.e. one family of "
            "shapes. The table shows which classes of real training images fall in each component (the component "
            f"with the highest responsibility): the dominant classes are {_e(dominant)}. Weighted over components, "
            f"{purity:.0%} of the images belong to the dominant class of their component{compare}.",
        ),
        _png(per_component_fig, "samples drawn from each component"),
        _table(shown, digits=3),
    )


def _fashion_pca3(page: _Page) -> None:
    sizes = page.sizes
    _generator_section(
        page, "pca3", 3, ("tied",), sizes.k_fashion, sizes.fashion_seeds,
        "2a-d. GMM in 3 principal components (tied covariances): choosing K, new images, one component",
        f"As the assignment asks (2b): {sizes.subsample_size} training images (stratified by class), projected on "
        f"the 3 leading principal components, tied covariances, and a BIC sweep over K = {sizes.k_fashion.start}.."
        f"{sizes.k_fashion.stop - 1} ({sizes.fashion_seeds} seed(s) per K, band = &plusmn; one std over seeds).",
    )


def _fashion_3d(page: _Page) -> None:
    from gmmlab.plotting.images import plot_gmm_3d

    generator = page.state["pca3_generator"]
    Z = generator.transform(page.state["train"][generator.subsample_indices_])
    labels = page.state["train_labels"][generator.subsample_indices_]
    high = page.state.get("high_generator")
    parts = [
        _p(
            "The fitted GMM drawn in the space it was fitted in: the <b>3 leading principal components</b> of the "
            "pixel space (not pixels, not classes). Points are the training images of the fit, coloured by their "
            "class; each ellipsoid is a component at 1 and 2 standard deviations. Drag to rotate, scroll to zoom, "
            "hover for the component and its weight.",
        ),
        _plotly(page, plot_gmm_3d(generator, Z, labels=labels), height=650),
    ]
    if high is not None:
        Zh = high.transform(page.state["train"][high.subsample_indices_])
        parts += [
            _p(
                f"The GMM fitted in {high.n_pca_components_} PCs, drawn through its marginal on the first 3 PCs: "
                "components that overlap in this view can still be separated along the other "
                f"{high.n_pca_components_ - 3} directions, which it does not show.",
            ),
            _plotly(page, plot_gmm_3d(high, Zh, labels=page.state["train_labels"][high.subsample_indices_]),
                    height=650),
        ]
    page.add("p2-3d", "2e. The fitted GMM in 3D", *parts)


def _fashion_high(page: _Page) -> None:
    sizes = page.sizes
    share = sizes.high_variance
    types = sizes.high_covariances
    kept3 = page.results["part2"]["pca3"]["explained_variance"]
    _generator_section(
        page, "high", share, types, sizes.k_fashion_high, 1,
        f"2f-g. GMM in the principal components that keep {share:.0%} of the variance",
        f"Three components keep only {kept3:.0%} of the pixel variance, so the decoded images are blurry. Here "
        f"the PCA keeps {share:.0%} of the variance (the smallest number of PCs that does) and the same BIC "
        f"sweep is run with {' and '.join(types)} covariances (K = {sizes.k_fashion_high.start}.."
        f"{sizes.k_fashion_high.stop - 1}, one seed). Two forces move the choice of K: the extra dimensions "
        "separate images that overlap in 3 PCs, which rewards more components, while each component costs many "
        "more parameters (d means, and for a full covariance d(d+1)/2 more), which BIC penalises by p ln n.",
    )


_METRIC_NAMES = {
    "explained_variance": "variance kept",
    "held_out_log_likelihood_pixels": "held-out log-lik. (pixels) ↑",
    "ndb_over_k": "NDB/K ↓",
    "js": "JS ↓",
    "frechet_distance": "Fréchet ↓",
    "precision": "precision ↑",
    "recall": "recall ↑",
    "memorisation_ratio": "memorisation ratio",
    "near_copy_share": "near copies",
}


def _fashion_metrics(page: _Page) -> None:
    from sklearn.decomposition import PCA

    from gmmlab.metrics import evaluate_generator, evaluate_samples, ndb_bins, train_image_classifier

    sizes = page.sizes
    train, train_labels = page.state["train"], page.state["train_labels"]
    test, test_labels = page.state["test"], page.state["test_labels"]
    classifier, accuracy = train_image_classifier(train, train_labels, test, test_labels, random_state=page.seed)
    # The same NDB bins and Frechet feature space for every row, so the rows are comparable (and built once).
    bins = ndb_bins(test, n_bins=sizes.n_bins, random_state=page.seed)
    features = PCA(n_components=50, svd_solver="covariance_eigh").fit(test.reshape(len(test), -1).astype(np.float64))
    shared = dict(n_bins=sizes.n_bins, random_state=page.seed, classifier=classifier, bins=bins,
                  feature_pca=features)
    rows = []
    for key in ("pca3", "high"):
        generator = page.state[f"{key}_generator"]
        row = evaluate_generator(generator, train, test, test_labels, n_samples=sizes.n_eval_samples, **shared)
        row.insert(0, "model", f"GMM {generator.n_pca_components_} PCs {generator.covariance_type} "
                               f"K={generator.n_components_}")
        rows.append(row)
    # The reference: real training images the generators never saw, measured the same way.
    used = np.zeros(len(train), dtype=bool)
    for key in ("pca3", "high"):
        used[page.state[f"{key}_generator"].subsample_indices_] = True
    unseen = np.flatnonzero(~used)
    rng = np.random.RandomState(page.seed)
    real = train[rng.choice(unseen, min(sizes.n_eval_samples, len(unseen)), replace=False)]
    fitted_on = train[page.state["pca3_generator"].subsample_indices_]
    reference = evaluate_samples(real, fitted_on, test, test_labels, **shared)
    rows.append(pd.DataFrame([{"model": "real images (unseen training images)", **reference}]))
    table = pd.concat(rows, ignore_index=True)
    page.results["part2"]["metrics"] = {"table": _records(table), "classifier_accuracy": accuracy,
                                        "n_samples": sizes.n_eval_samples, "n_bins": sizes.n_bins}
    main_columns = [c for c in ("model", "explained_variance", "held_out_log_likelihood_pixels", "ndb_over_k",
                                "js", "frechet_distance", "precision", "recall", "memorisation_ratio",
                                "near_copy_share") if c in table.columns]
    share_columns = ["model"] + [c for c in table.columns if c.startswith("share_")]
    shares = table[share_columns].rename(columns=lambda c: c.replace("share_", ""))
    m3, mh, ref = (table.iloc[i] for i in range(3))
    copies = (
        f" No model makes more near-copies than real unseen images do ({m3['near_copy_share']:.1%} and "
        f"{mh['near_copy_share']:.1%} vs {ref['near_copy_share']:.1%}), so a memorisation ratio below 1 here means "
        "smooth, average-looking samples that sit close to many training images, not copies of any one."
        if max(m3["near_copy_share"], mh["near_copy_share"]) <= ref["near_copy_share"] else
        f" Near-copies: {m3['near_copy_share']:.1%} and {mh['near_copy_share']:.1%} of the samples, against "
        f"{ref['near_copy_share']:.1%} for real unseen images."
    )
    class_names = [c for c in shares.columns if c != "model"]
    rare = []
    for i in range(2):
        missing = [c for c in class_names if shares.iloc[i][c] < 0.03]
        rare.append(f"{shares.iloc[i]['model']}: {', '.join(missing) if missing else 'none'}")

    page.summary.append((
        "2 Quality of the generated images",
        f"NDB/K ({sizes.n_bins} bins, lower is better): {m3['model']} {m3['ndb_over_k']:.2f}, {mh['model']} "
        f"{mh['ndb_over_k']:.2f}, real unseen images {ref['ndb_over_k']:.2f}.",
    ))
    page.add(
        "p2-metrics", "2. How good are the generated images? Quality metrics",
        _p(
            f"Each model draws {sizes.n_eval_samples:,} images, compared with the {len(test):,} test images. "
            "The last row measures real training images that no model saw, the best a generator can hope for. "
            "<b>held-out log-likelihood (pixels)</b>: mean log-density of the test images in pixel space "
            "(the discarded PCA directions as isotropic noise), comparable across PCAs, higher is better. "
            f"<b>NDB/K</b> (Richardson &amp; Weiss 2018): the test images are split into {sizes.n_bins} KMeans "
            "bins and NDB counts the bins whose share of generated images differs significantly (two-proportion "
            "z-test, &alpha; = 0.05), divided by the number of bins; <b>js</b> is the Jensen-Shannon divergence of "
            "the two bin histograms; both lower is better. <b>Fr&eacute;chet distance</b> between Gaussians fitted "
            "to real and generated images in the 50-PC space of the test images, lower is better. <b>precision / "
            "recall</b> (Kynk&auml;&auml;nniemi et al. 2019): share of generated images inside the real data's "
            "k-NN balls, and of real images inside the generated ones. <b>memorisation ratio</b>: median distance "
            "of a generated image to its nearest training image over the same for real test images (a ratio well "
            "below 1 together with many near-copies would signal copying); <b>near copies</b>: share of generated "
            "images closer to a training image than 99% of the real test images are (about 1% is expected without "
            "copying)." + copies,
        ),
        _table(table[main_columns], digits=3, columns=_METRIC_NAMES),
        _p(
            "Which classes the generated images look like, by a PCA(50) + logistic-regression classifier trained "
            f"on the real training images (test accuracy {accuracy:.1%}). Real images give about 10% per class; "
            "classes a model (almost) never produces (under 3% of its samples) — "
            + "; ".join(rare) + ":",
        ),
        _table(shares, digits=2),
    )


# --------------------------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------------------------

_STEPS: tuple[tuple[str, Callable[[_Page], None]], ...] = (
    ("synthetic data", _synthetic_data),
    ("KMeans vs GMM", _kmeans_vs_gmm),
    ("evolution", _evolution),
    ("robustness", _robustness),
    ("choosing K (synthetic)", _synthetic_selection),
    ("Fashion-MNIST", _fashion_data),
    ("3 PCs", _fashion_pca3),
    ("more PCs", _fashion_high),
    ("3D view", _fashion_3d),
    ("quality metrics", _fashion_metrics),
)

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:1.5em 2em 4em;background:#fff}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2.2em}
p{line-height:1.5;max-width:72em} code{background:#f2f2f2;padding:0 .2em}
figure{margin:1em 0} figure img{max-width:100%;height:auto;display:block}
.table{overflow-x:auto;margin:1em 0}
table{border-collapse:collapse;font-size:.85em}
th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{background:#f4f4f4;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
nav ol{columns:2;line-height:1.6} .note{color:#555;font-size:.9em}
.summary td{text-align:left}
"""

# Records every JavaScript error (and failed resource) in <html data-js-errors="[...]">, and after load what was
# drawn in <html data-render-check="{...}">, so that a headless browser can check the page from its DOM alone.
_PROBE = """
(function(){
  var errors = [];
  var root = document.documentElement;
  function record(text){ errors.push(String(text)); root.setAttribute('data-js-errors', JSON.stringify(errors)); }
  root.setAttribute('data-js-errors', '[]');
  window.addEventListener('error', function(event){
    var target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      record('failed to load ' + String(target.src || target.href).slice(0, 80));
    } else {
      record((event.message || 'error') + ' at ' + (event.filename || '?') + ':' + (event.lineno || 0));
    }
  }, true);
  window.addEventListener('unhandledrejection', function(event){ record('unhandled rejection: ' + event.reason); });
  function check(){
    var images = Array.prototype.slice.call(document.images);
    var all = function(selector){ return document.querySelectorAll(selector).length; };
    root.setAttribute('data-render-check', JSON.stringify({
      plotly_figures: all('.js-plotly-plot'),
      plotly_containers: all('.plot-container'),
      scenes_3d: all('.js-plotly-plot .gl-container [id^="scene"] canvas'),
      sliders: all('.js-plotly-plot .slider-container'),
      play_buttons: all('.js-plotly-plot .updatemenu-button'),
      webgl_missing: document.body.innerText.indexOf('WebGL is not supported') >= 0,
      images: images.length,
      images_loaded: images.filter(function(img){ return img.complete && img.naturalWidth > 0; }).length
    }));
  }
  window.addEventListener('load', function(){ check(); setTimeout(check, 2000); });
})();
"""


def _render(page: _Page, meta: dict) -> str:
    import plotly.offline

    toc = "\n".join(f'<li><a href="#{sid}">{_e(title)}</a></li>' for sid, title, _ in page.sections)
    summary_rows = "\n".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in page.summary)
    body = []
    for index, (sid, title, content) in enumerate(page.sections):
        if index == 0:
            body.append('<h2 id="part1" class="part">Part 1 &mdash; Clustering synthetic data with KMeans and GMM</h2>')
        if sid == "p2-data":
            body.append('<h2 id="part2" class="part">Part 2 &mdash; A GMM as a generative model of Fashion-MNIST '
                        "images</h2>")
        body.append(f'<section id="{sid}"><h3>{_e(title)}</h3>\n{content}\n</section>')
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in meta["timings_s"].items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gmmlab report: KMeans, GMM and GMMs as generative models of images</title>
<script>{_PROBE}</script>
<style>{_CSS}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head>
<body>
<main>
<h1>KMeans, Gaussian mixtures, and a GMM as a generative model of images</h1>
<p class="note">Generated by gmmlab {_e(meta['gmmlab_version'])} on {_e(meta['created'])} in {_e(meta['mode'])} mode
(seed {meta['seed']}, {meta['elapsed_s']:.0f} s). Every number below is computed by this run; the same numbers are
in <code>results.json</code> next to this page. {BIC_NOTE}</p>
<h2 id="summary">Key results</h2>
<div class="table summary"><table>{summary_rows}</table></div>
<nav><ol>{toc}</ol></nav>
{''.join(body)}
<h2 id="sources">Sources</h2>
<p>scikit-learn user guide (KMeans, GaussianMixture, BIC); G. Schwarz, "Estimating the dimension of a model",
Annals of Statistics 1978 (BIC); C. Biernacki, G. Celeux &amp; G. Govaert 2000 (ICL); V. Satop&auml;&auml; et al.,
"Finding a kneedle in a haystack" 2011 (knee detection, the kneed package); H. Xiao, K. Rasul &amp; R. Vollgraf,
"Fashion-MNIST" 2017; E. Richardson &amp; Y. Weiss, "On GANs and GMMs", NeurIPS 2018 (NDB); T. Kynk&auml;&auml;nniemi
et al. 2019 (improved precision and recall).</p>
<p class="note">Time per step: {_e(timings)}.</p>
</main>
</body>
</html>
"""


def _write(out_dir: Path, files: dict[str, str]) -> None:
    """Write the files into a temporary folder next to ``out_dir``, then rename each into place."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        for name in files:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_report(
    out_dir: str | os.PathLike[str],
    fast: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Run the whole assignment and write ``out_dir/index.html`` and ``out_dir/results.json``.

    Parameters
    ----------
    out_dir : str or path-like
        Output folder, created if needed; other files in it are left alone.
    fast : bool, default=False
        Small sizes (fewer points, runs, images and K values) so the report takes seconds; also on when the
        environment variable ``GMMLAB_FAST`` is set (:func:`gmmlab.config.fast_mode`). The full report takes a
        few minutes on two cores.
    data_dir : str or path-like, optional
        Folder holding the Fashion-MNIST files (see :func:`gmmlab.data.locate_fashion_mnist`).
    seed : int, default=0
        Seeds every random step; the same seed gives the same numbers.
    progress : bool, default=True
        Show a progress bar (tqdm) over the steps, on stderr.

    Returns
    -------
    pathlib.Path
        The written ``index.html``.

    Raises
    ------
    gmmlab.data.DataError
        If Fashion-MNIST is missing or damaged (checked before any work).
    """
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    from gmmlab import __version__
    from gmmlab.config import fast_mode
    from gmmlab.data import locate_fashion_mnist

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"build_report: seed must be a non-negative integer, got {seed!r}.")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"build_report: {out_dir} exists and is not a folder; pass a folder for the report.")
    locate_fashion_mnist(data_dir)  # fail before minutes of work, with the data error's own message
    fast = bool(fast) or fast_mode()
    page = _Page(seed=int(seed), sizes=_Sizes.for_mode(fast), data_dir=None if data_dir is None else str(data_dir),
                 progress=progress)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    import matplotlib

    # One BLAS thread: the heavy steps run in joblib worker processes already, and on a small or busy machine
    # threaded BLAS on top of them oversubscribes the cores (measured on 2 busy cores: 5-10x slower steps).
    with warnings.catch_warnings(), matplotlib.rc_context({"figure.max_open_warning": 0}), \
            threadpool_limits(limits=1):
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)  # sweeps over many K: a few fits hit max_iter
        with tqdm(total=len(_STEPS), desc="report", unit="step", disable=not progress) as bar:
            for name, step in _STEPS:
                bar.set_postfix_str(name)
                t0 = time.perf_counter()
                step(page)
                timings[name] = round(time.perf_counter() - t0, 2)
                bar.update()
    meta = {
        "gmmlab_version": __version__,
        "mode": "fast" if fast else "full",
        "seed": page.seed,
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - start, 1),
        "timings_s": timings,
        "bic_convention": "scikit-learn: BIC = -2 log L + p ln n, lower is better",
    }
    results = {"meta": meta, "summary": dict(page.summary), **page.results}
    files = {
        "index.html": _render(page, meta),
        "results.json": json.dumps(_jsonable(results), indent=1, allow_nan=False),
    }
    _write(out_dir, files)
    return out_dir / "index.html"
