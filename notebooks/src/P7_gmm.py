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

# %%
import inspect
import time
import warnings

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
from gmmlab.plotting.images import image_grid, plot_component_samples, plot_gmm_3d
from gmmlab.plotting.selection import plot_criterion
from gmmlab.pipeline import ImagePipeline, gmm_vs_gaussian_components
from gmmlab.selection import choose_n_components, sweep

FAST = fast_mode()
SEED = 0
pio.renderers.default = "plotly_mimetype+notebook"  # plotly.js embedded in the notebook: renders offline
plt.rcParams["figure.dpi"] = 80
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
print(f"gmmlab {gmmlab.__version__}; FAST={FAST}; train {X_train.shape}, test {X_test.shape}")

# %% [markdown]
# Funciones auxiliares del cuaderno: una tabla de la curva de BIC, el resumen de un estudio y la combinación de varias
# vistas 3D en una sola figura. El clasificador de referencia (PCA + regresión logística entrenado con imágenes
# reales) sirve para etiquetar las imágenes generadas: dice qué prendas parecen.

# %%
def bic_table(study):
    """Mean BIC over seeds per K, its spread and the drop from the previous K."""
    table = study.selection.summary.set_index("n_components")[["mean", "std", "n_seeds"]].copy()
    table["drop"] = -table["mean"].diff()
    return table.rename(columns={"mean": "BIC (media)", "std": "desv.", "n_seeds": "semillas", "drop": "mejora"})


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
    """Share of images the reference classifier puts in each class."""
    return metrics.class_histogram(images, classifier, class_names=FASHION_MNIST_CLASSES)


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
    combined.update_scenes(xaxis_title="PC1", yaxis_title="PC2", zaxis_title="PC3")
    combined.update_layout(height=450 * rows, margin=dict(l=0, r=0, t=40, b=0))
    return combined


classifier, classifier_accuracy = metrics.train_image_classifier(
    X_train[:N_CLASSIFIER], y_train[:N_CLASSIFIER], X_test, y_test, random_state=SEED
)
print(f"Clasificador de referencia: exactitud en test {classifier_accuracy:.3f}")

# %% [markdown]
# ## a) La función `gmm_vs_gaussian_components`
#
# > a) Completa la función gmm_vs_gaussian_components para: 1) reducir la dimensionalidad del subconjunto de datos
# > sobre los que ajustar los GMMs y 2) visualizar los valores de BIC para un número variable de componentes
# > Gaussianas.
#
# La versión completa vive en `gmmlab.pipeline` (sobre `ImagePipeline`, la misma tubería que usan el generador, la CLI
# y el informe). Hace cuatro cosas:
#
# 1. **Submuestra**: elige `subsample_size` imágenes al azar sin reemplazo (semilla `random_state`).
# 2. **Reducción de dimensionalidad**: aplana cada imagen a un vector de 784 píxeles y ajusta una PCA con
#    `n_pca_components` componentes *sobre la submuestra*; `X_pca` son las coordenadas de cada imagen en esas
#    direcciones principales.
# 3. **Barrido**: ajusta un GMM por cada K de `n_components_range`, tipo de covarianza y semilla (`sweep`, en paralelo
#    con joblib); cada ajuste guarda BIC, AIC, ICL, log-verosimilitud y número de parámetros.
# 4. **Visualización y elección**: dibuja el BIC medio frente a K (con una banda de ± una desviación típica entre
#    semillas) y marca el K que elige `choose_n_components`.
#
# Este es el cuerpo de la función (se omite la validación de argumentos), y el de `ImagePipeline.fit`, que hace la
# submuestra y la PCA:

# %%
source = inspect.getsource(gmm_vs_gaussian_components)
print(f"def gmm_vs_gaussian_components{inspect.signature(gmm_vs_gaussian_components)}:\n    ...")
print(source[source.index("    pipeline = ImagePipeline"):])
fit_source = inspect.getsource(ImagePipeline.fit)
print("class ImagePipeline:\n    def fit(self, images, labels=None):\n        ...")
print(fit_source[fit_source.index("        X, image_shape"):])

# %% [markdown]
# Para comprobar que hace exactamente esos pasos, los repetimos a mano con las piezas de la biblioteca sobre una
# submuestra pequeña y comparamos con la salida de la función:

# %%
demo_indices = np.sort(np.random.RandomState(SEED).choice(len(X_train), DEMO_SIZE, replace=False))
demo_pixels = X_train[demo_indices].reshape(DEMO_SIZE, -1).astype(np.float64)
demo_pca = PCA(n_components=3, svd_solver="covariance_eigh")
demo_Z = demo_pca.fit_transform(demo_pixels)
demo_results = sweep(demo_Z, DEMO_RANGE, "tied", n_seeds=1, random_state=SEED, progress=False)

demo_study = gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=DEMO_SIZE, covariance_type="tied", n_components_range=DEMO_RANGE,
    random_state=SEED, n_seeds=1, progress=False,
)
plt.show()
demo_same = (
    np.array_equal(demo_indices, demo_study.indices)
    and np.allclose(demo_Z, demo_study.X_pca)
    and np.allclose(demo_results["bic"], demo_study.results["bic"])
)
demo_study.results[["n_components", "covariance_type", "seed", "bic", "log_likelihood", "n_params", "converged"]]

