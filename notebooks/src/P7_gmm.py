# %% [markdown]
# # Práctica 7 — GMM como modelo generativo de imágenes (Fashion-MNIST)
#
# Parte 2 de la práctica: aproximamos la densidad de las imágenes de **Fashion-MNIST** con una mezcla de gaussianas
# (GMM) ajustada en un espacio PCA de dimensión reducida y, muestreando esa densidad, generamos imágenes nuevas.
# Elegimos el número de componentes con **BIC** (convenio de scikit-learn: `BIC = -2 log L + p ln n`, **menor es
# mejor**), muestreamos la mezcla y componentes sueltas, miramos el ajuste en 3D, repetimos con más componentes
# principales y, en los opcionales, comparamos tipos de covarianza y tamaños de submuestra. Al final medimos la
# calidad de las muestras con métricas objetivas (verosimilitud en test, NDB, distancia de Fréchet, memorización e
# histograma de clases).
#
# Todo el código usa la biblioteca `gmmlab` de este proyecto. Con la variable de entorno `GMMLAB_FAST=1` el cuaderno
# se ejecuta con tamaños pequeños (para los tests); la versión entregada está ejecutada a tamaño completo. Todas las
# cifras de las respuestas salen de variables calculadas en el propio cuaderno.
#
# **Puesta en marcha.** Desde la raíz del repositorio, `make setup` (o `pip install -e '.[notebooks]'` en un entorno
# propio) instala `gmmlab` y sus dependencias; `make lab` además abre los dos cuadernos en JupyterLab, con las
# figuras 3D interactivas. Los datos son los ficheros originales de Fashion-MNIST (Xiao et al., 2017) que instala el
# paquete de Debian `dataset-fashion-mnist` (`apt-get install dataset-fashion-mnist`, en
# `/usr/share/datasets/fashion-mnist`); para usar otra copia de los cuatro ficheros `*-ubyte.gz`, apunte a su carpeta
# la variable de entorno `GMMLAB_DATA_DIR`. El cuaderno no descarga nada. Las figuras interactivas llevan además una
# imagen PNG estática (generada con `kaleido`, que usa Chromium) para leerse completas en GitHub o nbviewer. Tiempo
# de ejecución completo: unos 3 minutos en un portátil de 4 núcleos (menos de un minuto con `GMMLAB_FAST=1`); las
# celdas lentas (barridos en muchas dimensiones) van solas.

# %%
import inspect
import time
import warnings
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.io as pio
from IPython.display import Markdown, display
from matplotlib.ticker import MaxNLocator
from plotly.subplots import make_subplots
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import gmmlab
from gmmlab import metrics
from gmmlab.config import fast_mode
from gmmlab.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from gmmlab.generative import GMMImageGenerator
from gmmlab.plotting.generative import compare_sample_grids
from gmmlab.plotting import image_grid, plot_component_samples, plot_criterion, plot_gmm_3d
from gmmlab.plotting.snapshot import show_figure, use_compact_png
from gmmlab.selection import choose_n_components, sweep

FAST = fast_mode()
SEED = 0
pio.renderers.default = "plotly_mimetype"  # the front-end brings plotly.js; show_figure adds a PNG for static readers
get_ipython().run_line_magic("matplotlib", "inline")  # figures inline even if MPLBACKEND says otherwise
plt.rcParams["figure.dpi"] = 64
use_compact_png()  # figures as palette PNGs: the notebook stays light enough to read on GitHub
pd.set_option("display.precision", 3)
# The sweeps report non-converged fits in their 'converged' column; the answers count them instead.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# BLAS on one thread: the sweeps already fill every core with worker processes, and on a small shared machine
# extra BLAS threads slow the PCAs and single fits down instead of speeding them up.
threadpool_limits(limits=1, user_api="blas")

if FAST:
    N_TRAIN, N_TEST = 5000, 1000         # images loaded
    SUBSAMPLE = 600                      # images the GMMs are fitted on (the assignment's subsample_size)
    K_RANGE = range(1, 7)                # K swept for tied / diag / spherical covariances
    K_RANGE_FULL = range(1, 5)           # K swept for full covariances in many dimensions
    K_EXTRA_3, K_EXTRA_F = (8, 10), (8, 10)  # larger K, one seed: where does BIC turn back up?
    N_SEEDS = 2                          # initialisations per K
    G3_SIZES = (200, 400, 600, 1000)     # subsample sizes compared in g3
    DEMO_SIZE, DEMO_RANGE = 300, range(1, 4)
    N_CLASSIFIER = 2000                  # training images of the reference classifier
    N_EVAL, N_BINS = 1000, 20            # samples per model for the metrics, NDB bins
    N_SHOW = 20                          # images per grid
else:
    N_TRAIN, N_TEST = None, None
    SUBSAMPLE = 5000
    K_RANGE = range(1, 31)
    K_RANGE_FULL = range(1, 21)
    K_EXTRA_3, K_EXTRA_F = tuple(range(40, 81, 10)), (40, 60, 80, 100, 120)
    N_SEEDS = 3
    G3_SIZES = (1000, 2000, 5000, 10000)
    DEMO_SIZE, DEMO_RANGE = 1000, range(1, 7)
    N_CLASSIFIER = 10000
    N_EVAL, N_BINS = 10000, 100
    N_SHOW = 40
COV_TYPES = ("full", "tied", "diag", "spherical")
UNIFORM = 1 / len(FASHION_MNIST_CLASSES)  # class share in the test split (1000 images per class)
VARIANCE_TARGET = 0.80  # share of the pixel variance the PCA of question f) keeps

START = time.perf_counter()
X_train, y_train = load_fashion_mnist("train", n_samples=N_TRAIN)  # (n, 28, 28) float32 in [0, 1]
X_test, y_test = load_fashion_mnist("test", n_samples=N_TEST)
print(f"gmmlab {gmmlab.__version__}; FAST={FAST}; entrenamiento {X_train.shape}, test {X_test.shape}")

# The class names, as shown: Spanish, in the order of the dataset's labels.
CLASES = ["camiseta", "pantalón", "jersey", "vestido", "abrigo", "sandalia", "camisa", "zapatilla", "bolso", "botín"]
EN_ES = dict(zip(FASHION_MNIST_CLASSES, CLASES))
REGLAS = {"knee": "codo", "min": "mínimo", "one_se": "un error típico"}

# Numbers in the answers: decimal comma and "%" after a space, as written in Spanish. Every number an answer
# quotes goes through num/pct/sig, which note it down; respuesta() stores that list with the answer, and
# tests/test_notebooks.py checks that each number in the rendered text is one of them (none typed by hand).
CITED = []


def _cite(text):
    CITED.append(text)
    return text


def num(value, decimals=3):
    """A number with a decimal comma: num(0.9749) -> '0,975' (and never '-0')."""
    text = f"{value:.{decimals}f}"
    return _cite((text[1:] if text.startswith("-") and float(text) == 0 else text).replace(".", ","))


def pct(share, decimals=1):
    """A share as a percentage: pct(0.393) -> '39,3 %'."""
    return _cite(f"{100 * share:.{decimals}f}".replace(".", ",") + " %")


def sig(value, digits=3, sign=False):
    """A number to a few significant digits: sig(0.000123) -> '0,000123'."""
    return _cite(f"{value:{'+' if sign else ''}.{digits}g}".replace(".", ","))


def respuesta(text):
    """Show an answer and keep, in its output's metadata, the numbers it quotes."""
    display(Markdown(text), metadata={"gmmlab": {"numbers": list(CITED)}})


get_ipython().events.register("pre_run_cell", lambda *_: CITED.clear())

# %% [markdown]
# ### Funciones auxiliares del enunciado
#
# El enunciado se apoya en tres funciones definidas al inicio del cuaderno de la asignatura:
# `visualize_subset_in_grid` (apartado c), `plotly_gmm_results_3d` (apartado e) y `gmm_vs_gaussian_components`,
# que el apartado a) pide completar. Aquí están, con esos nombres, como funciones finas sobre `gmmlab`: la primera
# dibuja imágenes en rejilla, la segunda la vista 3D del ajuste (interactiva, y además una imagen fija desde un
# ángulo elegido para la lectura estática) y la tercera está **completa**: submuestra, PCA, barrido de K con BIC y
# gráfica (los ajustes los hace `gmmlab.selection.sweep`; el apartado a) explica cada paso).

# %%
def visualize_subset_in_grid(images, n_cols=10, titles=None, title=None):
    """Show images (n, 28, 28) or (n, 784) in a grid, with optional per-image titles and an overall title."""
    figure = image_grid(images, n_cols=n_cols, titles=titles)
    if title is not None:
        figure.suptitle(title, y=1.0, va="bottom")  # above the top row, never over it
    plt.show()
    return figure


SNAPSHOT_CAMERA = {"eye": {"x": 1.5, "y": -1.6, "z": 0.8}}  # a view where PC1 and PC2 spread the classes apart


def plotly_gmm_results_3d(generator, images, labels, max_points=3000, title=None, show=True):
    """3-D view of a fitted generator: images as points in PC1-PC3 (coloured by class), components as ellipsoids.

    Shown interactive, together with a PNG from SNAPSHOT_CAMERA for static readers; returns the plotly figure.
    """
    # One ellipsoid per component (2 standard deviations) keeps the figure light when K is large.
    figure = plot_gmm_3d(generator, generator.transform(images), labels=labels, max_points=max_points, n_std=(2,),
                         class_names=CLASES, lang="es")
    if title is not None:
        figure.update_layout(title_text=title)
    figure.update_layout(height=600)
    if show:
        show_figure(figure, width=760, height=480, camera=SNAPSHOT_CAMERA)
    return figure


def gmm_vs_gaussian_components(images, n_pca_components, subsample_size, covariance_type="tied",
                               n_components_range=range(1, 31), random_state=0, n_seeds=1, ax=None, n_jobs=-1):
    """Subsample the images, reduce them with PCA, fit GMMs over K and plot BIC against K."""
    # 1) Subsample: subsample_size images drawn at random, without replacement.
    rng = np.random.RandomState(random_state)
    indices = np.sort(rng.choice(len(images), size=subsample_size, replace=False))
    pixels = images[indices].reshape(subsample_size, -1).astype(np.float64)  # one row of 784 pixels per image
    # 2) Dimensionality reduction: PCA fitted on the subsample; X_pca are the images' principal coordinates.
    pca = PCA(n_components=n_pca_components, svd_solver="covariance_eigh")
    X_pca = pca.fit_transform(pixels)
    # 3) One GMM per K, covariance type and seed (gmmlab's sweep runs them in parallel); each row keeps its BIC.
    results = sweep(X_pca, n_components_range, covariance_type, n_seeds=n_seeds, n_jobs=n_jobs,
                    random_state=random_state, progress=False)
    # 4) BIC against K (mean over seeds, band of one standard deviation), with the K a rule picks marked.
    selection = choose_n_components(results, "bic")
    ax = plot_criterion(results, "bic", selection=selection, ax=ax, lang="es")
    explained = 100 * pca.explained_variance_ratio_.sum()
    ax.set_title(f"{subsample_size} imágenes, {n_pca_components} componentes principales "
                 f"({explained:.0f} % de la varianza)".replace(".", ","))
    return SimpleNamespace(results=results, pca=pca, ax=ax, selection=selection, X_pca=X_pca, indices=indices)


# %% [markdown]
# Otras funciones auxiliares: una tabla de la curva de BIC, el resumen de un estudio y la combinación de varias
# vistas 3D en una sola figura. El clasificador de referencia (PCA + regresión logística entrenado con imágenes
# reales) sirve para etiquetar las imágenes generadas: dice qué prendas parecen.

# %%
def bic_table(study):
    """Mean BIC over seeds per K, its spread and the drop from the previous K."""
    table = study.selection.summary.set_index("n_components")[["mean", "std", "n_seeds"]].copy()
    table["drop"] = -table["mean"].diff()
    return table.rename(columns={"mean": "BIC (media)", "std": "desv.", "n_seeds": "semillas", "drop": "mejora"}
                        ).rename_axis("K")


def minimum_of(study):
    """(K, mean BIC) at the lowest mean BIC of a one-type study."""
    summary = study.selection.summary
    row = summary.loc[summary["mean"].idxmin()]
    return int(row["n_components"]), float(row["mean"])


def penalty_per_component(n_dims, n_images):
    """BIC penalty of one more tied component: d mean entries and one weight, times ln n."""
    return (n_dims + 1) * np.log(n_images)


def mean_drop(study, k_from, k_to):
    """Average BIC improvement per added component between K=k_from and K=k_to."""
    mean = study.selection.summary.set_index("n_components")["mean"]
    return float((mean[k_from] - mean[k_to]) / (k_to - k_from))


def predicted_classes(images):
    """Share of images the reference classifier puts in each class (Spanish class names)."""
    return metrics.class_histogram(images, classifier, class_names=CLASES)


COMPOSITION_ES = {"weight": "peso", "n_images": "imágenes de test", "dominant_class": "clase dominante"}


def composition(generator, images, labels):
    """generator.component_composition with Spanish class names."""
    return generator.component_composition(images, labels, class_names=CLASES)


def spread(images):
    """Root mean squared pixel distance of the images to their own mean image."""
    flat = images.reshape(len(images), -1)
    return float(np.sqrt(((flat - flat.mean(axis=0)) ** 2).sum(axis=1).mean()))


