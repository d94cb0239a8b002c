"""The Ray executor against the local one, on one local Ray instance (2 CPUs) for the whole module.

Ray's start-up is slow, so these tests are few and small: the fake ``framestats`` encoder
(tests/fakes.py), a nine-file corpus, two encoder actors.
"""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from codecprobe.data import load_corpus
from codecprobe.encoders import build_encoder
from codecprobe.extract import ExecutorConfig, extract
from codecprobe.store import LatentStore
from tests.fakes import write_tone_corpus

ray = pytest.importorskip("ray", reason="the Ray executor needs the optional extra codecprobe[ray]")

REPO = Path(__file__).resolve().parents[2]
TAPS = ["energy", "peak"]


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance whose workers import this checkout and tests.fakes (which registers framestats)."""
    with pytest.MonkeyPatch.context() as patch:
        paths = [str(REPO), str(REPO / "src"), os.environ.get("PYTHONPATH", "")]
        patch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))  # Ray's workers inherit it
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        try:
            yield ray.get_runtime_context().gcs_address
        finally:
            ray.shutdown()


@pytest.fixture
def corpus(tmp_path):
    write_tone_corpus(tmp_path / "corpus")
    return load_corpus(tmp_path / "corpus")


def assert_same_store(store, reference, identity):
    assert store.entries() == reference.entries()
    for tap in TAPS:
        ids = [e.segment_id for e in reference.entries() if e.tap == tap]
        expected = dict(reference.read_many(ids, identity, tap))
        for segment_id, frames in store.read_many(ids, identity, tap):
            np.testing.assert_array_equal(frames, expected[segment_id])


def test_ray_extraction_equals_local(tmp_path, corpus, ray_address):
    """The same store, failure list and summary (timings aside) as the local executor."""
    with open(corpus.audio_path("carol/carol_0"), "r+b") as handle:
        handle.truncate(100)  # unreadable once the corpus is loaded: a failure while reading, in both executors
    encoder = build_encoder("framestats")
    settings = dict(batch_seconds=1.0, max_batch_size=2, progress=False)  # 5 batches of up to 2 segments
    with LatentStore(tmp_path / "local") as expected, LatentStore(tmp_path / "ray") as got:
        local = extract(corpus, encoder, TAPS, expected, **settings).to_dict()
        on_ray = extract(corpus, encoder, TAPS, got, **settings, executor=ExecutorConfig("ray", workers=2)).to_dict()
        assert_same_store(got, expected, encoder.identity())
    timings = {"wall_seconds", "warmup_seconds", "timed_seconds", "model_seconds", "real_time_factor"}
    assert {k: v for k, v in on_ray.items() if k not in timings} == {k: v for k, v in local.items() if k not in timings}
    assert [where for where, _ in on_ray["failures"]] == ["carol/carol_0"] and on_ray["n_extracted"] == 8


def test_killed_ray_extraction_resumes_with_nothing_lost_or_duplicated(tmp_path, corpus, ray_address):
    """SIGKILL a driver once some batches are committed; a rerun completes the store exactly."""
    store_dir = tmp_path / "store"
    script = textwrap.dedent(f"""
        import tests.fakes
        from codecprobe.data import load_corpus
        from codecprobe.encoders import BuildOptions, build_encoder
        from codecprobe.extract import ExecutorConfig, extract
        from codecprobe.store import LatentStore

        slow = build_encoder("framestats", BuildOptions(settings={{"delay": 0.5}}))  # same identity, 0.5 s a batch
        with LatentStore({str(store_dir)!r}) as store:
            extract(load_corpus({str(corpus.root)!r}), slow, {TAPS!r}, store, batch_seconds=0.5, max_batch_size=1,
                    progress=False, executor=ExecutorConfig("ray", address={ray_address!r}, workers=2))
    """)
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        wait_for_rows(store_dir / "index.sqlite", at_least=2, process=driver)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    committed = len(query(store_dir / "index.sqlite", "SELECT shard FROM entries"))
    assert 2 <= committed < 2 * 9 and committed % 2 == 0  # killed partway; both taps of a segment or neither

    encoder = build_encoder("framestats")
    with LatentStore(store_dir) as store, LatentStore(tmp_path / "reference") as reference:
        resumed = extract(corpus, encoder, TAPS, store, progress=False, executor=ExecutorConfig("ray", workers=2))
        assert (resumed.n_cached, resumed.n_extracted) == (committed // 2, 9 - committed // 2)
        extract(corpus, encoder, TAPS, reference, progress=False)
        assert_same_store(store, reference, encoder.identity())  # nothing lost
        store.vacuum()  # shards of the killed job that were never committed
        shards = list((store_dir / "shards").iterdir())
        assert {p.name for p in shards} == {shard for shard, in query(store_dir / "index.sqlite", "SELECT shard FROM entries")}
        members = sum(len(zipfile.ZipFile(p).namelist()) for p in shards)
        assert members == len(store.entries()) == 2 * 9  # nothing duplicated


def wait_for_rows(index: Path, at_least: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the extraction ended (status {process.returncode}) before it could be killed")
        if index.exists() and len(query(index, "SELECT shard FROM entries")) >= at_least:
            return
        time.sleep(0.05)
    pytest.fail(f"no {at_least} rows committed to {index} within {timeout} s")


def query(index: Path, sql: str) -> list[tuple]:
    """Rows of the store index, read beside the process that writes it ([] before its table exists)."""
    with closing(sqlite3.connect(index)) as db:
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []


def test_ray_never_stores_a_non_finite_latent(tmp_path, corpus, ray_address):
    """Issue 7 item 5 on the Ray executor: a segment whose latent is not finite is a failure, never stored."""
    from codecprobe.encoders import BuildOptions

    encoder = build_encoder("framestats", BuildOptions(settings={"scale": float("inf")}))  # energy: inf, NaN
    with LatentStore(tmp_path / "store") as store:
        summary = extract(corpus, encoder, TAPS, store, progress=False, executor=ExecutorConfig("ray", workers=1))
        assert store.entries() == []
    assert len(summary.failures) == 9 and summary.n_extracted == 0
    assert all("non-finite values (NaN or infinity) at tap(s) energy" in reason for _, reason in summary.failures)
