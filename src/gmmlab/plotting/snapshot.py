"""Interactive outputs that also read as pictures: a plotly figure or a widget displayed with a PNG of itself.

A notebook output holds one bundle of representations and each reader shows the richest one it understands:
JupyterLab draws the plotly figure or runs the widget, while GitHub, nbviewer and an untrusted notebook fall back
to the PNG. The plotly figure travels as JSON only (``application/vnd.plotly.v1+json``): the front-end brings
plotly.js, so no copy of the library is stored in the notebook.
"""

from __future__ import annotations

import base64
import io
import json
import time
import warnings
from typing import Optional


def compact_png(png: bytes, colors: int = 128) -> bytes:
    """The same picture as a palette PNG of at most ``colors`` colours: a few times smaller, the same to the eye."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def use_compact_png(colors: int = 128, dpi: Optional[float] = None) -> None:
    """From now on, show matplotlib figures in this IPython session as compact palette PNGs (see compact_png)."""
    from IPython import get_ipython
    from matplotlib.figure import Figure

    def render(figure):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight", dpi=dpi or figure.dpi)
        return compact_png(buffer.getvalue(), colors)

    get_ipython().display_formatter.formatters["image/png"].for_type(Figure, render)

__all__ = ["compact_png", "figure_png", "show_figure", "show_widget", "use_compact_png"]


def figure_png(figure, width: int = 900, height: Optional[int] = None, scale: float = 1.0,
               camera: Optional[dict] = None) -> Optional[bytes]:
    """PNG bytes of a plotly figure (needs ``kaleido`` and a Chromium), or None when it cannot be rendered.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
    width, height : int
        Pixels; the height defaults to the figure's own (or 500).
    scale : float, default=1.0
    camera : dict, optional
        A plotly ``scene.camera`` (e.g. ``{"eye": {"x": 1.6, "y": -1.6, "z": 0.9}}``) applied to every 3-D scene of
        the picture only; the interactive figure keeps its own view.
    """
    import plotly.graph_objects as go

    picture = go.Figure(figure)
    if camera is not None:
        picture.update_scenes(camera=camera)
    height = height or picture.layout.height or 500
    error = None
    # A few tries: on a busy machine kaleido's headless Chromium sometimes answers before its page has loaded.
    for attempt in range(3):
        try:
            return compact_png(picture.to_image(format="png", width=width, height=height, scale=scale))
        except ImportError as missing:
            error = missing
            break
        except Exception as failure:  # no Chromium for kaleido to drive, or it failed this time
            error = failure
            time.sleep(1 + attempt)
    warnings.warn(f"figure_png: no static picture of the figure ({type(error).__name__}: {error}); "
                  "install kaleido (pip install kaleido) and Chromium for one.", stacklevel=2)
    return None


def show_figure(figure, width: int = 900, height: Optional[int] = None, scale: float = 1.0,
                camera: Optional[dict] = None) -> None:
    """Display a plotly figure for live front-ends together with its PNG for static readers, in one output.

    Parameters are those of :func:`figure_png`.
    """
    from IPython.display import display
    from plotly.io import to_json

    bundle = {
        "application/vnd.plotly.v1+json": json.loads(to_json(figure, validate=False)),
        "text/plain": f"<figura plotly: {figure.layout.title.text or 'sin título'}>",
    }
    png = figure_png(figure, width=width, height=height, scale=scale, camera=camera)
    if png is not None:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    display(bundle, raw=True)


def show_widget(widget, png: Optional[bytes] = None) -> None:
    """Display an ipywidgets widget together with a PNG of its current state, in one output.

    Parameters
    ----------
    widget : ipywidgets.Widget
    png : bytes, optional
        The picture; by default the value of the first ``Image`` widget found inside ``widget`` (what
        :func:`gmmlab.plotting.evolution_widget` shows).
    """
    from IPython.display import display

    if png is None:
        png = _first_image(widget)
    bundle = widget._repr_mimebundle_()
    if png:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    display(bundle, raw=True)


def _first_image(widget) -> Optional[bytes]:
    if type(widget).__name__ == "Image":
        return bytes(widget.value)
    for child in getattr(widget, "children", ()):
        found = _first_image(child)
        if found:
            return found
    return None
