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
