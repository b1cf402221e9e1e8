"""The two deliverable notebooks: committed executed and answered, built from their sources, and runnable."""

import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build_notebooks  # noqa: E402

QUESTIONS = {
    "P7_sinteticos": ["a", "b", "c", "d"],
    "P7_gmm": ["a", "b", "c", "d", "e", "f", "g", "g1", "g2", "g3"],
}
MIN_ANSWER_CHARS = 150


def _load(name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    assert path.exists(), f"{path} is missing; build it with: python tools/build_notebooks.py {name}"
    return json.loads(path.read_text(encoding="utf-8"))


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _rendered(cell):
    """Markdown source, or the text a code cell displayed."""
    if cell["cell_type"] == "markdown":
        return _text(cell)
    parts = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        for mime in ("text/markdown", "text/plain"):
            if mime in data:
                value = data[mime]
                parts.append("".join(value) if isinstance(value, list) else value)
                break
        if output.get("output_type") == "stream":
            parts.append("".join(output.get("text", "")))
    return "\n".join(parts)


def _question_id(cell):
    if cell["cell_type"] != "markdown":
        return None
    first = _text(cell).strip().splitlines()[0] if _text(cell).strip() else ""
    match = re.match(r"^(##|###) (g[123]|[a-g])\) \S", first)
    return match.group(2) if match else None


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_committed_notebook_is_executed_in_order_without_errors(name):
    notebook = _load(name)
    code = [c for c in notebook["cells"] if c["cell_type"] == "code" and _text(c).strip()]
    assert code, "the notebook has no code"
    counts = [c.get("execution_count") for c in code]
    assert None not in counts, "some code cells were never executed"
    assert counts == sorted(counts) and counts[0] == 1, "cells were not executed once, in order, from a fresh kernel"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"error outputs: {[e.get('ename') for e in errors]}"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_has_a_heading_and_a_computed_answer(name):
    cells = _load(name)["cells"]
    positions = {}
    for index, cell in enumerate(cells):
        question = _question_id(cell)
        if question is not None:
            positions.setdefault(question, index)
    missing = [q for q in QUESTIONS[name] if q not in positions]
    assert not missing, f"question headings missing: {missing}"
    sections = sorted(positions.items(), key=lambda item: item[1])
    headings = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _text(c).lstrip().startswith("## ")]
    for question, start in sections:
        if question == "g" and name == "P7_gmm":
            continue  # g's answers live in its g1-g3 subsections
        following = [i for i in headings + [p for _, p in sections] if i > start]
        stop = min(following) if following else len(cells)
        answers = [
            _rendered(c) for c in cells[start:stop] if c["cell_type"] == "code" and "**Respuesta" in _rendered(c)
        ]
        assert answers, f"question {question}) has no answer rendered by code (**Respuesta ...)"
        longest = max(len(a.split("**Respuesta", 1)[1]) for a in answers)
        assert longest >= MIN_ANSWER_CHARS, f"the answer to {question}) is too short ({longest} characters)"
    titles = [_text(c).strip().splitlines()[0] for c in cells if c["cell_type"] == "markdown" and _text(c).strip()]
    assert "## Conclusiones" in titles and "## Fuentes" in titles


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_committed_notebook_matches_its_source(name):
    built = build_notebooks.parse_percent((ROOT / "notebooks" / "src" / f"{name}.py").read_text(encoding="utf-8"))
    committed = _load(name)
    assert [(c["cell_type"], _text(c)) for c in committed["cells"]] == [
        (c["cell_type"], c["source"]) for c in built["cells"]
    ], f"notebooks/{name}.ipynb is stale: rebuild it with python tools/build_notebooks.py {name}"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_notebook_runs_in_fast_mode(name, tmp_path, monkeypatch):
    """Execute the notebook from its source with GMMLAB_FAST=1; any error in any cell fails the test."""
    pytest.importorskip("nbclient")
    from helpers import fashion_available

    if name == "P7_gmm" and not fashion_available():
        pytest.fail("Fashion-MNIST is missing: run `make test` (it installs dataset-fashion-mnist)")
    monkeypatch.setenv("GMMLAB_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    target = build_notebooks.build(name, tmp_path)
    notebook = json.loads(target.read_text(encoding="utf-8"))
    assert all(c.get("execution_count") for c in notebook["cells"] if c["cell_type"] == "code" and _text(c).strip())


# ------------------------------------------------------------------------------------------------ issue 15

MAX_NOTEBOOK_BYTES = 3_000_000
HELPERS = ("visualize_subset_in_grid", "plotly_gmm_results_3d", "gmm_vs_gaussian_components")
INTERACTIVE = ("application/vnd.plotly.v1+json", "application/vnd.jupyter.widget-view+json")
# Thresholds stated in the method descriptions, the only numbers an answer may write without computing them.
STATED_CONSTANTS = {"0,9", "0,6", "0,05", "0,1 %", "0,001"}
# gmmlab's plotting functions: every call in a notebook must ask for Spanish labels.
PLOTTING_CALLS = (
    "plot_data", "plot_kmeans", "plot_gmm", "compare_assignments", "plot_robustness", "plot_criterion", "plot_elbow",
    "evolution_widget", "animate_evolution", "plot_gmm_3d", "plot_component_samples",
)
ENGLISH = re.compile(
    r"\b(the|of|and|per|vs|lower|higher|better|iterations?|points|samples|mean|true|fitted|runs|knee|minimum|"
    r"chosen|scene|covariances?|components?|number|inertia|restart|disagree|assignment|feature)\b",
    re.IGNORECASE,
)


def _outputs(notebook):
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            yield index, cell, output


def _joined(value):
    return "".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_notebook_is_small(name):
    size = (ROOT / "notebooks" / f"{name}.ipynb").stat().st_size
    assert size <= MAX_NOTEBOOK_BYTES, f"notebooks/{name}.ipynb is {size / 1e6:.1f} MB (limit 3 MB)"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_plotly_js_is_never_inlined(name):
    for index, _, output in _outputs(_load(name)):
        html = _joined(output.get("data", {}).get("text/html", ""))
        assert "plotly.js v" not in html and len(html) < 200_000, f"cell {index} stores a copy of plotly.js"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_interactive_output_has_a_static_png(name):
    interactive = 0
    for index, _, output in _outputs(_load(name)):
        data = output.get("data", {})
        if any(mime in data for mime in INTERACTIVE):
            interactive += 1
            assert "image/png" in data, f"cell {index}: an interactive output without a PNG for static readers"
    assert interactive, "no interactive output found"


def test_gmm_notebook_defines_the_course_helpers_first():
    cells = _load("P7_gmm")["cells"]
    first_question = next(i for i, c in enumerate(cells) if _question_id(c) is not None)
    opening = "\n".join(_text(c) for c in cells[:first_question] if c["cell_type"] == "code")
    for helper in HELPERS:
        assert re.search(rf"^def {helper}\(", opening, re.MULTILINE), f"{helper} is not defined before question a)"
    later = "\n".join(_text(c) for c in cells[first_question:] if c["cell_type"] == "code")
    for helper in HELPERS:
        assert re.search(rf"\b{helper}\(", later), f"{helper} is defined but never used"


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_figures_are_labelled_in_spanish(name):
    source = (ROOT / "notebooks" / "src" / f"{name}.py").read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
    for function in PLOTTING_CALLS:
        for match in re.finditer(rf"(?<![\w.]){function}\(", code):
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(code)):
                depth += {"(": 1, ")": -1}.get(code[end], 0)
                if depth == 0:
                    break
            call = code[match.start(): end + 1]
            assert 'lang="es"' in call, f"{name}: {call[:80]!r} does not ask for Spanish labels"
    texts = re.findall(
        r"(?:set_title|suptitle|set_xlabel|set_ylabel|title=|xlabel=|ylabel=|label=|title_text=)\(?\s*f?\"([^\"]*)\"", code
    )
    english = [t for t in texts if ENGLISH.search(re.sub(r"\{[^}]*\}", "", t))]
    assert not english, f"{name}: figure text in English: {english[:5]}"
    for index, _, output in _outputs(_load(name)):
        figure = output.get("data", {}).get("application/vnd.plotly.v1+json")
        if figure is None:
            continue
        layout = figure.get("layout", {})
        shown = [layout.get("title", {}).get("text", "")]
        shown += [v.get("title", {}).get("text", "") for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
        shown += [t.get("name", "") for t in figure.get("data", [])]
        english = [t for t in shown if t and ENGLISH.search(t)]
        assert not english, f"{name}, cell {index}: plotly text in English: {english[:5]}"


def _prose(markdown):
    """The answer's prose: without code spans, LaTeX and links."""
    markdown = re.sub(r"`[^`]*`", " ", markdown)
    markdown = re.sub(r"\$[^$]*\$", " ", markdown)
    return re.sub(r"\(https?://[^)]*\)", " ", markdown)


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_numbers_in_answers_are_the_computed_ones(name):
    """Each decimal number or percentage an answer writes is one the code formatted from a computed value."""
    answers = 0
    for index, _, output in _outputs(_load(name)):
        markdown = _joined(output.get("data", {}).get("text/markdown", ""))
        if not re.search(r"\*\*(Respuesta|Interpretación|Resumen)|^- \*\*a\)\*\*", markdown, re.MULTILINE):
            continue
        answers += 1
        cited = output.get("metadata", {}).get("gmmlab", {}).get("numbers")
        assert cited is not None, f"cell {index}: an answer not written through respuesta()"
        prose = _prose(markdown)
        point = re.search(r".{0,30}\d\.\d.{0,10}", prose)
        assert point is None, f"cell {index}: a decimal point in Spanish prose: {point.group(0) if point else ''}"
        written = re.findall(r"[-+]?\d+(?:,\d+)?(?: %)|[-+]?\d+,\d+", prose)
        loose = [n for n in written if n not in cited and n.lstrip("+") not in cited and n not in STATED_CONSTANTS]
        assert not loose, f"cell {index}: numbers written by hand, not from the computed values: {loose[:8]}"
    assert answers >= len(QUESTIONS[name]) - 1
