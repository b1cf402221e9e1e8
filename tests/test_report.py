"""The end-to-end HTML report: every section, real numbers, self-contained, atomic writes."""

import base64
import io
import json
import os
import re

import numpy as np
import pandas as pd
import plotly.offline
import pytest
from PIL import Image

from gmmlab import report
from gmmlab.data import DataError
from gmmlab.report import build_report
from gmmlab.selection import choose_n_components
from helpers import fashion_available

needs_fashion = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")

SECTIONS = ("p1-data", "p1-compare", "p1-evolution", "p1-robustness", "p1-selection",
            "p2-data", "p2-pca3", "p2-high", "p2-3d", "p2-metrics")

_BUILT = {}


def build_fast_report(tmp_path_factory):
    """Build the fast report once per test session (the browser test reuses it)."""
    if "dir" not in _BUILT:
        out = tmp_path_factory.mktemp("report") / "out"
        build_report(out, fast=True, progress=False, seed=0)
        _BUILT["dir"] = out
    return _BUILT["dir"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = build_fast_report(tmp_path_factory)
    page = (out / "index.html").read_text(encoding="utf-8")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"),
                         parse_constant=lambda name: pytest.fail(f"results.json holds {name}"))
    return out, page, results


def _without_plotly_js(page):
    bundle = plotly.offline.get_plotlyjs()
    assert page.count(bundle) == 1, "plotly.js must be inlined exactly once"
    return page.replace(bundle, "")


@needs_fashion
@pytest.mark.slow
def test_report_files_and_no_leftovers(built):
    out, _, _ = built
    assert sorted(os.listdir(out)) == ["index.html", "results.json"]
    assert os.listdir(out.parent) == [out.name]  # the staging folder is gone


@needs_fashion
@pytest.mark.slow
def test_every_section_is_there_with_its_explanation(built):
    _, page, _ = built
    for section in SECTIONS:
        match = re.search(rf'<section id="{section}"><h3>(.+?)</h3>(.*?)</section>', page, re.S)
        assert match, f"section {section} is missing"
        assert "<p>" in match.group(2), f"section {section} has no explanation"
    for section in ("p1-selection", "p2-pca3", "p2-high"):
        body = page.split(f'<section id="{section}">')[1].split("</section>")[0]
        assert "lower is better" in body and "&minus;2&nbsp;log&nbsp;L + p&nbsp;ln&nbsp;n" in body
    prose = _without_plotly_js(page)
    assert "TODO" not in prose and "placeholder" not in prose.lower()
    assert "nan" not in re.findall(r"<td[^>]*>(.*?)</td>", prose)


@needs_fashion
@pytest.mark.slow
def test_page_is_self_contained(built):
    _, page, _ = built
    rest = _without_plotly_js(page)
    assert not re.search(r"<script[^>]+src=", rest)
    assert not re.search(r"<link\b", rest)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", rest)
    assert "http://" not in rest.replace('xmlns="http://www.w3.org', "") and "https://" not in rest
    n_figures = rest.count('class="plotly-graph-div"')
    assert n_figures == 4  # two evolution animations, two 3D views
    assert rest.count("Plotly.newPlot(") == n_figures
    assert rest.count('"type":"scatter3d"') >= 2
    assert '"frames"' in rest or "Plotly.addFrames" in rest


@needs_fashion
@pytest.mark.slow
def test_every_image_is_an_embedded_png(built):
    _, page, _ = built
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(sources) >= 15
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and min(image.size) > 50
            image.verify()


