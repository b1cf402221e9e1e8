# %% [markdown]
# # Práctica 7 — Parte 1: agrupamiento con KMeans y GMM sobre datos sintéticos
#
# En esta primera parte trabajamos con datos **simulados**, de los que conocemos la verdad: qué distribución los
# generó, cuántos grupos hay y a qué grupo pertenece cada punto. Eso nos permite medir sin ambigüedad cómo de bien
# agrupan **KMeans** y una **mezcla de gaussianas (GMM)**, ver cómo evolucionan sus parámetros durante la
# optimización, estudiar su sensibilidad a la inicialización y al tipo de covarianza, y comprobar si la inercia
# (KMeans) y el BIC (GMM) recuperan el número correcto de grupos.
#
# Todo el código de modelos y gráficos está en el paquete `gmmlab` de este repositorio (`GaussianMixture`
# reproduce la interfaz de scikit-learn y además guarda el historial de iteraciones; `TracedKMeans` es el KMeans
# de scikit-learn con historial). Cada respuesta (**Respuesta.**) se escribe desde el código con los números que
# se acaban de calcular. Con la variable de entorno `GMMLAB_FAST=1` el cuaderno se ejecuta con tamaños pequeños
# (para las pruebas automáticas); la versión entregada está ejecutada a tamaño completo.

# %%
import inspect
import textwrap
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.io as pio
from IPython.display import Markdown, display
from scipy.stats import chi2, multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

import gmmlab.config
from gmmlab.data import PRESETS, list_presets, make_gmm_data, make_preset
from gmmlab.kmeans import TracedKMeans
from gmmlab.mixture import COVARIANCE_TYPES, GaussianMixture
from gmmlab.plotting import (
    animate_evolution,
    compare_assignments,
    disagreement,
    evolution_widget,
    match_labels,
    plot_criterion,
    plot_data,
    plot_elbow,
    plot_ellipses,
    plot_gmm,
    plot_kmeans,
    plot_robustness,
)
from gmmlab.robustness import init_robustness, summarize_robustness
from gmmlab.selection import choose_n_components, sweep

# Small 2-D problems: extra BLAS/OpenMP threads only add overhead (and stall on a busy machine); the parallel
# sweeps and the robustness study use one process per core instead.
threadpool_limits(limits=1)
get_ipython().run_line_magic("matplotlib", "inline")  # figures inline even if MPLBACKEND says otherwise
FAST = gmmlab.config.fast_mode()
SEED = 0
SCENE = "elongated"  # the main scene: anisotropic, unequal, overlapping clusters
CONTROL = "blobs4"  # a control scene where KMeans' assumptions hold
N_SAMPLES = 300 if FAST else PRESETS[SCENE].n_samples
N_SAMPLES_CONTROL = 300 if FAST else PRESETS[CONTROL].n_samples
N_RUNS = 5 if FAST else 50  # runs per configuration in the robustness study
K_GRID = range(1, 7) if FAST else range(1, 11)
N_SEEDS = 3 if FAST else 5  # seeds per K in the model-selection sweeps

pio.renderers.default = "plotly_mimetype+notebook"  # plotly.js embedded in the notebook: renders offline
np.random.seed(SEED)
pd.set_option("display.precision", 4)
pd.set_option("display.width", 160)
plt.rcParams["figure.dpi"] = 90
notebook_start = time.perf_counter()
print(f"FAST={FAST}: {N_SAMPLES} points in the main scene, {N_RUNS} runs per configuration, K in {list(K_GRID)}")

# %% [markdown]
# ## a) ¿Qué distribución genera los datos? ¿Es GMM un modelo apropiado?
#
# > Comprende cómo se generan los datos simulados. ¿Qué tipo de distribución los está generando? Teniendo en
# > cuenta esta distribución, ¿es *GMM*, en principio, un modelo apropiado para modelar/ajustar a estos datos
# > simulados?
#
# `gmmlab.data` ofrece varias escenas predefinidas (*presets*). Usamos como escena principal `"elongated"`: tres
# grupos alargados, inclinados, de tamaños y pesos distintos y que se solapan en parte, pensada para que KMeans y
# GMM discrepen. Como escena de control usaremos `"blobs4"` (cuatro grupos redondos, iguales y bien separados).

# %%
display(pd.Series(list_presets(), name="description").to_frame())

# %% [markdown]
# El código que genera los puntos es `make_gmm_data` (la escena sólo fija sus parámetros). Esta es su parte de
# muestreo, tal cual está en la librería:

# %%
source = inspect.getsource(make_gmm_data)
print(textwrap.dedent(source[source.index("    rng = check_random_state"):]))

# %% [markdown]
# Es decir, para cada punto: primero se elige su componente $k$ con probabilidad $\pi_k$ (el número de puntos por
# componente sigue una multinomial de parámetros $\pi$), y después se dibuja $x = \mu_k + A_k z$ con
# $z \sim \mathcal N(0, I)$ y $A_k A_k^\top = \Sigma_k$, es decir, $x \mid k \sim \mathcal N(\mu_k, \Sigma_k)$.
# Marginalizando la componente, la densidad de los datos es
#
# $$p(x) = \sum_{k=1}^{K} \pi_k \, \mathcal N(x \mid \mu_k, \Sigma_k),$$
#
# exactamente una **mezcla de gaussianas**. Los parámetros verdaderos de la escena principal:

# %%
data = make_preset(SCENE, n_samples=N_SAMPLES, random_state=SEED)
X, y = data.X, data.y
K_TRUE = data.n_components


