"""The ``lang`` option of the plotting functions: their English labels, titles and legends in another language.

The plots are written in English; ``localize(target, lang)`` rewrites the text a function has just put on a
matplotlib Axes / Figure or a plotly Figure, so every function gains a language by one call at its end and the
English text stays in one place. Numbers inside translated text follow the language's decimal convention
(Spanish: decimal comma and a space before %).
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "es")

_RULES_ES = {"knee": "codo", "min": "mínimo", "one_se": "un error típico"}
_OBJECTIVES_ES = {"mean log-likelihood": "log-verosimilitud media", "inertia": "inercia"}

# (pattern matched against the whole text, Spanish template with {1}, {2}... for the groups). First match wins.
_SPANISH = [
    (r"Number of components K", "Número de componentes K"),
    (r"Number of clusters K", "Número de clústeres K"),
    (r"BIC \(lower is better, scikit-learn sign\)", "BIC (menor es mejor, signo de scikit-learn)"),
    (r"AIC \(lower is better, scikit-learn sign\)", "AIC (menor es mejor, signo de scikit-learn)"),
    (r"ICL \(lower is better, BIC's scikit-learn sign\)", "ICL (menor es mejor, signo del BIC de scikit-learn)"),
    (r"Inertia \(within-cluster sum of squares, lower is better\)", "Inercia (menor es mejor)"),
    (r"chosen K=(\d+)(, \w+)? \((\w+)\)", "K elegido={1}{2} (regla: {3})"),
    (r"feature (\d+) \(plane of features (\d+), (\d+) of (\d+)\)", "variable {1} (plano de las variables {2} y {3} de {4})"),
    (r"feature (\d+)(.*)", "variable {1}{2}"),
    (r"label", "etiqueta"),
    (r"GMM \((\w+)\): (.*), (.*) sd, soft assignment", "GMM ({1}): elipses a {2} y {3} desv. típicas, asignación blanda"),
    (r"GMM \((\w+)\): (.*), (.*) sd, hard assignment", "GMM ({1}): elipses a {2} y {3} desv. típicas, asignación dura"),
    (r"GMM \((\w+)\): (.*) sd, soft assignment", "GMM ({1}): elipses a {2} desv. típicas, asignación blanda"),
    (r"GMM \((\w+)\): (.*) sd, hard assignment", "GMM ({1}): elipses a {2} desv. típicas, asignación dura"),
    (r"GMM \(labels matched to KMeans\)", "GMM (etiquetas emparejadas con las de KMeans)"),
    (r"disagree: (\d+) \((.*)\)", "discrepan: {1} ({2})"),
    (r"adjusted Rand index vs truth \(1 = perfect\)", "índice de Rand ajustado frente a la verdad (1 = perfecto)"),
    (r"Robustness to initialisation: ARI over runs", "Robustez a la inicialización: ARI de cada ejecución"),
    (r"none \(KMeans\)", "ninguno (KMeans)"),
    (r"covariance type", "tipo de covarianza"),
    (r"GMM \((\w+)\), restart (\d+), iteration (\d+)", "GMM ({1}), reinicio {2}, iteración {3}"),
    (r"KMeans, restart (\d+), iteration (\d+)", "KMeans, reinicio {1}, iteración {2}"),
    (r"GMM means, restart (\d+), iteration (\d+)", "medias del GMM, reinicio {1}, iteración {2}"),
    (r"iteration \(0 = initial state\)", "iteración (0 = estado inicial)"),
    (r"mean log-likelihood per sample \(higher is better\)", "log-verosimilitud media por muestra (mayor es mejor)"),
    (r"inertia \(lower is better\)", "inercia (menor es mejor)"),
    (r"(mean log-likelihood|inertia) = (.*)", "{1} = {2}"),
    (r"iteration 0 off scale: (.*)", "iteración 0 fuera de escala: {1}"),
    (r"(.*): evolution of restart (\d+) \((\d+) states; (.*) on the right\)",
     "{1}: evolución del reinicio {2} ({3} estados; {4} a la derecha)"),
    (r"inertia", "inercia"),
    (r"mean log-likelihood", "log-verosimilitud media"),
    (r"points", "puntos"),
    (r"centres", "centros"),
    (r"means", "medias"),
    (r"current iteration", "iteración actual"),
    (r"Play", "Reproducir"),
    (r"Pause", "Pausa"),
    (r"iteration ", "iteración "),
    (r"mean", "media"),
    (r"data", "datos"),
    (r"(\d+) components, (\w+) covariances \(marginal on PC1-PC3\)", "{1} componentes, covarianzas {2} (marginales en PC1-PC3)"),
    (r"(\d+) components, (\w+) covariances", "{1} componentes, covarianzas {2}"),
    (r"component (\d+) \((.*) std\)", "componente {1} ({2} desv. típicas)"),
    (r"component (\d+)<br>weight (.*)<br>(.*) std", "componente {1}<br>peso {2}<br>{3} desv. típicas"),
    (r"component (\d+)", "componente {1}"),
    (r"k=(\d+)  w=([\d.]+)(\n.*)?", "k={1}  peso {2}{3}"),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), template) for pattern, template in _SPANISH]


def check_lang(lang, caller: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"{caller}: lang must be one of {LANGUAGES}, got {lang!r}.")
    return lang


def _decimal_es(text: str) -> str:
    """'12.5%' -> '12,5 %': decimal comma, and a space before the percent sign."""
    text = re.sub(r"(\d)\.(\d)", r"\1,\2", text)
    return re.sub(r"(\d)%", r"\1 %", text)


def translate(text, lang: str = "en"):
    """One label in ``lang`` (unchanged when English, empty or unknown)."""
    if lang == "en" or not isinstance(text, str) or not text:
        return text
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = [match.group(0)] + [
            _decimal_es(_RULES_ES.get(g, _OBJECTIVES_ES.get(g, g))) if g is not None else "" for g in match.groups()
        ]
        return re.sub(r"\{(\d)\}", lambda m: groups[int(m.group(1))], template)
    return text


def _localize_axes(ax, lang: str) -> None:
    ax.set_title(translate(ax.get_title(), lang))
    ax.set_xlabel(translate(ax.get_xlabel(), lang))
    ax.set_ylabel(translate(ax.get_ylabel(), lang))
    for text in ax.texts:
        text.set_text(translate(text.get_text(), lang))
    # The artists' own labels too, so a legend drawn again later (ax.legend()) is in the same language.
    for artist in list(ax.lines) + list(ax.collections) + list(ax.patches):
        label = artist.get_label()
        if label and not label.startswith("_"):
            artist.set_label(translate(label, lang))
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(translate(legend.get_title().get_text(), lang))
        for text in legend.get_texts():
            text.set_text(translate(text.get_text(), lang))


def localize(target, lang: str = "en"):
    """Rewrite the English text of a matplotlib Axes, array of Axes or Figure, or a plotly Figure, in place."""
    if lang == "en" or target is None:
        return target
    if hasattr(target, "to_plotly_json"):
        _localize_plotly(target, lang)
        return target
    if hasattr(target, "get_axes"):  # a matplotlib Figure
        if getattr(target, "_suptitle", None) is not None:
            target._suptitle.set_text(translate(target._suptitle.get_text(), lang))
        for ax in target.get_axes():
            _localize_axes(ax, lang)
        return target
    if hasattr(target, "set_title"):
        _localize_axes(target, lang)
        return target
    for ax in getattr(target, "ravel", lambda: list(target))():
        _localize_axes(ax, lang)
    return target


def _localize_plotly(figure, lang: str) -> None:
    layout = figure.layout
    if layout.title.text:
        layout.title.text = translate(layout.title.text, lang)
    for name in list(layout.to_plotly_json()):
        if name.startswith(("xaxis", "yaxis")) and layout[name].title.text:
            layout[name].title.text = translate(layout[name].title.text, lang)
        if name.startswith("scene"):
            for axis in ("xaxis", "yaxis", "zaxis"):
                title = layout[name][axis].title
                if title.text:
                    title.text = translate(title.text, lang)
    for annotation in layout.annotations:
        annotation.text = translate(annotation.text, lang)
    for menu in layout.updatemenus:
        for button in menu.buttons:
            button.label = translate(button.label, lang)
    for slider in layout.sliders:
        if slider.currentvalue.prefix:
            slider.currentvalue.prefix = translate(slider.currentvalue.prefix, lang)
    traces = list(figure.data) + [trace for frame in figure.frames for trace in frame.data]
    for trace in traces:
        if trace.name:
            trace.name = translate(trace.name, lang)
        hover = getattr(trace, "hovertext", None)
        if isinstance(hover, str):
            trace.hovertext = translate(hover, lang)
