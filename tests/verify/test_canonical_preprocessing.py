"""Item 1: utterance-level studies use each encoder's canonical preprocessing (and say so); frame-level
extraction keeps time alignment."""
import numpy as np
import pytest
import soundfile as sf

from codecprobe.encoders import build_encoder, utterance_settings, utterance_use
from codecprobe.threads import torch_threads
from codecprobe.verify import metrics
from codecprobe.encoders.spec import EncoderSpec
from codecprobe.verify.config import BootstrapConfig, StudyConfig
from codecprobe.verify.study import run_verify, write_verify


def test_verify_ge2e_equals_resemblyzers_documented_use(shared_data, tmp_path):
    """On real speech, verify's GE2E EER is Resemblyzer's own: preprocess_wav (given the samples soundfile
    reads), then embed_utterance.

    On TIMIT's 8 evaluation speakers the untrimmed audio gives 11.39 % and Resemblyzer 12.00 %, so a
    study that skipped the canonical trimming would miss by 0.6 points.
    """
    from resemblyzer import VoiceEncoder, preprocess_wav

    config = StudyConfig(corpus=str(shared_data / "timit-sample"), encoders=[EncoderSpec("ge2e")], ceilings=[],
                         store=str(tmp_path / "store"),
                         control=False, backends=["cosine"], bootstrap=BootstrapConfig(replicates=0))
    result = run_verify(config, progress=False)
    (row,) = result.rows
    assert row.tap == "utterance" and row.identity.settings["trim_silences"] is True
    assert "Resemblyzer's documented use: preprocess_wav" in result.plans[0].preprocessing

    model = VoiceEncoder(device="cpu", verbose=False)
    with torch_threads(1):  # Resemblyzer's LSTM crawls on two busy cores
        embedding = {s.id: model.embed_utterance(preprocess_wav(*sf.read(result.split.corpus.audio_path(s.recording_id),
                                                                         dtype="float32")))
                     for s in result.split.eval_segments}
    trials = result.split.trials
    scores = np.array([embedding[a] @ embedding[b] for a, b in zip(trials.enroll, trials.test)])
    direct = 100 * metrics.eer(scores, trials.labels)
    assert row.eer == pytest.approx(direct, abs=0.1)

    saved = write_verify(result, tmp_path / "report")
    assert saved.encoders[0].preprocessing.startswith("ge2e's canonical utterance-level preprocessing, trim_silences=True")
    assert "- preprocessing: ge2e's canonical" in (tmp_path / "report" / "report.md").read_text()


def test_frame_level_use_keeps_time_alignment_and_users_can_opt_out():
    assert build_encoder("ge2e").config.trim_silences is False  # extract: frame times match the audio
    assert utterance_settings("ge2e", {}) == {"trim_silences": True}
    assert utterance_settings("ge2e", {"trim_silences": False}) == {"trim_silences": False}  # the user's own wins
    assert utterance_settings("ge2e", {}, canonical=False) == {}
    assert utterance_use("ge2e").taps == ("utterance",)


def test_an_encoder_may_declare_no_utterance_use():
    """Encoders registered without one (MFCC, Mimi, a new encoder) are used as they are."""
    assert utterance_settings("mfcc", {"n_mfcc": 13}) == {"n_mfcc": 13}
    assert utterance_use("mimi").taps == () and utterance_use("mimi").settings == {}