def combine_3d(figures, titles, cols=2):
    """Put several plot_gmm_3d figures side by side (one 3-D scene each), with one legend of the classes."""
    rows = -(-len(figures) // cols)
    combined = make_subplots(
        rows=rows, cols=cols, specs=[[{"type": "scene"}] * cols] * rows, subplot_titles=titles,
        horizontal_spacing=0.02, vertical_spacing=0.05,
    )
    for index, figure in enumerate(figures):
        for trace in figure.data:
            # One legend for the classes (the points of the first figure); the ellipsoids stay unlabelled.
            trace.showlegend = index == 0 and trace.type == "scatter3d"
            combined.add_trace(trace, row=index // cols + 1, col=index % cols + 1)
    combined.update_scenes(xaxis_title="PC1", yaxis_title="PC2", zaxis_title="PC3", camera=SNAPSHOT_CAMERA)
    combined.update_layout(height=450 * rows, margin=dict(l=0, r=0, t=40, b=0))
    return combined


classifier, classifier_accuracy = metrics.train_image_classifier(
    X_train[:N_CLASSIFIER], y_train[:N_CLASSIFIER], X_test, y_test, random_state=SEED
)
print(f"Clasificador de referencia: exactitud en test {num(classifier_accuracy, 3)}")

# %% [markdown]
# ## a) La función `gmm_vs_gaussian_components`
#
# > a) Completa la función gmm_vs_gaussian_components para: 1) reducir la dimensionalidad del subconjunto de datos
# > sobre los que ajustar los GMMs y 2) visualizar los valores de BIC para un número variable de componentes
# > Gaussianas.
#
# La función completa está al inicio del cuaderno. Hace cuatro cosas:
#
# 1. **Submuestra**: elige `subsample_size` imágenes al azar sin reemplazo (semilla `random_state`).
# 2. **Reducción de dimensionalidad**: aplana cada imagen a un vector de 784 píxeles y ajusta una PCA con
#    `n_pca_components` componentes *sobre la submuestra*; `X_pca` son las coordenadas de cada imagen en esas
#    direcciones principales.
# 3. **Barrido**: ajusta un GMM por cada K de `n_components_range`, tipo de covarianza y semilla (`sweep` de
#    `gmmlab`, en paralelo); cada ajuste guarda BIC, AIC, ICL, log-verosimilitud y número de parámetros.
# 4. **Visualización**: dibuja el BIC medio frente a K (con una banda de ± una desviación típica entre semillas) y
#    marca el K que propone una regla automática (la decisión se razona en b).
#
# Este es su cuerpo:

# %%
print(inspect.getsource(gmm_vs_gaussian_components))

# %% [markdown]
# Para comprobar que hace exactamente lo mismo que la versión de la biblioteca (`gmmlab.gmm_vs_gaussian_components`,
# que además valida los argumentos), las ejecutamos las dos sobre una submuestra pequeña y comparamos índices,
# coordenadas PCA (salvo el signo de cada eje, que la PCA no fija) y BIC:

# %%
demo_study = gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=DEMO_SIZE, covariance_type="tied", n_components_range=DEMO_RANGE,
    random_state=SEED, n_seeds=1,
)
plt.show()
library_study = gmmlab.gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=DEMO_SIZE, covariance_type="tied", n_components_range=DEMO_RANGE,
    random_state=SEED, n_seeds=1, ax=plt.figure().gca(),
)
plt.close()
demo_same = (
    np.array_equal(demo_study.indices, library_study.indices)
    and np.allclose(np.abs(demo_study.X_pca), np.abs(library_study.X_pca))
    and np.allclose(demo_study.results["bic"], library_study.results["bic"], rtol=1e-6)
)
print(f"Misma submuestra, misma PCA y mismo BIC que la versión de la biblioteca: {'sí' if demo_same else 'no'}")
demo_study.results[["n_components", "covariance_type", "seed", "bic", "log_likelihood", "n_params", "converged"]].rename(
    columns={"n_components": "K", "covariance_type": "covarianza", "seed": "semilla", "bic": "BIC", "log_likelihood":
             "log-verosimilitud", "n_params": "parámetros", "converged": "convergió"})

# %%
respuesta((
    f"**Respuesta.** `gmm_vs_gaussian_components(images, n_pca_components, subsample_size, covariance_type, "
    f"n_components_range, ...)`, completada al inicio del cuaderno, toma una submuestra aleatoria de las imágenes, "
    f"la proyecta en sus `n_pca_components` primeras componentes principales (PCA ajustada sobre la propia "
    f"submuestra: es la reducción de dimensionalidad que pide el enunciado) y ajusta en ese espacio un GMM por cada "
    f"número de componentes K, tipo de covarianza y semilla; después dibuja el BIC frente a K. Devuelve la tabla de "
    f"resultados (`results`), la PCA, los ejes del gráfico, la propuesta automática (`selection`), los datos "
    f"proyectados (`X_pca`) y los índices de la submuestra. En la demostración con {DEMO_SIZE} imágenes, 3 "
    f"componentes principales (que retienen el {pct(demo_study.pca.explained_variance_ratio_.sum(), 1)} de la "
    f"varianza de los píxeles) y K de {DEMO_RANGE.start} a {DEMO_RANGE.stop - 1}, la tabla tiene "
    f"{len(demo_study.results)} ajustes y el BIC baja de {num(demo_study.results['bic'].iloc[0], 0)} (K=1) a "
    f"{num(demo_study.results['bic'].min(), 0)}. Comparada con la versión de `gmmlab`, da "
    f"{'exactamente la misma submuestra, las mismas coordenadas y el mismo BIC' if demo_same else 'resultados distintos (revisar)'}. "
    f"El BIC sigue el signo de scikit-learn (`-2 log L + p ln n`), así que el mejor modelo es el de BIC más bajo."
))

# %% [markdown]
# ## b) Número de componentes con 3 componentes principales
#
# > b) Usando la función anterior, y para obtener resultados lo más rápido posible: 1) transforma los datos al
# > espacio definido por las 3 componentes más principales, 2) usa un subconjunto de 5000 imágenes, 3) emplea
# > covarianzas de tipo tied y 4) razona un número apropiado de componentes Gaussianas a utilizar para el ajuste de
# > la distribución de Fashion-MNIST.
#
# Barremos K con varias semillas de inicialización por K, para ver cuánto varía el BIC entre inicializaciones (la
# banda sombreada).

# %%
study_b = gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=SUBSAMPLE, covariance_type="tied", n_components_range=K_RANGE,
    random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1,
)
plt.show()
print(f"La regla del codo propone K={study_b.selection.n_components}; el K del BIC mínimo en el rango es "
      f"{minimum_of(study_b)[0]}")
bic_table(study_b).T

# %% [markdown]
# El BIC apenas deja de bajar dentro del rango barrido. ¿Vuelve a subir con más componentes? Lo comprobamos con una
# semilla para K mayores (en 3 dimensiones es barato):

# %%
extra_b = sweep(study_b.X_pca, K_EXTRA_3, "tied", n_seeds=1, random_state=SEED, progress=False)
curve_b = study_b.selection.summary[["n_components", "mean"]].rename(columns={"mean": "bic"})
curve_b_all = pd.concat([curve_b, extra_b[["n_components", "bic"]]], ignore_index=True)
k_min_b, bic_min_b = minimum_of(study_b)
k_min_b_all = int(curve_b_all.loc[curve_b_all["bic"].idxmin(), "n_components"])
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(curve_b["n_components"], curve_b["bic"], "o-", ms=3, label=f"media de {N_SEEDS} semillas")
ax.plot(extra_b["n_components"], extra_b["bic"], "s--", ms=4, label="una semilla, K mayores")
ax.axvline(study_b.selection.n_components, color="0.4", ls="--", lw=1)
ax.set(xlabel="Número de componentes K", ylabel="BIC (menor es mejor, signo de scikit-learn)",
       title="3 PCs, covarianza tied")
ax.legend()
plt.show()

# %% [markdown]
# La regla del codo propone un K pequeño, pero el propio BIC sigue bajando mucho después. Para decidir con
# argumentos, ajustamos los dos candidatos, el K del **codo** y el K del **mínimo del BIC** (con K mayores
# incluidos), sobre la misma submuestra y comparamos sus muestras y su log-verosimilitud en imágenes de test:

# %%
X_sub, y_sub = X_train[study_b.indices], y_train[study_b.indices]
K_KNEE = study_b.selection.n_components
K_BIC = k_min_b_all
candidates_b = {
    K: GMMImageGenerator(n_pca_components=3, n_components=K, covariance_type="tied", subsample_size=None, n_init=3,
                         random_state=SEED).fit(X_sub, y_sub)
    for K in dict.fromkeys((K_KNEE, K_BIC))
}
for K, label in dict.fromkeys(((K_KNEE, "codo de la curva"), (K_BIC, "mínimo del BIC"))):
    visualize_subset_in_grid(candidates_b[K].sample(20, random_state=SEED)[0], n_cols=10,
                             title=f"K={K} ({label}): 20 muestras")
candidates_table = pd.DataFrame({
    K: {"parámetros": gen.gmm_.n_parameters_ if hasattr(gen.gmm_, "n_parameters_") else np.nan,
        "log-verosimilitud media (submuestra)": gen.score(X_sub),
        "log-verosimilitud media (test)": gen.score(X_test),
        "variación total de clases frente a uniforme": 0.5 * float(np.abs(
            predicted_classes(gen.sample(N_EVAL, random_state=SEED)[0]) - UNIFORM).sum())}
    for K, gen in candidates_b.items()
}).T.rename_axis("K")
candidates_table

# %%
explained_b = study_b.pca.explained_variance_ratio_
converged_b = study_b.results["converged"].mean()
summary_b = study_b.selection.summary.set_index("n_components")
drops_b = -summary_b["mean"].diff()
last_k = K_RANGE.stop - 1
drop_before = mean_drop(study_b, 1, K_KNEE) if K_KNEE > 1 else float("nan")
drop_after = mean_drop(study_b, K_KNEE, last_k) if K_KNEE < last_k else float("nan")
spread_at_knee = float(summary_b.loc[K_KNEE, "std"])
drop_at_knee = float(drops_b.get(K_KNEE, np.nan))
bic_gap = float(summary_b.loc[K_KNEE, "mean"] - curve_b_all["bic"].min())
gain_test = float(candidates_table.loc[K_BIC, "log-verosimilitud media (test)"]
                  - candidates_table.loc[K_KNEE, "log-verosimilitud media (test)"])
gain_train = float(candidates_table.loc[K_BIC, "log-verosimilitud media (submuestra)"]
                   - candidates_table.loc[K_KNEE, "log-verosimilitud media (submuestra)"])
tv_gap = float(candidates_table.loc[K_BIC, "variación total de clases frente a uniforme"]
               - candidates_table.loc[K_KNEE, "variación total de clases frente a uniforme"])
# How much of the test-set gain of the BIC-minimum model (over a single Gaussian) the knee model already has.
single_b = GMMImageGenerator(n_pca_components=3, n_components=1, covariance_type="tied", subsample_size=None,
                             random_state=SEED).fit(X_sub, y_sub)
gain_total = float(candidates_table.loc[K_BIC, "log-verosimilitud media (test)"] - single_b.score(X_test))
captured = 1.0 - gain_test / gain_total if gain_total > 0 else 1.0
# The goal here is generating images: the simpler model is kept unless the extra components make the samples cover
# the classes clearly better (their distance to the uniform class mix drops by more than 0.02).
prefer_simple = K_BIC != K_KNEE and tv_gap > -0.02
K_B = K_KNEE if prefer_simple or K_BIC == K_KNEE else K_BIC
edge_b = K_BIC == max(K_EXTRA_3)
respuesta((
    f"**Respuesta.** Con {SUBSAMPLE} imágenes proyectadas en 3 componentes principales (que conservan solo el "
    f"{pct(explained_b.sum(), 1)} de la varianza de los píxeles: {', '.join(pct(v, 1) for v in explained_b)} por "
    f"componente) y covarianza *tied*, el BIC medio baja de {num(summary_b['mean'].iloc[0], 0)} con K=1 a "
    f"{num(bic_min_b, 0)} en K={k_min_b}, el mínimo dentro del rango barrido"
    f"{f', y con una semilla y K mayores sigue bajando hasta K={K_BIC}' if K_BIC > k_min_b else ''}"
    f"{' (el último K probado: el mínimo podría estar aún más lejos)' if edge_b else ''}. "
    f"**Según el propio BIC, el mejor modelo es K={K_BIC}**: tras K={K_KNEE} cada componente más sigue mejorando el "
    f"BIC en {num(drop_after, 0)} unidades de media hasta K={last_k}, "
    f"{'mucho más que las 10 unidades que Kass y Raftery (1995) consideran evidencia muy fuerte' if drop_after > 10 else 'por debajo de las 10 unidades que Kass y Raftery (1995) consideran evidencia muy fuerte'}; "
    f"en total, K={K_BIC} tiene un BIC {num(bic_gap, 0)} unidades menor que K={K_KNEE}. La razón es que una "
    f"componente *tied* solo añade d+1 = {3 + 1} parámetros (su media y su peso), una penalización de "
    f"{num(penalty_per_component(3, SUBSAMPLE), 0)} unidades, que casi cualquier mejora de la verosimilitud compensa "
    f"con {SUBSAMPLE} imágenes.\n\n"
    f"La curva, eso sí, cae deprisa hasta K≈{K_KNEE} ({num(drop_before, 0)} unidades por componente de media desde "
    f"K=1) y despacio después: es el **codo** que marca la regla de Kneedle. "
    + (f"Pero el codo es impreciso: en K={K_KNEE} la desviación del BIC entre semillas es {num(spread_at_knee, 0)}, "
       f"del mismo orden que la bajada que lo marca ({num(drop_at_knee, 0)}). "
       if spread_at_knee > 0.3 * drop_at_knee else
       f"El codo es estable entre inicializaciones: en K={K_KNEE} la desviación del BIC entre semillas es "
       f"{num(spread_at_knee, 0)}, mucho menor que la bajada que lo marca ({num(drop_at_knee, 0)}). ")
    + f"El BIC no dice que K={K_KNEE} sea mejor; la cuestión es si las "
    f"{K_BIC - K_KNEE} componentes extra sirven para algo. Lo comprobamos directamente: las muestras con K={K_KNEE} y "
    f"con K={K_BIC} (figuras) son del mismo tipo, siluetas borrosas de prendas; la log-verosimilitud media de las "
    f"imágenes de test sube {num(gain_test, 3)} nats por imagen ({num(gain_train, 3)} en la propia submuestra), "
    f"mientras que de una sola gaussiana a K={K_BIC} sube {num(gain_total, 3)}: con K={K_KNEE} ya se consigue el "
    f"{pct(captured, 0)} de la mejora en test de K={K_BIC}, con el {pct(K_KNEE / K_BIC, 0)} de sus componentes. Y lo "
    f"que se genera no mejora: la distancia del reparto de clases de las muestras al reparto uniforme de los datos "
    f"es {num(candidates_table.loc[K_KNEE, 'variación total de clases frente a uniforme'], 3)} con K={K_KNEE} y "
    f"{num(candidates_table.loc[K_BIC, 'variación total de clases frente a uniforme'], 3)} con K={K_BIC}. "
    + (f"Las componentes extra modelan estructura fina real de la densidad en 3 dimensiones (por eso el BIC las "
       f"premia con {SUBSAMPLE} imágenes), pero no cambian las imágenes que se generan, limitadas por la PCA de 3 "
       f"componentes. Elegimos por tanto el modelo más simple, **K={K_B}**: da el mismo tipo de imágenes con "
       f"{K_BIC - K_KNEE} componentes menos, y es del orden de las {len(CLASES)} clases de prendas (aunque en 3 "
       f"dimensiones varias clases se solapan y no cabe esperar una componente por clase)."
       if prefer_simple else
       f"Las componentes extra sí mejoran las muestras, así que nos quedamos con el mínimo del BIC, **K={K_B}**.")
    + f" El {pct(converged_b, 0)} de los {len(study_b.results)} ajustes del barrido convergió."
))