def describe_covariance(covariance):
    """Standard deviations along the principal axes, angle of the major axis and correlation of a 2x2 covariance."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    major = eigenvectors[:, -1]
    angle = np.degrees(np.arctan2(major[1], major[0])) % 180
    correlation = covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1])
    return np.sqrt(eigenvalues[-1]), np.sqrt(eigenvalues[0]), angle, correlation


truth = pd.DataFrame(
    [
        (k, data.weights[k], np.mean(y == k), *data.means[k], *describe_covariance(data.covariances[k]))
        for k in range(K_TRUE)
    ],
    columns=["component", "weight", "share_in_sample", "mean_x", "mean_y", "sd_major", "sd_minor",
             "angle_deg", "correlation"],
).set_index("component")
display(truth)
for k in range(K_TRUE):
    print(f"Sigma_{k} =\n{np.round(data.covariances[k], 3)}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True, sharey=True)
plot_data(X, ax=axes[0], title="What a clustering method sees (no labels)")
plot_data(X, y, ax=axes[1], title="Coloured by the true component, true 1 and 2 sd ellipses")
plot_ellipses(data.means, data.covariances, "full", ax=axes[1], weights=data.weights)
plt.tight_layout()
plt.show()

# %% [markdown]
# Dos comprobaciones numéricas de que cada grupo es gaussiano y de cuánto se solapan: (1) si $x \sim \mathcal
# N(\mu_k, \Sigma_k)$ en 2-D, la distancia de Mahalanobis al cuadrado sigue una $\chi^2_2$, así que un 39,3 % de los
# puntos debe caer dentro de la elipse de 1 desviación típica y un 86,5 % dentro de la de 2; (2) el clasificador
# de Bayes con los parámetros **verdaderos** (asignar cada punto a la componente de mayor probabilidad a
# posteriori) es lo mejor que puede hacer cualquier método: sus errores miden el solapamiento intrínseco y su ARI
# es el techo para KMeans y GMM.

# %%
inside = []
for k in range(K_TRUE):
    centred = X[y == k] - data.means[k]
    mahalanobis2 = np.einsum("ij,jk,ik->i", centred, np.linalg.inv(data.covariances[k]), centred)
    inside.append((k, np.mean(mahalanobis2 <= 1), np.mean(mahalanobis2 <= 4)))
inside = pd.DataFrame(inside, columns=["component", "within_1sd", "within_2sd"]).set_index("component")
inside.loc["chi2(2) expected"] = [chi2.cdf(1, 2), chi2.cdf(4, 2)]
display(inside)

log_joint = np.column_stack(
    [np.log(data.weights[k]) + multivariate_normal(data.means[k], data.covariances[k]).logpdf(X) for k in range(K_TRUE)]
)
true_posterior = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
true_posterior /= true_posterior.sum(axis=1, keepdims=True)
bayes_labels = true_posterior.argmax(axis=1)
bayes_error = np.mean(bayes_labels != y)
ari_bayes = adjusted_rand_score(y, bayes_labels)
true_loglik = float(np.mean(np.log(np.exp(log_joint).sum(axis=1))))
anisotropy = truth["sd_major"] / truth["sd_minor"]
print(f"Bayes classifier with the true parameters: {bayes_error:.1%} of points misassigned, ARI {ari_bayes:.3f}")
print(f"Mean log-likelihood per point under the true mixture: {true_loglik:.4f}")
print(f"sd_major / sd_minor per component: {np.round(anisotropy.to_numpy(), 1)}")

# %% [markdown]
# **Por qué KMeans supone otra cosa.** KMeans minimiza la inercia $\sum_i \lVert x_i - c_{k(i)} \rVert^2$. Eso es
# el límite de un GMM muy particular: todas las componentes con la **misma covarianza esférica** $\sigma^2 I$, los
# mismos pesos, y $\sigma \to 0$ (las responsabilidades se vuelven 0/1, asignación dura). Por tanto KMeans asume
# implícitamente grupos redondos, de igual tamaño y del mismo peso, y sus fronteras son las de Voronoi (mediatrices
# entre centros). Un GMM con covarianza `full` no tiene esas restricciones: cada componente tiene su peso, su
# centro y su elipse.

# %%
display(Markdown(
    f"**Respuesta.** Los datos los genera una **mezcla de {K_TRUE} gaussianas bivariantes**: `make_gmm_data` "
    f"elige la componente de cada punto con una multinomial de pesos "
    f"{', '.join(f'{w:.2f}' for w in data.weights)} (en la muestra de {len(X)} puntos salen "
    f"{', '.join(f'{s:.3f}' for s in truth['share_in_sample'])}) y luego dibuja el punto de "
    f"$\\mathcal N(\\mu_k, \\Sigma_k)$, transformando ruido normal estándar con una raíz de $\\Sigma_k$. "
    f"Las covarianzas son completas: cada grupo es una elipse inclinada "
    f"({', '.join(f'{a:.0f}°' for a in truth['angle_deg'])}) con una desviación típica a lo largo del eje mayor "
    f"entre {anisotropy.min():.1f} y {anisotropy.max():.1f} veces la del eje menor. La comprobación de Mahalanobis "
    f"lo confirma empíricamente: dentro de la elipse de 1 desviación típica cae entre "
    f"{inside['within_1sd'].iloc[:-1].min():.1%} y {inside['within_1sd'].iloc[:-1].max():.1%} de los puntos de "
    f"cada grupo (se esperan {chi2.cdf(1, 2):.1%}), y dentro de la de 2, entre "
    f"{inside['within_2sd'].iloc[:-1].min():.1%} y {inside['within_2sd'].iloc[:-1].max():.1%} "
    f"(se esperan {chi2.cdf(4, 2):.1%}).\n\n"
    f"Por eso un **GMM es, en principio, el modelo apropiado**: la distribución que genera los datos pertenece "
    f"exactamente a la familia del modelo (un GMM con K={K_TRUE} y covarianzas `full`), así que el estimador de "
    f"máxima verosimilitud puede acercarse a los parámetros verdaderos según crece la muestra. Dos matices: EM sólo "
    f"garantiza un óptimo local (depende de la inicialización, apartado c) y en la práctica K no se conoce "
    f"(apartado d). Además los grupos se solapan: incluso el clasificador de Bayes con los parámetros verdaderos "
    f"asigna mal el {bayes_error:.1%} de los puntos (ARI {ari_bayes:.3f}), que es el techo de cualquier método. "
    f"KMeans, en cambio, supone grupos esféricos de igual tamaño y peso, algo que aquí no se cumple (pesos "
    f"distintos, grupos {anisotropy.max():.1f} veces más largos que anchos), de modo que cabe esperar que corte los "
    f"grupos por donde no son."
))

# %% [markdown]
# ## b) KMeans frente a GMM con el número correcto de componentes
#
# > Haz y compara el ajuste de *KMeans* y *GMM* a estos datos, empleando el número correcto de
# > clústers/componentes Gaussianas. ¿Ves alguna diferencia, por ejemplo, en las asignaciones de los datos a los
# > clústers/componentes Gaussianas? También puedes ver cómo evolucionan los parámetros (centros, medias,
# > covarianzas, etc.) durante la optimización de cada método, a partir de los widgets aportados.
#
# Ajustamos ambos con K igual al número verdadero de componentes y las opciones por defecto de scikit-learn
# (KMeans con `k-means++`; GMM `full` inicializado con KMeans), guardando el historial de iteraciones.

# %%
kmeans = TracedKMeans(n_clusters=K_TRUE, random_state=SEED).fit(X)
gmm = GaussianMixture(n_components=K_TRUE, covariance_type="full", random_state=SEED, record_history=True).fit(X)
kmeans_labels = kmeans.labels_
gmm_labels = gmm.predict(X)
responsibilities = gmm.predict_proba(X)

ari_kmeans = adjusted_rand_score(y, kmeans_labels)
ari_gmm = adjusted_rand_score(y, gmm_labels)
wrong_kmeans = np.mean(match_labels(y, kmeans_labels) != y)
wrong_gmm = np.mean(match_labels(y, gmm_labels) != y)
differ = disagreement(kmeans_labels, gmm_labels)
fit_table = pd.DataFrame(
    {
        "ARI vs truth": [ari_kmeans, ari_gmm, ari_bayes],
        "misassigned (after matching)": [wrong_kmeans, wrong_gmm, bayes_error],
        "iterations": [kmeans.n_iter_, gmm.n_iter_, np.nan],
    },
    index=["KMeans", "GMM (full)", "Bayes with true parameters"],
)
display(fit_table)
print(f"KMeans and GMM disagree on {differ.sum()} of {len(X)} points ({differ.mean():.1%}) after Hungarian matching")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharex=True, sharey=True)
compare_assignments(X, kmeans_labels, gmm_labels, ax=axes)
axes[0].set_title(f"KMeans (ARI vs truth {ari_kmeans:.3f}); circled: the two disagree")
axes[1].set_title(f"GMM full, labels matched to KMeans (ARI vs truth {ari_gmm:.3f})")
plt.tight_layout()
plt.show()

# %% [markdown]
# A la izquierda, KMeans con sus regiones de Voronoi; a la derecha, el GMM con sus elipses a 1 y 2 desviaciones
# típicas y los puntos coloreados por la **mezcla** de colores de sus responsabilidades (asignación blanda: un
# punto entre dos componentes sale de un color intermedio).

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True, sharey=True)
plot_kmeans(kmeans, X, ax=axes[0])
axes[0].set_title(f"KMeans: Voronoi regions and centres (inertia {kmeans.inertia_:.1f})")
plot_gmm(gmm, X, ax=axes[1], soft=True)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Asignaciones blandas del GMM.** Para cada punto, el GMM da la probabilidad a posteriori de cada componente
# (`predict_proba`); KMeans sólo da una etiqueta. Miramos cuántos puntos quedan realmente en duda y dónde están.

# %%
max_resp = responsibilities.max(axis=1)
uncertain = max_resp < 0.9
share_uncertain = uncertain.mean()
share_very_uncertain = np.mean(max_resp < 0.6)
gmm_error_uncertain = np.mean((match_labels(y, gmm_labels) != y)[uncertain]) if uncertain.any() else np.nan
gmm_error_confident = np.mean((match_labels(y, gmm_labels) != y)[~uncertain])
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
axes[0].hist(max_resp, bins=40, color="tab:blue", alpha=0.8)
axes[0].axvline(0.9, color="black", linestyle="--", linewidth=1)
axes[0].set_xlabel("largest responsibility of the point")
axes[0].set_ylabel("points")
axes[0].set_title(f"{share_uncertain:.1%} of the points have max responsibility < 0.9")
plot_gmm(gmm, X, ax=axes[1], soft=False)
axes[1].scatter(X[uncertain, 0], X[uncertain, 1], s=40, facecolors="none", edgecolors="black", linewidths=0.8,
                label="max responsibility < 0.9")
axes[1].legend(loc="lower right", fontsize="small")
axes[1].set_title("GMM hard assignment; circled: uncertain points")
plt.tight_layout()
plt.show()
most_uncertain = np.argsort(max_resp)[:5]
display(pd.DataFrame(responsibilities[most_uncertain], index=most_uncertain,
                     columns=[f"component {k}" for k in range(K_TRUE)]).rename_axis("point").round(3))

# %% [markdown]
# Los parámetros que estima el GMM, comparados con los verdaderos (las componentes emparejadas con el algoritmo
# húngaro sobre las etiquetas):

# %%
matched = match_labels(y, gmm_labels)
order = [int(np.bincount(matched[gmm_labels == j], minlength=K_TRUE).argmax()) for j in range(K_TRUE)]
to_true = np.argsort(order)  # fitted component that plays the role of each true component
estimated = pd.DataFrame(
    [
        (k, data.weights[k], gmm.weights_[j], np.linalg.norm(gmm.means_[j] - data.means[k]),
         *describe_covariance(gmm.covariances_[j])[:3])
        for k, j in enumerate(to_true)
    ],
    columns=["true component", "true weight", "fitted weight", "|mean error|", "fitted sd_major",
             "fitted sd_minor", "fitted angle_deg"],
).set_index("true component")
estimated.insert(4, "true sd_major", truth["sd_major"].to_numpy())
display(estimated)
fitted_loglik = gmm.score(X)
print(f"Mean log-likelihood per point: fitted GMM {fitted_loglik:.4f}, true mixture {true_loglik:.4f}")

# %% [markdown]
# ### Evolución de los parámetros durante la optimización
#
# Los dos métodos alternan dos pasos: KMeans asigna cada punto al centro más cercano y recalcula los centros
# (Lloyd); el GMM calcula responsabilidades (paso E) y reestima pesos, medias y covarianzas (paso M). Ambos
# estimadores guardan el estado de cada iteración en `history_` (la iteración 0 es la inicialización).
#
# **Widgets interactivos** (necesitan un kernel en marcha: en una exportación estática sólo se ve el primer
# fotograma). El desplegable elige el reinicio, el deslizador la iteración; a la derecha, el objetivo hasta ese
# momento.

# %%
evolution_widget(kmeans.history_, X)

# %%
evolution_widget(gmm.history_, X)

# %% [markdown]
# **Animaciones plotly** (funcionan también en la exportación estática, sin kernel): botón *Play* o deslizador.

# %%
animate_evolution(kmeans.history_, X).show()

# %%
animate_evolution(gmm.history_, X).show()

# %% [markdown]
# La misma evolución en unas pocas instantáneas (iteraciones 0, 1, 3, la de en medio y la última), y las curvas del objetivo: la
# inercia de KMeans y la log-verosimilitud media por punto del GMM.

# %%
kmeans_records = kmeans.history_.best()
gmm_records = gmm.history_.best()


def snapshots(records):
    last = records[-1].iteration
    return [records[i] for i in sorted({min(i, last) for i in (0, 1, 3, last // 2, last)})]


kmeans_shots, gmm_shots = snapshots(kmeans_records), snapshots(gmm_records)
n_columns = max(len(kmeans_shots), len(gmm_shots))
fig, axes = plt.subplots(2, n_columns, figsize=(3.6 * n_columns, 5.2), sharex=True, sharey=True, squeeze=False)
for ax, record in zip(axes[0], kmeans_shots):
    plot_kmeans(record, X, ax=ax, labels=record.labels, resolution=150)
    ax.set_title(f"KMeans, iteration {record.iteration}\ninertia {record.objective:.1f}", fontsize="medium")
for ax, record in zip(axes[1], gmm_shots):
    plot_gmm(record, X, ax=ax, covariance_type=gmm.history_.covariance_type)
    ax.set_title(f"GMM, iteration {record.iteration}\nmean log-lik. {record.objective:.4f}", fontsize="medium")
for ax in axes.ravel()[len(kmeans_shots):n_columns]:
    ax.set_visible(False)
for ax in axes[1, len(gmm_shots):]:
    ax.set_visible(False)
plt.tight_layout()
plt.show()

# %%
inertia_curve = kmeans.history_.objectives()
loglik_curve = gmm.history_.objectives()
inertia_steps = np.diff(inertia_curve)
loglik_steps = np.diff(loglik_curve)
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
axes[0].plot(np.arange(inertia_curve.size), inertia_curve, marker="o")
axes[0].set_title("KMeans: inertia per iteration (lower is better)")
axes[0].set_xlabel("iteration")
axes[0].set_ylabel("inertia")
axes[1].plot(np.arange(loglik_curve.size), loglik_curve, marker="o", color="tab:orange")
axes[1].set_title("GMM: mean log-likelihood per point (higher is better)")
axes[1].set_xlabel("iteration")
axes[1].set_ylabel("mean log-likelihood")
plt.tight_layout()
plt.show()
print(f"KMeans: {inertia_curve.size - 1} updates, inertia {inertia_curve[0]:.2f} -> {inertia_curve[-1]:.2f}; "
      f"largest change between iterations {inertia_steps.max():+.3g} (never positive: {bool(np.all(inertia_steps <= 1e-9))})")
print(f"GMM: {loglik_curve.size - 1} EM steps, log-likelihood {loglik_curve[0]:.4f} -> {loglik_curve[-1]:.4f}; "
      f"smallest change between iterations {loglik_steps.min():+.3g} (never negative: {bool(np.all(loglik_steps >= -1e-12))})")

# %%
kmeans_better = ari_kmeans > ari_gmm + 0.05
gmm_better = ari_gmm > ari_kmeans + 0.05
verdict = (
    "el GMM recupera los grupos verdaderos mucho mejor que KMeans" if gmm_better
    else "KMeans recupera los grupos verdaderos mejor que el GMM" if kmeans_better
    else "ambos recuperan los grupos verdaderos de forma parecida"
)
display(Markdown(
    f"**Respuesta.** {'Sí hay diferencias, y grandes' if gmm_better or kmeans_better else 'Las diferencias son pequeñas'}: {verdict}. Frente a la verdad, KMeans obtiene un ARI de "
    f"{ari_kmeans:.3f} ({wrong_kmeans:.1%} de puntos mal asignados tras emparejar etiquetas) y el GMM `full` un "
    f"ARI de {ari_gmm:.3f} ({wrong_gmm:.1%} mal asignados), cuando el techo del clasificador de Bayes con los "
    f"parámetros verdaderos es {ari_bayes:.3f} ({bayes_error:.1%}). Los dos modelos discrepan en {differ.sum()} "
    f"de {len(X)} puntos ({differ.mean():.1%}), marcados con un círculo en la figura. La razón es la del apartado "
    f"a): KMeans reparte el plano en regiones de Voronoi, con fronteras rectas perpendiculares a los segmentos "
    f"entre centros, y minimizar la inercia premia grupos compactos y redondos; con grupos alargados "
    f"{anisotropy.max():.1f} veces más largos que anchos, "
    f"{'le sale más barato cortarlos transversalmente que seguirlos' if ari_kmeans < 0.5 else 'sus fronteras rectas no siguen del todo la forma de los grupos'}. "
    f"El GMM aprende una elipse por componente (pesos estimados "
    f"{', '.join(f'{w:.2f}' for w in estimated['fitted weight'])} frente a los verdaderos "
    f"{', '.join(f'{w:.2f}' for w in data.weights)}; error máximo de una media {estimated['|mean error|'].max():.3f}) "
    f"y su log-verosimilitud media en la muestra es {fitted_loglik:.4f}, "
    f"{'incluso algo mayor que' if fitted_loglik > true_loglik else 'cercana a'} la del modelo verdadero "
    f"({true_loglik:.4f}){': el máximo de verosimilitud se ajusta a la muestra concreta' if fitted_loglik > true_loglik else ''}.\n\n"
    f"Además el GMM da **asignaciones blandas**: el {share_uncertain:.1%} de los puntos tiene una responsabilidad "
    f"máxima menor que 0,9 (y el {share_very_uncertain:.1%} menor que 0,6). Son los puntos de las zonas de "
    f"solapamiento (rodeados en la figura), y {'es donde se concentran sus errores' if gmm_error_uncertain > gmm_error_confident else 'sus errores no se concentran en ellos'}: "
    f"se equivoca en el {gmm_error_uncertain:.1%} de los puntos dudosos frente al {gmm_error_confident:.1%} de los "
    f"seguros. KMeans no tiene esa información: asigna cada punto a un único clúster con total seguridad "
    f"aparente.\n\n"
    f"En la evolución, KMeans converge en {inertia_curve.size - 1} actualizaciones y el GMM en "
    f"{loglik_curve.size - 1} pasos EM. La inercia de KMeans "
    f"{'nunca aumenta' if np.all(inertia_steps <= 1e-9) else 'AUMENTA en algún paso'} (mayor cambio entre "
    f"iteraciones {inertia_steps.max():+.3g}; baja de {inertia_curve[0]:.1f} a {inertia_curve[-1]:.1f}) y la "
    f"log-verosimilitud del GMM {'nunca disminuye' if np.all(loglik_steps >= -1e-12) else 'DISMINUYE en algún paso'} "
    f"(menor cambio {loglik_steps.min():+.3g}; sube de {loglik_curve[0]:.4f} a {loglik_curve[-1]:.4f}), como "
    f"garantizan Lloyd y EM. En las instantáneas se ve que el GMM parte de la partición de KMeans (su "
    f"inicialización por defecto: la iteración 0 tiene las medias y covarianzas de los grupos de KMeans) y, a lo "
    f"largo de las iteraciones, las elipses se estiran y giran hasta alinearse con los grupos, arrastrando con ellas "
    f"las asignaciones; KMeans, en cambio, sólo mueve los centros y sus fronteras rectas."
))

# %% [markdown]
# ## c) Inicialización y tipo de covarianza: ¿qué método es más robusto?
#
# > Prueba a modificar la forma de inicializar los clústers y componentes Gaussianas, así como el tipo de
# > covarianzas. ¿Hay diferencias entre *KMeans* y *GMM*? ¿Qué método, es, en general, más robusto a peores
# > inicializaciones? ¿Por qué?
#
# `init_robustness` ajusta cada combinación (método, inicialización, tipo de covarianza) con muchas semillas
# (`n_init=1`, la misma semilla para la ejecución r de todas las combinaciones) y puntúa cada ajuste con el ARI
# frente a la verdad. Inicializaciones:
#
# - KMeans: `k-means++` (por defecto), `random` (K puntos al azar de los datos) y `bad`.
# - GMM: `kmeans` (por defecto: responsabilidades de un KMeans), `k-means++` y `random_from_data` (medias en puntos
#   de los datos, elegidos con k-means++ o al azar), `random` (responsabilidades aleatorias uniformes, como
#   scikit-learn) y `bad`.
# - `bad` es una inicialización **deliberadamente mala**: todas las medias/centros en puntos del grupo verdadero más
#   grande (y, en el GMM, pesos iguales y la covarianza de ese grupo).
#
# Además del ARI, medimos si cada ejecución llega al **mejor valor del objetivo** que encontró cualquier ejecución
# de ese método y tipo de covarianza (inercia a menos de un 0,1 %; log-verosimilitud media a menos de 0,001, la
# tolerancia de EM): eso separa "el óptimo es malo" (problema del modelo) de "no llega al óptimo" (problema de
# inicialización).

# %%
def with_objective_gaps(table, summary):
    """Add, per configuration, the share of runs at the best objective found and the worst gap to it."""
    is_kmeans = table["method"] == "kmeans"
    loss = table["objective"].where(is_kmeans, -table["objective"])  # lower is better for both
    best = loss.groupby([table["method"], table["covariance_type"]]).transform("min")
    gap = (loss - best).where(~is_kmeans, (loss - best) / best)  # nats per point for GMM, relative for KMeans
    gaps = table.assign(at_best=gap <= 1e-3, gap=gap).groupby(["method", "init", "covariance_type"], sort=False)
    extra = gaps.agg(share_at_best=("at_best", "mean"), worst_gap=("gap", "max")).round(6).reset_index()
    return summary.merge(extra, on=["method", "init", "covariance_type"])


with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    robustness = init_robustness(X, y, K_TRUE, n_runs=N_RUNS, random_state=SEED)
summary = with_objective_gaps(robustness, summarize_robustness(robustness))
display(summary.drop(columns=["converged_share"]))

# %% [markdown]
# (`worst_gap`: para KMeans, exceso relativo de inercia respecto a la mejor; para el GMM, log-verosimilitud media
# por punto que le falta respecto a la mejor. `share_ari_ge_0.9`: fracción de ejecuciones con ARI ≥ 0,9.)

# %%
ax = plot_robustness(robustness)
ax.set_title(f"Scene '{SCENE}': ARI of {N_RUNS} runs per configuration")
plt.tight_layout()
plt.show()

# %% [markdown]
# **La inicialización `random` del GMM, de cerca.** En la tabla, el GMM con `init_params="random"` se detiene en muy
# pocas iteraciones. La razón: con responsabilidades uniformes al azar, todas las componentes empiezan con casi la
# misma media (la media global) y la misma covarianza (la global), un punto casi estacionario de EM (el modelo de
# una sola gaussiana repetido K veces). La log-verosimilitud apenas cambia en el primer paso y el criterio de
# parada (`tol=1e-3`) lo da por convergido.

# %%
single_gaussian_loglik = GaussianMixture(1).fit(X).score(X)
random_run = GaussianMixture(K_TRUE, init_params="random", random_state=SEED, record_history=True).fit(X)
random_start = random_run.history_.best()[0]
spread_means = np.ptp(random_start.means, axis=0).max()
spread_data = np.ptp(X, axis=0).max()
random_rows = robustness[(robustness["method"] == "gmm") & (robustness["init"] == "random")
                         & (robustness["covariance_type"] == "full")]
print(f"initial means span {spread_means:.3f} units vs a data range of {spread_data:.1f}")
print(f"this run stops after {random_run.n_iter_} iterations at log-likelihood {random_run.score(X):.4f}; "
      f"a single Gaussian fitted to all data scores {single_gaussian_loglik:.4f}")
print(f"over the {len(random_rows)} 'random' full runs: median log-likelihood {random_rows['objective'].median():.4f}, "
      f"median iterations {random_rows['n_iter'].median():.0f}")

# %% [markdown]
# **Una inicialización mala, de cerca.** Partimos KMeans y el GMM `full` del mismo inicio malo (los K centros en
# puntos del grupo más grande) con varias semillas y mostramos la semilla en la que el GMM termina peor.

# %%
def bad_start(X, y, n_components, seed):
    """Means on random points of the largest true cluster; that cluster's covariance for every component."""
    rng = np.random.RandomState(seed)
    pool = np.flatnonzero(y == np.bincount(y).argmax())
    means = X[rng.choice(pool, n_components, replace=False)]
    precision = np.linalg.inv(np.cov(X[pool], rowvar=False))
    return means, np.repeat(precision[None], n_components, axis=0)