# %%
display(Markdown(
    f"**Respuesta.** `gmm_vs_gaussian_components(images, n_pca_components, subsample_size, covariance_type, "
    f"n_components_range, ...)` toma una submuestra aleatoria de las imágenes, la proyecta en sus "
    f"`n_pca_components` primeras componentes principales (PCA ajustada sobre la propia submuestra) y ajusta en ese "
    f"espacio un GMM por cada número de componentes K, tipo de covarianza y semilla, devolviendo la tabla de "
    f"resultados (`results`), la PCA, los ejes del gráfico de BIC, la elección automática (`selection`), los datos "
    f"proyectados (`X_pca`) y los índices de la submuestra. En la demostración con {DEMO_SIZE} imágenes, 3 "
    f"componentes principales (que retienen el {100 * demo_study.pca.explained_variance_ratio_.sum():.1f}% de la "
    f"varianza de los píxeles) y K de {DEMO_RANGE.start} a {DEMO_RANGE.stop - 1}, la tabla tiene "
    f"{len(demo_study.results)} ajustes y el BIC baja de {demo_study.results['bic'].iloc[0]:.0f} (K=1) a "
    f"{demo_study.results['bic'].min():.0f}; la función elige K={demo_study.selection.n_components} "
    f"(regla `{demo_study.selection.rule}`). Repetir los pasos a mano (submuestra, PCA, `sweep`) da "
    f"{'exactamente los mismos índices, coordenadas y BIC' if demo_same else 'resultados distintos (revisar)'}: "
    f"la función no hace nada más que esos pasos. El BIC sigue el signo de scikit-learn "
    f"(`-2 log L + p ln n`), así que el mejor modelo es el de BIC más bajo."
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
    random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1, progress=False,
)
plt.show()
print(study_b.selection.reason)
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

# %%
K_B = study_b.selection.n_components
explained_b = study_b.pca.explained_variance_ratio_
converged_b = study_b.results["converged"].mean()
summary_b = study_b.selection.summary.set_index("n_components")
chosen_b = summary_b.loc[K_B]
drop_before = mean_drop(study_b, 1, K_B) if K_B > 1 else float("nan")
drop_after = mean_drop(study_b, K_B, K_RANGE.stop - 1) if K_B < K_RANGE.stop - 1 else float("nan")
std_late_b = float(summary_b.loc[K_B:, "std"].mean())
if study_b.selection.rule == "knee":
    rule_text_b = (
        f"Por eso la regla por defecto de `choose_n_components` no se queda con el mínimo (que solo marca el final "
        f"de una curva que no vuelve a subir de forma clara) sino con el **codo** de la curva (Kneedle): **K={K_B}**"
    )
else:
    rule_text_b = f"La regla por defecto de `choose_n_components` se queda con el mínimo: **K={K_B}**"
display(Markdown(
    f"**Respuesta.** Con {SUBSAMPLE} imágenes proyectadas en 3 componentes principales (que conservan solo el "
    f"{100 * explained_b.sum():.1f}% de la varianza de los píxeles: {', '.join(f'{100 * v:.1f}%' for v in explained_b)} "
    f"por componente) y covarianza *tied*, el BIC medio baja de {summary_b['mean'].iloc[0]:.0f} con K=1 a un mínimo "
    f"de {bic_min_b:.0f} en K={k_min_b} dentro del rango barrido"
    f"{'' if k_min_b_all == k_min_b else f' (con una semilla y K mayores baja un poco más, hasta K={k_min_b_all}'}"
    f"{'' if k_min_b_all == k_min_b else (', y después vuelve a subir)' if k_min_b_all < max(K_EXTRA_3) else ', el último K probado)')}. "
    f"La curva cae deprisa al principio y se aplana después: entre K=1 y K={K_B} cada componente más mejora el BIC "
    f"en {drop_before:.0f} unidades de media, y entre K={K_B} y K={K_RANGE.stop - 1} solo en {drop_after:.0f}, "
    f"{'del orden de' if drop_after < 3 * std_late_b else 'por encima de'} la variación entre semillas en esa zona "
    f"(desviación típica media {std_late_b:.0f}). Con covarianza *tied* una componente más solo añade d+1 = {3 + 1} "
    f"parámetros (su media y su peso), una penalización de {penalty_per_component(3, SUBSAMPLE):.0f} unidades de "
    f"BIC, así que casi cualquier mejora de la verosimilitud la compensa y el mínimo se va a K grandes. "
    f"{rule_text_b} (BIC medio {chosen_b['mean']:.0f}, desviación {chosen_b['std']:.3g} entre "
    f"{int(chosen_b['n_seeds'])} semillas). Es la elección razonable: recoge la estructura gruesa (la caída fuerte) "
    f"sin añadir componentes que apenas mejoran el ajuste y que dependen de la inicialización; es del orden de las "
    f"{len(FASHION_MNIST_CLASSES)} clases de prendas, aunque en solo 3 dimensiones varias clases se solapan y no cabe "
    f"esperar una componente por clase. El {100 * converged_b:.0f}% de los {len(study_b.results)} ajustes convergió."
))

# %% [markdown]
# ## c) Ajuste del GMM y muestreo de imágenes nuevas
#
# > c) Ajusta un GMM con el número de componentes elegido en el apartado anterior y genera nuevas imágenes
# > muestreando puntos de esta distribución. Para visualizar las imágenes muestreadas, recuerda que el GMM se ha
# > ajustado en un espacio de dimensionalidad reducida. Para visualizarlas, os recomendamos usar la función
# > visualize_subset_in_grid, definida al inicio del notebook.
#
# `GMMImageGenerator` encapsula PCA + GMM + decodificación. Lo ajustamos sobre **las mismas imágenes** de la
# submuestra del apartado b) (por eso `subsample_size=None`: usa todas las que le pasamos), con el K elegido.
# `image_grid` es la `visualize_subset_in_grid` del enunciado; el título de cada imagen es la componente de la que
# salió.

# %%
X_sub, y_sub = X_train[study_b.indices], y_train[study_b.indices]
gen_b = GMMImageGenerator(
    n_pca_components=3, n_components=K_B, covariance_type="tied", subsample_size=None, n_init=3, random_state=SEED
).fit(X_sub, y_sub)
samples_b, components_b = gen_b.sample(N_SHOW, random_state=SEED)
image_grid(samples_b, n_cols=10, titles=[f"k={k}" for k in components_b])
plt.show()

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
image_grid(gen_b.inverse_transform(walk), n_cols=len(steps),
           titles=[f"PC{j + 1} {s:+d}σ" for j in range(3) for s in steps])
plt.show()
real_show = X_test[:10]
reconstructed_b = gen_b.inverse_transform(gen_b.transform(real_show))
image_grid(np.concatenate([real_show, reconstructed_b]), n_cols=10,
           titles=[FASHION_MNIST_CLASSES[c] for c in y_test[:10]] + ["3 PCs"] * 10)
plt.show()
error_b = float(np.mean((gen_b.inverse_transform(gen_b.transform(X_test), clip=False).reshape(len(X_test), -1)
                         - X_test.reshape(len(X_test), -1)) ** 2))
decoded_b = gen_b.inverse_transform(gen_b.gmm_.sample(N_EVAL, random_state=SEED)[0], clip=False)
clipped_b = float(np.mean((decoded_b < 0) | (decoded_b > 1)))
classes_b = predicted_classes(gen_b.sample(N_EVAL, random_state=SEED)[0])
classes_b.to_frame("muestras clasificadas como").T

# %%
top_b = classes_b.sort_values(ascending=False)
display(Markdown(
    f"**Respuesta.** Ajustamos un GMM *tied* con K={gen_b.n_components_} componentes en el espacio de 3 componentes "
    f"principales (pesos entre {gen_b.gmm_.weights_.min():.3f} y {gen_b.gmm_.weights_.max():.3f}). Muestrear la "
    f"mezcla consiste en elegir una componente según sus pesos y después un punto de su gaussiana; ese punto tiene "
    f"3 coordenadas y **no es una imagen**: hay que devolverlo al espacio de los 784 píxeles con la PCA inversa "
    f"(media + combinación lineal de las 3 direcciones principales) y recortar a [0, 1] (un "
    f"{100 * clipped_b:.1f}% de los píxeles decodificados cae fuera de ese rango). Las imágenes generadas son siluetas "
    f"borrosas reconocibles (prendas de torso, calzado, pantalones) pero sin detalle: con 3 componentes la "
    f"PCA conserva el {100 * gen_b.explained_variance_:.1f}% de la varianza y el error cuadrático medio de "
    f"reconstrucción de las imágenes de test es {error_b:.4f} por píxel, así que ni siquiera las imágenes reales "
    f"reconstruidas conservan texturas o bordes. El clasificador de referencia (exactitud {classifier_accuracy:.3f} "
    f"en test) etiqueta las muestras sobre todo como {top_b.index[0]} ({100 * top_b.iloc[0]:.1f}%), "
    f"{top_b.index[1]} ({100 * top_b.iloc[1]:.1f}%) y {top_b.index[2]} ({100 * top_b.iloc[2]:.1f}%), y apenas como "
    f"{top_b.index[-1]} ({100 * top_b.iloc[-1]:.1f}%), lejos del 10% por clase de los datos reales: en 3 dimensiones "
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
composition_b = gen_b.component_composition(X_test, y_test, class_names=FASHION_MNIST_CLASSES)
class_cols = list(FASHION_MNIST_CLASSES)
display(composition_b.style.format({c: "{:.0%}" for c in class_cols} | {"weight": "{:.3f}"})
        .background_gradient(cmap="Blues", subset=class_cols, vmin=0, vmax=1))
plot_component_samples(gen_b, n_per_component=8, random_state=SEED, composition=composition_b)
plt.show()

# %%
purity_b = composition_b[class_cols].max(axis=1)
k_pure = int(purity_b.idxmax())
k_mixed = int(purity_b.idxmin())
samples_pure = gen_b.sample_component(k_pure, N_SHOW, random_state=SEED)
samples_mixed = gen_b.sample_component(k_mixed, N_SHOW, random_state=SEED)
image_grid(samples_pure, n_cols=10)
plt.suptitle(f"Componente {k_pure} (la más homogénea)", y=1.02)
plt.show()
image_grid(samples_mixed, n_cols=10)
plt.suptitle(f"Componente {k_mixed} (la más mezclada)", y=1.02)
plt.show()
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
    return ", ".join(f"{name} {100 * share:.0f}%" for name, share in shares.iloc[:n].items() if share > 0)


homogeneous = spread_pure < spread_mixture
similar_spread = abs(spread_pure - spread_mixed) < 0.25 * abs(spread_mixture - spread_pure)
display(Markdown(
    f"**Respuesta.** {'Sí' if homogeneous else 'No en este caso'}: las imágenes de una sola componente son "
    f"{'más parecidas entre sí' if homogeneous else 'tan variadas como'} que las de la mezcla. Elegimos la componente "
    f"{k_pure}, la más pura (la de mayor proporción de una sola clase; peso {composition_b.loc[k_pure, 'weight']:.3f}): "
    f"de las imágenes de test que le corresponden, {top_classes(composition_b.loc[k_pure])}, y el clasificador de "
    f"referencia etiqueta el {100 * classes_pure.max():.0f}% de sus muestras como {classes_pure.idxmax()}. Todas "
    f"salen de **una** gaussiana: su media decodificada es el prototipo y la covarianza solo permite variaciones "
    f"alrededor de él, de modo que su dispersión (distancia RMS de las muestras a su imagen media) es "
    f"{spread_pure:.2f}, frente a {spread_mixture:.2f} para muestras de la mezcla completa, que primero eligen "
    f"componente según los pesos y por eso recorren todo el catálogo. Ojo: con covarianza *tied* todas las "
    f"componentes comparten la misma covarianza, así que todas generan con "
    f"{'prácticamente ' if similar_spread else ''}la misma dispersión (la componente más mezclada, la {k_mixed}, da "
    f"{spread_mixed:.2f}); lo que distingue una componente pura de una mezclada no es su anchura sino **dónde está su "
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
# `plot_gmm_3d` es la `plotly_gmm_results_3d` del enunciado: dibuja las imágenes de la submuestra como puntos
# (coloreados por su clase real) y cada componente como elipsoides a 1 y 2 desviaciones típicas. La figura es
# interactiva (girar, ampliar, ocultar clases en la leyenda).

# %%
Z_b = gen_b.transform(X_sub)
plot_gmm_3d(gen_b, Z_b, labels=y_sub, max_points=3000, class_names=FASHION_MNIST_CLASSES).show()

# %%
axis_scale = Z_b.std(axis=0)
class_means_b = pd.DataFrame(Z_b).groupby(y_sub).mean().set_axis(list(FASHION_MNIST_CLASSES), axis=0)
extremes_b = [(class_means_b[j].idxmin(), class_means_b[j].idxmax()) for j in range(3)]
display(Markdown(
    f"**Respuesta.** El ajuste se representa en el **espacio de las 3 primeras componentes principales** de la "
    f"submuestra de {len(X_sub)} imágenes, que es el espacio donde se ajustó el GMM, no en el espacio de los 784 "
    f"píxeles: cada punto son las coordenadas `z = W (x - media)` de una imagen sobre las direcciones principales "
    f"PC1, PC2 y PC3, que explican el {100 * explained_b[0]:.1f}%, {100 * explained_b[1]:.1f}% y "
    f"{100 * explained_b[2]:.1f}% de la varianza (desviaciones típicas de {axis_scale[0]:.2f}, {axis_scale[1]:.2f} y "
    f"{axis_scale[2]:.2f} a lo largo de cada eje). Como la covarianza es *tied*, los {gen_b.n_components_} elipsoides "
    f"tienen la misma forma y orientación y solo cambian de centro: el GMM tapiza la nube con copias de una misma "
    f"gaussiana. Las clases ocupan regiones distintas pero muy solapadas: a lo largo de PC1 la clase con la media "
    f"más baja es {extremes_b[0][0]} y la de la media más alta {extremes_b[0][1]}; a lo largo de PC2, "
    f"{extremes_b[1][0]} y {extremes_b[1][1]}; a lo largo de PC3, {extremes_b[2][0]} y {extremes_b[2][1]} (compárese "
    f"con los recorridos por cada PC del apartado c). Ese solapamiento explica las componentes mezcladas del apartado "
    f"d). Lo que queda fuera de estos 3 "
    f"ejes (el {100 * (1 - gen_b.explained_variance_):.1f}% de la varianza) no está modelado."
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
# submuestra y nos quedamos con las que conservan el 80% (un compromiso habitual: la curva ya se aplana y la
# dimensión sigue siendo manejable para un GMM con pocos miles de imágenes). Como comparación barremos también el
# número de componentes que conserva el 90%.

# %%
pca_all = PCA(svd_solver="covariance_eigh").fit(X_sub.reshape(len(X_sub), -1).astype(np.float64))
cumulative = np.cumsum(pca_all.explained_variance_ratio_)
N_PCS_F = int(np.searchsorted(cumulative, VARIANCE_TARGET) + 1)
N_PCS_90 = int(np.searchsorted(cumulative, 0.90) + 1)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(np.arange(1, len(cumulative) + 1), 100 * cumulative)
for n, label in ((3, "3 PCs"), (N_PCS_F, f"{N_PCS_F} PCs"), (N_PCS_90, f"{N_PCS_90} PCs")):
    ax.plot([n], [100 * cumulative[n - 1]], "o")
    ax.annotate(f"{label}: {100 * cumulative[n - 1]:.1f}%", (n, 100 * cumulative[n - 1]),
                textcoords="offset points", xytext=(8, -12))
ax.set(xscale="log", xlabel="Componentes principales (escala log)", ylabel="Varianza explicada acumulada (%)",
       title=f"PCA de la submuestra de {len(X_sub)} imágenes")
ax.grid(alpha=0.3)
plt.show()
print(f"{VARIANCE_TARGET:.0%} de la varianza: {N_PCS_F} PCs; 90%: {N_PCS_90} PCs")

# %% [markdown]
# Barrido con el mismo criterio que en b) (covarianza *tied*, mismo rango de K, mismas semillas) en el espacio de
# `N_PCS_F` componentes. Es la celda lenta, sola:

# %%
study_f = gmm_vs_gaussian_components(X_train, N_PCS_F, SUBSAMPLE, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1, progress=False)

# %% [markdown]
# Y, como comparación, con las componentes que conservan el 90%:

# %%
study_f90 = gmm_vs_gaussian_components(X_train, N_PCS_90, SUBSAMPLE, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1, progress=False)

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
        "regla": study.selection.rule,
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
K_F = study_f.selection.n_components
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
    f" El K no crece de forma monótona con la dimensión: con {N_PCS_90} PCs la regla da K={K_90}, menos que con "
    f"{N_PCS_F}, porque el codo depende de la forma de toda la curva"
    + (
        f", y con {N_PCS_90} PCs el BIC sigue cayendo a buen ritmo hasta el final del rango "
        f"({round(row_90[late]) + 0} por componente al final frente a {round(row_90[early]) + 0} al principio, una "
        f"proporción de {row_90[late] / row_90[early]:.2f} frente a {row_f[late] / row_f[early]:.2f} con {N_PCS_F} "
        f"PCs): sin un codo marcado, su posición es poco precisa."
        if flatter_90 else "."
    )
    if K_90 < K_F else ""
)
if study_f.selection.rule == "knee":
    rule_text_f = (
        "el mínimo del BIC con covarianza *tied* en muchas dimensiones deja de ser un criterio útil (tiende a un "
        "modelo casi no paramétrico, con una gaussiana por cada pequeño grupo de imágenes) y la regla aplica, como en "
        "b), el codo de la curva; el codo se desplaza a K mayores porque la caída fuerte del BIC dura más componentes"
    )
else:
    rule_text_f = "la regla se queda con el mínimo del rango barrido"
display(Markdown(
    f"**Respuesta (selección de K).** Con {N_PCS_F} componentes principales conservamos el "
    f"{100 * row_f['varianza explicada']:.1f}% de la varianza (frente al {100 * row_b['varianza explicada']:.1f}% con "
    f"3). Con el mismo criterio (BIC con covarianza *tied*, mismo rango de K, mismas semillas y la misma regla por "
    f"defecto), el número de componentes **{changed}**: K={K_F} (regla `{study_f.selection.rule}`) frente a K={K_B} "
    f"con 3 PCs ({direction} componentes); con {N_PCS_90} PCs ({100 * row_90['varianza explicada']:.1f}% de la "
    f"varianza) la regla da K={int(row_90['K elegido'])}. El porqué está en el balance de los dos términos del BIC. "
    f"En más dimensiones las prendas que se solapaban en 3 ejes se separan, así que cada componente extra gana "
    f"{'más' if row_f[late] > row_b[late] else 'menos'} verosimilitud: al final del rango el BIC mejora "
    f"{round(row_f[late]) + 0} unidades por componente con {N_PCS_F} PCs y {round(row_90[late]) + 0} con {N_PCS_90}, "
    f"frente a {round(row_b[late]) + 0} con 3 PCs (y {round(row_f[early]) + 0} frente a {round(row_b[early]) + 0} al "
    f"pasar de K=1 a K=2). La penalización también crece "
    f"con la dimensión, porque una componente *tied* añade d+1 parámetros ({row_f[penalty]:.0f} unidades de BIC con "
    f"{N_PCS_F} PCs, {row_90[penalty]:.0f} con {N_PCS_90}, frente a {row_b[penalty]:.0f} con 3), pero "
    f"{'mucho menos que la ganancia' if row_f[late] > 2 * row_f[penalty] else 'de forma comparable a la ganancia'}: "
    f"la parte cara del modelo, la covarianza de d(d+1)/2 parámetros, es compartida y no se paga por componente. "
    f"Por eso en {N_PCS_F} dimensiones el BIC "
    f"{'sigue bajando en todo el rango barrido' if still_decreasing_f else 'tiene su mínimo en K=' + str(int(row_f['K del mínimo en el rango']))}"
    f" y, con una semilla hasta K={max(K_EXTRA_F)}, su mínimo está en K={k_min_f_all}"
    f"{' (el último valor probado: el verdadero mínimo está aún más lejos)' if k_min_f_all == max(K_EXTRA_F) else ''}; "
    f"{rule_text_f}.{knee_90_text}"
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
image_grid(samples_f, n_cols=10, titles=[f"k={k}" for k in components_f])
plt.show()
reconstructed_f = gen_f.inverse_transform(gen_f.transform(real_show))
image_grid(np.concatenate([real_show, reconstructed_b, reconstructed_f]), n_cols=10,
           titles=[FASHION_MNIST_CLASSES[c] for c in y_test[:10]] + ["3 PCs"] * 10 + [f"{N_PCS_F} PCs"] * 10)
plt.show()
error_f = float(np.mean((gen_f.inverse_transform(gen_f.transform(X_test), clip=False).reshape(len(X_test), -1)
                         - X_test.reshape(len(X_test), -1)) ** 2))
classes_f = predicted_classes(gen_f.sample(N_EVAL, random_state=SEED)[0])
classes_f.to_frame("muestras clasificadas como").T

# %%
composition_f = gen_f.component_composition(X_test, y_test, class_names=FASHION_MNIST_CLASSES)
display(composition_f.style.format({c: "{:.0%}" for c in class_cols} | {"weight": "{:.3f}"})
        .background_gradient(cmap="Blues", subset=class_cols, vmin=0, vmax=1))
plot_component_samples(gen_f, n_per_component=8, random_state=SEED, composition=composition_f)
plt.show()
purity_f = composition_f[class_cols].max(axis=1)
k_pure_f = int(purity_f.idxmax())
samples_pure_f = gen_f.sample_component(k_pure_f, N_SHOW, random_state=SEED)
image_grid(samples_pure_f, n_cols=10)
plt.suptitle(f"{N_PCS_F} PCs: componente {k_pure_f}", y=1.02)
plt.show()
spread_pure_f = spread(gen_f.sample_component(k_pure_f, N_EVAL, random_state=SEED))
spread_mixture_f = spread(gen_f.sample(N_EVAL, random_state=SEED)[0])

# %%
Z_f = gen_f.transform(X_sub)
plot_gmm_3d(gen_f, Z_f, labels=y_sub, max_points=3000, class_names=FASHION_MNIST_CLASSES).show()

# %%
def weighted_purity(composition):
    """Share of the assigned test images that belong to their component's dominant class."""
    counts = composition["n_images"]
    return float((composition[class_cols].max(axis=1) * counts).sum() / counts.sum())


purity_gain = weighted_purity(composition_f) - weighted_purity(composition_b)
tv_b = 0.5 * float(np.abs(classes_b - UNIFORM).sum())
tv_f = 0.5 * float(np.abs(classes_f - UNIFORM).sum())
display(Markdown(
    f"**Respuesta (c, d y e con {N_PCS_F} PCs).** c) Las muestras del GMM con {N_PCS_F} componentes principales y "
    f"K={gen_f.n_components_} {'tienen más detalle' if error_f < error_b else 'no tienen más detalle'} que con 3 "
    f"(se distinguen cuellos, mangas, suelas y asas): el error cuadrático medio de reconstrucción de las imágenes de "
    f"test baja de {error_b:.4f} a {error_f:.4f} por píxel, y la decodificación sigue siendo la PCA inversa, ahora con "
    f"{N_PCS_F} imágenes base. Las clases quedan {'mejor' if tv_f < tv_b else 'peor'} cubiertas: la distancia de "
    f"variación total entre el histograma de clases de las muestras y el reparto uniforme del test es {tv_f:.3f}, "
    f"frente a {tv_b:.3f} con 3 PCs. d) Las componentes son {'más' if purity_gain > 0 else 'menos'} puras: la clase "
    f"mayoritaria de cada componente reúne, en media ponderada, el {100 * weighted_purity(composition_f):.0f}% de sus "
    f"imágenes de test, frente al {100 * weighted_purity(composition_b):.0f}% con 3 PCs; la componente {k_pure_f} "
    f"({top_classes(composition_f.loc[k_pure_f])}) genera imágenes "
    f"{'homogéneas' if spread_pure_f < spread_mixture_f else 'variadas'} (dispersión {spread_pure_f:.2f} frente a "
    f"{spread_mixture_f:.2f} de la mezcla), por el mismo motivo que en d): una sola gaussiana alrededor de un "
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
study_g3d = gmm_vs_gaussian_components(
    X_train, n_pca_components=3, subsample_size=SUBSAMPLE, covariance_type=COV_TYPES, n_components_range=K_RANGE,
    random_state=SEED, n_seeds=N_SEEDS, n_jobs=-1, progress=False,
)
plt.show()

# %% [markdown]
# Y en `N_PCS_F` PCs. Con covarianza *full* cada ajuste es mucho más caro (d(d+1)/2 parámetros por componente), así
# que aquí barremos K en un rango menor (`K_RANGE_FULL`: hasta 20 a tamaño completo) y con una semilla. Celda lenta,
# sola:

# %%
study_gf = gmm_vs_gaussian_components(X_train, N_PCS_F, SUBSAMPLE, COV_TYPES, K_RANGE_FULL, random_state=SEED, n_seeds=1, n_jobs=-1, progress=False)

# %%
def per_type(study, dims):
    """The choice of K for each covariance type of a multi-type study."""
    out = []
    for covariance_type in COV_TYPES:
        rows_t = study.results[study.results["covariance_type"] == covariance_type]
        selection = choose_n_components(rows_t)
        chosen = rows_t[rows_t["n_components"] == selection.n_components]
        means = rows_t.groupby("n_components")["bic"].mean()
        out.append({
            "espacio": f"{dims} PCs", "covarianza": covariance_type, "K elegido": selection.n_components,
            "regla": selection.rule, "K del mínimo": int(means.idxmin()),
            "mínimo al final del rango": bool(means.idxmin() == means.index.max()),
            "BIC (media)": chosen["bic"].mean(), "parámetros": int(chosen["n_params"].iloc[0]),
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
rigid_want_more = all(
    choice(dims, t, "mínimo al final del rango") or choice(dims, t, "K del mínimo") >= choice(dims, "full", "K del mínimo")
    for dims in (3, N_PCS_F) for t in rigid
)
tied_g1 = int(choice(N_PCS_F, "tied"))
display(Markdown(
    f"**Respuesta.** Hay que distinguir dónde está el **mínimo** del BIC de lo que elige la regla. Mínimo del BIC en "
    f"3 PCs: {k_list(3, 'K del mínimo')}; en {N_PCS_F} PCs (K hasta {K_RANGE_FULL.stop - 1}): "
    f"{k_list(N_PCS_F, 'K del mínimo')}. Siguen bajando al final del rango: "
    f"{', '.join(at_end(3)) or 'ninguno'} en 3 PCs y {', '.join(at_end(N_PCS_F)) or 'ninguno'} en {N_PCS_F} PCs. "
    f"{'Es lo esperable' if rigid_want_more else 'Solo en parte es lo esperable'}: cuanto más rígida es cada "
    f"gaussiana (*spherical*: una sola varianza; *diag*: elipsoides alineados con los ejes PC; *tied*: la misma forma "
    f"para todas) más componentes necesita para imitar una nube curvada y con grupos de formas distintas, y cada "
    f"componente extra le sale barata en parámetros, así que su BIC sigue mejorando con K; con *full* cada "
    f"componente se adapta a la forma local de los datos y además cuesta d(d+1)/2 parámetros de covarianza (en "
    f"{N_PCS_F} PCs el modelo *full* elegido tiene {choice(N_PCS_F, 'full', 'parámetros')} parámetros frente a "
    f"{choice(N_PCS_F, 'tied', 'parámetros')} del *tied*), que el término p ln n castiga, "
    f"{'por lo que su curva sí toca fondo dentro del rango' if 'full' not in at_end(3) + at_end(N_PCS_F) else 'aunque aquí su curva tampoco toca fondo en todos los casos'}. La regla por defecto ({rules(N_PCS_F)} en {N_PCS_F} PCs) elige entonces "
    f"{k_list(3)} en 3 PCs y {k_list(N_PCS_F)} en {N_PCS_F} PCs: para las curvas que no tocan fondo toma el codo, que "
    f"depende del rango barrido (aquí *tied* da K={tied_g1}{f' y no el K={K_F} de f)' if tied_g1 != K_F else ', como en f)'}),"
    f" así que esos K no son comparables con el mínimo de *full*. Lo que más cambia con el tipo es la calidad del "
    f"ajuste: por BIC del modelo elegido el orden es {' < '.join(order_3d)} en 3 PCs y {' < '.join(order_f)} en "
    f"{N_PCS_F} PCs (menor es mejor), y la mejor pareja (tipo, K) es {best_3d.covariance_type} con "
    f"K={best_3d.n_components} en 3 PCs y {best_f.covariance_type} con K={best_f.n_components} en {N_PCS_F} PCs."
))

# %% [markdown]
# ### g2) Muestras y ajuste 3D por tipo de covarianza
#
# > 2. Al igual que antes, muestrea la distribución para generar imágenes nuevas, y visualiza el ajuste del GMM en el
# > espacio correspondiente a las 3 componentes más principales. Compara el ajuste de los datos.
#
# Para cada tipo ajustamos el GMM con su K elegido en g1, en 3 PCs (donde la vista 3D muestra el ajuste completo) y
# en `N_PCS_F` PCs (donde las muestras tienen detalle). Comparamos también la log-verosimilitud media de las imágenes
# de **test** (en el espacio PCA: comparable entre modelos con la misma PCA).

# %%
gens_3d, gens_f = {}, {}
for covariance_type in COV_TYPES:
    gens_3d[covariance_type] = GMMImageGenerator(
        n_pca_components=3, n_components=int(choice(3, covariance_type)), covariance_type=covariance_type,
        subsample_size=None, random_state=SEED,
    ).fit(X_sub, y_sub)
    gens_f[covariance_type] = GMMImageGenerator(
        n_pca_components=N_PCS_F, n_components=int(choice(N_PCS_F, covariance_type)), covariance_type=covariance_type,
        subsample_size=None, random_state=SEED,
    ).fit(X_sub, y_sub)

for gens, dims in ((gens_3d, 3), (gens_f, N_PCS_F)):
    grid = np.concatenate([gens[t].sample(10, random_state=SEED)[0] for t in COV_TYPES])
    titles = [f"{t} (K={gens[t].n_components_})" if i == 0 else "" for t in COV_TYPES for i in range(10)]
    image_grid(grid, n_cols=10, titles=titles)
    plt.suptitle(f"Muestras con {dims} PCs", y=1.03)
    plt.show()

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
figures = [
    plot_gmm_3d(gens_3d[t], gens_3d[t].transform(X_sub), labels=y_sub, max_points=1500, class_names=FASHION_MNIST_CLASSES)
    for t in COV_TYPES
]
combine_3d(figures, [f"{t}, K={gens_3d[t].n_components_}" for t in COV_TYPES]).show()

# %%
ll = fits_g2.set_index(["espacio", "covarianza"])["log-verosimilitud test (PCA)"]
tv = fits_g2.set_index(["espacio", "covarianza"])["variación total de clases"]
best_ll_3d = ll.loc["3 PCs"].idxmax()
best_ll_f = ll.loc[f"{N_PCS_F} PCs"].idxmax()
display(Markdown(
    f"**Respuesta.** En la vista 3D (3 PCs, donde se ve el ajuste completo) se ve la forma de cada tipo: *spherical* "
    f"(K={gens_3d['spherical'].n_components_}) tapiza la nube con bolas, del mismo radio en todas direcciones, que "
    f"no pueden seguir su forma alargada; *diag* (K={gens_3d['diag'].n_components_}) usa elipsoides alineados con "
    f"los ejes PC; *tied* (K={gens_3d['tied'].n_components_}) repite un único elipsoide inclinado; y *full* "
    f"(K={gens_3d['full'].n_components_}) adapta tamaño y orientación de cada elipsoide a su grupo de imágenes. "
    f"La log-verosimilitud media de las imágenes de test en el espacio PCA (mayor es mejor) "
    f"{'lo confirma' if best_ll_3d == 'full' else 'no da la ventaja a *full*'}: en 3 PCs "
    f"*full* {ll[('3 PCs', 'full')]:.3f}, *tied* {ll[('3 PCs', 'tied')]:.3f}, *diag* {ll[('3 PCs', 'diag')]:.3f}, "
    f"*spherical* {ll[('3 PCs', 'spherical')]:.3f} (mejor: {best_ll_3d}); en {N_PCS_F} PCs *full* "
    f"{ll[(f'{N_PCS_F} PCs', 'full')]:.2f}, *tied* {ll[(f'{N_PCS_F} PCs', 'tied')]:.2f}, *diag* "
    f"{ll[(f'{N_PCS_F} PCs', 'diag')]:.2f}, *spherical* {ll[(f'{N_PCS_F} PCs', 'spherical')]:.2f} (mejor: "
    f"{best_ll_f}). En {N_PCS_F} PCs la diferencia se ve en las imágenes: dentro de cada componente, *diag* y "
    f"*spherical* muestrean cada componente principal por separado, sin las correlaciones que hacen coherente una "
    f"prenda, y *tied* impone a todas las prendas la misma forma de variación; salen más imágenes que superponen "
    f"rasgos de prendas distintas (rayas, siluetas dobles), sobre todo con *spherical*, mientras que *full* da las "
    f"prendas más limpias (la sección de métricas lo cuantifica). En 3 PCs todas las muestras son igual de borrosas: "
    f"el límite es la PCA, no la mezcla. La cobertura de clases (variación total frente al reparto uniforme; menor es "
    f"mejor) es "
    f"{tv[(f'{N_PCS_F} PCs', 'full')]:.3f} para *full*, {tv[(f'{N_PCS_F} PCs', 'tied')]:.3f} *tied*, "
    f"{tv[(f'{N_PCS_F} PCs', 'diag')]:.3f} *diag* y {tv[(f'{N_PCS_F} PCs', 'spherical')]:.3f} *spherical* en "
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
        plot_criterion(study_b.results, "bic", selection=study_b.selection, ax=ax)
    else:
        studies_g3[size] = gmm_vs_gaussian_components(
            X_train, 3, size, "tied", K_RANGE, random_state=SEED, n_seeds=N_SEEDS, ax=ax, n_jobs=-1, progress=False
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
        "n": size, "K elegido": study.selection.n_components, "regla": study.selection.rule, "K del mínimo": k_min,
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
trend = np.corrcoef(table_g3.index, k_min_g3)[0, 1] if k_min_g3.nunique() > 1 else 0.0
trend_text = (
    "el K del mínimo crece con n" if trend > 0.5
    else "el K del mínimo baja con n" if trend < -0.5
    else "el K del mínimo no sigue una tendencia clara con n"
)
noisier = table_g3.loc[small, "desv. entre semillas / n"] > table_g3.loc[large, "desv. entre semillas / n"]
rule_small, rule_large = table_g3.loc[small, "regla"], table_g3.loc[large, "regla"]
turns_up = {"min": "vuelve a subir dentro del rango y la regla toma su mínimo",
            "knee": "sigue bajando hasta el final del rango y la regla toma el codo",
            "one_se": "se elige con la regla de un error típico"}
display(Markdown(
    f"**Respuesta.** El BIC es `-2 log L + p ln n`: el término de verosimilitud crece proporcionalmente a n y la "
    f"penalización solo como ln n, así que sus valores absolutos no son comparables entre tamaños (el mínimo va de "
    f"{table_g3.loc[small, 'BIC mínimo']:.0f} con n={small} a {table_g3.loc[large, 'BIC mínimo']:.0f} con n={large}); "
    f"por imagen (BIC/n, segunda figura) sí lo son: mínimo de {table_g3.loc[small, 'BIC/n mínimo']:.3f} con n={small} "
    f"y {table_g3.loc[large, 'BIC/n mínimo']:.3f} con n={large}. Lo que cambia con n es el peso relativo de la "
    f"penalización: por imagen, una componente *tied* más cuesta (d+1) ln n / n, "
    f"{table_g3.loc[small, 'penalización por componente (d+1) ln n'] / small:.4f} con n={small} frente a "
    f"{table_g3.loc[large, 'penalización por componente (d+1) ln n'] / large:.4f} con n={large}. Con pocas imágenes "
    f"una componente extra tiene que mejorar mucho la verosimilitud de cada imagen para compensar, así que el BIC "
    f"tiende a preferir modelos más simples; con muchas imágenes la evidencia de estructura fina basta para pagar "
    f"más componentes. En nuestros datos el K del mínimo es "
    f"{', '.join(f'{int(k)} (n={n})' for n, k in k_min_g3.items())} y el K que elige la regla por defecto "
    f"{', '.join(f'{int(k)} (n={n})' for n, k in k_rule_g3.items())}: {trend_text}. Con n={small} la curva "
    f"{turns_up.get(rule_small, rule_small)}; con n={large}, {turns_up.get(rule_large, rule_large)}"
    f"{': por eso el K elegido no varía con n de forma monótona, porque la regla cambia de criterio' if rule_small != rule_large else ''}"
    f". Además, con submuestras "
    f"pequeñas la curva {'es más' if noisier else 'no es más'} ruidosa: la desviación entre semillas por imagen es "
    f"{table_g3.loc[small, 'desv. entre semillas / n']:.4f} con n={small} frente a "
    f"{table_g3.loc[large, 'desv. entre semillas / n']:.4f} con n={large}; también la PCA se estima con menos datos. "
    f"{f'Con la submuestra más pequeña el K elegido cambia (K={int(k_rule_g3[small])} frente a K={int(k_rule_g3[large])} con n={large})' if k_rule_g3[small] != k_rule_g3[large] else 'El K elegido no cambia entre la submuestra más pequeña y la más grande'}; "
    f"la conclusión práctica es usar la mayor submuestra que el tiempo permita y varias semillas por K, y comparar "
    f"curvas de BIC solo entre ajustes con el mismo n."
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
#   misma mediana para imágenes de test (≈ 1: no copia; ≪ 1: copia el entrenamiento).
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
evaluation[main_columns]

# %%
share_columns = [f"share_{c}" for c in FASHION_MNIST_CLASSES]
histograms = evaluation[share_columns].rename(columns=lambda c: c.removeprefix("share_"))
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
display(Markdown(
    f"**Interpretación.** Las imágenes reales de referencia dan NDB/K = {ref['ndb_over_k']:.2f} (del orden de "
    f"α = 0,05, como debe ser para dos muestras de la misma distribución), Fréchet {ref['frechet_distance']:.3f}, "
    f"precisión y exhaustividad {ref['precision']:.2f} y {ref['recall']:.2f}, y razón de memorización "
    f"{ref['memorisation_ratio']:.2f}. {'Ningún GMM se acerca a esa referencia' if gap > 0.2 else 'Algún GMM se acerca a esa referencia'}: "
    f"el mejor NDB/K es {generated.loc[best_ndb, 'ndb_over_k']:.2f} ({best_ndb}) y el peor "
    f"{generated.loc[worst_ndb, 'ndb_over_k']:.2f} ({worst_ndb}), es decir, "
    f"{'la mayoría de' if generated['ndb_over_k'].min() > 0.5 else 'muchas'} celdas de Fashion-MNIST reciben una "
    f"fracción de muestras significativamente distinta de la real: la conclusión de Richardson y Weiss (2018), un GMM "
    f"capta los modos gruesos de los datos pero no reparte la masa como ellos. La distancia de Fréchet más baja es la "
    f"de {best_fd} ({generated.loc[best_fd, 'frechet_distance']:.2f}) y la mayor log-verosimilitud de test en píxeles "
    f"(la comparable entre PCAs) la de {best_ll_pixels} "
    f"({generated.loc[best_ll_pixels, 'held_out_log_likelihood_pixels']:.1f} por imagen, frente a "
    f"{generated.loc['b/c) 3 PCs tied', 'held_out_log_likelihood_pixels']:.1f} del modelo de b/c): más componentes "
    f"principales {'y covarianzas más flexibles ' if 'full' in best_fd or 'full' in best_ll_pixels else ''}dan un "
    f"modelo mejor de los datos de test. Los modelos de 3 PCs tienen exhaustividad (recall) "
    f"{generated.loc[three_pcs, 'recall'].max():.2f} como mucho, frente a "
    f"{generated.loc[many_pcs, 'recall'].min():.2f}–{generated.loc[many_pcs, 'recall'].max():.2f} con más PCs: sus "
    f"muestras viven en un subespacio de 3 dimensiones y no cubren la variedad de las imágenes reales, aunque una "
    f"parte de ellas caiga cerca de imágenes reales (precisión {generated.loc['b/c) 3 PCs tied', 'precision']:.2f}). "
    f"Las razones de memorización van de {generated['memorisation_ratio'].min():.2f} a "
    f"{generated['memorisation_ratio'].max():.2f} y la fracción de casi-copias es como mucho "
    f"{generated['near_copy_share'].max():.4f} (imágenes reales: {ref['near_copy_share']:.4f}): "
    f"{'los GMM **no copian** las imágenes de entrenamiento, generan imágenes nuevas' if copies_like_real else 'algún modelo produce más casi-copias que las imágenes reales: revisar'}. "
    f"El histograma de clases de las muestras se aleja del de las imágenes reales (variación total entre "
    f"{tv_models.min():.3f} y {tv_models.max():.3f}), "
    f"{'sobre todo con 3 PCs' if tv_models.idxmax() in three_pcs else 'también con más PCs'}: hay prendas "
    f"sobrerrepresentadas y otras casi ausentes."
))

# %% [markdown]
# ## Conclusiones

# %%
elapsed = time.perf_counter() - START
g_order = sorted(COV_TYPES, key=lambda t: choice(N_PCS_F, t))
display(Markdown(
    f"- **a)** `gmm_vs_gaussian_components` = submuestra + PCA + barrido de GMMs + curva de BIC (signo de "
    f"scikit-learn, menor es mejor) + elección automática; repetirla a mano da "
    f"{'los mismos números' if demo_same else 'números distintos'}.\n"
    f"- **b)** Con 3 PCs ({100 * explained_b.sum():.1f}% de la varianza), {SUBSAMPLE} imágenes y covarianza *tied*, "
    f"el BIC tiene su mínimo en K={k_min_b} del rango barrido, en una zona plana: una componente *tied* cuesta solo "
    f"{3 + 1} parámetros. Elegimos **K={K_B}** (regla `{study_b.selection.rule}`).\n"
    f"- **c)** Las muestras, decodificadas con la PCA inversa, son siluetas borrosas de prendas: 3 PCs no guardan "
    f"detalle (error de reconstrucción {error_b:.4f} por píxel).\n"
    f"- **d)** Una componente genera imágenes {'homogéneas' if homogeneous else 'variadas'} (dispersión "
    f"{spread_pure:.2f} frente a {spread_mixture:.2f} de la mezcla) porque es una sola gaussiana alrededor de un "
    f"prototipo; las componentes agrupan siluetas parecidas, no clases.\n"
    f"- **e)** La vista 3D está en el espacio de las 3 primeras componentes principales de la submuestra, no en el "
    f"de los píxeles.\n"
    f"- **f)** Con {N_PCS_F} PCs ({100 * row_f['varianza explicada']:.1f}% de la varianza) la regla elige "
    f"**K={K_F}** ({direction} que con 3 PCs; con {N_PCS_90} PCs, K={K_90}): en {N_PCS_F} PCs cada componente "
    f"extra mejora el BIC en {round(row_f[late]) + 0} al final del rango y solo cuesta {round(row_f[penalty])} de "
    f"penalización, así que la curva cae durante más componentes; las muestras tienen "
    f"{'más' if error_f < error_b else 'menos'} detalle (error {error_f:.4f}).\n"
    f"- **g)** En {N_PCS_F} PCs, de menos a más componentes: "
    f"{', '.join(f'{t} K={choice(N_PCS_F, t)}' for t in g_order)}; la mejor log-verosimilitud de test la da "
    f"*{best_ll_f}*. Con menos imágenes la penalización del BIC pesa más por imagen: {trend_text} "
    f"({', '.join(f'{int(k)} con n={n}' for n, k in k_min_g3.items())}).\n"
    f"- **Calidad:** NDB/K entre {generated['ndb_over_k'].min():.2f} y {generated['ndb_over_k'].max():.2f} frente a "
    f"{ref['ndb_over_k']:.2f} de imágenes reales: los GMM no reparten la masa como los datos; "
    f"{'tampoco memorizan' if copies_like_real else 'y alguno produce casi-copias'} (razón "
    f"{generated['memorisation_ratio'].min():.2f}–{generated['memorisation_ratio'].max():.2f}). El mejor modelo por "
    f"Fréchet es {best_fd}; por log-verosimilitud en píxeles, {best_ll_pixels}.\n"
    f"- Tiempo de ejecución del cuaderno: {elapsed:.0f} s ({'modo rápido' if FAST else 'tamaño completo'})."
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
# - E. Richardson e Y. Weiss (2018). *On GANs and GMMs*. NeurIPS 2018 (métrica NDB y GMM como modelo generativo de
#   imágenes).
# - V. Satopää, J. Albrecht, D. Irwin y B. Raghavan (2011). *Finding a "Kneedle" in a Haystack: Detecting Knee Points
#   in System Behavior*. ICDCS Workshops (codo de la curva de BIC, vía la biblioteca `kneed`).
# - M. Heusel et al. (2017). *GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium*.
#   NeurIPS 2017 (fórmula de la distancia de Fréchet, FID).
# - T. Kynkäänniemi et al. (2019). *Improved Precision and Recall Metric for Assessing Generative Models*. NeurIPS 2019.
# - C. Meehan, K. Chaudhuri y S. Dasgupta (2020). *A Non-Parametric Test to Detect Data-Copying in Generative Models*.
#   AISTATS 2020 (comprobación de memorización).
# - `gmmlab` (este proyecto): `gmmlab.pipeline`, `gmmlab.selection`, `gmmlab.generative`, `gmmlab.metrics`, `gmmlab.plotting`.
# - Enunciado: Práctica 7, "Clustering con KMeans GMM y GMM como modelo generativo de imágenes".