# %% [markdown]
# ## c) Ajuste del GMM y muestreo de imágenes nuevas
#
# > c) Ajusta un GMM con el número de componentes elegido en el apartado anterior y genera nuevas imágenes
# > muestreando puntos de esta distribución. Para visualizar las imágenes muestreadas, recuerda que el GMM se ha
# > ajustado en un espacio de dimensionalidad reducida. Para visualizarlas, os recomendamos usar la función
# > visualize_subset_in_grid, definida al inicio del notebook.
#
# `GMMImageGenerator` encapsula PCA + GMM + decodificación. Es el modelo con el K elegido en b), ajustado sobre
# **las mismas imágenes** de la submuestra de b) (por eso `subsample_size=None`: usa todas las que le pasamos).
# Mostramos las muestras con `visualize_subset_in_grid`; el título de cada imagen es la componente de la que salió.

# %%
gen_b = candidates_b[K_B]
samples_b, components_b = gen_b.sample(N_SHOW, random_state=SEED)
visualize_subset_in_grid(samples_b, n_cols=10, titles=[f"k={k}" for k in components_b],
                         title=f"Imágenes generadas por el GMM tied con K={K_B} en 3 PCs")

# %% [markdown]
# **¿Son imágenes nuevas?** Para cada imagen generada buscamos la imagen de entrenamiento más cercana (distancia
# euclídea en píxeles, entre todas las imágenes de entrenamiento) y las ponemos una debajo de otra. Como referencia, la
# misma distancia para imágenes reales de test, que el modelo no ha visto.

# %%
def nearest_training(images):
    """Index of and distance to the nearest training image (pixels), for every image."""
    flat_train = X_train.reshape(len(X_train), -1).astype(np.float32)
    train_sq = (flat_train ** 2).sum(axis=1)
    flat = images.reshape(len(images), -1).astype(np.float32)
    distances = (flat ** 2).sum(axis=1)[:, None] - 2 * flat @ flat_train.T + train_sq[None, :]
    nearest = distances.argmin(axis=1)
    return nearest, np.sqrt(np.maximum(distances[np.arange(len(images)), nearest], 0))


shown_new = samples_b[:10]
nearest_new, distance_new = nearest_training(shown_new)
nearest_test, distance_test = nearest_training(X_test[:200])
visualize_subset_in_grid(
    np.concatenate([shown_new, X_train[nearest_new]]), n_cols=10,
    titles=["generada"] * 10 + [f"d = {d:.1f}".replace(".", ",") for d in distance_new],
    title="Arriba: imágenes generadas. Abajo: su imagen de entrenamiento más cercana (d: distancia en píxeles)",
)
print(f"Distancia mediana a la imagen de entrenamiento más cercana: imágenes generadas {num(np.median(distance_new), 2)}, "
      f"imágenes reales de test {num(np.median(distance_test), 2)}")

# %% [markdown]
# **De vuelta al espacio de los píxeles.** Un punto muestreado `z` (3 coordenadas) se decodifica con la PCA inversa:
# `x = media + z1·w1 + z2·w2 + z3·w3`, donde `w1, w2, w3` son las direcciones principales (vectores de 784 píxeles) y
# `media` la imagen media de la submuestra; después se recortan los píxeles a [0, 1]. Cada imagen generada es por
# tanto la imagen media más una combinación de solo tres "imágenes base". La figura muestra qué significa moverse a lo
# largo de cada dirección (-2σ, -1σ, 0, +1σ, +2σ) y, debajo, imágenes reales de test junto a su reconstrucción con 3
# componentes.

# %%
sigmas = np.sqrt(gen_b.pca_.explained_variance_)
steps = np.array([-2, -1, 0, 1, 2])
walk = np.zeros((3 * len(steps), 3))
for j in range(3):
    walk[j * len(steps):(j + 1) * len(steps), j] = steps * sigmas[j]
visualize_subset_in_grid(gen_b.inverse_transform(walk), n_cols=len(steps),
           titles=[f"PC{j + 1} {s:+d}σ" for j in range(3) for s in steps])
real_show = X_test[:10]
reconstructed_b = gen_b.inverse_transform(gen_b.transform(real_show))
visualize_subset_in_grid(np.concatenate([real_show, reconstructed_b]), n_cols=10,
           titles=[CLASES[c] for c in y_test[:10]] + ["3 PCs"] * 10)
error_b = float(np.mean((gen_b.inverse_transform(gen_b.transform(X_test), clip=False).reshape(len(X_test), -1)
                         - X_test.reshape(len(X_test), -1)) ** 2))
decoded_b = gen_b.inverse_transform(gen_b.gmm_.sample(N_EVAL, random_state=SEED)[0], clip=False)
clipped_b = float(np.mean((decoded_b < 0) | (decoded_b > 1)))
classes_b = predicted_classes(gen_b.sample(N_EVAL, random_state=SEED)[0])
classes_b.to_frame("muestras clasificadas como").T

# %%
top_b = classes_b.sort_values(ascending=False)
respuesta((
    f"**Respuesta.** Ajustamos un GMM *tied* con K={gen_b.n_components_} componentes en el espacio de 3 componentes "
    f"principales (pesos entre {num(gen_b.gmm_.weights_.min(), 3)} y {num(gen_b.gmm_.weights_.max(), 3)}). Muestrear la "
    f"mezcla consiste en elegir una componente según sus pesos y después un punto de su gaussiana; ese punto tiene "
    f"3 coordenadas y **no es una imagen**: hay que devolverlo al espacio de los 784 píxeles con la PCA inversa "
    f"(media + combinación lineal de las 3 direcciones principales) y recortar a [0, 1] (un "
    f"{pct(clipped_b, 1)} de los píxeles decodificados cae fuera de ese rango). Las imágenes generadas son siluetas "
    f"borrosas reconocibles (prendas de torso, calzado, pantalones) pero sin detalle: con 3 componentes la "
    f"PCA conserva el {pct(gen_b.explained_variance_, 1)} de la varianza y el error cuadrático medio de "
    f"reconstrucción de las imágenes de test es {num(error_b, 4)} por píxel, así que ni siquiera las imágenes reales "
    f"reconstruidas conservan texturas o bordes. El clasificador de referencia (exactitud {num(classifier_accuracy, 3)} "
    f"en test) etiqueta las muestras sobre todo como {top_b.index[0]} ({pct(top_b.iloc[0], 1)}), "
    f"{top_b.index[1]} ({pct(top_b.iloc[1], 1)}) y {top_b.index[2]} ({pct(top_b.iloc[2], 1)}), y apenas como "
    f"{top_b.index[-1]} ({pct(top_b.iloc[-1], 1)}), lejos del {pct(UNIFORM, 0)} por clase de los datos reales: en 3 dimensiones "
    f"algunas clases no se distinguen."
))

# %% [markdown]
# ## d) Muestras de una sola componente
#
# > d) Con el mismo GMM ajustado, elige una de sus componentes Gaussianas, y samplea/muestrea (y visualiza) imágenes
# > correspondientes a esta componente. ¿El tipo de imágenes generadas es diferente?, ¿por qué?
#
# Primero vemos qué representa cada componente: `component_composition` asigna cada imagen de **test** a su
# componente más responsable y cuenta las clases reales. En la figura, cada fila es una componente: su media
# decodificada (primera columna) y muestras de esa componente.

# %%
composition_b = composition(gen_b, X_test, y_test)
class_cols = list(CLASES)
display(composition_b.rename(columns=COMPOSITION_ES).rename_axis("componente")
        .style.format({c: "{:.0%}" for c in class_cols} | {"peso": "{:.3f}"})
        .background_gradient(cmap="Blues", subset=class_cols, vmin=0, vmax=1))
plot_component_samples(gen_b, n_per_component=8, random_state=SEED, composition=composition_b, lang="es")
plt.show()

# %%
purity_b = composition_b[class_cols].max(axis=1)
k_pure = int(purity_b.idxmax())
k_mixed = int(purity_b.idxmin())
samples_pure = gen_b.sample_component(k_pure, N_SHOW, random_state=SEED)
samples_mixed = gen_b.sample_component(k_mixed, N_SHOW, random_state=SEED)
visualize_subset_in_grid(samples_pure, n_cols=10, title=f"Componente {k_pure} (la más homogénea)")
visualize_subset_in_grid(samples_mixed, n_cols=10, title=f"Componente {k_mixed} (la más mezclada)")
mixture_samples = gen_b.sample(N_EVAL, random_state=SEED)[0]
spread_mixture = spread(mixture_samples)
spread_pure = spread(gen_b.sample_component(k_pure, N_EVAL, random_state=SEED))
spread_mixed = spread(gen_b.sample_component(k_mixed, N_EVAL, random_state=SEED))
classes_pure = predicted_classes(samples_pure)
pd.DataFrame({"dispersión (RMS a la media)": [spread_mixture, spread_pure, spread_mixed]},
             index=["mezcla completa", f"componente {k_pure}", f"componente {k_mixed}"])

# %%
def top_classes(row, n=3):
    shares = row[class_cols].astype(float).sort_values(ascending=False)
    return ", ".join(f"{name} {pct(share, 0)}" for name, share in shares.iloc[:n].items() if share >= 0.005)


homogeneous = spread_pure < spread_mixture
similar_spread = abs(spread_pure - spread_mixed) < 0.25 * abs(spread_mixture - spread_pure)
respuesta((
    f"**Respuesta.** {'Sí' if homogeneous else 'No en este caso'}: las imágenes de una sola componente son "
    f"{'más parecidas entre sí' if homogeneous else 'tan variadas como'} que las de la mezcla. Elegimos la componente "
    f"{k_pure}, la más pura (la de mayor proporción de una sola clase; peso {num(composition_b.loc[k_pure, 'weight'], 3)}): "
    f"de las imágenes de test que le corresponden, {top_classes(composition_b.loc[k_pure])}, y el clasificador de "
    f"referencia etiqueta el {pct(classes_pure.max(), 0)} de sus muestras como {classes_pure.idxmax()}. Todas "
    f"salen de **una** gaussiana: su media decodificada es el prototipo y la covarianza solo permite variaciones "
    f"alrededor de él, de modo que su dispersión (distancia RMS de las muestras a su imagen media) es "
    f"{num(spread_pure, 2)}, frente a {num(spread_mixture, 2)} para muestras de la mezcla completa, que primero eligen "
    f"componente según los pesos y por eso recorren todo el catálogo. Ojo: con covarianza *tied* todas las "
    f"componentes comparten la misma covarianza, así que todas generan con "
    f"{'prácticamente ' if similar_spread else ''}la misma dispersión (la componente más mezclada, la {k_mixed}, da "
    f"{num(spread_mixed, 2)}); lo que distingue una componente pura de una mezclada no es su anchura sino **dónde está su "
    f"media**. La {k_mixed} reúne {top_classes(composition_b.loc[k_mixed])}: en las 3 primeras componentes "
    f"principales —que capturan sobre todo el brillo global y la forma gruesa— esas prendas ocupan la misma región, "
    f"mientras que la {k_pure} cae en una región que casi solo ocupa {composition_b.loc[k_pure, 'dominant_class']}. "
    f"Cada componente es un clúster de imágenes con silueta y brillo parecidos, no una clase: el GMM no ve las "
    f"etiquetas, agrupa por densidad en el espacio PCA, y con solo 3 dimensiones las clases parecidas caen juntas."
))

# %% [markdown]
# ## e) Visualización 3D del GMM
#
# > e) Visualiza en 3D el GMM ajustado empleando la función plotly_gmm_results_3d definida al inicio del notebook.
# > ¿En qué espacio se está representando el ajuste?
#
# `plotly_gmm_results_3d` (definida al inicio) dibuja las imágenes de la submuestra como puntos (coloreados por su
# clase real) y cada componente como un elipsoide a 2 desviaciones típicas. En JupyterLab la figura es interactiva
# (girar, ampliar, ocultar clases en la leyenda); en una lectura estática se ve una imagen fija desde un ángulo en
# el que PC1 y PC2 separan bien las clases.

# %%
Z_b = gen_b.transform(X_sub)
figure_e = plotly_gmm_results_3d(gen_b, X_sub, y_sub, max_points=1000,
                                 title=f"GMM tied con K={K_B} en el espacio de las 3 primeras componentes principales")

