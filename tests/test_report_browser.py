"""The fast report opened in headless Debian chromium: no JavaScript error, plotly figures drawn, images loaded.

Chromium is required (CI installs it with ``tools/setup_system.sh --browser``, which ``make test`` runs); without
it this test fails rather than skips. The screenshot is kept under ``test-artifacts/`` (gitignored).
"""

import base64
import functools
import html
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

from helpers import fashion_available
from test_report import build_fast_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # software WebGL for plotly's 3D scenes; the page is our own
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Any request that leaves this machine fails (and the page's error probe records it): the page must be offline.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--virtual-time-budget=20000",
]


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "chromium is not installed; the browser test needs Debian's chromium: run `make test` or "
            "`tools/setup_system.sh --browser` (as root) first."
        )
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = build_fast_report(tmp_path_factory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def _run_chromium(tmp_path, *args):
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--v=0", *args],
        capture_output=True, text=True, timeout=180,
    )


def _attribute(dom, name):
    match = re.search(rf'<html[^>]*\s{name}="([^"]*)"', dom)
    assert match, f"<html> has no {name} attribute: the page's probe script did not run"
    return json.loads(html.unescape(match.group(1)))


def test_report_renders_without_errors(served, tmp_path):
    folder, url = served
    page = (folder / "index.html").read_text(encoding="utf-8")
    result = _run_chromium(tmp_path, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout

    assert _attribute(dom, "data-js-errors") == []
    console_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    assert console_errors == []

    check = _attribute(dom, "data-render-check")
    n_figures = page.count('class="plotly-graph-div"')
    assert n_figures == 4
    assert check["plotly_figures"] == n_figures  # every plotly figure was drawn by the inlined plotly.js
    assert check["plotly_containers"] == n_figures
    assert check["scenes_3d"] == 2 and not check["webgl_missing"]  # both 3D views have a WebGL canvas
    assert check["sliders"] == 2 and check["play_buttons"] >= 2  # the two evolution animations
    n_images = len(re.findall(r"<img ", page))
    assert check["images"] == n_images and check["images_loaded"] == n_images

    for src in re.findall(r'<img [^>]*src="([^"]*)"', dom):
        assert src.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as image:
            assert image.format == "PNG"


def test_report_screenshot(served, tmp_path):
    _, url = served
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-fast.png"
    shot.unlink(missing_ok=True)
    result = _run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", url)
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 4000)
        grey = image.convert("L")
        lo, hi = grey.getextrema()
        assert hi - lo > 100  # not a blank page
        assert len(grey.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50
    print(f"\nscreenshot of the report: {shot}")
