import numpy as np
import pytest

from codecprobe.encoders.base import EncoderIdentity
from codecprobe.store import LatentStore, encoder_key
from codecprobe.store.latent_store import NewEntry

IDENTITY = EncoderIdentity("enc", "weights-a", True, {"rate": 16000})


def entries(n, seed=0):
    rng = np.random.default_rng(seed)
    return [NewEntry(f"seg{i}", "tap", f"fp{i}", rng.standard_normal((3 + i, 4)).astype(np.float32), 12.5)
            for i in range(n)]


def test_round_trip_and_listing(tmp_path):
    new = entries(3)
    with LatentStore(tmp_path) as store:
        store.put_many(IDENTITY, new)
        for entry in new:
            np.testing.assert_array_equal(store.read(entry.segment_id, IDENTITY, "tap"), entry.frames)
        got = dict(store.read_many(["seg2", "seg0"], IDENTITY, "tap"))
        np.testing.assert_array_equal(got["seg2"], new[2].frames)
        listed = store.entries()
    assert [(e.segment_id, e.frames, e.dim, e.frame_rate, e.weights_id) for e in listed] == [
        ("seg0", 3, 4, 12.5, "weights-a"), ("seg1", 4, 4, 12.5, "weights-a"), ("seg2", 5, 4, 12.5, "weights-a")]


@pytest.mark.parametrize("changed", [
    EncoderIdentity("enc", "weights-b", True, {"rate": 16000}),
    EncoderIdentity("enc", "weights-a", True, {"rate": 24000}),
    EncoderIdentity("other", "weights-a", True, {"rate": 16000}),
])
def test_key_covers_weights_settings_and_encoder(tmp_path, changed):
    assert encoder_key(changed) != encoder_key(IDENTITY)
    with LatentStore(tmp_path) as store:
        store.put_many(IDENTITY, entries(1))
        with pytest.raises(KeyError, match="seg0"):
            store.read("seg0", changed, "tap")
        assert store.fingerprints(changed, "tap") == {}


def test_store_persists_and_vacuum_removes_orphans(tmp_path):
    with LatentStore(tmp_path) as store:
        store.put_many(IDENTITY, entries(2))
        store.put_many(IDENTITY, entries(2, seed=1))  # replaces both rows: the first shard is orphaned
    (tmp_path / "shards" / ".half-written.npz.tmp").write_bytes(b"x")
    with LatentStore(tmp_path) as store:
        assert store.vacuum() == 2
        np.testing.assert_array_equal(store.read("seg1", IDENTITY, "tap"), entries(2, seed=1)[1].frames)
        assert len(list((tmp_path / "shards").iterdir())) == 1


def test_failed_shard_write_leaves_no_rows(tmp_path, monkeypatch):
    import codecprobe.store.latent_store as module

    def crash(path, data):
        raise OSError("disk full")

    with LatentStore(tmp_path) as store:
        monkeypatch.setattr(module, "atomic_write_bytes", crash)
        with pytest.raises(OSError):
            store.put_many(IDENTITY, entries(2))
        assert store.entries() == []


def test_frame_rate_of_a_tap(tmp_path):
    with LatentStore(tmp_path) as store:
        with pytest.raises(KeyError):
            store.frame_rate(IDENTITY, "tap")
        store.put_many(IDENTITY, entries(2))
        assert store.frame_rate(IDENTITY, "tap") == 12.5


def test_bad_stores_are_one_error_naming_the_path(tmp_path):
    """Item 6: a file, a corrupt index, a missing or a truncated shard."""
    from codecprobe.errors import InputError

    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=r"file: not a latent store folder \(it is a file\)"):
        LatentStore(tmp_path / "file")
    with pytest.raises(InputError, match=r"nowhere: not a latent store \(no index.sqlite\)"):
        LatentStore(tmp_path / "nowhere", mode="r")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "index.sqlite").write_bytes(b"this is no database" * 100)
    with pytest.raises(InputError, match=r"corrupt/index.sqlite: not a readable latent store index"):
        LatentStore(tmp_path / "corrupt", mode="r")

    with LatentStore(tmp_path / "store") as store:
        store.put_many(IDENTITY, entries(2))
        store.put_many(IDENTITY, [NewEntry("other", "tap", "fp", np.ones((3, 4), np.float32), 12.5)])
    shards = sorted((tmp_path / "store" / "shards").iterdir(), key=lambda p: p.stat().st_size)
    small, large = shards
    small.unlink()
    large.write_bytes(large.read_bytes()[:100])
    with LatentStore(tmp_path / "store", mode="r") as store:
        with pytest.raises(InputError, match=rf"{small.name}: shard missing from the latent store"):
            store.read("other", IDENTITY, "tap")
        with pytest.raises(InputError, match=rf"{large.name}: damaged shard"):
            list(store.read_many(["seg0", "seg1"], IDENTITY, "tap"))


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_permissions_of_the_umask(tmp_path, umask, mode):
    """Item 6: shards (and reports: the same writer) were 0600 whatever the umask, so colleagues could not read them."""
    import os

    from codecprobe.report import write_json

    previous = os.umask(umask)
    try:
        with LatentStore(tmp_path / "store") as store:
            store.put_many(IDENTITY, entries(1))
        write_json(tmp_path / "report.json", {"a": 1})
    finally:
        os.umask(previous)
    (shard,) = (tmp_path / "store" / "shards").iterdir()
    assert shard.stat().st_mode & 0o777 == mode
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == mode


def test_read_only_stores_open_for_reading(tmp_path, monkeypatch):
    """Item 6: mode "r" writes nothing; a store the user cannot write opens for reading, and only writing fails."""
    import os

    from codecprobe.errors import InputError

    with LatentStore(tmp_path) as store:
        store.put_many(IDENTITY, entries(2))
    def contents():  # SQLite's own -wal/-shm files aside
        return {p.name: p.read_bytes() for p in [tmp_path / "index.sqlite", *(tmp_path / "shards").iterdir()]}

    before = contents()
    with LatentStore(tmp_path, mode="r") as store:
        assert len(store.entries()) == 2
        with pytest.raises(InputError, match="read-only here"):
            store.put_many(IDENTITY, entries(1, seed=3))
    assert contents() == before

    monkeypatch.setattr(os, "access", lambda path, how: how != os.W_OK)  # as a colleague's store looks to us
    with LatentStore(tmp_path) as store:
        assert not store.writable
        np.testing.assert_array_equal(store.read("seg1", IDENTITY, "tap"), entries(2)[1].frames)
        with pytest.raises(InputError, match="read-only here"):
            store.put_many(IDENTITY, entries(1, seed=3))


def test_shard_written_without_the_index_is_invisible_until_committed(tmp_path):
    """What a Ray worker does (write_shard) and what the driver does (commit), apart."""
    from codecprobe.store.latent_store import write_shard

    LatentStore(tmp_path).close()  # the driver creates the store; workers only see the folder
    committed, abandoned = write_shard(tmp_path, entries(2)), write_shard(tmp_path, entries(2, seed=1))
    assert [row.segment_id for row in committed.rows] == ["seg0", "seg1"] and committed.rows[1].frames == 4
    with LatentStore(tmp_path) as store:
        assert store.entries() == []
        store.commit(IDENTITY, committed)
        np.testing.assert_array_equal(store.read("seg1", IDENTITY, "tap"), entries(2)[1].frames)
        assert store.vacuum() == 1  # the shard whose job died before committing it
        assert [p.name for p in (tmp_path / "shards").iterdir()] == [committed.name]
        assert abandoned.name != committed.name