# %%
axis_scale = Z_b.std(axis=0)
class_means_b = pd.DataFrame(Z_b).groupby(y_sub).mean().set_axis(CLASES, axis=0)
extremes_b = [(class_means_b[j].idxmin(), class_means_b[j].idxmax()) for j in range(3)]
respuesta((
    f"**Respuesta.** El ajuste se representa en el **espacio de las 3 primeras componentes principales** de la "
    f"submuestra de {len(X_sub)} imágenes, que es el espacio donde se ajustó el GMM, no en el espacio de los 784 "
    f"píxeles: cada punto son las coordenadas `z = W (x - media)` de una imagen sobre las direcciones principales "
    f"PC1, PC2 y PC3, que explican el {pct(explained_b[0], 1)}, {pct(explained_b[1], 1)} y "
    f"{pct(explained_b[2], 1)} de la varianza (desviaciones típicas de {num(axis_scale[0], 2)}, {num(axis_scale[1], 2)} y "
    f"{num(axis_scale[2], 2)} a lo largo de cada eje). Como la covarianza es *tied*, los {gen_b.n_components_} elipsoides "
    f"tienen la misma forma y orientación y solo cambian de centro: el GMM tapiza la nube con copias de una misma "
    f"gaussiana. Las clases ocupan regiones distintas pero muy solapadas: a lo largo de PC1 la clase con la media "
    f"más baja es {extremes_b[0][0]} y la de la media más alta {extremes_b[0][1]}; a lo largo de PC2, "
    f"{extremes_b[1][0]} y {extremes_b[1][1]}; a lo largo de PC3, {extremes_b[2][0]} y {extremes_b[2][1]} (compárese "
    f"con los recorridos por cada PC del apartado c). Ese solapamiento explica las componentes mezcladas del apartado "
    f"d). Lo que queda fuera de estos 3 "
    f"ejes (el {pct((1 - gen_b.explained_variance_), 1)} de la varianza) no está modelado."
))

# %% [markdown]
# ## f) Más componentes principales
#
# > f) Por último, repite el proceso anterior—desde el apartado b) hasta el e), empleando un número de componentes
# > principales razonable para no perder tanta información. Siguiendo el mismo criterio de antes, ¿ha cambiado el
# > número de componentes Gaussianas a emplear? ¿Por qué?
# >
# > Al representar los datos en un espacio de dimensionalidad mayor, el ajuste/optimización del GMM es
# > significativamente más lento (>1 min. por ajuste). Por ello, os recomendamos analizar el número de componentes
# > Gaussianas (con gmm_vs_gaussian_components) en una celda a parte, sin código adicional.
#
# **¿Cuántas componentes principales?** Miramos la varianza explicada acumulada de la PCA completa de la misma
# submuestra y nos quedamos con las que conservan el 80 % (un compromiso habitual: la curva ya se aplana y la
# dimensión sigue siendo manejable para un GMM con pocos miles de imágenes). Como comparación barremos también el
# número de componentes que conserva el 90 %.

# %%
pca_all = PCA(svd_solver="covariance_eigh").fit(X_sub.reshape(len(X_sub), -1).astype(np.float64))
cumulative = np.cumsum(pca_all.explained_variance_ratio_)
N_PCS_F = int(np.searchsorted(cumulative, VARIANCE_TARGET) + 1)
N_PCS_90 = int(np.searchsorted(cumulative, 0.90) + 1)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(np.arange(1, len(cumulative) + 1), 100 * cumulative)
for n, label in ((3, "3 PCs"), (N_PCS_F, f"{N_PCS_F} PCs"), (N_PCS_90, f"{N_PCS_90} PCs")):
    ax.plot([n], [100 * cumulative[n - 1]], "o")
    ax.annotate(f"{label}: {pct(cumulative[n - 1], 1)}", (n, 100 * cumulative[n - 1]),
                textcoords="offset points", xytext=(8, -12))
ax.set(xscale="log", xlabel="Componentes principales (escala log)", ylabel="Varianza explicada acumulada (%)",
       title=f"PCA de la submuestra de {len(X_sub)} imágenes")
ax.grid(alpha=0.3)
plt.show()
print(f"{pct(VARIANCE_TARGET, 0)} de la varianza: {N_PCS_F} PCs; 90 %: {N_PCS_90} PCs")

# %% [markdown]
# Barrido con el mismo criterio que en b) (covarianza *tied*, mismo rango de K, mismas semillas) en el espacio de
# `N_PCS_F` componentes. Es la celda lenta, sola:

# %%
study_f = gmm_vs_gaussian_components(X_train, N_PCS_F, SUBSAMPLE, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1)

# %% [markdown]
# Y, como comparación, con las componentes que conservan el 90 %:

# %%
study_f90 = gmm_vs_gaussian_components(X_train, N_PCS_90, SUBSAMPLE, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1)

# %%
extra_f = sweep(study_f.X_pca, K_EXTRA_F, "tied", n_seeds=1, random_state=SEED, progress=False)
curve_f = study_f.selection.summary[["n_components", "mean"]].rename(columns={"mean": "bic"})
curve_f_all = pd.concat([curve_f, extra_f[["n_components", "bic"]]], ignore_index=True)
k_min_f_all = int(curve_f_all.loc[curve_f_all["bic"].idxmin(), "n_components"])
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(curve_f["n_components"], curve_f["bic"], "o-", ms=3, label=f"media de {N_SEEDS} semillas")
ax.plot(extra_f["n_components"], extra_f["bic"], "s--", ms=4, label="una semilla, K mayores")
ax.axvline(study_f.selection.n_components, color="0.4", ls="--", lw=1)
ax.set(xlabel="Número de componentes K", ylabel="BIC (menor es mejor, signo de scikit-learn)",
       title=f"{N_PCS_F} PCs, covarianza tied: ¿dónde está el mínimo?")
ax.legend()
plt.show()

rows = []
for label, study, dims in (("b) 3 PCs", study_b, 3), (f"f) {N_PCS_F} PCs", study_f, N_PCS_F),
                           (f"f) {N_PCS_90} PCs", study_f90, N_PCS_90)):
    k_min, bic_min = minimum_of(study)
    k_chosen = study.selection.n_components
    rows.append({
        "espacio": label,
        "varianza explicada": study.pca.explained_variance_ratio_.sum(),
        "K elegido": k_chosen,
        "regla": REGLAS.get(study.selection.rule, study.selection.rule),
        "K del mínimo en el rango": k_min,
        "mejora media por componente (K=1→2)": mean_drop(study, 1, 2),
        f"mejora media por componente (K={K_RANGE.stop - 6}→{K_RANGE.stop - 1})": mean_drop(
            study, K_RANGE.stop - 6, K_RANGE.stop - 1),
        "penalización por componente (d+1) ln n": penalty_per_component(dims, SUBSAMPLE),
        "ajustes convergidos": study.results["converged"].mean(),
    })
comparison_f = pd.DataFrame(rows).set_index("espacio")
comparison_f

# %%
# The same criterion as in b): the knee's simpler model when b) found the extra components bought nothing visible.
K_F = study_f.selection.n_components if prefer_simple else k_min_f_all
row_b, row_f, row_90 = comparison_f.iloc[0], comparison_f.iloc[1], comparison_f.iloc[2]
late = f"mejora media por componente (K={K_RANGE.stop - 6}→{K_RANGE.stop - 1})"
changed = "sí ha cambiado" if K_F != K_B else "no ha cambiado"
direction = "más" if K_F > K_B else "menos" if K_F < K_B else "las mismas"
early = "mejora media por componente (K=1→2)"
penalty = "penalización por componente (d+1) ln n"
still_decreasing_f = int(row_f["K del mínimo en el rango"]) == K_RANGE.stop - 1
K_90 = int(row_90["K elegido"])
flatter_90 = row_90[late] / row_90[early] > row_f[late] / row_f[early]
knee_90_text = (
    f" El K no crece de forma monótona con la dimensión: con {N_PCS_90} PCs el codo está en K={K_90}, menos que con "
    f"{N_PCS_F}, porque el codo depende de la forma de toda la curva"
    + (
        f", y con {N_PCS_90} PCs el BIC sigue cayendo a buen ritmo hasta el final del rango "
        f"({num(row_90[late], 0)} por componente al final frente a {num(row_90[early], 0)} al principio, una "
        f"proporción de {num(row_90[late] / row_90[early], 2)} frente a {num(row_f[late] / row_f[early], 2)} con {N_PCS_F} "
        f"PCs): sin un codo marcado, su posición es poco precisa."
        if flatter_90 else "."
    )
    if K_90 < K_F else ""
)
if prefer_simple:
    rule_text_f = (
        "que el BIC siga bajando no es un fallo del criterio, que premia mejoras reales de la verosimilitud, sino una "
        "limitación del modelo *tied*: con una única covarianza compartida, grupos de formas distintas solo se "
        "describen bien con muchas gaussianas de la misma forma, y cada una cuesta poco (en g1 se comparan otros "
        "tipos). Con el mismo criterio que en b) nos quedamos con el modelo más simple que recoge la caída fuerte "
        f"del BIC, el del codo (K={K_F}); el codo se desplaza a K mayores porque esa caída dura más componentes. En b) "
        "comprobamos que las componentes de más no cambiaban las muestras; aquí no repetimos ese ajuste (sería un GMM "
        f"con K={k_min_f_all} en {N_PCS_F} dimensiones), así que esta elección es la más discutible del cuaderno"
    )
else:
    rule_text_f = f"con el mismo criterio que en b) tomamos el mínimo del BIC, K={K_F}"
respuesta((
    f"**Respuesta (selección de K).** Con {N_PCS_F} componentes principales conservamos el "
    f"{pct(row_f['varianza explicada'], 1)} de la varianza (frente al {pct(row_b['varianza explicada'], 1)} con "
    f"3). Con el mismo criterio que en b) (BIC con covarianza *tied*, mismo rango de K y semillas), el número de "
    f"componentes **{changed}**: K={K_F} frente a K={K_B} con 3 PCs ({direction} componentes); con {N_PCS_90} PCs "
    f"({pct(row_90['varianza explicada'], 1)} de la varianza) el codo está en K={int(row_90['K elegido'])}. El porqué está en el balance de los dos términos del BIC. "
    f"En más dimensiones las prendas que se solapaban en 3 ejes se separan, así que cada componente extra gana "
    f"{'más' if row_f[late] > row_b[late] else 'menos'} verosimilitud: al final del rango el BIC mejora "
    f"{num(row_f[late], 0)} unidades por componente con {N_PCS_F} PCs y {num(row_90[late], 0)} con {N_PCS_90}, "
    f"frente a {num(row_b[late], 0)} con 3 PCs (y {num(row_f[early], 0)} frente a {num(row_b[early], 0)} al "
    f"pasar de K=1 a K=2). La penalización también crece "
    f"con la dimensión, porque una componente *tied* añade d+1 parámetros ({num(row_f[penalty], 0)} unidades de BIC con "
    f"{N_PCS_F} PCs, {num(row_90[penalty], 0)} con {N_PCS_90}, frente a {num(row_b[penalty], 0)} con 3), pero "
    f"{'mucho menos que la ganancia' if row_f[late] > 2 * row_f[penalty] else 'de forma comparable a la ganancia'}: "
    f"la parte cara del modelo, la covarianza de d(d+1)/2 parámetros, es compartida y no se paga por componente. "
    f"Por eso en {N_PCS_F} dimensiones el BIC "
    f"{'sigue bajando en todo el rango barrido' if still_decreasing_f else 'tiene su mínimo en K=' + str(int(row_f['K del mínimo en el rango']))}"
    f" y, con una semilla hasta K={max(K_EXTRA_F)}, su mínimo está en K={k_min_f_all}"
    f"{' (el último valor probado: el verdadero mínimo está aún más lejos)' if k_min_f_all == max(K_EXTRA_F) else ''}. "
    f"{rule_text_f[0].upper() + rule_text_f[1:]}.{knee_90_text}"
))

# %% [markdown]
# Repetimos c), d) y e) con `N_PCS_F` componentes principales y el K elegido: muestras de la mezcla, composición y
# muestras por componente, y la vista 3D (que ahora muestra la **marginal** de cada componente sobre las 3 primeras
# componentes principales, porque el GMM vive en `N_PCS_F` dimensiones).

# %%
gen_f = GMMImageGenerator(
    n_pca_components=N_PCS_F, n_components=K_F, covariance_type="tied", subsample_size=None, n_init=3, random_state=SEED
).fit(X_sub, y_sub)
samples_f, components_f = gen_f.sample(N_SHOW, random_state=SEED)
visualize_subset_in_grid(samples_f, n_cols=10, titles=[f"k={k}" for k in components_f])
plt.show()
reconstructed_f = gen_f.inverse_transform(gen_f.transform(real_show))
visualize_subset_in_grid(np.concatenate([real_show, reconstructed_b, reconstructed_f]), n_cols=10,
           titles=[CLASES[c] for c in y_test[:10]] + ["3 PCs"] * 10 + [f"{N_PCS_F} PCs"] * 10)
error_f = float(np.mean((gen_f.inverse_transform(gen_f.transform(X_test), clip=False).reshape(len(X_test), -1)
                         - X_test.reshape(len(X_test), -1)) ** 2))
classes_f = predicted_classes(gen_f.sample(N_EVAL, random_state=SEED)[0])
classes_f.to_frame("muestras clasificadas como").T

# %%
composition_f = composition(gen_f, X_test, y_test)
display(composition_f.rename(columns=COMPOSITION_ES).rename_axis("componente")
        .style.format({c: "{:.0%}" for c in class_cols} | {"peso": "{:.3f}"})
        .background_gradient(cmap="Blues", subset=class_cols, vmin=0, vmax=1))
