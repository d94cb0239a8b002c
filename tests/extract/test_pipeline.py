import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from codecprobe.audio import read_audio
from codecprobe.data import load_corpus
from codecprobe.extract import extract, plan_batches
from codecprobe.store import LatentStore
from tests.fakes import FrameStatsEncoder, write_tone_corpus

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def corpus(tmp_path):
    write_tone_corpus(tmp_path / "corpus")
    return load_corpus(tmp_path / "corpus")


def stored_equals_expected(store, corpus, encoder, taps):
    for segment in corpus.segments():
        audio, _ = read_audio(corpus.audio_path(segment.recording_id), target_rate=encoder.sample_rate)
        for tap in taps:
            np.testing.assert_array_equal(store.read(segment.id, encoder.identity(), tap), encoder.expected(audio, tap))


def test_extracts_every_segment_and_tap_then_skips_them(tmp_path, corpus):
    encoder = FrameStatsEncoder()
    with LatentStore(tmp_path / "store") as store:
        first = extract(corpus, encoder, ["energy", "peak"], store, batch_seconds=2.0, progress=False)
        assert (first.n_segments, first.n_extracted, first.n_cached) == (9, 9, 0)
        assert first.audio_seconds == pytest.approx(sum(s.duration for s in corpus.segments()))
        stored_equals_expected(store, corpus, encoder, ["energy", "peak"])
        calls = encoder.calls
        again = extract(corpus, encoder, ["energy", "peak"], store, progress=False)
        assert (again.n_extracted, again.n_cached, encoder.calls) == (0, 9, calls)


def test_new_tap_or_changed_setting_or_changed_audio_is_extracted_again(tmp_path, corpus):
    with LatentStore(tmp_path / "store") as store:
        extract(corpus, FrameStatsEncoder(), ["energy"], store, progress=False)
        assert extract(corpus, FrameStatsEncoder(), ["energy", "peak"], store, progress=False).n_extracted == 9
        assert extract(corpus, FrameStatsEncoder(scale=2.0), ["energy"], store, progress=False).n_extracted == 9
        touched = corpus.audio_path("bob/bob_1")
        audio, rate = read_audio(touched)
        import soundfile as sf
        sf.write(touched, audio * 0.5, rate)
        os.utime(touched, ns=(time.time_ns(), time.time_ns() + 10**9))
        rerun = extract(corpus, FrameStatsEncoder(), ["energy"], store, progress=False)
        assert (rerun.n_extracted, rerun.n_cached) == (1, 8)
        stored_equals_expected(store, corpus, FrameStatsEncoder(), ["energy"])


def test_bad_file_is_a_failure_not_a_stop(tmp_path, corpus):
    victim = corpus.audio_path("carol/carol_0")
    with open(victim, "r+b") as handle:
        handle.truncate(100)
    with LatentStore(tmp_path / "store") as store:
        summary = extract(corpus, FrameStatsEncoder(), None, store, progress=False)
    assert summary.n_extracted == 8
    assert [where for where, _ in summary.failures] == ["carol/carol_0"]
    assert "carol_0.wav" in summary.failures[0][1]


def test_resume_after_a_crash_mid_run(tmp_path, corpus):
    with LatentStore(tmp_path / "store") as store:
        with pytest.raises(RuntimeError, match="simulated crash"):
            extract(corpus, FrameStatsEncoder(fail_on_call=3), ["energy"], store,
                    batch_seconds=1.0, max_batch_size=2, progress=False)
        batches = plan_batches([s.duration for s in corpus.segments()], 1.0, 2)
        committed = len(batches[0]) + len(batches[1])  # the two batches before the crash
        assert len(store.entries()) == committed == 3
        resumed = extract(corpus, FrameStatsEncoder(), ["energy"], store, progress=False)
        assert (resumed.n_cached, resumed.n_extracted) == (committed, 9 - committed)
        stored_equals_expected(store, corpus, FrameStatsEncoder(), ["energy"])


def test_resume_after_sigkill(tmp_path, corpus):
    """Kill a real extraction process at an arbitrary moment; the store stays readable and complete after a rerun."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {REPO!r})
        from codecprobe.data import load_corpus
        from codecprobe.extract import extract, plan_batches
        from codecprobe.store import LatentStore
        from tests.fakes import FrameStatsEncoder

        class Slow(FrameStatsEncoder):
            def encode_batch(self, audios, taps):
                time.sleep(0.15)
                return super().encode_batch(audios, taps)

        with LatentStore({str(tmp_path / "store")!r}) as store:
            extract(load_corpus({str(corpus.root)!r}), Slow(), ["energy", "peak"], store,
                    batch_seconds=0.5, max_batch_size=1, progress=False)
    """)
    process = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(2.5)  # imports take ~1.5 s; the nine batches take ~1.4 s more
    process.send_signal(signal.SIGKILL)
    process.wait()
    with LatentStore(tmp_path / "store") as store:
        for entry in store.entries():  # whatever was committed reads back whole
            assert store.read(entry.segment_id, FrameStatsEncoder().identity(), entry.tap).shape == (entry.frames, entry.dim)
        extract(corpus, FrameStatsEncoder(), ["energy", "peak"], store, progress=False)
        stored_equals_expected(store, corpus, FrameStatsEncoder(), ["energy", "peak"])