bad_fits = []
for seed in range(5 if FAST else 10):
    means0, precisions0 = bad_start(X, y, K_TRUE, seed)
    bad_kmeans = TracedKMeans(K_TRUE, init=means0, n_init=1).fit(X)
    bad_gmm = GaussianMixture(K_TRUE, weights_init=np.full(K_TRUE, 1 / K_TRUE), means_init=means0,
                              precisions_init=precisions0, random_state=seed).fit(X)
    bad_fits.append((adjusted_rand_score(y, bad_gmm.predict(X)), seed, means0, bad_kmeans, bad_gmm))
ari_bad_gmm, bad_seed, means0, bad_kmeans, bad_gmm = min(bad_fits, key=lambda fit: fit[0])
ari_bad_kmeans = adjusted_rand_score(y, bad_kmeans.labels_)
# How the bad fit shares out the groups: a true group counts as split when two or more components each take 20 % of
# it, and a component as merging when two or more true groups each make up 20 % of it.
crosstab = pd.crosstab(y, bad_gmm.predict(X)).reindex(columns=range(K_TRUE), fill_value=0).to_numpy()
groups_split = int(np.sum((crosstab / crosstab.sum(axis=1, keepdims=True) >= 0.2).sum(axis=1) >= 2))
components_merging = int(np.sum((crosstab / np.maximum(crosstab.sum(axis=0, keepdims=True), 1) >= 0.2).sum(axis=0) >= 2))
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True, sharey=True)
plot_kmeans(bad_kmeans, X, ax=axes[0])
axes[0].set_title(f"KMeans from the bad start (seed {bad_seed}): ARI {ari_bad_kmeans:.3f}, {bad_kmeans.n_iter_} iterations")
plot_gmm(bad_gmm, X, ax=axes[1])
axes[1].set_title(f"GMM full from the same start: ARI {ari_bad_gmm:.3f}, {bad_gmm.n_iter_} iterations")
for ax in axes:
    ax.scatter(means0[:, 0], means0[:, 1], marker="o", s=90, facecolors="none", edgecolors="red", linewidths=2,
               label="initial centres / means")
    ax.legend(loc="lower right", fontsize="small")
