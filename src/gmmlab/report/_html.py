"""The page of the report: HTML helpers, the page's CSS and JavaScript, rendering and the atomic write."""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from ._context import ReportContext

BIC_NOTE = (
    "BIC uses scikit-learn's sign: BIC = &minus;2&nbsp;log&nbsp;L + p&nbsp;ln&nbsp;n, so <b>lower is better</b> "
    "(R's mclust reports the opposite sign, 2&nbsp;log&nbsp;L &minus; p&nbsp;ln&nbsp;n, where higher is better)."
)



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


def _plotly(ctx: ReportContext, fig, height: int = 560) -> str:
    """A plotly figure as a div drawn by the inlined plotly.js (included once in the page head)."""
    ctx.n_plotly += 1
    fig.update_layout(height=height)
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        auto_play=False,
        div_id=f"plotly-{ctx.n_plotly}",
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


def _render(ctx: ReportContext, meta: dict) -> str:
    import plotly.offline

    toc = "\n".join(f'<li><a href="#{sid}">{_e(title)}</a></li>' for sid, title, _ in ctx.sections)
    summary_rows = "\n".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in ctx.summary)
    body = []
    for index, (sid, title, content) in enumerate(ctx.sections):
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


