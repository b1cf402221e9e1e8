"""The gmmlab command: every subcommand, every error path (exit 2, one line, no traceback), --help, atomic outputs."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gmmlab.cli import build_parser, load_data, main, parse_k, UsageError
from gmmlab.persistence import load_model
from helpers import blobs, fashion_available

needs_fashion = pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gmmlab: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    X = blobs(seed=0, d=3)
    np.save(folder / "points.npy", X)
    np.savetxt(folder / "points.csv", X, delimiter=",")
    return folder, X


# ------------------------------------------------------------------------------------------------- help


@pytest.mark.parametrize("command", [[], ["report"], ["sweep"], ["fit"], ["sample"], ["data"], ["data", "info"]])
def test_help_of_every_command_has_an_example(capsys, command):
    code, out, err = run(capsys, *command, "--help")
    assert code == 0 and err == ""
    assert "usage: gmmlab" in out
    assert "Example" in out
    assert "gmmlab " + (command[0] if command else "") in out.split("Example", 1)[1]


def test_version(capsys):
    from gmmlab import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


# ------------------------------------------------------------------------------------------------ values


def test_parse_k():
    assert parse_k("1:5") == [1, 2, 3, 4, 5]
    assert parse_k("2:10:4") == [2, 6, 10]
    assert parse_k("8,2,4,4") == [2, 4, 8]
    assert parse_k("7") == [7]
    for bad in ("0:3", "a", "1:", "5:1", "1:9:0", ""):
        with pytest.raises(Exception, match="invalid K grid"):
            parse_k(bad)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["sweep", "x.npy", "--k", "0:4"], "--k"),
        (["sweep", "x.npy", "--covariance", "full,round"], "round"),
        (["sweep", "x.npy", "--pca", "1.5"], "--pca"),
        (["sweep", "x.npy", "--pca", "-2"], "--pca"),
        (["sweep", "x.npy", "--jobs", "0"], "--jobs"),
        (["sweep", "x.npy", "--seeds", "zero"], "--seeds"),
        (["sweep", "x.npy", "--model", "dbscan"], "--model"),
        (["fit", "x.npy", "--out", "m.npz"], "--k"),
        (["fit", "x.npy", "--k", "2", "--seed", "-1", "--out", "m.npz"], "--seed"),
        (["sample", "m.npz", "-n", "0", "--out", "s.csv"], "-n"),
        (["frobnicate"], "frobnicate"),
        ([], "COMMAND"),
        (["data"], "COMMAND"),
    ],
)
def test_bad_option_values_give_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert_usage_error(code, err, fragment)


# ----------------------------------------------------------------------------------------------------- data


def test_load_data_npy_and_csv(points, tmp_path):
    folder, X = points
    np.testing.assert_array_equal(load_data(str(folder / "points.npy"))[0], X)
    np.testing.assert_allclose(load_data(str(folder / "points.csv"))[0], X)
    with_header = tmp_path / "header.csv"
    with_header.write_text("a,b\n1,2\n3,4\n5,6\n")
    np.testing.assert_array_equal(load_data(str(with_header))[0], [[1, 2], [3, 4], [5, 6]])
    images = tmp_path / "images.npy"
    np.save(images, np.zeros((4, 28, 28), dtype=np.uint8))
    assert load_data(str(images))[0].shape == (4, 784)


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("words.csv", "a,b\nx,y\n", "not a .csv of numbers"),
        ("ragged.csv", "1,2\n3\n", "not a .csv of numbers"),
        ("nan.csv", "1,2\nnan,4\n5,6\n", "NaN"),
        ("one.csv", "1,2\n", "at least 2 samples"),
        ("data.txt", "1,2\n", "unknown data"),
        ("fake.npy", "not numpy", "not a numeric .npy"),
    ],
)
def test_load_data_rejects_bad_files(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UsageError, match=fragment):
        load_data(str(path))


def test_load_data_never_unpickles(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(UsageError, match="not a numeric .npy"):
        load_data(str(path))


def test_load_data_missing_file(tmp_path):
    with pytest.raises(UsageError, match="file not found"):
        load_data(str(tmp_path / "missing.npy"))


@needs_fashion
def test_load_fashion_specs():
    X, labels = load_data("fashion-mnist:test:50")
    assert X.shape == (50, 784) and labels.shape == (50,)
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert load_data("fashion-mnist:30")[0].shape == (30, 784)
    for bad in ("fashion-mnist:valid", "fashion-mnist:train:0", "fashion-mnist:train:5:6"):
        with pytest.raises(UsageError, match="fashion-mnist"):
            load_data(bad)


def test_fashion_data_dir_error_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "fit", "fashion-mnist:100", "--k", "2", "--data-dir", str(tmp_path),
                       "--out", str(tmp_path / "m.npz"))
    assert_usage_error(code, err, str(tmp_path))
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------------------------ commands


def test_fit_then_sample_csv_and_npy(capsys, points, tmp_path):
    folder, X = points
    model = tmp_path / "model.npz"
    code, out, err = run(capsys, "fit", str(folder / "points.npy"), "--k", "3", "--covariance", "tied",
                         "--seed", "1", "--out", str(model))
    assert code == 0, err
    assert "BIC" in out and "lower is better" in out
    gm = load_model(model).model
    assert gm.n_components == 3 and gm.covariance_type == "tied"
    np.testing.assert_allclose(gm.score(X), float(out.split("mean log-likelihood ")[1].split(",")[0]), rtol=1e-5)

    code, out, err = run(capsys, "sample", str(model), "-n", "40", "--seed", "2", "--out", str(tmp_path / "s.csv"))
    assert code == 0, err
    samples = np.loadtxt(tmp_path / "s.csv", delimiter=",")
    assert samples.shape == (40, 3)
    np.testing.assert_allclose(samples, gm.sample(40, random_state=2)[0], rtol=1e-9)

    code, _, err = run(capsys, "sample", str(model), "-n", "10", "--component", "1", "--out", str(tmp_path / "s.npy"))
    assert code == 0, err
    one = np.load(tmp_path / "s.npy")
    np.testing.assert_allclose(one, gm.sample(10, random_state=0, component=1)[0])
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "s.csv", "s.npy"]  # no temporary leftovers


def test_fit_with_pca_keeps_the_projection(capsys, points, tmp_path):
    folder, X = points
    model = tmp_path / "model.npz"
    code, out, err = run(capsys, "fit", str(folder / "points.csv"), "--k", "2", "--pca", "2", "--out", str(model))
    assert code == 0, err
    assert "2 principal components" in out
    loaded = load_model(model)
    assert loaded.pca is not None and loaded.pca.n_components_ == 2
    code, _, err = run(capsys, "sample", str(model), "-n", "5", "--out", str(tmp_path / "back.npy"))
    assert code == 0, err
    assert np.load(tmp_path / "back.npy").shape == (5, 3)  # decoded back to the original features


def test_fit_errors(capsys, points, tmp_path):
    folder, _ = points
    data = str(folder / "points.npy")
    cases = [
        (["fit", data, "--k", "2", "--out", str(tmp_path / "m.txt")], ".npz"),
        (["fit", data, "--k", "2", "--out", str(tmp_path / "no" / "m.npz")], "does not exist"),
        (["fit", data, "--k", "100000", "--out", str(tmp_path / "m.npz")], "--k 100000"),
        (["fit", data, "--k", "2", "--pca", "50", "--out", str(tmp_path / "m.npz")], "--pca 50"),
        (["fit", str(tmp_path / "nothing.csv"), "--k", "2", "--out", str(tmp_path / "m.npz")], "file not found"),
    ]
    for argv, fragment in cases:
        code, _, err = run(capsys, *argv)
        assert_usage_error(code, err, fragment)
    assert os.listdir(tmp_path) == []


def test_sample_errors(capsys, points, tmp_path):
    folder, _ = points
    model = tmp_path / "model.npz"
    assert run(capsys, "fit", str(folder / "points.npy"), "--k", "2", "--out", str(model))[0] == 0
    tampered = tmp_path / "tampered.npz"
    with np.load(model, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["means"] = arrays["means"] * 2
    with open(tampered, "wb") as fh:
        np.savez(fh, **arrays)
    (tmp_path / "junk.npz").write_text("junk")
    cases = [
        (["sample", str(model), "--component", "5", "--out", str(tmp_path / "s.csv")], "--component 5"),
        (["sample", str(model), "--out", str(tmp_path / "s.png")], "784 pixels"),
        (["sample", str(model), "--out", str(tmp_path / "s.jpg")], ".png or .csv or .npy"),
        (["sample", str(tampered), "--out", str(tmp_path / "s.csv")], "checksum"),
        (["sample", str(tmp_path / "junk.npz"), "--out", str(tmp_path / "s.csv")], "junk.npz"),
        (["sample", str(tmp_path / "none.npz"), "--out", str(tmp_path / "s.csv")], "file not found"),
    ]
    for argv, fragment in cases:
        code, _, err = run(capsys, *argv)
        assert_usage_error(code, err, fragment)
    assert sorted(os.listdir(tmp_path)) == ["junk.npz", "model.npz", "tampered.npz"]


@needs_fashion
def test_fit_and_sample_images_to_png(capsys, tmp_path):
    model, grid = tmp_path / "fashion.npz", tmp_path / "grid.png"
    code, _, err = run(capsys, "fit", "fashion-mnist:train:500", "--pca", "5", "--k", "3", "--covariance", "tied",
                       "--out", str(model))
    assert code == 0, err
    code, out, err = run(capsys, "sample", str(model), "-n", "16", "--seed", "3", "--out", str(grid))
    assert code == 0, err
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["fashion.npz", "grid.png"]


def test_sweep_gmm_prints_table_and_choice(capsys, points, tmp_path):
    folder, _ = points
    table = tmp_path / "results.csv"
    code, out, err = run(capsys, "sweep", str(folder / "points.npy"), "--k", "1:5", "--covariance", "full,diag",
                         "--seeds", "2", "--jobs", "1", "--quiet", "--out", str(table))
    assert code == 0, err
    assert "Chosen: K=" in out and "Reason: " in out and "lower is better" in out
    results = pd.read_csv(table)
    assert len(results) == 5 * 2 * 2
    assert set(results["covariance_type"]) == {"full", "diag"}
    chosen = int(out.split("Chosen: K=")[1].split(",")[0])
    means = results.groupby(["covariance_type", "n_components"])["bic"].mean()
    assert chosen == means.idxmin()[1]
    assert "%" not in err  # --quiet: no progress bar
    assert os.listdir(tmp_path) == ["results.csv"]


def test_sweep_strategy_mclust_runs_one_hierarchical_start_per_cell(capsys, points, tmp_path):
    folder, _ = points
    table = tmp_path / "results.csv"
    code, out, err = run(capsys, "sweep", str(folder / "points.npy"), "--k", "1:4", "--covariance", "VVV,EEI",
                         "--strategy", "mclust", "--jobs", "1", "--quiet", "--out", str(table))
    assert code == 0, err
    results = pd.read_csv(table)
    assert len(results) == 4 * 2 and set(results["start"]) == {"hierarchical"}  # one seed: no --seeds given


def test_sweep_kmeans_uses_the_knee(capsys, points):
    folder, _ = points
    code, out, err = run(capsys, "sweep", str(folder / "points.csv"), "--model", "kmeans", "--k", "1:8",
                         "--seeds", "1", "--jobs", "1", "--quiet")
    assert code == 0, err
    assert "inertia" in out and "rule knee" in out


def test_sweep_errors(capsys, points):
    folder, _ = points
    data = str(folder / "points.npy")
    cases = [
        (["sweep", data, "--scheduler", "tcp://127.0.0.1:1"], "--backend dask"),
        (["sweep", data, "--model", "kmeans", "--criterion", "bic"], "--criterion bic"),
        (["sweep", data, "--k", "1:100000"], "only 370 samples"),
        (["sweep", data, "--out", "results.txt"], ".csv"),
    ]
    for argv, fragment in cases:
        code, _, err = run(capsys, *argv, "--quiet")
        assert_usage_error(code, err, fragment)


@needs_fashion
def test_data_info_shows_checksums_honestly(capsys):
    code, out, err = run(capsys, "data", "info")
    assert code == 0, err
    assert out.count("content_ok=True") == 4
    assert "md5_ok=" in out and "published" in out
    assert "Debian recompressed" in out


def test_data_info_missing_folder(capsys, tmp_path):
    code, out, err = run(capsys, "data", "info", "--data-dir", str(tmp_path))
    assert_usage_error(code, err, "4 of the 4 files")
    assert out.count("(missing)") == 4


def test_report_out_must_be_a_folder(capsys, tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    code, _, err = run(capsys, "report", "--out", str(file))
    assert_usage_error(code, err, "not a folder")


def test_debug_shows_the_traceback(points):
    with pytest.raises(UsageError):
        main(["fit", "missing.npy", "--k", "2", "--out", "m.npz", "--debug"])


def test_warnings_are_one_line(capsys, tmp_path):
    X = np.repeat(np.arange(6.0), 20).reshape(-1, 1) + np.tile(np.linspace(0, 0.01, 20), 6)[:, None]
    np.save(tmp_path / "x.npy", X)
    code, _, err = run(capsys, "fit", str(tmp_path / "x.npy"), "--k", "6", "--out", str(tmp_path / "m.npz"))
    assert code == 0
    assert all(line.startswith("gmmlab: warning: ") for line in err.splitlines())


def test_parser_covers_every_command():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - inspecting our own parser
    assert set(choices) == {"report", "sweep", "fit", "sample", "data"}


def test_python_dash_m_gmmlab_error_path(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gmmlab", "fit", str(tmp_path / "missing.npy"), "--k", "2", "--out",
         str(tmp_path / "m.npz")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"gmmlab: error: {tmp_path / 'missing.npy'}: file not found"]