plt.tight_layout()
plt.show()
print(f"bad-start GMM log-likelihood {bad_gmm.score(X):.4f} vs {fitted_loglik:.4f} from the default start; "
      f"{groups_split} true group(s) split between components, {components_merging} component(s) covering several groups")

# %% [markdown]
# **Escena de control.** En `"elongated"` KMeans falla por el modelo, no por la inicialización, así que esa escena
# sola no basta para comparar la sensibilidad a la inicialización. Repetimos el estudio en `"blobs4"`, donde los
# supuestos de KMeans se cumplen y ambos modelos pueden acertar (GMM `full` y `spherical`, el análogo de KMeans).

# %%
control = make_preset(CONTROL, n_samples=N_SAMPLES_CONTROL, random_state=SEED)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    robustness_control = init_robustness(control.X, control.y, control.n_components,
                                         covariance_types=("full", "spherical"), n_runs=N_RUNS, random_state=SEED)
summary_control = with_objective_gaps(robustness_control, summarize_robustness(robustness_control))
display(summary_control.drop(columns=["converged_share"]))
ax = plot_robustness(robustness_control)
ax.set_title(f"Scene '{CONTROL}': ARI of {N_RUNS} runs per configuration")
plt.tight_layout()
plt.show()

# %% [markdown]
# **Tipos de covarianza.** Ajustamos el GMM con K verdadero y cada tipo de covarianza (`n_init=5` para quedarnos con
# el mejor óptimo de cada uno) y comparamos elipses, ARI y BIC. El BIC sigue el convenio de scikit-learn,
# $\mathrm{BIC} = -2 \log L + p \ln n$: **menor es mejor**.