plot_component_samples(gen_f, n_per_component=8, random_state=SEED, composition=composition_f, lang="es")
plt.show()
purity_f = composition_f[class_cols].max(axis=1)
k_pure_f = int(purity_f.idxmax())
samples_pure_f = gen_f.sample_component(k_pure_f, N_SHOW, random_state=SEED)
visualize_subset_in_grid(samples_pure_f, n_cols=10, title=f"{N_PCS_F} PCs: componente {k_pure_f}")
spread_pure_f = spread(gen_f.sample_component(k_pure_f, N_EVAL, random_state=SEED))
spread_mixture_f = spread(gen_f.sample(N_EVAL, random_state=SEED)[0])

# %%
figure_f = plotly_gmm_results_3d(gen_f, X_sub, y_sub, max_points=1000,
                                 title=f"GMM tied con K={K_F} en {N_PCS_F} PCs: marginales sobre PC1-PC3")

# %%
def weighted_purity(composition):
    """Share of the assigned test images that belong to their component's dominant class."""
    counts = composition["n_images"]
    return float((composition[class_cols].max(axis=1) * counts).sum() / counts.sum())


purity_gain = weighted_purity(composition_f) - weighted_purity(composition_b)
tv_b = 0.5 * float(np.abs(classes_b - UNIFORM).sum())
tv_f = 0.5 * float(np.abs(classes_f - UNIFORM).sum())
respuesta((
    f"**Respuesta (c, d y e con {N_PCS_F} PCs).** c) Las muestras del GMM con {N_PCS_F} componentes principales y "
    f"K={gen_f.n_components_} {'tienen más detalle' if error_f < error_b else 'no tienen más detalle'} que con 3 "
    f"(se distinguen cuellos, mangas, suelas y asas): el error cuadrático medio de reconstrucción de las imágenes de "
    f"test baja de {num(error_b, 4)} a {num(error_f, 4)} por píxel, y la decodificación sigue siendo la PCA inversa, ahora con "
    f"{N_PCS_F} imágenes base. Las clases quedan {'mejor' if tv_f < tv_b else 'peor'} cubiertas: la distancia de "
    f"variación total entre el histograma de clases de las muestras y el reparto uniforme del test es {num(tv_f, 3)}, "
    f"frente a {num(tv_b, 3)} con 3 PCs. d) Las componentes son {'más' if purity_gain > 0 else 'menos'} puras: la clase "
    f"mayoritaria de cada componente reúne, en media ponderada, el {pct(weighted_purity(composition_f), 0)} de sus "
    f"imágenes de test, frente al {pct(weighted_purity(composition_b), 0)} con 3 PCs; la componente {k_pure_f} "
    f"({top_classes(composition_f.loc[k_pure_f])}) genera imágenes "
    f"{'homogéneas' if spread_pure_f < spread_mixture_f else 'variadas'} (dispersión {num(spread_pure_f, 2)} frente a "
    f"{num(spread_mixture_f, 2)} de la mezcla), por el mismo motivo que en d): una sola gaussiana alrededor de un "
    f"prototipo, ahora en un espacio donde las prendas se separan mejor. e) La vista 3D sigue en el espacio de las "
    f"3 primeras componentes principales, pero dibuja la **marginal** de cada componente sobre PC1–PC3 (su media y el "
    f"bloque 3×3 de su covarianza): el GMM vive en {N_PCS_F} dimensiones y componentes que se solapan en estos 3 ejes "
    f"pueden estar separadas en los otros {N_PCS_F - 3}; la figura ya no muestra todo el ajuste."
))

# %% [markdown]
# ## g) Opcional: tipo de covarianza y tamaño de la submuestra
#
# > g) **Opcional:** Evalúa el impacto que tienen las distintas covarianzas en el ajuste de la distribución
# > (anteriormente solo hemos utilizado tied).

# %% [markdown]
# ### g1) Tipo de covarianza y número de componentes
#
# > 1. ¿Cómo influye el tipo de covarianza en el número de componentes Gaussianas a emplear?
#
# Un barrido con los cuatro tipos a la vez (la inicialización por K-means de cada K y semilla se comparte entre
# tipos). Primero en 3 PCs con el mismo rango y semillas que en b):

# %%
plt.close("all")  # the figures of the earlier cells are already displayed
study_g3d = gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=SUBSAMPLE, covariance_type=COV_TYPES, n_components_range=K_RANGE,
    random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1,
)
plt.show()

# %% [markdown]
# Y en `N_PCS_F` PCs. Con covarianza *full* cada ajuste es mucho más caro (d(d+1)/2 parámetros por componente), así
# que aquí barremos K en un rango menor (`K_RANGE_FULL`: hasta 20 a tamaño completo) y con una semilla. Celda lenta,
# sola:

# %%
study_gf = gmm_vs_gaussian_components(X_train, N_PCS_F, SUBSAMPLE, COV_TYPES, K_RANGE_FULL, random_state=SEED, n_seeds=1, n_jobs=-1)

# %%
def per_type(study, dims):
    """For each covariance type of a multi-type study: the knee rule's K, and the K, BIC and size at the minimum."""
    out = []
    for covariance_type in COV_TYPES:
        rows_t = study.results[study.results["covariance_type"] == covariance_type]
        selection = choose_n_components(rows_t)
        means = rows_t.groupby("n_components")["bic"].mean()
        at_minimum = rows_t[rows_t["n_components"] == means.idxmin()]
        out.append({
            "espacio": f"{dims} PCs", "covarianza": covariance_type, "K elegido": selection.n_components,
            "regla": REGLAS.get(selection.rule, selection.rule), "K del mínimo": int(means.idxmin()),
            "mínimo al final del rango": bool(means.idxmin() == means.index.max()),
            "BIC (media)": means.min(), "parámetros": int(at_minimum["n_params"].iloc[0]),
            "ajustes convergidos": rows_t["converged"].mean(),
        })
    return out


