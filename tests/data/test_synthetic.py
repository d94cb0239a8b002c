import numpy as np

from codecprobe.audio import read_audio
from codecprobe.data import load_corpus
from codecprobe.data.synthetic import make_synthetic_corpus


def test_voices_are_distinct_and_deterministic(tmp_path):
    root = make_synthetic_corpus(tmp_path / "a", n_speakers=4, utterances_per_speaker=4, seed=3)
    again = make_synthetic_corpus(tmp_path / "b", n_speakers=4, utterances_per_speaker=4, seed=3)
    corpus = load_corpus(root)
    assert corpus.layout == "speaker-folders" and len(corpus.speakers()) == 4 and len(corpus.segments()) == 16
    first = corpus.segments()[0]
    a, _ = read_audio(corpus.audio_path(first.recording_id))
    b, _ = read_audio(again / (first.recording_id + ".wav"))
    np.testing.assert_array_equal(a, b)

    # Each voice is recognisable: a nearest-centroid classifier on the long-term spectrum,
    # trained on two utterances per voice, labels the other two correctly.
    def spectrum(segment):
        audio, _ = read_audio(corpus.audio_path(segment.recording_id))
        frames = np.lib.stride_tricks.sliding_window_view(audio, 512)[::256]
        power = np.log(np.mean(np.abs(np.fft.rfft(frames * np.hanning(512))) ** 2, axis=0) + 1e-9)
        return power - power.mean()

    by_voice = {}
    for segment in corpus.segments():
        by_voice.setdefault(segment.speaker, []).append(spectrum(segment))
    centroids = {voice: np.mean(spectra[:2], axis=0) for voice, spectra in by_voice.items()}
    for voice, spectra in by_voice.items():
        for held_out in spectra[2:]:
            nearest = min(centroids, key=lambda v: np.linalg.norm(centroids[v] - held_out))
            assert nearest == voice