# %%
by_type = {}
fig, axes = plt.subplots(2, 2, figsize=(12, 6.8), sharex=True, sharey=True)
for ax, covariance_type in zip(axes.ravel(), COVARIANCE_TYPES):
    model = GaussianMixture(K_TRUE, covariance_type=covariance_type, n_init=5, random_state=SEED).fit(X)
    by_type[covariance_type] = model
    plot_gmm(model, X, ax=ax)
    ax.set_title(f"{covariance_type}: BIC {model.bic(X):.1f}, ARI {adjusted_rand_score(y, model.predict(X)):.3f}")
fig.suptitle(f"GMM with K={K_TRUE} and each covariance type (BIC: scikit-learn sign, lower is better)")
plt.tight_layout()
plt.show()
types_table = pd.DataFrame(
    {
        "free parameters": [m.n_parameters_ for m in by_type.values()],
        "mean log-likelihood": [m.score(X) for m in by_type.values()],
        "BIC (lower is better)": [m.bic(X) for m in by_type.values()],
        "ARI vs truth": [adjusted_rand_score(y, m.predict(X)) for m in by_type.values()],
        "disagree with KMeans": [disagreement(kmeans_labels, m.predict(X)).mean() for m in by_type.values()],
    },
    index=pd.Index(list(by_type), name="covariance_type"),
)
display(types_table)

# %%
def row(table, method, init, covariance_type="none"):
    """The summary row of one configuration."""
    mask = (table["method"] == method) & (table["init"] == init) & (table["covariance_type"] == covariance_type)
    return table[mask].iloc[0]


good = [c for c in summary.columns if c.startswith("share_ari_ge")][0]
km_rows = summary[summary["method"] == "kmeans"]
full_rows = summary[(summary["method"] == "gmm") & (summary["covariance_type"] == "full")]
gmm_default = row(summary, "gmm", "kmeans", "full")
gmm_kpp = row(summary, "gmm", "k-means++", "full")
gmm_rfd = row(summary, "gmm", "random_from_data", "full")
gmm_random = row(summary, "gmm", "random", "full")
gmm_bad = row(summary, "gmm", "bad", "full")
km_bad = row(summary, "kmeans", "bad")
c_km = {init: row(summary_control, "kmeans", init) for init in ("k-means++", "random", "bad")}
c_gmm = {init: row(summary_control, "gmm", init, "full") for init in ("kmeans", "k-means++", "random_from_data", "random", "bad")}
best_type = types_table["BIC (lower is better)"].idxmin()
restricted = types_table.drop(index="full")
full_inits = full_rows.set_index("init")
worst_init = full_inits["ari_mean"].idxmin()
kmeans_stable = km_rows["ari_mean"].max() - km_rows["ari_mean"].min() < 0.1
kmeans_wrong = km_rows["ari_mean"].max() < 0.5
random_ari_text = "" if worst_init == "random" else f", y su ARI medio es {gmm_random['ari_mean']:.3f}"
km_more_stable_control = (c_km["random"]["share_at_best"] >= c_gmm["random_from_data"]["share_at_best"]
                          and c_km["bad"]["share_at_best"] >= c_gmm["bad"]["share_at_best"])


def value_range(values, fmt="{:.3f}"):
    """'a' when the values round to the same number, else 'entre a y b'."""
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return low if low == high else f"entre {low} y {high}"


def compare(a, b, higher="más", lower="menos", same="igual de"):
    return higher if a > b + 0.02 else lower if a < b - 0.02 else same


if km_more_stable_control:
    robust_verdict = (
        "**KMeans**: ante inicios peores llega a su mejor solución al menos tan a menudo como el GMM, aunque esa "
        "estabilidad no sirve de nada cuando su modelo es el equivocado (escena principal)"
    )
else:
    robust_verdict = (
        "**ninguno de forma clara**: depende de la escena y del tipo de inicio (véanse las columnas "
        "`share_at_best` de ambas tablas)"
    )