choice_g1 = pd.DataFrame(per_type(study_g3d, 3) + per_type(study_gf, N_PCS_F))
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, study, title in ((axes[0], study_g3d, "3 PCs"), (axes[1], study_gf, f"{N_PCS_F} PCs")):
    summary = study.selection.summary
    for covariance_type in COV_TYPES:
        curve = summary[summary["covariance_type"] == covariance_type]
        ax.plot(curve["n_components"], curve["mean"] / SUBSAMPLE, "o-", ms=3, label=covariance_type)
    ax.set(title=title, xlabel="Número de componentes K", ylabel="BIC / n (menor es mejor)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
plt.show()
choice_g1

# %%
def choice(dims, covariance_type, column="K elegido"):
    table = choice_g1[(choice_g1["espacio"] == f"{dims} PCs") & (choice_g1["covarianza"] == covariance_type)]
    return table[column].iloc[0]


best_3d = study_g3d.selection
best_f = study_gf.selection
order_3d = choice_g1[choice_g1["espacio"] == "3 PCs"].sort_values("BIC (media)")["covarianza"].tolist()
order_f = choice_g1[choice_g1["espacio"] == f"{N_PCS_F} PCs"].sort_values("BIC (media)")["covarianza"].tolist()


def k_list(dims, column="K elegido"):
    return ", ".join(f"*{t}* K={choice(dims, t, column)}" for t in COV_TYPES)


def at_end(dims):
    """Covariance types whose BIC is still lowest at the largest K swept."""
    return [t for t in COV_TYPES if choice(dims, t, "mínimo al final del rango")]


def rules(dims):
    return ", ".join(f"*{t}* `{choice(dims, t, 'regla')}`" for t in COV_TYPES)


rigid = ("tied", "diag", "spherical")


def k_of_minimum(dims, covariance_type):
    return int(choice(dims, covariance_type, "K del mínimo"))


def at_edge(dims, covariance_type):
    return bool(choice(dims, covariance_type, "mínimo al final del rango"))


def direction_of(dims):
    """'more' when every rigid type's BIC minimum is at a larger K than full's, 'fewer' when at a smaller one."""
    full_k, full_edge = k_of_minimum(dims, "full"), at_edge(dims, "full")
    beyond_full = [k_of_minimum(dims, t) > full_k or (at_edge(dims, t) and k_of_minimum(dims, t) >= full_k) for t in rigid]
    if all(beyond_full) and not full_edge:
        return "more"
    if all(k_of_minimum(dims, t) < full_k for t in rigid):
        return "fewer"
    return "mixed"


directions = {dims: direction_of(dims) for dims in (3, N_PCS_F)}
ordered = {
    dims: " < ".join(f"*{t}* {k_of_minimum(dims, t)}" for t in sorted(COV_TYPES, key=lambda t: k_of_minimum(dims, t)))
    for dims in (3, N_PCS_F)
}
edges = {dims: [t for t in COV_TYPES if at_edge(dims, t)] for dims in (3, N_PCS_F)}
EXPLANATION = {
    "more": ("cuanto más rígida es cada gaussiana (*spherical*: una sola varianza; *diag*: elipsoides alineados con "
             "los ejes; *tied*: la misma forma para todas), más componentes necesita para imitar grupos de formas "
             "distintas, y cada componente extra le sale barata en parámetros, así que su BIC sigue mejorando con K"),
    "fewer": ("los tipos rígidos se quedan con **menos** componentes que *full*: una gaussiana rígida encaja mal con "
              "cualquier grupo real de imágenes, así que cada componente nueva mejora poco la verosimilitud y el BIC "
              "deja de premiarlas antes; con *full* cada componente nueva se adapta a la forma de su grupo y la "
              "mejora compensa su coste, de d(d+1)/2 parámetros más, hasta K mayores"),
    "mixed": ("no hay un orden claro entre tipos rígidos y *full*: la forma de cada curva depende de cómo encajan "
              "las gaussianas de cada tipo con los grupos de imágenes en ese espacio"),
}


def edge_text(dims):
    names = edges[dims]
    if not names:
        return "ningún mínimo está en el último K barrido"
    return (f"{', '.join(f'*{t}*' for t in names)} {'tiene' if len(names) == 1 else 'tienen'} el mínimo en el último "
            f"K barrido ({K_RANGE.stop - 1 if dims == 3 else K_RANGE_FULL.stop - 1}), así que su verdadero mínimo "
            f"puede estar más lejos")


same_direction = directions[3] == directions[N_PCS_F]
respuesta((
    f"**Respuesta.** Comparamos el K del **mínimo del BIC** de cada tipo (los K que propone la regla del codo, en "
    f"la tabla, dependen del rango barrido y no sirven para comparar tipos). En 3 PCs, de menos a más componentes: "
    f"{ordered[3]}; {edge_text(3)}. En {N_PCS_F} PCs (K hasta {K_RANGE_FULL.stop - 1}, una semilla): "
    f"{ordered[N_PCS_F]}; {edge_text(N_PCS_F)}. "
    + (f"En los dos espacios la respuesta es la misma: {EXPLANATION[directions[3]]}."
       if same_direction else
       f"En 3 PCs, {EXPLANATION[directions[3]]}; en {N_PCS_F} PCs, en cambio, {EXPLANATION[directions[N_PCS_F]]}.")
    + (" Los mínimos en el extremo del rango limitan esta conclusión: para esos tipos solo sabemos que su mínimo no "
       "es menor que el último K barrido." if edges[3] or edges[N_PCS_F] else "")
    + f" Con *full*, cada componente cuesta d(d+1)/2 parámetros de covarianza (en {N_PCS_F} PCs el modelo *full* "
    f"del mínimo tiene {choice(N_PCS_F, 'full', 'parámetros')} parámetros frente a "
    f"{choice(N_PCS_F, 'tied', 'parámetros')} del *tied*), y el término p ln n del BIC lo castiga. Lo que más "
    f"cambia con el tipo es la calidad del ajuste: por BIC medio en su mínimo el orden es {' < '.join(order_3d)} en 3 PCs y "
    f"{' < '.join(order_f)} en {N_PCS_F} PCs (menor es mejor), y la mejor pareja (tipo, K) es "
    f"{best_3d.covariance_type} con K={best_3d.n_components} en 3 PCs y {best_f.covariance_type} con "
    f"K={best_f.n_components} en {N_PCS_F} PCs."
))

# %% [markdown]
# ### g2) Muestras y ajuste 3D por tipo de covarianza
#
# > 2. Al igual que antes, muestrea la distribución para generar imágenes nuevas, y visualiza el ajuste del GMM en el
# > espacio correspondiente a las 3 componentes más principales. Compara el ajuste de los datos.
#
# Para cada tipo ajustamos el GMM con el K que da en g1 el mismo criterio que en b) (el del codo si allí elegimos el
# modelo más simple), en 3 PCs (donde la vista 3D muestra el ajuste completo) y
# en `N_PCS_F` PCs (donde las muestras tienen detalle). Comparamos también la log-verosimilitud media de las imágenes
# de **test** (en el espacio PCA: comparable entre modelos con la misma PCA).

# %%
K_COLUMN_G = "K elegido" if prefer_simple else "K del mínimo"  # the criterion of b)
gens_3d, gens_f = {}, {}
for covariance_type in COV_TYPES:
    gens_3d[covariance_type] = GMMImageGenerator(
        n_pca_components=3, n_components=int(choice(3, covariance_type, K_COLUMN_G)), covariance_type=covariance_type,
        subsample_size=None, random_state=SEED,
    ).fit(X_sub, y_sub)
    gens_f[covariance_type] = GMMImageGenerator(
        n_pca_components=N_PCS_F, n_components=int(choice(N_PCS_F, covariance_type, K_COLUMN_G)), covariance_type=covariance_type,
        subsample_size=None, random_state=SEED,
    ).fit(X_sub, y_sub)

for gens, dims in ((gens_3d, 3), (gens_f, N_PCS_F)):
    grid = np.concatenate([gens[t].sample(10, random_state=SEED)[0] for t in COV_TYPES])
    titles = [f"{t} (K={gens[t].n_components_})" if i == 0 else "" for t in COV_TYPES for i in range(10)]
    visualize_subset_in_grid(grid, n_cols=10, titles=titles, title=f"Muestras con {dims} PCs")

rows = []
for gens, dims in ((gens_3d, 3), (gens_f, N_PCS_F)):
    for t in COV_TYPES:
        shares = predicted_classes(gens[t].sample(N_EVAL, random_state=SEED)[0])
        rows.append({"espacio": f"{dims} PCs", "covarianza": t, "K": gens[t].n_components_,
                     "log-verosimilitud test (PCA)": gens[t].score(X_test), "clase más generada": shares.idxmax(),
                     "variación total de clases": 0.5 * float(np.abs(shares - UNIFORM).sum())})
fits_g2 = pd.DataFrame(rows)
fits_g2

# %%
figures = [plotly_gmm_results_3d(gens_3d[t], X_sub, y_sub, max_points=400, show=False) for t in COV_TYPES]
show_figure(combine_3d(figures, [f"{t}, K={gens_3d[t].n_components_}" for t in COV_TYPES]), width=860, height=760)

# %%
ll = fits_g2.set_index(["espacio", "covarianza"])["log-verosimilitud test (PCA)"]
tv = fits_g2.set_index(["espacio", "covarianza"])["variación total de clases"]
best_ll_3d = ll.loc["3 PCs"].idxmax()
best_ll_f = ll.loc[f"{N_PCS_F} PCs"].idxmax()
respuesta((
    f"**Respuesta.** En la vista 3D (3 PCs, donde se ve el ajuste completo) se ve la forma de cada tipo: *spherical* "
    f"(K={gens_3d['spherical'].n_components_}) tapiza la nube con bolas, del mismo radio en todas direcciones, que "
    f"no pueden seguir su forma alargada; *diag* (K={gens_3d['diag'].n_components_}) usa elipsoides alineados con "
    f"los ejes PC; *tied* (K={gens_3d['tied'].n_components_}) repite un único elipsoide inclinado; y *full* "
    f"(K={gens_3d['full'].n_components_}) adapta tamaño y orientación de cada elipsoide a su grupo de imágenes. "
    f"La log-verosimilitud media de las imágenes de test en el espacio PCA (mayor es mejor) "
    f"{'lo confirma' if best_ll_3d == 'full' else 'no da la ventaja a *full*'}: en 3 PCs "
    f"*full* {num(ll[('3 PCs', 'full')], 3)}, *tied* {num(ll[('3 PCs', 'tied')], 3)}, *diag* {num(ll[('3 PCs', 'diag')], 3)}, "
    f"*spherical* {num(ll[('3 PCs', 'spherical')], 3)} (mejor: {best_ll_3d}); en {N_PCS_F} PCs *full* "
    f"{num(ll[(f'{N_PCS_F} PCs', 'full')], 2)}, *tied* {num(ll[(f'{N_PCS_F} PCs', 'tied')], 2)}, *diag* "
    f"{num(ll[(f'{N_PCS_F} PCs', 'diag')], 2)}, *spherical* {num(ll[(f'{N_PCS_F} PCs', 'spherical')], 2)} (mejor: "
    f"{best_ll_f}). En {N_PCS_F} PCs la diferencia se ve en las imágenes: dentro de cada componente, *diag* y "
    f"*spherical* muestrean cada componente principal por separado, sin las correlaciones que hacen coherente una "
    f"prenda, y *tied* impone a todas las prendas la misma forma de variación; salen más imágenes que superponen "
    f"rasgos de prendas distintas (rayas, siluetas dobles), sobre todo con *spherical*, mientras que *full* da las "
    f"prendas más limpias (la sección de métricas lo cuantifica). En 3 PCs todas las muestras son igual de borrosas: "
    f"el límite es la PCA, no la mezcla. La cobertura de clases (variación total frente al reparto uniforme; menor es "
    f"mejor) es "
    f"{num(tv[(f'{N_PCS_F} PCs', 'full')], 3)} para *full*, {num(tv[(f'{N_PCS_F} PCs', 'tied')], 3)} *tied*, "
    f"{num(tv[(f'{N_PCS_F} PCs', 'diag')], 3)} *diag* y {num(tv[(f'{N_PCS_F} PCs', 'spherical')], 3)} *spherical* en "
    f"{N_PCS_F} PCs."
))

# %% [markdown]
# ### g3) Tamaño de la submuestra
#
# > 3. Si disminuimos el número de imágenes a emplear (subsample_size), ¿cómo afecta al BIC (y por ende en la
# > selección del número de componentes Gaussianas)?
#
# Mismo estudio que en b) (3 PCs, *tied*, mismo rango de K y semillas) con varios tamaños de submuestra. El tamaño
# de b) ya está calculado y se reutiliza.

# %%
fig, axes = plt.subplots(1, len(G3_SIZES), figsize=(4.5 * len(G3_SIZES), 3.6), sharex=True)
studies_g3 = {}
for ax, size in zip(axes, G3_SIZES):
    if size == SUBSAMPLE:
        studies_g3[size] = study_b
        plot_criterion(study_b.results, "bic", selection=study_b.selection, ax=ax, lang="es")
    else:
        studies_g3[size] = gmm_vs_gaussian_components(
            X_train, 3, size, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, ax=ax, n_jobs=-1
        )
    ax.set_title(f"n = {size}")
    ax.legend(fontsize="x-small")
plt.tight_layout()
plt.show()

rows = []
fig, ax = plt.subplots(figsize=(7, 3.5))
for size, study in studies_g3.items():
    summary = study.selection.summary
    ax.plot(summary["n_components"], summary["mean"] / size, "o-", ms=3, label=f"n = {size}")
    k_min, bic_min = minimum_of(study)
    rows.append({
        "n": size, "K elegido": study.selection.n_components, "regla": REGLAS.get(study.selection.rule, study.selection.rule), "K del mínimo": k_min,
        "BIC mínimo": bic_min, "BIC/n mínimo": bic_min / size, "desv. media entre semillas": summary["std"].mean(),
        "desv. entre semillas / n": summary["std"].mean() / size,
        "penalización por componente (d+1) ln n": penalty_per_component(3, size),
    })
ax.set(xlabel="Número de componentes K", ylabel="BIC / n (menor es mejor)", title="3 PCs, tied: BIC por imagen")
ax.legend()
plt.show()
table_g3 = pd.DataFrame(rows).set_index("n")
table_g3

# %%
small, large = table_g3.index.min(), table_g3.index.max()
k_min_g3 = table_g3["K del mínimo"]
k_rule_g3 = table_g3["K elegido"]
edge_g3 = [n for n, k in k_min_g3.items() if k == K_RANGE.stop - 1]


def tendency(values):
    """'crece', 'baja' or 'no sigue una tendencia clara' with n (rank correlation over the sizes)."""
    if values.nunique() < 2:
        return "no cambia"
    rho = pd.Series(values.to_numpy()).corr(pd.Series(values.index.to_numpy(dtype=float)), method="spearman")
    return "crece" if rho > 0.5 else "baja" if rho < -0.5 else "no sigue una tendencia clara"


trend_min, trend_rule = tendency(k_min_g3), tendency(k_rule_g3)
trend_text = f"el K del mínimo {trend_min} con n y el del codo {trend_rule}"
noisier = table_g3.loc[small, "desv. entre semillas / n"] > table_g3.loc[large, "desv. entre semillas / n"]
respuesta((
    f"**Respuesta.** El BIC es `-2 log L + p ln n`: el término de verosimilitud crece proporcionalmente a n y la "
    f"penalización solo como ln n, así que sus valores absolutos no se comparan entre tamaños (el mínimo va de "
    f"{num(table_g3.loc[small, 'BIC mínimo'], 0)} con n={small} a {num(table_g3.loc[large, 'BIC mínimo'], 0)} con "
    f"n={large}). Dividir por n (segunda figura) ayuda a ver las curvas juntas, pero tampoco las hace estrictamente "
    f"comparables: cada tamaño tiene su propia submuestra y su propia PCA, así que los GMM no modelan exactamente los "
    f"mismos datos. Lo que sí cambia con n de forma segura es el peso de la penalización: por imagen, una componente "
    f"*tied* más cuesta (d+1) ln n / n, {num(table_g3.loc[small, 'penalización por componente (d+1) ln n'] / small, 4)} "
    f"con n={small} frente a {num(table_g3.loc[large, 'penalización por componente (d+1) ln n'] / large, 4)} con "
    f"n={large}. En teoría, por tanto, con pocas imágenes el BIC debería preferir modelos más simples, y con muchas "
    f"tener evidencia para pagar más componentes.\n\n"
    f"Nuestros datos: el K del mínimo es {', '.join(f'{int(k)} (n={n})' for n, k in k_min_g3.items())} y el K del "
    f"codo {', '.join(f'{int(k)} (n={n})' for n, k in k_rule_g3.items())}; es decir, {trend_text}. "
    + (f"Pero con n={', '.join(str(n) for n in edge_g3)} el mínimo está en el último K barrido "
       f"({K_RANGE.stop - 1}): ahí la curva aún no ha vuelto a subir y el verdadero mínimo puede estar más lejos, "
       f"así que {'ese mínimo no sirve' if len(edge_g3) == 1 else 'esos mínimos no sirven'} para medir una tendencia. "
       if edge_g3 else "")
    + ("Lo que la evidencia permite afirmar es, por tanto, limitado: "
       + ("el K del mínimo crece con n, como predice la teoría"
          if trend_min == "crece" and not edge_g3 else
          "no vemos con claridad que el K elegido crezca con n en este rango de tamaños")
       + f". Con submuestras pequeñas la curva {'es más' if noisier else 'no es más'} ruidosa: la desviación entre "
       f"semillas por imagen es {num(table_g3.loc[small, 'desv. entre semillas / n'], 4)} con n={small} frente a "
       f"{num(table_g3.loc[large, 'desv. entre semillas / n'], 4)} con n={large}, y también la PCA se estima con "
       f"menos datos. La conclusión práctica: usar la mayor submuestra que el tiempo permita y varias semillas por K, "
       f"y comparar curvas de BIC solo entre ajustes con los mismos datos.")
))

# %% [markdown]
# ## Calidad de las imágenes generadas: métricas
#
# Mirar muestras no basta para comparar modelos generativos. Medimos, frente a las imágenes **de test** (que ningún
# modelo vio):
#
# - **Log-verosimilitud en test**: en el espacio PCA (solo comparable entre modelos con la misma PCA) y en el espacio
#   de píxeles, añadiendo a las direcciones descartadas un ruido gaussiano isótropo como en PCA probabilística
#   (comparable entre distintos números de componentes principales). Mayor es mejor.
# - **NDB/K** (*Number of statistically Different Bins*, Richardson y Weiss, 2018): se agrupan las imágenes de test en
#   K celdas con K-means y, para cada celda, un test de dos proporciones (α = 0,05) compara la fracción de imágenes
#   reales y generadas que caen en ella. NDB/K cercano a α indica que las muestras reparten la masa como los datos;
#   cerca de 1, que casi todas las celdas están sobre- o infrarrepresentadas (modos perdidos o inventados). También
#   se da la divergencia de Jensen–Shannon entre los dos histogramas.
# - **Distancia de Fréchet** entre gaussianas ajustadas a imágenes reales y generadas en un espacio de
#   características fijo (la PCA de 50 componentes de las imágenes de test), la fórmula de FID sin red Inception.
# - **Precisión y exhaustividad** mejoradas (Kynkäänniemi et al., 2019): fracción de muestras que caen en la variedad
#   de los datos reales (fidelidad) y de datos reales cubiertos por las muestras (diversidad).
# - **Memorización**: mediana de la distancia de cada muestra a su imagen de entrenamiento más cercana dividida por la
#   misma mediana para imágenes de test (≈ 1: no copia; ≪ 1: copia el entrenamiento), y fracción de casi-copias. Es
#   una comprobación sencilla inspirada en la idea de Meehan, Chaudhuri y Dasgupta (2020), comparar la distancia de
#   las muestras al entrenamiento con la de datos no vistos; no es su test (el estadístico $C_T$, una prueba de
#   Mann-Whitney por celdas del espacio), que es más fino.
# - **Histograma de clases** de las muestras según el clasificador de referencia.
#
# Como referencia, la primera fila evalúa imágenes **reales** de entrenamiento que no están en la submuestra: es lo
# mejor que cabe esperar de cada métrica con este tamaño de muestra.

# %%
feature_pca = PCA(n_components=50, svd_solver="covariance_eigh").fit(X_test.reshape(len(X_test), -1).astype(np.float64))
bins = metrics.ndb_bins(X_test, n_bins=N_BINS, random_state=SEED)
held_out = np.setdiff1d(np.arange(len(X_train)), study_b.indices)[:N_EVAL]
reference_row = metrics.evaluate_samples(
    X_train[held_out], X_sub, X_test, y_test, n_bins=N_BINS, random_state=SEED, classifier=classifier,
    feature_pca=feature_pca, bins=bins, class_names=FASHION_MNIST_CLASSES,
)
reference_row.update(n_pca_components=np.nan, covariance_type="—", n_components=np.nan, explained_variance=np.nan,
                     held_out_log_likelihood=np.nan, held_out_log_likelihood_pixels=np.nan)
gen_f90 = GMMImageGenerator(
    n_pca_components=N_PCS_90, n_components=study_f90.selection.n_components, covariance_type="tied",
    subsample_size=None, random_state=SEED,
).fit(X_sub, y_sub)
models = {
    "b/c) 3 PCs tied": gen_b,
    "g) 3 PCs full": gens_3d["full"],
    f"f) {N_PCS_F} PCs tied": gen_f,
    f"f) {N_PCS_90} PCs tied": gen_f90,
    f"g) {N_PCS_F} PCs full": gens_f["full"],
    f"g) {N_PCS_F} PCs diag": gens_f["diag"],
    f"g) {N_PCS_F} PCs spherical": gens_f["spherical"],
}
evaluation = pd.concat(
    [pd.DataFrame([reference_row], index=["imágenes reales (referencia)"])]
    + [metrics.evaluate_generator(gen, X_sub, X_test, y_test, n_samples=N_EVAL, n_bins=N_BINS, random_state=SEED,
                                  classifier=classifier, feature_pca=feature_pca, bins=bins,
                                  class_names=FASHION_MNIST_CLASSES).set_axis([name])
       for name, gen in models.items()]
)
main_columns = ["n_pca_components", "covariance_type", "n_components", "explained_variance", "held_out_log_likelihood",
                "held_out_log_likelihood_pixels", "ndb_over_k", "js", "frechet_distance", "precision", "recall",
                "memorisation_ratio", "near_copy_share"]
METRIC_COLUMNS_ES = {
    "n_pca_components": "PCs", "covariance_type": "covarianza", "n_components": "K",
    "explained_variance": "varianza explicada", "held_out_log_likelihood": "log-verosimilitud test (PCA)",
    "held_out_log_likelihood_pixels": "log-verosimilitud test (píxeles)", "ndb_over_k": "NDB/K", "js": "Jensen–Shannon",
    "frechet_distance": "distancia de Fréchet", "precision": "precisión", "recall": "exhaustividad",
    "memorisation_ratio": "razón de memorización", "near_copy_share": "casi-copias",
}
evaluation[main_columns].rename(columns=METRIC_COLUMNS_ES)

# %%
share_columns = [f"share_{c}" for c in FASHION_MNIST_CLASSES]
histograms = evaluation[share_columns].rename(columns=lambda c: EN_ES[c.removeprefix("share_")])
reference_hist = histograms.iloc[0]
histograms["variación total vs. reales"] = 0.5 * (histograms[class_cols] - reference_hist).abs().sum(axis=1)
display(histograms.style.format("{:.1%}", subset=class_cols).format("{:.3f}", subset=["variación total vs. reales"])
        .background_gradient(cmap="Oranges", subset=class_cols, vmin=0, vmax=0.3))

# %%
generated = evaluation.iloc[1:]
ref = evaluation.iloc[0]
best_ndb = generated["ndb_over_k"].idxmin()
worst_ndb = generated["ndb_over_k"].idxmax()
best_fd = generated["frechet_distance"].idxmin()
best_ll_pixels = generated["held_out_log_likelihood_pixels"].idxmax()
three_pcs = [name for name in generated.index if name.startswith(("b/c) 3 PCs", "g) 3 PCs"))]
many_pcs = [name for name in generated.index if name not in three_pcs]
tv_models = histograms["variación total vs. reales"].iloc[1:]
copies_like_real = generated["near_copy_share"].max() <= max(2 * ref["near_copy_share"], 0.01)
gap = generated["ndb_over_k"].min() - ref["ndb_over_k"]
respuesta((
    f"**Interpretación.** Las imágenes reales de referencia dan NDB/K = {num(ref['ndb_over_k'], 2)} (del orden de "
    f"α = 0,05, como debe ser para dos muestras de la misma distribución), Fréchet {num(ref['frechet_distance'], 3)}, "
    f"precisión y exhaustividad {num(ref['precision'], 2)} y {num(ref['recall'], 2)}, y razón de memorización "
    f"{num(ref['memorisation_ratio'], 2)}. {'Ningún GMM se acerca a esa referencia' if gap > 0.2 else 'Algún GMM se acerca a esa referencia'}: "
    f"el mejor NDB/K es {num(generated.loc[best_ndb, 'ndb_over_k'], 2)} ({best_ndb}) y el peor "
    f"{num(generated.loc[worst_ndb, 'ndb_over_k'], 2)} ({worst_ndb}), es decir, "
    f"{'la mayoría de' if generated['ndb_over_k'].min() > 0.5 else 'muchas'} celdas de Fashion-MNIST reciben una "
    f"fracción de muestras significativamente distinta de la real. Richardson y Weiss (2018) llegan a la conclusión "
    f"contraria con GMM bien dimensionados: sus GMM, ajustados en píxeles con cientos de componentes de covarianza "
    f"de bajo rango, capturan la distribución completa (NDB bajo), mejor que las GAN, aunque sus muestras sean más "
    f"borrosas. {'Nuestros NDB altos, por tanto, no dicen que un GMM no pueda modelar Fashion-MNIST, sino que estos GMM son pequeños: pocas componentes y una PCA que descarta parte de la varianza' if gap > 0.2 else 'Nuestros mejores modelos se acercan a ese resultado'}. La distancia de Fréchet más baja es la "
    f"de {best_fd} ({num(generated.loc[best_fd, 'frechet_distance'], 2)}) y la mayor log-verosimilitud de test en píxeles "
    f"(la comparable entre PCAs) la de {best_ll_pixels} "
    f"({num(generated.loc[best_ll_pixels, 'held_out_log_likelihood_pixels'], 1)} por imagen, frente a "
    f"{num(generated.loc['b/c) 3 PCs tied', 'held_out_log_likelihood_pixels'], 1)} del modelo de b/c): más componentes "
    f"principales {'y covarianzas más flexibles ' if 'full' in best_fd or 'full' in best_ll_pixels else ''}dan un "
    f"modelo mejor de los datos de test. Los modelos de 3 PCs tienen exhaustividad (recall) "
    f"{num(generated.loc[three_pcs, 'recall'].max(), 2)} como mucho, frente a "
    f"{num(generated.loc[many_pcs, 'recall'].min(), 2)}–{num(generated.loc[many_pcs, 'recall'].max(), 2)} con más PCs: sus "
    f"muestras viven en un subespacio de 3 dimensiones y no cubren la variedad de las imágenes reales, aunque una "
    f"parte de ellas caiga cerca de imágenes reales (precisión {num(generated.loc['b/c) 3 PCs tied', 'precision'], 2)}). "
    f"Las razones de memorización van de {num(generated['memorisation_ratio'].min(), 2)} a "
    f"{num(generated['memorisation_ratio'].max(), 2)} y la fracción de casi-copias es como mucho "
    f"{num(generated['near_copy_share'].max(), 4)} (imágenes reales: {num(ref['near_copy_share'], 4)}): "
    f"{'los GMM **no copian** las imágenes de entrenamiento, generan imágenes nuevas' if copies_like_real else 'algún modelo produce más casi-copias que las imágenes reales: revisar'}. "
    f"El histograma de clases de las muestras se aleja del de las imágenes reales (variación total entre "
    f"{num(tv_models.min(), 3)} y {num(tv_models.max(), 3)}), "
    f"{'sobre todo con 3 PCs' if tv_models.idxmax() in three_pcs else 'también con más PCs'}: hay prendas "
    f"sobrerrepresentadas y otras casi ausentes."
))

# %% [markdown]
# ¿Qué modelo es el mejor según cada métrica, y cuál usar? (Mayor es mejor para la log-verosimilitud, la precisión
# y la exhaustividad; menor es mejor para NDB/K, Jensen–Shannon y Fréchet; la razón de memorización es mejor cuanto
# más cerca de 1.)

# %%
METRICS = {  # column -> (name shown, "max" / "min" / "near 1")
    "held_out_log_likelihood_pixels": ("log-verosimilitud de test en píxeles", "max"),
    "ndb_over_k": ("NDB/K", "min"),
    "js": ("Jensen–Shannon", "min"),
    "frechet_distance": ("distancia de Fréchet", "min"),
    "precision": ("precisión", "max"),
    "recall": ("exhaustividad", "max"),
    "memorisation_ratio": ("razón de memorización", "near 1"),
}
best_rows = []
for column, (label, goal) in METRICS.items():
    values = generated[column].astype(float)
    best = (values.idxmax() if goal == "max" else values.idxmin() if goal == "min" else (values - 1).abs().idxmin())
    best_rows.append({"métrica": label, "mejor modelo": best, "valor": values[best],
                      "imágenes reales": ref[column] if column != "held_out_log_likelihood_pixels" else np.nan})
best_by_metric = pd.DataFrame(best_rows).set_index("métrica")
display(best_by_metric)
winners = best_by_metric["mejor modelo"].value_counts()
best_ll_model = best_by_metric.loc["log-verosimilitud de test en píxeles", "mejor modelo"]
agree_with_ll = [m for m, row in best_by_metric.iterrows() if row["mejor modelo"] == best_ll_model]
respuesta((
    f"**Respuesta (mejor modelo por métrica).** "
    + "; ".join(f"{m}: {row['mejor modelo']}" for m, row in best_by_metric.iterrows())
    + f". El modelo que más veces gana es {winners.index[0]} ({winners.iloc[0]} de {len(best_by_metric)} "
    f"métricas). Como criterio principal usaríamos la **log-verosimilitud de test en el espacio de píxeles**: el "
    f"objetivo de esta parte es aproximar la densidad de las imágenes, y es la única métrica que evalúa la densidad "
    f"entera en imágenes no vistas, penaliza tanto los modos perdidos como la masa puesta donde no hay datos, es "
    f"comparable entre modelos con distinto número de componentes principales y no depende de un espacio de "
    f"características ni de un clasificador. Por ella el mejor es {best_ll_model}"
    + (f", que también gana en {', '.join(m for m in agree_with_ll if m != 'log-verosimilitud de test en píxeles')}"
       if len(agree_with_ll) > 1 else "")
    + ". NDB/K y la distancia de Fréchet la complementan midiendo las muestras (qué zonas de los datos cubren y con "
    f"qué frecuencia), y la razón de memorización sirve de control: un modelo que copiara el entrenamiento podría "
    f"puntuar bien en las otras sin generar nada nuevo."
))

# %% [markdown]
# ## Más allá del enunciado: una mezcla de analizadores factoriales en el espacio de píxeles
#
# La ruta del enunciado ajusta el GMM en unas pocas componentes principales y decodifica las muestras con la PCA
# inversa. Una **mezcla de analizadores factoriales** (MFA; Ghahramani y Hinton 1996, la usada por Richardson y
# Weiss 2018) modela directamente los 784 píxeles: cada componente tiene una imagen media, unas pocas direcciones de
# variación ($W_k$, $q$ columnas) y un ruido independiente por píxel ($\Psi_k$), es decir, covarianza
# $W_k W_k^\top + \Psi_k$ con $O(dq)$ parámetros en lugar de $O(d^2)$. `gmmlab.MixtureOfFactorAnalyzers` la ajusta
# por EM con el mismo motor que `GaussianMixture`. Para comparar todos los modelos en la misma escala usamos los
# **bits por dimensión** de las imágenes de test (convención de imágenes de 8 bits con descuantización uniforme;
# a las rutas PCA se les añade ruido isótropo en las direcciones descartadas para que sean densidades en píxeles;
# menor es mejor) y el NDB/K de la sección anterior.

# %%
N_MFA, K_MFA, Q_MFA = (2000, 5, 3) if FAST else (20000, 50, 8)
rows_mfa = np.random.RandomState(SEED).choice(len(X_train), min(N_MFA, len(X_train)), replace=False)
gen_mfa = GMMImageGenerator(model="mfa", n_components=K_MFA, n_factors=Q_MFA, subsample_size=None,
                            random_state=SEED).fit(X_train[rows_mfa])
densities = {
    "b/c) 3 PCs tied": gen_b,
    f"f) {N_PCS_F} PCs tied": gen_f,
    f"g) {N_PCS_F} PCs full": gens_f["full"],
    f"MFA en píxeles (K={K_MFA}, q={Q_MFA})": gen_mfa,
}
samples_mfa, rows_bpd = {}, []
for name, gen in densities.items():
    images_gen, _ = gen.sample(N_EVAL, random_state=SEED)
    samples_mfa[name] = images_gen
    rows_bpd.append({"modelo": name, "bits/dim en test": gen.bits_per_dim(X_test, random_state=SEED),
                     "NDB/K": metrics.ndb(X_test, images_gen, n_bins=N_BINS, bins=bins).ndb_over_k})
bpd_table = pd.DataFrame(rows_bpd).set_index("modelo")
display(bpd_table)
# The same MFA samples without the independent per-pixel noise (mu_k + W_k u only): does that noise cost NDB?
mfa = gen_mfa.gmm_
rng_mfa = np.random.RandomState(SEED)
drawn = rng_mfa.choice(mfa.n_components, N_EVAL, p=mfa.weights_ / mfa.weights_.sum())
factors_mfa = rng_mfa.standard_normal((N_EVAL, mfa.loadings_.shape[2]))
noise_free = np.clip(mfa.means_[drawn] + np.einsum("ndq,nq->nd", mfa.loadings_[drawn], factors_mfa), 0.0, 1.0)
ndb_noise_free = metrics.ndb(X_test, noise_free.reshape((-1, 28, 28)), n_bins=N_BINS, bins=bins).ndb_over_k
fig = compare_sample_grids({name: images[:25] for name, images in samples_mfa.items()}, n_rows=5, n_cols=5)
plt.show()

# %%
mfa_name = f"MFA en píxeles (K={K_MFA}, q={Q_MFA})"
best_pca_bpd = bpd_table.drop(index=mfa_name)["bits/dim en test"].idxmin()
mfa_wins = bpd_table.loc[mfa_name, "bits/dim en test"] < bpd_table.loc[best_pca_bpd, "bits/dim en test"]
mfa_ndb_better = bpd_table.loc[mfa_name, "NDB/K"] < bpd_table.drop(index=mfa_name)["NDB/K"].min()
respuesta((
    f"**Interpretación.** En bits por dimensión de test, la MFA ajustada en píxeles con {len(rows_mfa)} imágenes da "
    f"{num(bpd_table.loc[mfa_name, 'bits/dim en test'], 2)}, frente a "
    f"{num(bpd_table.loc[best_pca_bpd, 'bits/dim en test'], 2)} del mejor GMM en espacio PCA ({best_pca_bpd}): "
    + ("es **una densidad mucho mejor de las imágenes**. " if mfa_wins else
       "con este tamaño de ajuste no mejora a la ruta PCA. ")
    + f"Su NDB/K es {num(bpd_table.loc[mfa_name, 'NDB/K'], 2)} (imágenes reales: {num(ref['ndb_over_k'], 2)}): "
    + ("el mejor de la tabla, aunque todavía lejos de las imágenes reales. "
       if mfa_ndb_better else "no mejora al de la ruta PCA. ")
    + "¿Lo empeora el ruido independiente por píxel de sus muestras, que se ve en la rejilla? Sin él (solo "
    f"$\\mu_k + W_k u$) el NDB/K es {num(ndb_noise_free, 2)}: "
    + ("el ruido explica una parte, " if ndb_noise_free < bpd_table.loc[mfa_name, "NDB/K"] - 0.05 else
       "el ruido no es la causa, ")
    + f"y lo que queda lo fija el número de componentes: con K={K_MFA} cada componente cubre muchas zonas distintas "
    "de los datos, y NDB pide que cada zona reciba su fracción de muestras (en `benchmarks/RESULTS.md` el NDB/K de "
    "la MFA baja al crecer K, a costa de acercar las muestras a las imágenes de entrenamiento). "
    + f"Los modelos publicados sobre Fashion-MNIST llegan a {num(3.34, 2)}–{num(3.66, 2)} bits por dimensión "
    "(Liu, Mandt y Van den Broeck 2022; PixelVAE)."
))

# %% [markdown]
# **Por qué la ruta PCA pierde detalle.** Con 3 componentes principales (o unas decenas) la PCA conserva la forma
# gruesa de la prenda y descarta todas las direcciones de varianza pequeña, que son justamente las de los bordes,
# texturas y estampados; una muestra decodificada es la imagen media de su vecindad en ese subespacio, y por eso es
# suave. Recuperar el detalle con más componentes principales exige muchos más parámetros por componente del GMM
# ($d(d+1)/2$ con covarianza completa), que el BIC penaliza, así que el criterio elige pocas componentes.
#
# Un analizador factorial conserva todos los píxeles: cada componente describe una familia de imágenes por su media,
# unas pocas direcciones en las que esa familia varía y un ruido propio de cada píxel. Cuesta $O(dq)$ parámetros, así
# que se pueden permitir muchas componentes, y la densidad que da a imágenes no vistas es mucho mayor. El precio es
# visible en las muestras: el ruido por píxel las hace granuladas, y NDB/K sigue lejos del de imágenes reales.

# %% [markdown]
# ### Muchas componentes con una covarianza compartida
#
# NDB/K mide si cada zona de los datos recibe su fracción de muestras, y baja sobre todo al crecer el número de
# componentes (`benchmarks/RESULTS.md`). Con covarianza *tied* (compartida) cada componente añade solo su media, así
# que caben cientos o miles: cada componente es una imagen media rodeada de la variabilidad común a todas, algo
# parecido a una estimación de densidad por núcleos con un núcleo aprendido. El número de componentes principales y
# K se eligen por la log-verosimilitud en píxeles de imágenes de entrenamiento reservadas (validación; nunca por NDB
# ni con el test), con una varianza propia en cada dirección descartada (`pixel_noise="per_direction"`).

# %%
PCS_T, KS_T, N_T, SEL_T = ([5, 10], [5, 10], 2000, 1000) if FAST else ([50, 100], [400, 800], 30000, 15000)
rows_t = np.sort(np.random.RandomState(SEED + 1).choice(len(X_train), min(N_T, len(X_train)), replace=False))
gen_tied = GMMImageGenerator(n_pca_components=PCS_T, n_components="validation", n_components_range=KS_T,
                             covariance_type="tied", pixel_noise="per_direction", subsample_size=None,
                             selection_size=SEL_T, random_state=SEED).fit(X_train[rows_t], y_train[rows_t])
tied_name = f"tied, {gen_tied.n_pca_components_} PCs, K={gen_tied.n_components_} (validación)"
images_tied, _ = gen_tied.sample(N_EVAL, random_state=SEED)
bpd_table.loc[tied_name] = [gen_tied.bits_per_dim(X_test, random_state=SEED),
                            metrics.ndb(X_test, images_tied, n_bins=N_BINS, bins=bins).ndb_over_k]
copies_tied = metrics.memorisation(images_tied, X_train[rows_t], X_test)
display(bpd_table)
display(gen_tied.sweep_results_.rename(columns={
    "n_pca_components": "PCs", "n_components": "K", "n_iter": "iteraciones EM", "fit_s": "segundos",
    "validation_log_likelihood": "log-verosimilitud de validación"}))
fig = compare_sample_grids({tied_name: images_tied[:25], mfa_name: samples_mfa[mfa_name][:25]}, n_rows=5, n_cols=5)
plt.show()

# %%
ndb_tied = bpd_table.loc[tied_name, "NDB/K"]
others_ndb = bpd_table.drop(index=tied_name)["NDB/K"]
k_at_edge = gen_tied.n_components_ == max(KS_T)
respuesta((
    f"**Interpretación.** La validación elige {gen_tied.n_pca_components_} componentes principales y "
    f"K={gen_tied.n_components_}"
    + (" (el extremo superior de la rejilla: con más componentes la verosimilitud de validación aún subiría)"
       if k_at_edge else "")
    + f". Su NDB/K es {num(ndb_tied, 2)}, frente a {num(others_ndb.min(), 2)} del mejor de los demás modelos y "
    f"{num(ref['ndb_over_k'], 2)} de las imágenes reales: "
    + ("**reparte las muestras entre las zonas de los datos mucho mejor**, "
       if ndb_tied < others_ndb.min() - 0.05 else "no mejora claramente a los demás, ")
    + f"sin copiar el entrenamiento (casi-copias {pct(copies_tied.near_copy_share, 1)}, razón de memorización "
    f"{num(copies_tied.ratio, 2)}). Como densidad da {num(bpd_table.loc[tied_name, 'bits/dim en test'], 2)} bits por "
    f"dimensión, "
    + ("mejor que las rutas PCA del enunciado " if bpd_table.loc[tied_name, "bits/dim en test"]
       < bpd_table.drop(index=[tied_name, mfa_name])["bits/dim en test"].min() else
       "no mejor que todas las rutas PCA del enunciado ")
    + f"y {'peor' if bpd_table.loc[tied_name, 'bits/dim en test'] > bpd_table.loc[mfa_name, 'bits/dim en test'] else 'mejor'} "
    "que la MFA. No es gratis: la covarianza compartida es la de la variación dentro de los grupos, amplia, y en "
    "`benchmarks/RESULTS.md` una covarianza completa por componente da más verosimilitud de validación con las "
    "mismas componentes principales pero peor NDB/K; lo que un criterio de verosimilitud prefiere y lo que reparte "
    "bien las muestras no coincide del todo."
))

# %% [markdown]
# ## Conclusiones

# %%
elapsed = time.perf_counter() - START
g_order = sorted(COV_TYPES, key=lambda t: k_of_minimum(N_PCS_F, t))
respuesta((
    f"- **a)** `gmm_vs_gaussian_components` = submuestra + PCA + barrido de GMMs + curva de BIC (signo de "
    f"scikit-learn, menor es mejor); la versión de `gmmlab` da "
    f"{'los mismos números' if demo_same else 'números distintos'}.\n"
    f"- **b)** Con 3 PCs ({pct(explained_b.sum(), 1)} de la varianza), {SUBSAMPLE} imágenes y covarianza *tied*, "
    f"el BIC sigue bajando hasta K={K_BIC}: una componente *tied* cuesta solo {3 + 1} parámetros. "
    + (f"Elegimos el modelo más simple del codo, **K={K_B}**, porque las componentes extra no cambian las muestras "
       f"y K={K_KNEE} ya consigue el {pct(captured, 0)} de la mejora en test de K={K_BIC}.\n"
       if prefer_simple else f"Elegimos el mínimo del BIC, **K={K_B}**.\n")
    + f"- **c)** Las muestras, decodificadas con la PCA inversa, son siluetas borrosas de prendas: 3 PCs no guardan "
    f"detalle (error de reconstrucción {num(error_b, 4)} por píxel), y no son copias del entrenamiento (distancia "
    f"mediana a la imagen de entrenamiento más cercana {num(np.median(distance_new), 2)}, frente a "
    f"{num(np.median(distance_test), 2)} para imágenes reales de test).\n"
    f"- **d)** Una componente genera imágenes {'homogéneas' if homogeneous else 'variadas'} (dispersión "
    f"{num(spread_pure, 2)} frente a {num(spread_mixture, 2)} de la mezcla) porque es una sola gaussiana alrededor de un "
    f"prototipo; las componentes agrupan siluetas parecidas, no clases.\n"
    f"- **e)** La vista 3D está en el espacio de las 3 primeras componentes principales de la submuestra, no en el "
    f"de los píxeles.\n"
    f"- **f)** Con {N_PCS_F} PCs ({pct(row_f['varianza explicada'], 1)} de la varianza) el mismo criterio da "
    f"**K={K_F}** ({direction} que con 3 PCs; el codo con {N_PCS_90} PCs, K={K_90}): en {N_PCS_F} PCs cada componente "
    f"extra mejora el BIC en {num(row_f[late], 0)} al final del rango y solo cuesta {num(row_f[penalty], 0)} de "
    f"penalización, así que la curva cae durante más componentes; las muestras tienen "
    f"{'más' if error_f < error_b else 'menos'} detalle (error {num(error_f, 4)}).\n"
    f"- **g)** En {N_PCS_F} PCs, K del mínimo del BIC de menos a más: "
    f"{', '.join(f'{t} K={k_of_minimum(N_PCS_F, t)}' for t in g_order)}"
    f"{' (alguno en el extremo del rango)' if edges[N_PCS_F] else ''}; la mejor log-verosimilitud de test la da "
    f"*{best_ll_f}*. Con menos imágenes la penalización del BIC pesa más por imagen; en los datos, {trend_text} "
    f"({', '.join(f'{int(k)} con n={n}' for n, k in k_min_g3.items())} en el mínimo).\n"
    f"- **Calidad:** NDB/K entre {num(generated['ndb_over_k'].min(), 2)} y {num(generated['ndb_over_k'].max(), 2)} frente a "
    f"{num(ref['ndb_over_k'], 2)} de imágenes reales: los GMM no reparten la masa como los datos; "
    f"{'tampoco memorizan' if copies_like_real else 'y alguno produce casi-copias'} (razón "
    f"{num(generated['memorisation_ratio'].min(), 2)}–{num(generated['memorisation_ratio'].max(), 2)}). El mejor modelo por "
    f"Fréchet es {best_fd}; por log-verosimilitud en píxeles, el criterio que usaríamos, {best_ll_pixels}.\n"
    f"- **MFA en píxeles:** {num(bpd_table.loc[mfa_name, 'bits/dim en test'], 2)} bits por dimensión en test frente a "
    f"{num(bpd_table.loc[best_pca_bpd, 'bits/dim en test'], 2)} del mejor GMM en espacio PCA; NDB/K "
    f"{num(bpd_table.loc[mfa_name, 'NDB/K'], 2)}.\n"
    f"- **Muchas componentes tied:** con {gen_tied.n_pca_components_} PCs y K={gen_tied.n_components_} elegidos por "
    f"validación, NDB/K {num(ndb_tied, 2)} y {num(bpd_table.loc[tied_name, 'bits/dim en test'], 2)} bits por "
    f"dimensión.\n"
    f"- Tiempo de ejecución del cuaderno: {num(elapsed, 0)} s ({'modo rápido' if FAST else 'tamaño completo'})."
))

# %% [markdown]
# ## Fuentes
#
# - scikit-learn: documentación de [`GaussianMixture`](https://scikit-learn.org/stable/modules/generated/sklearn.mixture.GaussianMixture.html),
#   [`KMeans`](https://scikit-learn.org/stable/modules/generated/sklearn.cluster.KMeans.html) y
#   [`PCA`](https://scikit-learn.org/stable/modules/generated/sklearn.decomposition.PCA.html); guía de usuario
#   "Gaussian mixture models" (selección del número de componentes con BIC).
# - G. Schwarz (1978). *Estimating the dimension of a model*. The Annals of Statistics 6(2), 461–464 (BIC).
# - H. Xiao, K. Rasul y R. Vollgraf (2017). *Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
#   Algorithms*. arXiv:1708.07747.
# - E. Richardson e Y. Weiss (2018). *On GANs and GMMs*. NeurIPS 2018 (métrica NDB; concluyen que un GMM grande
#   captura la distribución completa de las imágenes mejor que las GAN, aunque con muestras más borrosas).
# - R. E. Kass y A. E. Raftery (1995). *Bayes Factors*. Journal of the American Statistical Association 90(430),
#   773–795 (escala de evidencia para diferencias de BIC).
# - V. Satopää, J. Albrecht, D. Irwin y B. Raghavan (2011). *Finding a "Kneedle" in a Haystack: Detecting Knee Points
#   in System Behavior*. ICDCS Workshops (codo de la curva de BIC, vía la biblioteca `kneed`).
# - M. Heusel et al. (2017). *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*.
#   NeurIPS 2017 (fórmula de la distancia de Fréchet, FID).
# - T. Kynkäänniemi et al. (2019). *Improved Precision and Recall Metric for Assessing Generative Models*. NeurIPS 2019.
# - C. Meehan, K. Chaudhuri y S. Dasgupta (2020). *A Non-Parametric Test to Detect Data-Copying in Generative Models*.
#   AISTATS 2020 (la idea de comparar distancias al entrenamiento con las de datos no vistos; aquí no se aplica su
#   test $C_T$).
# - Z. Ghahramani y G. E. Hinton (1996). *The EM Algorithm for Mixtures of Factor Analyzers*. Informe técnico
#   CRG-TR-96-1, Universidad de Toronto (la MFA de la última sección).
# - X. Liu, S. Mandt y G. Van den Broeck (2022). *Lossless Compression with Probabilistic Circuits*. ICLR 2022 (bits por
#   dimensión de referencia en Fashion-MNIST).
# - `gmmlab` (este proyecto): `gmmlab.selection`, `gmmlab.generative`, `gmmlab.metrics`, `gmmlab.plotting`.
# - Enunciado: Práctica 7, "Clustering con KMeans GMM y GMM como modelo generativo de imágenes".