@needs_fashion
@pytest.mark.slow
def test_results_hold_the_numbers_behind_the_figures(built):
    _, page, results = built
    meta = results["meta"]
    assert meta["mode"] == "fast" and meta["seed"] == 0
    assert set(meta["timings_s"]) == {name for name, _ in report._STEPS}

    part1 = results["part1"]
    blobs = part1["selection"]["blobs4"]
    assert blobs["gmm_choice"]["n_components"] == 4  # well separated: BIC finds the truth
    assert "lower is better" in blobs["gmm_choice"]["reason"]
    compare = part1["kmeans_vs_gmm"]["elongated"]
    assert compare["ari_gmm"] > compare["ari_kmeans"] + 0.5
    objectives = part1["evolution"]["gmm"]["mean_log_likelihood_per_iteration"]
    assert np.all(np.diff(objectives) >= -1e-9)  # EM never decreases the likelihood
    assert len(part1["robustness"]["runs"]) == sum(row["n_runs"] for row in part1["robustness"]["summary"])

    for key in ("pca3", "high"):
        entry = results["part2"][key]
        sweep = pd.DataFrame(entry["sweep"])
        again = choose_n_components(sweep, criterion="bic")
        assert (again.n_components, again.covariance_type) == (entry["choice"]["n_components"],
                                                               entry["choice"]["covariance_type"])
        assert entry["n_components"] == entry["choice"]["n_components"]
        assert f"K={entry['n_components']}" in page
        composition = pd.DataFrame(entry["composition"])
        assert len(composition) == entry["n_components"]
        assert composition["n_images"].sum() == results["part2"]["data"]["n_train"]
    assert results["part2"]["pca3"]["n_pca_components"] == 3
    assert results["part2"]["high"]["explained_variance"] >= 0.8

    metrics = pd.DataFrame(results["part2"]["metrics"]["table"])
    assert len(metrics) == 3
    real = metrics.iloc[2]
    assert real["ndb_over_k"] <= metrics["ndb_over_k"].min()  # real images are the best a generator can do
    assert 0.0 <= metrics["precision"].min() and metrics["recall"].max() <= 1.0

    # The pixel-space MFA next to the two PCA-GMMs, on one bits/dim scale (8-bit images: between 0 and 8 for any
    # sensible density, and finite for all three).
    mfa = pd.DataFrame(results["part2"]["mfa"]["table"])
    assert len(mfa) == 3 and mfa["model"].iloc[2].startswith("MFA")
    assert np.all(np.isfinite(mfa["test_bits_per_dim"])) and mfa["test_bits_per_dim"].max() < 16
    assert 0.0 <= mfa["ndb_over_k"].min() and mfa["ndb_over_k"].max() <= 1.0
    assert "2h. Beyond the assignment" in page
    assert results["summary"] and all(isinstance(v, str) for v in results["summary"].values())


def _fake_steps(monkeypatch, fail=False):
    seen = {}

    def step(page):
        seen["sizes"] = page.sizes
        if fail:
            raise RuntimeError("step failed")
        page.add("only", "Only section", "<p>numbers</p>")

    monkeypatch.setattr(report, "_STEPS", (("only", step),))
    return seen


def test_failed_build_leaves_previous_report_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous")
    (out / "mine.txt").write_text("keep me")
    _fake_steps(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="step failed"):
        build_report(out, progress=False)
    assert (out / "index.html").read_text() == "previous"
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert sorted(os.listdir(out)) == ["index.html", "mine.txt"]


def test_successful_build_replaces_files_and_keeps_others(tmp_path, monkeypatch):
    monkeypatch.delenv("GMMLAB_FAST", raising=False)  # CI sets it; this build must be a full one
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous")
    (out / "mine.txt").write_text("keep me")
    _fake_steps(monkeypatch)
    assert build_report(out, progress=False) == out / "index.html"
    assert "Only section" in (out / "index.html").read_text()
    assert (out / "mine.txt").read_text() == "keep me"
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert json.loads((out / "results.json").read_text())["meta"]["mode"] == "full"


def test_fast_mode_from_the_environment(tmp_path, monkeypatch):
    seen = _fake_steps(monkeypatch)
    monkeypatch.setenv("GMMLAB_FAST", "1")
    build_report(tmp_path / "r", progress=False)
    assert seen["sizes"] == report._Sizes.for_mode(True)
    monkeypatch.setenv("GMMLAB_FAST", "0")
    build_report(tmp_path / "r", progress=False)
    assert seen["sizes"] == report._Sizes.for_mode(False)


def test_missing_data_fails_before_any_work(tmp_path, monkeypatch):
    seen = _fake_steps(monkeypatch)
    with pytest.raises(DataError, match=str(tmp_path)):
        build_report(tmp_path / "r", data_dir=tmp_path, progress=False)
    assert seen == {} and not (tmp_path / "r").exists()


@pytest.mark.parametrize("seed", [-1, 1.5, True])
def test_bad_seed(tmp_path, seed):
    with pytest.raises(ValueError, match="seed"):
        build_report(tmp_path / "r", seed=seed)


def test_out_dir_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        build_report(tmp_path / "file")
