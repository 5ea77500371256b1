"""Data sets: manifests, import from local copies, verification, fetch with resume, loaders.

Real data comes from the shared folder next to the project (`../shared/datasets`, see the
README), imported through the same path a user takes.
"""

from __future__ import annotations

import gzip
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import REPO

from grader.cli import main
from grader.data.loaders import load_dataset, parse_idx
from grader.data.store import DataError, fetch, import_files, load_manifest, require

SHARED = REPO.parent / "shared" / "datasets"
needs_fashion = pytest.mark.skipif(not (SHARED / "fashion-mnist" / "raw").is_dir(), reason="needs ../shared/datasets/fashion-mnist (see README)")
needs_imdb = pytest.mark.skipif(not (SHARED / "imdb" / "raw").is_dir(), reason="needs ../shared/datasets/imdb (see README)")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A data directory holding the shared copies, imported with `grade data import`."""
    root = tmp_path_factory.mktemp("data")
    for name, folder in (("fashion_mnist", "fashion-mnist"), ("imdb", "imdb")):
        if (SHARED / folder / "raw").is_dir():
            run = CliRunner().invoke(main, ["data", "import", name, str(SHARED / folder / "raw"), "--data-dir", str(root)])
            assert run.exit_code == 0, run.output
    return root


@needs_fashion
def test_fashion_mnist_loads_with_the_right_shapes_and_classes(store):
    x_train, y_train, x_test, y_test = load_dataset("fashion_mnist", store)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28) and x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10


@needs_imdb
def test_imdb_loads_texts_and_labels(store):
    x_train, y_train, x_test, y_test = load_dataset("imdb", store)
    assert len(x_train) == len(x_test) == 25000 and isinstance(x_train[0], str)
    assert int(y_train.sum()) == int(y_test.sum()) == 12500


@needs_imdb
def test_imdb_needs_only_its_tarball(tmp_path):
    """The manifest names only the reviews: a data directory holding just the tarball is complete."""
    assert [entry.name for entry in load_manifest("imdb").files] == ["aclImdb_v1.tar.gz"]
    root = tmp_path / "data"
    import_files(load_manifest("imdb"), SHARED / "imdb" / "raw", root)
    assert sorted(path.name for path in (root / "imdb").iterdir()) == ["aclImdb_v1_labeled.tar.gz"]
    run = CliRunner().invoke(main, ["data", "list", "--data-dir", str(root)], env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    (row,) = [line for line in run.output.splitlines() if "aclImdb" in line]
    assert "aclImdb_v1_labeled.tar.gz" in row and "verified" in row, run.output
    assert "word_index" not in run.output


def test_list_shows_state_of_every_file(store):
    run = CliRunner().invoke(main, ["data", "list", "--data-dir", str(store)])
    assert run.exit_code == 0 and "fashion_mnist" in run.output and "aclImdb_v1" in run.output


@needs_fashion
def test_a_corrupt_file_is_named_and_never_loaded(store, tmp_path):
    root = tmp_path / "data"
    import_files(load_manifest("fashion_mnist"), SHARED / "fashion-mnist" / "raw", root)
    damaged = root / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz fails its checksum"):
        load_dataset("fashion_mnist", root)


@needs_fashion
def test_import_accepts_debian_style_gzip_headers(tmp_path):
    source = tmp_path / "debian"
    source.mkdir()
    original = SHARED / "fashion-mnist" / "raw" / "t10k-labels-idx1-ubyte.gz"
    (source / original.name).write_bytes(gzip.compress(gzip.decompress(original.read_bytes()), mtime=0))
    (imported,) = import_files(load_manifest("fashion_mnist"), source, tmp_path / "data")
    assert imported.name == original.name


def test_import_refuses_a_file_that_does_not_verify(tmp_path):
    source = tmp_path / "bad"
    source.mkdir()
    (source / "aclImdb_v1.tar.gz").write_bytes(b"not the reviews")
    with pytest.raises(DataError, match="does not match the manifest"):
        import_files(load_manifest("imdb"), source, tmp_path / "data")


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="grade data fetch fashion_mnist"):
        require(load_manifest("fashion_mnist"), tmp_path)


def test_idx_header_is_checked():
    good = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    assert parse_idx(good, "x").tolist() == [7, 8, 9]
    with pytest.raises(DataError, match="not an IDX file"):
        parse_idx(b"\x1f\x8b\x08\x00", "x")
    with pytest.raises(DataError, match="bytes of data for shape"):
        parse_idx(good[:-1], "x")


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with HTTP Range support; the first answer drops the connection half way."""

    cut_once: set = set()

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if start == 0 and self.path not in self.cut_once:
            self.cut_once.add(self.path)
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@needs_fashion
def test_fetch_resumes_and_verifies(tmp_path, monkeypatch):
    from dataclasses import replace

    served = SHARED / "fashion-mnist" / "raw"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: RangeHandler(*a, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        manifest = load_manifest("fashion_mnist")
        base = f"http://127.0.0.1:{server.server_address[1]}"
        local = replace(manifest, files=tuple(replace(f, urls=(f"{base}/{f.name}",)) for f in manifest.files[1:2]))
        root = tmp_path / "data"
        with pytest.raises(DataError, match="could not fetch train-labels"):
            fetch(local, root)  # the connection drops half way: only a .part file is left
        assert not (root / "fashion_mnist" / "train-labels-idx1-ubyte.gz").exists()
        partial = root / "fashion_mnist" / ".train-labels-idx1-ubyte.gz.part"
        assert 0 < partial.stat().st_size < local.files[0].bytes
        (fetched,) = fetch(local, root)  # resumes from the .part with a Range request
        assert fetched.read_bytes() == (served / "train-labels-idx1-ubyte.gz").read_bytes()
        assert not partial.exists()
    finally:
        server.shutdown()