display(Markdown(
    f"**Respuesta.** Sí hay diferencias, y conviene separar dos cosas: **qué óptimo alcanza** cada método y "
    f"**cuánto depende de dónde empiece**.\n\n"
    f"*Escena principal (`{SCENE}`, {N_RUNS} ejecuciones por configuración).* KMeans "
    f"{'es muy estable' if kmeans_stable else 'varía con la inicialización'}"
    f"{' pero se equivoca siempre' if kmeans_wrong else ''}: su ARI medio vale {value_range(km_rows['ari_mean'])} "
    f"con cualquier inicialización, incluida la mala (mínimo {km_rows['ari_min'].min():.3f}), y ninguna ejecución acaba con una inercia más de un "
    f"{km_rows['worst_gap'].max():.2%} por encima de la mejor encontrada. "
    f"{'Sus óptimos, casi iguales en inercia, cortan mal los grupos: el problema es el modelo, no la inicialización. ' if kmeans_wrong else ''}"
    f"El GMM `full` {'sí puede acertar, pero ' if gmm_default['ari_mean'] > 0.9 else ''}depende de la "
    f"inicialización: con la de por defecto (`kmeans`) obtiene ARI medio {gmm_default['ari_mean']:.3f} y llega al "
    f"mejor óptimo en el {gmm_default['share_at_best']:.0%} de las ejecuciones; con `k-means++` el "
    f"{gmm_kpp[good]:.0%} de las ejecuciones supera ARI 0,9 (ARI medio {gmm_kpp['ari_mean']:.3f}), con "
    f"`random_from_data` el {gmm_rfd[good]:.0%} ({gmm_rfd['ari_mean']:.3f}), y con el inicio deliberadamente malo "
    f"el {gmm_bad[good]:.0%} (ARI medio {gmm_bad['ari_mean']:.3f}, mínimo {gmm_bad['ari_min']:.3f}). En la figura "
    f"de cerca, desde el inicio malo (todas las medias dentro del grupo grande) el GMM "
    f"{'se queda en un óptimo local' if bad_gmm.score(X) < fitted_loglik - 1e-3 else 'llega al mismo óptimo'} con "
    f"ARI {ari_bad_gmm:.3f} y log-verosimilitud {bad_gmm.score(X):.4f} frente a {fitted_loglik:.4f}: "
    f"{groups_split} {'grupo verdadero queda repartido' if groups_split == 1 else 'grupos verdaderos quedan repartidos'} "
    f"entre varias componentes y {components_merging} "
    f"{'componente cubre' if components_merging == 1 else 'componentes cubren'} varios grupos a la vez, y EM no "
    f"sale de ahí porque cada paso sólo mejora localmente. "
    f"La peor inicialización del GMM `full` es `{worst_init}` (ARI medio {full_inits.loc[worst_init, 'ari_mean']:.3f}). "
    f"La `random` de scikit-learn merece un comentario: al repartir responsabilidades al azar, todas las medias "
    f"empiezan juntas (separadas {spread_means:.3f} unidades frente a un rango de los datos de {spread_data:.1f}); "
    f"EM para tras una mediana de {random_rows['n_iter'].median():.0f} iteraciones con log-verosimilitud mediana "
    f"{random_rows['objective'].median():.4f}, "
    f"{'prácticamente' if abs(random_rows['objective'].median() - single_gaussian_loglik) < 0.05 else 'lejos de'} "
    f"la de una sola gaussiana ({single_gaussian_loglik:.4f})"
    f"{random_ari_text}.\n\n"
    f"*Tipo de covarianza.* Con K={K_TRUE}, el BIC prefiere `{best_type}` y el ARI frente a la verdad es "
    f"{', '.join(f'{t} {v:.3f}' for t, v in types_table['ARI vs truth'].items())}. Los tipos restringidos "
    f"(`tied`, `diag`, `spherical`) discrepan de KMeans en entre el {restricted['disagree with KMeans'].min():.1%} y "
    f"el {restricted['disagree with KMeans'].max():.1%} de los puntos, frente al "
    f"{types_table.loc['full', 'disagree with KMeans']:.1%} del `full`: "
    f"{'sin covarianzas completas el GMM no puede representar elipses inclinadas de distinta forma, no recupera los grupos y sus particiones se acercan a las de KMeans. En esta escena el tipo de covarianza importa más que la inicialización' if restricted['ARI vs truth'].max() < 0.5 else 'aquí también los tipos restringidos dan particiones razonables'}.\n\n"
    f"*Escena de control (`{CONTROL}`, donde ambos modelos son correctos).* Llegan al mejor óptimo: KMeans "
    f"`k-means++` {c_km['k-means++']['share_at_best']:.0%}, `random` {c_km['random']['share_at_best']:.0%}, `bad` "
    f"{c_km['bad']['share_at_best']:.0%}; GMM `full` `kmeans` {c_gmm['kmeans']['share_at_best']:.0%}, `k-means++` "
    f"{c_gmm['k-means++']['share_at_best']:.0%}, `random_from_data` {c_gmm['random_from_data']['share_at_best']:.0%}, "
    f"`random` {c_gmm['random']['share_at_best']:.0%}, `bad` {c_gmm['bad']['share_at_best']:.0%} (ARI medio con el "
    f"inicio malo: KMeans {c_km['bad']['ari_mean']:.3f}, GMM {c_gmm['bad']['ari_mean']:.3f}). Ante un mismo tipo de "
    f"inicio peor (puntos al azar, o todos en un grupo), KMeans es "
    f"{compare(c_km['random']['share_at_best'], c_gmm['random_from_data']['share_at_best'], 'más', 'menos', 'igual de')} "
    f"fiable que el GMM con puntos al azar y "
    f"{compare(c_km['bad']['share_at_best'], c_gmm['bad']['share_at_best'], 'más', 'menos', 'igual de')} fiable "
    f"con el inicio malo.\n\n"
    f"*¿Cuál es más robusto a peores inicializaciones?* Con estas mediciones, {robust_verdict}. La razón: el "
    f"GMM tiene muchos más parámetros (con `full`, {by_type['full'].n_parameters_} frente a "
    f"{K_TRUE * X.shape[1]} coordenadas de centros en KMeans) y su verosimilitud tiene más óptimos locales y "
    f"puntos de silla: una componente puede ensancharse para cubrir dos grupos, otra encogerse sobre parte de uno, y "
    f"las responsabilidades blandas hacen que los cambios sean graduales, así que EM se queda más fácilmente cerca "
    f"de donde empezó (o, con `random`, no sale del punto de partida). Por eso scikit-learn inicializa el GMM con "
    f"KMeans por defecto, y por eso conviene usar `n_init` > 1 y quedarse con la mejor log-verosimilitud: con "
    f"una buena inicialización, el GMM `full` es el único que recupera los grupos de la escena principal."
))

# %% [markdown]
# ## d) Selección del número de clústers (inercia) y de componentes (BIC)
#
# > Selecciona el número de clústers (KMeans) y componentes (GMM) en base a la distorsión (en KMeans—ver atributo
# > inertia_), y al criterio BIC (en GMM—ver método .bic). Razona tu selección en ambos casos.
#
# `sweep` ajusta cada K (y cada tipo de covarianza) con varias semillas; `choose_n_components` elige K:
#
# - **KMeans, inercia**: la inercia siempre baja al aumentar K (con K = n es 0), así que no se busca el mínimo sino
#   el **codo**: el K a partir del cual añadir clústers apenas la reduce. Lo localizamos con el algoritmo Kneedle
#   (Satopää et al., 2011, paquete `kneed`).
# - **GMM, BIC**: $\mathrm{BIC} = -2 \log L + p \ln n$ (convenio de scikit-learn: **menor es mejor**; en R/mclust el
#   signo es el contrario). Penaliza los parámetros, así que tiene un mínimo: elegimos el K y el tipo de covarianza
#   con menor BIC medio entre semillas. Como comprobación cruzada miramos el **ICL** (BIC más la entropía de las
#   asignaciones, Biernacki et al. 2000), que además penaliza componentes muy solapadas.
#
# Lo hacemos en la escena principal y en la de control.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    kmeans_sweep = sweep(X, K_GRID, model="kmeans", n_seeds=N_SEEDS, progress=False, random_state=SEED)
    gmm_sweep = sweep(X, K_GRID, COVARIANCE_TYPES, n_seeds=N_SEEDS, progress=False, random_state=SEED)
    kmeans_sweep_control = sweep(control.X, K_GRID, model="kmeans", n_seeds=N_SEEDS, progress=False,
                                 random_state=SEED)
    gmm_sweep_control = sweep(control.X, K_GRID, COVARIANCE_TYPES, n_seeds=N_SEEDS, progress=False,
                              random_state=SEED)
