"""The package's shape: light to import, dependencies one way, no import cycles, one copy of shared logic."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "gmmlab"
HEAVY = ("plotly", "ipywidgets", "dask", "distributed", "matplotlib")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path):
    """(imported module, at module level?) for every import in a file; relative imports resolved."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_level = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue  # never runs
        for inner in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            module_level.add(id(inner))
    lazy_hooks = {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
        for inner in ast.walk(node)
    }
    type_checking = {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_checking or id(node) in lazy_hooks:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module
            # "from package import submodule" imports the submodule too
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [(target, id(node) in module_level) for target in targets]
    return found


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        graph[name] = {
            target for target, at_top in _imports(path) if target in MODULES and target != name
            and (at_top or not module_level_only)
        }
    return graph


def _cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_import_gmmlab_is_light():
    code = (
        "import sys, gmmlab, gmmlab.selection, gmmlab.pipeline, gmmlab.generative, gmmlab.metrics, gmmlab.report, "
        "gmmlab.cli; gmmlab.sweep; gmmlab.GMMImageGenerator; gmmlab.build_report; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(SRC), "PATH": ""})
    assert result.stdout.strip() == "[]", f"imported too early: {result.stdout}"


def test_matplotlib_plots_do_not_load_plotly_or_widgets():
    code = (
        "import sys; from gmmlab.plotting import image_grid, plot_criterion, plot_gmm; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('plotly', 'ipywidgets', 'dask')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(SRC), "PATH": "", "MPLBACKEND": "Agg"})
    assert result.stdout.strip() == "[]", f"imported too early: {result.stdout}"


def test_public_names_still_resolve():
    import gmmlab
    from gmmlab.selection import gmm_vs_gaussian_components

    assert gmmlab.gmm_vs_gaussian_components is gmm_vs_gaussian_components
    for name in gmmlab.__all__:
        assert getattr(gmmlab, name) is not None
    with pytest.raises(AttributeError):
        gmmlab.no_such_name


def test_no_import_cycles_inside_gmmlab():
    assert _cycle(_graph(module_level_only=True)) is None


CORE = ("gmmlab.selection", "gmmlab.generative", "gmmlab.metrics", "gmmlab.pipeline", "gmmlab.robustness",
        "gmmlab.kmeans", "gmmlab.history", "gmmlab.persistence", "gmmlab._validation", "gmmlab.config",
        "gmmlab.mixture")


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if m.startswith(CORE)])
def test_core_never_imports_plotting_or_a_data_set(module):
    """Selection returns data and plotting draws it; generic code takes class names as a parameter.

    gmm_vs_gaussian_components, the one core function that also draws, imports plotting inside its body.
    """
    allowed = {("gmmlab.pipeline", "gmmlab.plotting.selection")}
    for target, _ in _imports(MODULES[module]):
        root = target.split(".")[0]
        assert root not in ("plotly", "ipywidgets"), f"{module} imports {target}"
        if target.startswith("gmmlab.plotting"):
            assert any(module == m and target.startswith(t) for m, t in allowed), f"{module} imports {target}"
        assert not target.startswith("gmmlab.data.fashion_mnist"), f"{module} imports {target}"


def test_the_exact_pca_is_written_once():
    hits = [p for p in PACKAGE.rglob("*.py") if 'svd_solver="covariance_eigh"' in p.read_text(encoding="utf-8")]
    assert [p.name for p in hits] == ["pipeline.py"]


def test_imports_inside_functions_add_no_cycle_but_the_engine_names():
    """Counting imports inside functions too, the only way back is _validation reading COVARIANCE_TYPES at call
    time (the engine uses _validation, and the accepted names must come from the engine, not a copy)."""
    graph = _graph(module_level_only=False)
    graph["gmmlab._validation"].discard("gmmlab.mixture")
    assert _cycle(graph) is None
