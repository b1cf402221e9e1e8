# gmmlab: `make demo` sets everything up and writes the end-to-end report; `make test` sets up and runs the tests;
# `make lab` sets up and opens the two notebooks in JupyterLab.
# Both are idempotent and work on a fresh Debian machine as root.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
OUT    ?= report

.PHONY: setup system system-browser demo test lab bench bench-selection clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[all]'
	touch $(STAMP)

system:
	tools/setup_system.sh

system-browser:
	tools/setup_system.sh --browser

setup: system $(STAMP)

demo: setup
	$(PY) -m gmmlab report --out $(OUT)

test: system-browser $(STAMP)
	$(VENV)/bin/pytest -q

# Chromium too: kaleido draws the static PNGs of the interactive figures when a notebook is re-run.
lab: system-browser $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/P7_sinteticos.ipynb notebooks/P7_gmm.ipynb

bench: setup
	$(PY) benchmarks/bench_em.py

bench-selection: setup
	tools/setup_peers.sh
	$(PY) benchmarks/bench_selection.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