knee = choose_n_components(kmeans_sweep, "inertia")
by_bic = choose_n_components(gmm_sweep, "bic")
by_icl = choose_n_components(gmm_sweep, "icl")
knee_control = choose_n_components(kmeans_sweep_control, "inertia")
by_bic_control = choose_n_components(gmm_sweep_control, "bic")
by_icl_control = choose_n_components(gmm_sweep_control, "icl")
for name, selection in [(f"{SCENE}, KMeans", knee), (f"{SCENE}, GMM BIC", by_bic), (f"{SCENE}, GMM ICL", by_icl),
                        (f"{CONTROL}, KMeans", knee_control), (f"{CONTROL}, GMM BIC", by_bic_control),
                        (f"{CONTROL}, GMM ICL", by_icl_control)]:
    print(f"{name}: {selection.reason}")

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 9))
plot_elbow(kmeans_sweep, knee, ax=axes[0, 0])
axes[0, 0].set_title(f"'{SCENE}': KMeans inertia, knee at K={knee.n_components} (true K={K_TRUE})")
plot_criterion(gmm_sweep, "bic", by_bic, ax=axes[0, 1])
axes[0, 1].set_title(f"'{SCENE}': GMM BIC (lower is better), minimum at K={by_bic.n_components}")
plot_elbow(kmeans_sweep_control, knee_control, ax=axes[1, 0])
axes[1, 0].set_title(f"'{CONTROL}': KMeans inertia, knee at K={knee_control.n_components} "
                     f"(true K={control.n_components})")
plot_criterion(gmm_sweep_control, "bic", by_bic_control, ax=axes[1, 1])
axes[1, 1].set_title(f"'{CONTROL}': GMM BIC (lower is better), minimum at K={by_bic_control.n_components}")
plt.tight_layout()
plt.show()

# %% [markdown]
# La forma del codo se mide mejor con números: para cada K, cuánto baja la inercia al pasar de K−1 a K, y el
# cociente entre esa bajada y la siguiente (un codo marcado da un cociente grande).

# %%
def inertia_drops(selection):
    curve = selection.summary.set_index("n_components")["mean"]
    drop = -curve.diff()
    return pd.DataFrame({"mean inertia": curve, "drop from K-1": drop, "drop / next drop": drop / drop.shift(-1)})


drops, drops_control = inertia_drops(knee), inertia_drops(knee_control)
display(pd.concat({SCENE: drops, CONTROL: drops_control}, axis=1))

# %% [markdown]
# BIC medio entre semillas para cada K y tipo de covarianza (escena principal; menor es mejor), y el K de BIC mínimo
# si fijamos el tipo de covarianza (`at_grid_edge`: el mínimo está en el K más grande probado, es decir, la curva
# aún no ha vuelto a subir):

# %%
bic_table = by_bic.summary.pivot(index="n_components", columns="covariance_type", values="mean")[list(COVARIANCE_TYPES)]
display(bic_table)
per_type = pd.DataFrame(
    [
        (t, s.n_components, s.summary.loc[s.summary["n_components"] == s.n_components, "mean"].iloc[0])
        for t in COVARIANCE_TYPES
        for s in [choose_n_components(gmm_sweep[gmm_sweep["covariance_type"] == t], "bic", rule="min")]
    ],
    columns=["covariance_type", "K of minimum BIC", "mean BIC"],
).set_index("covariance_type")
per_type["at_grid_edge"] = per_type["K of minimum BIC"] == max(K_GRID)
display(per_type)

# %%
bic_k = by_bic.summary[by_bic.summary["covariance_type"] == by_bic.covariance_type].set_index("n_components")["mean"]
next_k = by_bic.n_components + 1
bic_margin_up = bic_k.get(next_k, np.nan) - bic_k[by_bic.n_components]
bic_margin_down = bic_k.get(by_bic.n_components - 1, np.nan) - bic_k[by_bic.n_components]
knee_ratio = drops.loc[knee.n_components, "drop / next drop"]
knee_ratio_control = drops_control.loc[knee_control.n_components, "drop / next drop"]
misspecified = per_type.drop(index="full")
misspecified_text = ", ".join(
    f"`{t}` K={int(r['K of minimum BIC'])}{' (extremo de la rejilla)' if r['at_grid_edge'] else ''}"
    for t, r in misspecified.iterrows()
)
params_control = (
    gmm_sweep_control[gmm_sweep_control["n_components"] == by_bic_control.n_components]
    .groupby("covariance_type", sort=False)["n_params"].first()
)
control_params = int(params_control[by_bic_control.covariance_type])
control_min_params = int(params_control.min())
control_params_text = ", ".join(f"`{t}` {int(p)}" for t, p in params_control.items())
knee_text = (
    f"El codo acierta K en `{SCENE}`, pero eso no arregla KMeans: con el K verdadero su partición sigue siendo mala"
    if knee.n_components == K_TRUE
    else f"El codo no da el número verdadero en `{SCENE}` y, además, con el K verdadero la partición de KMeans es mala"
)
more_components = bool((misspecified["K of minimum BIC"] > by_bic.n_components).all())
still_worse = bool((misspecified["mean BIC"] > bic_k[by_bic.n_components]).all())

