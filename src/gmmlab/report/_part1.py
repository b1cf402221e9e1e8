"""Part 1 of the report: KMeans and GMMs on synthetic Gaussian mixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._context import ReportContext, SceneFits
from ._html import BIC_NOTE, _e, _figure, _p, _plotly, _png, _records, _selection_dict, _table

_PRESETS = ("elongated", "blobs4")


def _synthetic_data(ctx: ReportContext) -> None:
    from gmmlab.data import PRESETS, make_preset
    from gmmlab.plotting.static import plot_data

    fig, axes = _figure(1, 2, size=(5.5, 4.5))
    info = {}
    rows = []
    for ax, name in zip(axes[0], _PRESETS):
        data = make_preset(name, n_samples=ctx.sizes.n_synthetic, random_state=ctx.seed)
        ctx.scenes[name] = SceneFits(data)
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
    ctx.results.setdefault("part1", {})["data"] = info
    ctx.add(
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


def _kmeans_vs_gmm(ctx: ReportContext) -> None:
    from sklearn.metrics import adjusted_rand_score

    from gmmlab.kmeans import TracedKMeans
    from gmmlab.mixture import GaussianMixture
    from gmmlab.plotting.comparison import compare_assignments, disagreement
    from gmmlab.plotting.static import plot_gmm, plot_kmeans

    fig, axes = _figure(2, 2, size=(5.5, 4.5))
    rows, numbers = [], {}
    for row_axes, name in zip(axes, _PRESETS):
        data = ctx.need("scenes", "synthetic data")[name].data
        k = data.n_components
        km = TracedKMeans(n_clusters=k, n_init=10, random_state=ctx.seed, record_history=False).fit(data.X)
        gm = GaussianMixture(n_components=k, covariance_type="full", n_init=5, random_state=ctx.seed).fit(data.X)
        ctx.scenes[name] = SceneFits(data, km, gm)
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
    elongated = ctx.scenes["elongated"]
    fig2, axes2 = _figure(1, 2, size=(5.5, 4.5), sharex=True, sharey=True)
    compare_assignments(elongated.data.X, elongated.kmeans.labels_, elongated.gmm.predict(elongated.data.X),
                        ax=axes2[0])
    ctx.results["part1"]["kmeans_vs_gmm"] = numbers
    e, b = numbers["elongated"], numbers["blobs4"]
    ctx.summary.append((
        "1b KMeans vs GMM (elongated, true K=3)",
        f"ARI against the truth: KMeans {e['ari_kmeans']:.2f}, GMM {e['ari_gmm']:.2f}; they disagree on "
        f"{e['share_disagree']:.0%} of the points.",
    ))
    ctx.add(
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


def _evolution(ctx: ReportContext) -> None:
    from gmmlab.kmeans import TracedKMeans
    from gmmlab.mixture import GaussianMixture
    from gmmlab.plotting.interactive import animate_evolution

    data = ctx.need("scenes", "synthetic data")["elongated"].data
    k = data.n_components
    # Random starts make the path visible; the KMeans-initialised fit above starts almost at the solution.
    gm = GaussianMixture(n_components=k, covariance_type="full", init_params="random_from_data", max_iter=200,
                         random_state=ctx.seed, record_history=True).fit(data.X)
    km = TracedKMeans(n_clusters=k, init="random", n_init=1, random_state=ctx.seed, record_history=True).fit(data.X)
    gm_objectives = gm.history_.objectives()
    km_objectives = km.history_.objectives()
    ctx.results["part1"]["evolution"] = {
        "gmm": {"init_params": "random_from_data", "n_iter": gm.n_iter_, "converged": gm.converged_,
                "mean_log_likelihood_per_iteration": gm_objectives,
                "means_per_iteration": [r.means for r in gm.history_.best()]},
        "kmeans": {"init": "random", "n_iter": km.n_iter_, "inertia_per_iteration": km_objectives,
                   "centers_per_iteration": [r.means for r in km.history_.best()]},
    }
    ctx.add(
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
        _plotly(ctx, animate_evolution(gm.history_, data.X), height=600),
        _p(
            "The same for KMeans (Lloyd's algorithm from random centres): centres move to the mean of their cell "
            f"and the inertia (within-cluster sum of squares) drops from {km_objectives[0]:.1f} to "
            f"{km_objectives[-1]:.1f} in {len(km_objectives) - 1} iterations.",
        ),
        _plotly(ctx, animate_evolution(km.history_, data.X), height=600),
    )


def _robustness(ctx: ReportContext) -> None:
    from gmmlab.plotting.comparison import plot_robustness
    from gmmlab.robustness import init_robustness, summarize_robustness

    data = ctx.need("scenes", "synthetic data")["elongated"].data
    sizes = ctx.sizes
    table = init_robustness(data.X, data.y, data.n_components, covariance_types=sizes.robustness_covariances,
                            n_runs=sizes.robustness_runs, random_state=ctx.seed, n_jobs=sizes.n_jobs)
    summary = summarize_robustness(table)
    fig, axes = _figure(1, 1, size=(12, 5))
    plot_robustness(table, ax=axes[0, 0])
    ctx.results["part1"]["robustness"] = {"summary": _records(summary), "runs": _records(table)}
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
    ctx.summary.append((
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
    ctx.add(
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


def _synthetic_selection(ctx: ReportContext) -> None:
    from gmmlab.mixture import COVARIANCE_TYPES
    from gmmlab.plotting.selection import plot_criterion, plot_elbow
    from gmmlab.selection import choose_n_components, sweep

    sizes = ctx.sizes
    fig, axes = _figure(2, 2, size=(6, 4.2))
    numbers, rows = {}, []
    for col, name in enumerate(_PRESETS):
        data = ctx.need("scenes", "synthetic data")[name].data
        kmeans = sweep(data.X, n_components=sizes.k_synthetic, n_seeds=sizes.synthetic_seeds, model="kmeans",
                       progress=False, random_state=ctx.seed, n_jobs=sizes.n_jobs)
        knee = choose_n_components(kmeans, criterion="inertia")
        gmm = sweep(data.X, n_components=sizes.k_synthetic, covariance_types=COVARIANCE_TYPES,
                    n_seeds=sizes.synthetic_seeds, progress=False, random_state=ctx.seed, n_jobs=sizes.n_jobs)
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
    ctx.results["part1"]["selection"] = numbers
    ctx.summary.append((
        "1d Choosing K",
        "; ".join(
            f"{name} (true {entry['true_n_components']}): inertia knee K={entry['kmeans_choice']['n_components']}, "
            f"BIC K={entry['gmm_choice']['n_components']} ({entry['gmm_choice']['covariance_type']})"
            for name, entry in numbers.items()
        ) + ".",
    ))
    ctx.add(
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




def _mclust_models(ctx: ReportContext) -> None:
    import warnings

    from gmmlab.mixture import MCLUST_MODEL_NAMES, mclust_bic
    from gmmlab.selection import choose_n_components, sweep

    sizes = ctx.sizes
    name = _PRESETS[0]
    data = ctx.need("scenes", "synthetic data")[name].data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a singular (model, K) is a cell of the table, not a warning here
        results = sweep(data.X, n_components=sizes.k_synthetic, covariance_types=MCLUST_MODEL_NAMES,
                        n_seeds=sizes.synthetic_seeds, progress=False, random_state=ctx.seed, n_jobs=sizes.n_jobs)
    choice = choose_n_components(results, criterion="bic")
    best = results.groupby(["covariance_type", "n_components"], sort=False)["bic"].min()
    rows = []
    for model in MCLUST_MODEL_NAMES:
        row = {"model": model}
        for k in sizes.k_synthetic:
            value = best.get((model, k), np.nan)
            row[f"K={k}"] = f"{value:.1f}" if np.isfinite(value) else "singular"
        rows.append(row)
    ctx.results["part1"]["mclust_models"] = {
        "scene": name, "sweep": _records(results), "choice": _selection_dict(choice),
        "best_mclust_sign": {f"{m} K={k}": float(mclust_bic(v)) for (m, k), v in best.items() if np.isfinite(v)},
    }
    ctx.summary.append((
        "1e mclust's 14 models",
        f"on {name} (true K={data.n_components}) BIC chooses {choice.covariance_type} with K={choice.n_components}.",
    ))
    ctx.add(
        "p1-models", "1e. mclust's 14 covariance models: BIC per model and K",
        _p(
            "Beyond scikit-learn's four covariance types, gmmlab fits mclust's 14 parsimonious models "
            "Sigma_k = lambda_k D_k A_k D_k^T: the three letters say whether the volume (lambda), the shape (A) and "
            "the orientation (D) are Equal or Variable across components, I meaning the identity (spherical "
            "shape or axis-aligned orientation). VII, VVI, EEE and VVV are spherical, diag, tied and full. "
            f"The table gives the best BIC over {sizes.synthetic_seeds} seed(s) per model and K on the {name} "
            f"scene; BIC chooses <b>{choice.covariance_type}</b> with <b>K={choice.n_components}</b> "
            f"({_e(choice.reason)}). mclust reports the same criterion with the opposite sign (2 log L - p ln n, "
            "higher is better; gmmlab.mixture.mclust_bic converts).", BIC_NOTE,
        ),
        _table(pd.DataFrame(rows), digits=1),
    )
