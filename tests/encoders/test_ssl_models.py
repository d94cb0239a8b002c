"""WavLM, HuBERT and wav2vec 2.0 adapters on tiny random models (no trained weights can be downloaded in CI).

Reference: transformers' own forward with ``output_hidden_states=True`` on the same signal, one
signal at a time, normalised as ``Wav2Vec2FeatureExtractor`` normalises it.
"""
from __future__ import annotations

import json

import huggingface_hub
import numpy as np
import pytest
import torch
from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2ForPreTraining

from codecprobe.encoders.registry import BuildOptions, build_encoder
from codecprobe.encoders.ssl_models import SSLEncoder, SSLSettings, model_classes
from codecprobe.errors import InputError

TINY = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, conv_dim=(8,) * 7,
            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)


def tiny(name: str, norm: str = "group", seed: int = 0, settings: SSLSettings = SSLSettings()) -> SSLEncoder:
    model_class, config_class = model_classes(name)
    torch.manual_seed(seed)
    config = config_class(**TINY, feat_extract_norm=norm, do_stable_layer_norm=norm == "layer")
    return SSLEncoder(name, model_class(config), f"random-init:seed={seed}", False, settings, normalize=True)


@pytest.fixture(scope="module", params=[("wavlm", "group"), ("hubert", "group"), ("wav2vec2", "group"),
                                        ("wav2vec2", "layer"), ("wavlm", "layer")], ids=lambda p: "-".join(p))
def ssl(request) -> SSLEncoder:
    return tiny(*request.param)


def speechlike(samples: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(samples) / 16000 + rng.uniform(0, 6))
    return (0.1 * envelope * rng.standard_normal(samples) + 0.02).astype(np.float32)


def reference(encoder: SSLEncoder, audio: np.ndarray):
    """transformers' forward on the signal alone, normalised by its feature extractor."""
    inputs = Wav2Vec2FeatureExtractor(do_normalize=True)(audio, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        return encoder.model(inputs.input_values, output_hidden_states=True).hidden_states


def close(actual, expected, name, rtol=1e-5):
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, atol=rtol * np.abs(expected).max(), err_msg=name)


def test_taps_and_frames(ssl):
    assert ssl.taps == ("cnn", "layer1", "layer2") and ssl.default_taps == ("layer2",)
    assert (ssl.hop, ssl.receptive_field, ssl.frame_offset("cnn")) == (320, 400, 0.0025)
    lengths = [1, 399, 400, 719, 720, 16000]
    outputs = ssl.encode_batch([speechlike(n, seed=n) for n in lengths], ["cnn", "layer2"])
    # floor((n - 400) / 320) + 1, at least 1; 49 frames per second, as the model's own feature encoder counts
    assert [len(out["layer2"]) for out in outputs] == [1, 1, 1, 1, 2, 49]
    assert [int(ssl.model._get_feat_extract_output_lengths(n)) for n in lengths[2:]] == [1, 1, 2, 49]
    assert {(s.frame_rate, s.dim, s.encoder, s.weights_id) for out in outputs for s in out.values()} == \
        {(50.0, 16, ssl.name, "random-init:seed=0")}


def test_layers_equal_transformers_hidden_states(ssl):
    audio = speechlike(5000)
    hidden = reference(ssl, audio)
    out = ssl.encode(audio, list(ssl.taps))
    for position, tap in enumerate(ssl.taps):
        close(out[tap].frames, hidden[position][0].numpy(), tap)
    assert np.abs(out["layer2"].frames - out["cnn"].frames).max() > 1e-2


def test_batched_equals_one_by_one(ssl):
    audios = [speechlike(n, seed=n) for n in (3000, 4321, 4321, 6000, 500)]
    batched = ssl.encode_batch(audios, ["cnn", "layer2"])
    for audio, together in zip(audios, batched):
        alone = ssl.encode(audio, ["cnn", "layer2"])
        for tap in together:
            close(together[tap].frames, alone[tap].frames, tap)


def test_attention_mask_only_where_the_feature_encoder_uses_layer_norm():
    grouped, masked = tiny("wav2vec2", "group"), tiny("wav2vec2", "layer")
    lengths = [3000, 4321, 4321, 6000, 500]
    assert (grouped.attention_mask, masked.attention_mask) == (False, True)
    assert grouped._batches(lengths) == [[4], [0], [1, 2], [3]]  # group norm: equal lengths only
    assert masked._batches(lengths) == [[4, 0, 1, 2, 3]]
    # what the rule guards against: zero padding changes a group-norm model's frames
    audio = speechlike(3000)
    padded = np.concatenate([audio, np.zeros(1000, np.float32)])
    with torch.no_grad():
        alone = grouped.model(torch.from_numpy(audio)[None]).last_hidden_state[0]
        longer = grouped.model(torch.from_numpy(padded)[None]).last_hidden_state[0, : len(alone)]
    assert (alone - longer).abs().max() > 1e-3 * alone.abs().max()


