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
            extract(corpus, FrameStatsEncoder(fail_on_call=4), ["energy"], store,  # call 1 is the warm-up
                    batch_seconds=1.0, max_batch_size=2, progress=False)
        batches = plan_batches([s.duration for s in corpus.segments()], 1.0, 2)
        committed = len(batches[0]) + len(batches[1])  # the two batches before the crash
        assert len(store.entries()) == committed == 3
        resumed = extract(corpus, FrameStatsEncoder(), ["energy"], store, progress=False)
        assert (resumed.n_cached, resumed.n_extracted) == (committed, 9 - committed)
        stored_equals_expected(store, corpus, FrameStatsEncoder(), ["energy"])


def test_issue18_item9_speed_is_measured_after_a_warm_up_call(tmp_path, corpus):
    """An encoder whose first call pays a set-up (lazy imports) is timed without it: MFCC at 9.3x
    against log-mel's 138.5x was librosa's first call, not MFCC."""

    class LazyImports(FrameStatsEncoder):
        def encode_batch(self, audios, taps):
            if self.calls == 0:
                time.sleep(0.5)
            return super().encode_batch(audios, taps)

    encoder = LazyImports()
    with LatentStore(tmp_path / "store") as store:
        summary = extract(corpus, encoder, ["energy"], store, batch_seconds=2.0, progress=False)
        stored_equals_expected(store, corpus, encoder, ["energy"])
    batches = len(plan_batches([s.duration for s in corpus.segments()], 2.0, 32))
    assert encoder.calls == batches + 1 and summary.n_extracted == 9  # the warm-up stores nothing
    assert summary.warmup_seconds >= 0.5 and summary.timed_seconds <= summary.wall_seconds - summary.warmup_seconds
    assert summary.real_time_factor == pytest.approx(summary.audio_seconds / summary.timed_seconds)


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


def test_progress_bar_never_overshoots_its_total(tmp_path, monkeypatch):
    """Item 14: the bar's total is summed in the order the bar adds (these lengths overshot by 9e-16 s)."""
    import soundfile as sf

    from codecprobe.extract import pipeline

    for index, samples in enumerate([10405, 38903, 5735, 18316, 9327]):
        (tmp_path / "corpus" / "spk").mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "corpus" / "spk" / f"a{index}.wav", np.full(samples, 0.1, np.float32), 16000)
    bars = []

    class RecordingBar:
        def __init__(self, total, **_):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, n):
            self.n += n
            assert self.n <= self.total

        def set_postfix_str(self, _):
            pass

        def close(self):
            pass

    monkeypatch.setattr(pipeline, "tqdm", RecordingBar)
    with LatentStore(tmp_path / "store") as store:
        extract(load_corpus(tmp_path / "corpus"), FrameStatsEncoder(), None, store, batch_seconds=1.0)
    assert bars[0].n == bars[0].total


def test_non_finite_audio_fails_its_file_only(tmp_path):
    """Item 5: a NaN sample is a failure naming the file; the other files are encoded; nothing NaN is stored."""
    import soundfile as sf

    from codecprobe.encoders import build_encoder

    paths = write_tone_corpus(tmp_path / "corpus", per_speaker=2)
    audio, rate = sf.read(paths[1], dtype="float32")
    audio[100] = np.nan
    sf.write(paths[1], audio, rate, subtype="FLOAT")
    corpus = load_corpus(tmp_path / "corpus")
    with LatentStore(tmp_path / "store") as store:
        summary = extract(corpus, build_encoder("mfcc"), None, store, progress=False)
        stored = store.entries()
    assert summary.n_extracted == 5 and len(stored) == 5
    ((where, reason),) = summary.failures
    assert where == "alice/alice_1" and reason.endswith("alice_1.wav: 1 non-finite sample(s) (NaN or infinity), "
                                                        "the first at 0.006 s")


class NaNEncoder(FrameStatsEncoder):
    """Gives NaN frames for signals shorter than 0.5 s, as a broken model might."""

    def encode_batch(self, audios, taps):
        results = super().encode_batch(audios, taps)
        for audio, by_tap in zip(audios, results):
            if len(audio) < 8000:
                by_tap["energy"].frames[:] = np.nan
        return results


def test_an_encoder_never_stores_a_non_finite_latent(tmp_path, corpus):
    """Item 5: NaN output of the model is a failure of that segment, and the store refuses it anyway."""
    from codecprobe.store.latent_store import NewEntry

    with LatentStore(tmp_path / "store") as store:
        summary = extract(corpus, NaNEncoder(), ["energy"], store, progress=False)
        short = {s.id for s in corpus.segments() if s.duration < 0.5}
        assert {where for where, _ in summary.failures} == short and len(short) == 2
        assert all("non-finite values (NaN or infinity) at tap(s) energy" in reason for _, reason in summary.failures)
        assert len(store.entries()) == 9 - 2
        with pytest.raises(ValueError, match="non-finite frames are not stored"):
            store.put_many(NaNEncoder().identity(), [NewEntry("x", "energy", "fp", np.full((2, 2), np.inf), 100.0)])


def test_a_read_only_store_is_refused_before_any_work(tmp_path, corpus):
    """Item 6: extraction into a store opened for reading stops before the first batch (on Ray, workers
    would otherwise write shards into it); what is stored already needs no writing."""
    from codecprobe.errors import InputError

    LatentStore(tmp_path / "store").close()
    encoder = FrameStatsEncoder()
    with LatentStore(tmp_path / "store", mode="r") as store:
        with pytest.raises(InputError, match=r"store: the latent store is read-only here, and 9 array\(s\) of framestats"):
            extract(corpus, encoder, ["energy"], store, progress=False)
    assert encoder.calls == 0 and list((tmp_path / "store" / "shards").iterdir()) == []
    with LatentStore(tmp_path / "store") as store:
        extract(corpus, encoder, ["energy"], store, progress=False)
    with LatentStore(tmp_path / "store", mode="r") as store:
        assert extract(corpus, encoder, ["energy"], store, progress=False).n_cached == 9
