"""The frame bank: built once from the store, fused taps on the grid, keyed by what changes its content."""
import numpy as np
import pytest

from codecprobe.data import load_corpus
from codecprobe.errors import InputError
from codecprobe.extract import extract
from codecprobe.store import LatentStore
from codecprobe.train import TapSource, build_bank, to_grid
from tests.fakes import FrameStatsEncoder, write_tone_corpus


@pytest.fixture
def stored(tmp_path):
    write_tone_corpus(tmp_path / "corpus", speakers=("alice", "bob"), per_speaker=2)
    corpus = load_corpus(tmp_path / "corpus")
    encoder = FrameStatsEncoder()
    with LatentStore(tmp_path / "store") as store:
        extract(corpus, encoder, ["energy", "peak"], store, progress=False)
        yield store, corpus, encoder


def test_fused_taps_on_the_grid_equal_the_stored_frames_placed_one_by_one(stored):
    store, corpus, encoder = stored
    identity = encoder.identity()
    sources = [TapSource(identity, "energy", 0.0), TapSource(identity, "peak", -0.005)]
    segments = [(s.id, int(np.ceil(s.duration * 12.5))) for s in corpus.segments()]
    bank = build_bank(store, segments, sources, 12.5, progress=False)
    assert bank.dim == 3 and bank.ids == [s for s, _ in segments]
    for i, (segment, n) in enumerate(segments):
        expected = np.concatenate([to_grid(store.read(segment, identity, "energy"), 100.0, n, 12.5, 0.0),
                                   to_grid(store.read(segment, identity, "peak"), 100.0, n, 12.5, -0.005)], axis=1)
        assert np.array_equal(bank.frames(i), expected)
    window = bank.window(0, segments[0][1] - 2, 5)  # runs past the end: zero-padded
    assert np.array_equal(window[:2], bank.frames(0)[-2:]) and not window[2:].any()
    window = bank.window(1, -3, 5)  # starts before the segment: zero-padded, not the previous segment's frames
    assert not window[:3].any() and np.array_equal(window[3:], bank.frames(1)[:2])


def test_a_bank_is_built_once_and_keyed_by_what_changes_it(stored):
    store, corpus, encoder = stored
    identity = encoder.identity()
    segments = [(s.id, 10) for s in corpus.segments()]
    first = build_bank(store, segments, [TapSource(identity, "energy")], 12.5, progress=False)
    again = build_bank(store, segments, [TapSource(identity, "energy")], 12.5, progress=False)
    assert again.folder == first.folder
    others = [build_bank(store, segments, [TapSource(identity, "energy", 0.01)], 12.5, progress=False),
              build_bank(store, segments, [TapSource(identity, "peak")], 12.5, progress=False),
              build_bank(store, segments, [TapSource(identity, "energy")], 25.0, progress=False),
              build_bank(store, segments[:2], [TapSource(identity, "energy")], 12.5, progress=False)]
    assert len({b.folder for b in others} | {first.folder}) == 5
    assert not list((store.root / "banks").glob(".building-*"))


def test_a_segment_missing_from_the_store_is_named(stored):
    store, corpus, encoder = stored
    with pytest.raises(InputError, match="not extracted for framestats:energy.*e.g. nowhere"):
        build_bank(store, [("nowhere", 5)], [TapSource(encoder.identity(), "energy")], 12.5, progress=False)