display(Markdown(
    f"**Respuesta.** *KMeans (inercia).* La inercia baja siempre al aumentar K, así que no tiene mínimo útil: "
    f"buscamos el codo. En `{SCENE}` el codo (Kneedle) está en K={knee.n_components} "
    f"({'el número verdadero' if knee.n_components == K_TRUE else f'el verdadero es {K_TRUE}'}): la inercia media "
    f"baja {drops.loc[knee.n_components, 'drop from K-1']:.1f} al pasar a K={knee.n_components} y sólo "
    f"{drops['drop from K-1'].get(knee.n_components + 1, np.nan):.1f} al pasar a K={knee.n_components + 1} "
    f"(cociente {knee_ratio:.2f}). "
    f"{'Es un codo poco marcado: con grupos alargados, partir cada uno en trozos sigue reduciendo mucho la inercia, así que la curva decrece suavemente' if knee_ratio < knee_ratio_control / 3 else 'Es un codo bastante claro'}. "
    f"En `{CONTROL}` el codo está en K={knee_control.n_components} (verdadero {control.n_components}), con un "
    f"cociente de {knee_ratio_control:.1f}{': los grupos redondos y separados dan un codo nítido' if knee_ratio_control > 5 else ''}. "
    f"Elegiríamos K={knee.n_components} para `{SCENE}` y K={knee_control.n_components} para `{CONTROL}`. "
    f"{knee_text} (ARI {ari_kmeans:.3f} con K={K_TRUE}, apartado b), porque la inercia mide compacidad esférica, "
    f"no si los grupos son los correctos.\n\n"
    f"*GMM (BIC, convenio de scikit-learn: menor es mejor).* En `{SCENE}`, el BIC medio sobre {N_SEEDS} semillas es "
    f"mínimo en K={by_bic.n_components} con covarianzas `{by_bic.covariance_type}` (BIC "
    f"{bic_k[by_bic.n_components]:.1f}); con un componente más sube {bic_margin_up:.1f} y con uno menos "
    f"{bic_margin_down:.1f}. "
    f"{'Es un mínimo claro (diferencias de BIC mayores que 10 se consideran evidencia muy fuerte, Kass y Raftery 1995)' if min(bic_margin_up, bic_margin_down) > 10 else 'Es un mínimo poco marcado'}: "
    f"más componentes apenas mejoran la verosimilitud y la penalización $p \\ln n$ crece. El ICL coincide"
    f"{'' if (by_icl.n_components, by_icl.covariance_type) == (by_bic.n_components, by_bic.covariance_type) else ' sólo en parte'}"
    f" (K={by_icl.n_components}, `{by_icl.covariance_type}`). Elegimos, por tanto, K={by_bic.n_components} con "
    f"covarianza `{by_bic.covariance_type}`"
    f"{', que coincide con el modelo que generó los datos' if (by_bic.n_components, by_bic.covariance_type) == (K_TRUE, 'full') else ''}. "
    f"Si se fija un tipo de covarianza peor adaptado, el mínimo del BIC "
    f"{'está en más componentes' if more_components else 'cambia'}: {misspecified_text}"
    f"{', porque hacen falta varias gaussianas redondas, alineadas con los ejes o con una misma forma para cubrir elipses inclinadas y distintas' if more_components else ''}; "
    f"{'cuando el mínimo cae en el extremo de la rejilla, la curva aún no ha vuelto a subir y con más K podría seguir bajando; ' if misspecified['at_grid_edge'].any() else ''}"
    f"{'y aun así su BIC es peor que el del modelo elegido' if still_worse else 'alguno llega a un BIC comparable'}. En `{CONTROL}` el BIC elige K={by_bic_control.n_components} con "
    f"`{by_bic_control.covariance_type}` (ICL: K={by_icl_control.n_components}, "
    f"`{by_icl_control.covariance_type}`), "
    f"{'el número correcto de componentes' if by_bic_control.n_components == control.n_components else 'un número de componentes distinto del verdadero'}, "
    f"y con el tipo de covarianza con {'menos' if control_params == control_min_params else 'más'} parámetros libres "
    f"para ese K ({control_params}; {control_params_text}): con grupos redondos e iguales, las covarianzas "
    f"completas y distintas no mejoran la verosimilitud lo bastante para pagar sus parámetros extra.\n\n"
    f"La diferencia de fondo: la inercia es una medida de compacidad sin modelo de probabilidad ni penalización, "
    f"así que la elección es un juicio visual (el codo); el BIC compara modelos de probabilidad por su "
    f"verosimilitud penalizada y da un mínimo, que además elige el tipo de covarianza."
))

# %% [markdown]
# ## Conclusiones

# %%
elapsed = time.perf_counter() - notebook_start
display(Markdown(
    f"**Resumen** (de lo medido en este cuaderno, {len(X)} puntos en la escena principal)\n\n"
    f"- **a)** Los datos salen de una mezcla de {K_TRUE} gaussianas con covarianzas completas y pesos "
    f"{', '.join(f'{w:.2f}' for w in data.weights)}; un GMM `full` es exactamente esa familia, mientras que "
    f"KMeans supone grupos esféricos e iguales. El solapamiento limita a cualquier método: el clasificador de Bayes "
    f"con los parámetros verdaderos tiene ARI {ari_bayes:.3f}.\n"
    f"- **b)** Con K={K_TRUE}, el ARI frente a la verdad es {ari_kmeans:.3f} para KMeans y {ari_gmm:.3f} para el "
    f"GMM; discrepan en el {differ.mean():.1%} de los puntos. El GMM además cuantifica la duda ({share_uncertain:.1%} "
    f"de puntos con responsabilidad máxima < 0,9). A lo largo de las iteraciones la inercia "
    f"{'nunca sube' if np.all(inertia_steps <= 1e-9) else 'SUBE en algún paso'} y la log-verosimilitud "
    f"{'nunca baja' if np.all(loglik_steps >= -1e-12) else 'BAJA en algún paso'}.\n"
    f"- **c)** KMeans {'es estable pero sistemáticamente incorrecto' if kmeans_stable and kmeans_wrong else 'da'} "
    f"en esta escena (ARI medio {value_range(km_rows['ari_mean'])} con cualquier inicio); el GMM `full` obtiene ARI medio {gmm_default['ari_mean']:.3f} con su inicialización por "
    f"defecto, {gmm_bad['ari_mean']:.3f} con el inicio malo y {gmm_random['ari_mean']:.3f} con `random`. "
    f"Más robusto a peores inicios: {robust_verdict.split(':')[0]}; de ahí la práctica habitual de inicializar el "
    f"GMM con KMeans y usar varios reinicios.\n"
    f"- **d)** El codo de la inercia apunta a K={knee.n_components} (cociente de bajadas {knee_ratio:.2f}) y el "
    f"BIC a K={by_bic.n_components} con `{by_bic.covariance_type}` (ICL: K={by_icl.n_components}); en la escena de "
    f"control, codo en K={knee_control.n_components} y BIC en K={by_bic_control.n_components}.\n\n"
    f"La lección general: KMeans es un caso particular muy restringido de un GMM; cuando sus supuestos se cumplen "
    f"(escena de control) ambos coinciden y KMeans es más barato, y cuando no (grupos alargados, desiguales y "
    f"solapados) el GMM con covarianza completa, bien inicializado y con K elegido por BIC, recupera la estructura "
    f"que KMeans no puede representar. (Ejecución completa del cuaderno: {elapsed:.0f} s.)"
))

# %% [markdown]
# ## Fuentes
#
# - scikit-learn developers. *sklearn.cluster.KMeans* y *sklearn.mixture.GaussianMixture*, documentación de
#   scikit-learn 1.9: https://scikit-learn.org/stable/modules/generated/sklearn.cluster.KMeans.html,
#   https://scikit-learn.org/stable/modules/generated/sklearn.mixture.GaussianMixture.html; guía de usuario
#   "Gaussian mixture models" (https://scikit-learn.org/stable/modules/mixture.html), incluida la selección de
#   modelo con BIC. (Este cuaderno no usa PCA; *sklearn.decomposition.PCA* se usa en la parte 2.)
# - Schwarz, G. (1978). Estimating the dimension of a model. *The Annals of Statistics*, 6(2), 461–464 (BIC).
# - Biernacki, C., Celeux, G. y Govaert, G. (2000). Assessing a mixture model for clustering with the integrated
#   completed likelihood. *IEEE Transactions on Pattern Analysis and Machine Intelligence*, 22(7), 719–725 (ICL).
# - Satopää, V., Albrecht, J., Irwin, D. y Raghavan, B. (2011). Finding a "kneedle" in a haystack: detecting knee
#   points in system behavior. *31st International Conference on Distributed Computing Systems Workshops*,
#   166–171 (el codo, con el paquete `kneed`).
# - Kass, R. E. y Raftery, A. E. (1995). Bayes factors. *Journal of the American Statistical Association*,
#   90(430), 773–795 (escala de evidencia para diferencias de BIC).
# - Hubert, L. y Arabie, P. (1985). Comparing partitions. *Journal of Classification*, 2(1), 193–218 (índice de
#   Rand ajustado, `sklearn.metrics.adjusted_rand_score`).
# - Kuhn, H. W. (1955). The Hungarian method for the assignment problem. *Naval Research Logistics Quarterly*,
#   2(1–2), 83–97 (emparejamiento de etiquetas, `scipy.optimize.linear_sum_assignment`).
# - Enunciado de la Práctica 7 (Parte 1) de la asignatura.
# - `gmmlab` (este repositorio): `gmmlab.data` (escenas sintéticas), `GaussianMixture` y `TracedKMeans` con
#   historial, `gmmlab.robustness`, `gmmlab.selection` y `gmmlab.plotting`.
