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
