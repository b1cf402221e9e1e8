"""Build the deliverable notebooks from their percent-format sources and execute them.

Sources live in ``notebooks/src/<name>.py``: cells separated by ``# %%`` lines (code) or ``# %% [markdown]`` lines
(markdown, every line prefixed with ``# ``). The executed notebook is written to ``notebooks/<name>.ipynb``
through a temporary file and a rename, so an interrupted run never leaves a half-written notebook.

Usage::

    python tools/build_notebooks.py                 # build and execute both at full size
    GMMLAB_FAST=1 python tools/build_notebooks.py --out /tmp/nb   # small sizes, elsewhere
    python tools/build_notebooks.py P7_gmm          # only one
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "src"
NAMES = ("P7_sinteticos", "P7_gmm")


def parse_percent(text: str) -> nbformat.NotebookNode:
    """Turn percent-format source text into an (unexecuted) notebook."""
    cells = []
    kind, lines = None, []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(body))
        elif body.strip():
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def execute(notebook: nbformat.NotebookNode, timeout: int = 1800) -> nbformat.NotebookNode:
    """Run every cell in order in a fresh kernel started in ``notebooks/``; raises on the first error."""
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )
    client.execute()
    return notebook


def build(name: str, out_dir: Path, run: bool = True) -> Path:
    notebook = parse_percent((SOURCES / f"{name}.py").read_text(encoding="utf-8"))
    if run:
        start = time.perf_counter()
        execute(notebook)
        print(f"{name}: executed in {time.perf_counter() - start:.0f} s")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.ipynb"
    temporary = target.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, str(temporary))
    os.replace(temporary, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(NAMES), help="notebooks to build (default: both)")
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks", help="output folder")
    parser.add_argument("--no-run", action="store_true", help="write the notebooks without executing them")
    args = parser.parse_args(argv)
    for name in args.names:
        if name not in NAMES:
            parser.error(f"unknown notebook {name!r}; choose from {', '.join(NAMES)}")
        print(build(name, args.out, run=not args.no_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