def test_long_signals_in_windows():
    # layer norm in the feature encoder: up to the positional convolution (16 frames wide) every
    # frame is local, so 0.3 s (15 frames) of context either side gives the one-pass cnn frames
    windowed = tiny("wav2vec2", "layer", settings=SSLSettings(chunk_seconds=0.5, context_seconds=0.3))
    whole = tiny("wav2vec2", "layer")
    audio = speechlike(40000, seed=3)  # 5 windows of 25 frames
    out, reference_frames = windowed.encode(audio, ["cnn", "layer2"]), whole.encode(audio, ["cnn", "layer2"])
    assert len(out["cnn"]) == len(out["layer2"]) == len(reference_frames["cnn"]) == 124
    close(out["cnn"].frames, reference_frames["cnn"].frames, "cnn")
    # attention sees each window and its context, not the whole signal
    assert np.abs(out["layer2"].frames - reference_frames["layer2"].frames).max() > 1e-4


def test_random_init_is_seeded_labelled_and_normalises_by_default():
    encoder = build_encoder("wavlm", BuildOptions(random_init=True, seed=2))
    identity = encoder.identity()
    assert (identity.trained, identity.weights_id, identity.weights) == (False, "random-init:seed=2", "untrained")
    assert identity.settings == {"sample_rate": 16000, "dtype": "float32", "normalize": True, "attention_mask": False,
                                 "chunk_seconds": 30.0, "context_seconds": 5.0, "torch": torch.__version__}
    assert encoder.taps == ("cnn", *(f"layer{k}" for k in range(1, 13)))  # the base architecture
    with pytest.raises(InputError, match="choose one"):
        build_encoder("hubert", BuildOptions(weights="facebook/hubert-base-ls960", random_init=True))


def test_random_init_differs_by_seed():
    audio = speechlike(2000)
    first, again, other = (tiny("hubert", seed=seed).encode(audio)["layer2"].frames for seed in (0, 0, 1))
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-2


def test_pretraining_checkpoint_loads_from_folder_and_hub_snapshot(tmp_path, monkeypatch):
    """A checkpoint saved with pre-training heads (as facebook/wav2vec2-base is) loads into the bare
    model; its feature-extractor config decides the normalisation."""
    source = tiny("wav2vec2")
    snapshot = tmp_path / "snapshots" / "c0ffee"
    full = Wav2Vec2ForPreTraining(source.model.config)
    full.wav2vec2.load_state_dict(source.model.state_dict())
    full.save_pretrained(snapshot)
    (snapshot / "preprocessor_config.json").write_text(json.dumps({"do_normalize": False}))
    loaded = build_encoder("wav2vec2", BuildOptions(weights=str(snapshot)))
    assert loaded.trained and loaded.weights_id.startswith("dir:") and loaded.identity().settings["normalize"] is False
    reference_state = source.model.state_dict()
    assert all(torch.equal(value, reference_state[key]) for key, value in loaded.model.state_dict().items())
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo, revision, allow_patterns: str(snapshot))
    from_hub = build_encoder("wav2vec2", BuildOptions(weights="facebook/wav2vec2-base", settings={"normalize": True}))
    assert from_hub.weights_id == "hf:facebook/wav2vec2-base@c0ffee" and from_hub.normalize is True
    audio = speechlike(3000)
    close(from_hub.encode(audio)["layer2"].frames, source.encode(audio)["layer2"].frames, "layer2")


def test_bad_weights_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="nowhere: wavlm weights not found"):
        build_encoder("wavlm", BuildOptions(weights=str(tmp_path / "nowhere")))
    with pytest.raises(InputError, match=f"{tmp_path}: not a transformers-format hubert folder"):
        build_encoder("hubert", BuildOptions(weights=str(tmp_path)))
    with pytest.raises(InputError, match="no-such-user-xyz/no-such-model: no such local file or folder"):
        build_encoder("wav2vec2", BuildOptions(weights="no-such-user-xyz/no-such-model"))
    tiny("hubert").model.save_pretrained(tmp_path / "hubert")
    with pytest.raises(InputError, match="weights do not fit wavlm: .*missing keys"):
        build_encoder("wavlm", BuildOptions(weights=str(tmp_path / "hubert")))
