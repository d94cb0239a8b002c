"""Lyra v2 (TFLite) on real speech: frames against the graph run by hand, statefulness, quantizer taps,
reconstruction, and the permuted-weights control. Skips where ../shared/models is absent."""
from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from codecprobe.audio import read_audio
from codecprobe.encoders import BuildOptions, build_encoder, untrained_kind
from codecprobe.encoders import lyra as lyra_module
from codecprobe.encoders.lyra import LyraEncoder, build_lyra
from codecprobe.encoders.tflite_permute import permute_weights, weight_buffers
from codecprobe.errors import InputError

PERMUTED = "weights randomly permuted (keeps each tensor's value distribution, destroys what was learned)"


def tflite_interpreter(path, **options):
    """The runtime's interpreter for a model file (imported here: the module collects without the runtime)."""
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path), **options)


@pytest.fixture(scope="module")
def weights(lyra_weights):
    return lyra_weights


@pytest.fixture(scope="module")
def lyra(weights) -> LyraEncoder:
    return build_lyra(BuildOptions(weights=str(weights)))


@pytest.fixture(scope="module")
def control(weights) -> LyraEncoder:
    return build_lyra(BuildOptions(weights=str(weights), random_init=True, seed=0))


@pytest.fixture(scope="module")
def speech(shared_data) -> list[np.ndarray]:
    """Three VCTK utterances of two speakers (16 kHz, 2-4 s each)."""
    files = [*sorted((shared_data / "vctk-autovc" / "p225").glob("*.wav"))[:2],
             sorted((shared_data / "vctk-autovc" / "p226").glob("*.wav"))[0]]
    return [read_audio(path, 0.0, 3.0 + 0.37 * i)[0] for i, path in enumerate(files)]


def graph_by_hand(path, signal: np.ndarray) -> np.ndarray:
    """The TFLite graph from its file, fed 320 zero-padded samples per call, as Lyra's C++ feeds it."""
    interpreter = tflite_interpreter(path, num_threads=1)
    interpreter.allocate_tensors()
    source, sink = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    padded = np.zeros(-(-len(signal) // 320) * 320, np.float32)
    padded[: len(signal)] = signal
    outputs = []
    for start in range(0, len(padded), 320):
        interpreter.set_tensor(source, padded[None, start : start + 320])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(sink).reshape(-1))
    return np.stack(outputs)


def test_taps_frames_and_rates(lyra, speech):
    assert lyra.taps == ("latent", *(f"quant{n}" for n in range(1, 47)))
    assert lyra.default_taps == ("latent",) and lyra.sample_rate == 16000
    assert lyra.sweep_taps == ("latent", "quant1", "quant2", "quant4", "quant8", "quant16", "quant46")
    # Lyra's three modes (16, 30 and 46 codebooks of 4 bits at 50 Hz); no bitrate before the quantizer
    assert [lyra.bitrate_kbps(tap) for tap in ("latent", "quant1", "quant16", "quant30", "quant46")] == pytest.approx(
        [None, 0.2, 3.2, 6.0, 9.2])
    lengths = [1, 319, 320, 321, 16005]
    outputs = lyra.encode_batch([speech[0][:n] for n in lengths], ["latent", "quant16"])
    for n, out in zip(lengths, outputs):
        assert {tap: (seq.frames.shape, seq.frame_rate) for tap, seq in out.items()} == {
            "latent": ((-(-n // 320), 64), 50.0), "quant16": ((-(-n // 320), 64), 50.0)}


def test_latent_is_the_graph_run_frame_by_frame(lyra, weights, speech):
    expected = graph_by_hand(weights / "soundstream_encoder.tflite", speech[0])
    np.testing.assert_array_equal(lyra.encode(speech[0])["latent"].frames, expected)


def test_padding_the_last_partial_frame_changes_only_that_frame(lyra, speech):
    full = lyra.encode(speech[1][:3200])["latent"].frames  # 10 whole frames
    cut = lyra.encode(speech[1][:3200 - 100])["latent"].frames  # the 10th frame padded with 100 zeros
    np.testing.assert_array_equal(cut[:9], full[:9])
    assert np.abs(cut[9] - full[9]).max() > 1e-3


def test_every_utterance_encodes_the_same_first_after_another_alone_or_in_a_batch(lyra, speech):
    taps = ["latent", "quant1", "quant46"]
    alone = [lyra.encode(audio, taps) for audio in speech]
    batched = lyra.encode_batch(speech, taps)
    reversed_batch = lyra.encode_batch(speech[::-1], taps)[::-1]
    again_after_others = lyra.encode(speech[0], taps)
    for i, reference in enumerate(alone):
        for tap in taps:  # exact: a fresh interpreter per utterance leaves nothing behind
            np.testing.assert_array_equal(batched[i][tap].frames, reference[tap].frames)
            np.testing.assert_array_equal(reversed_batch[i][tap].frames, reference[tap].frames)
    for tap in taps:
        np.testing.assert_array_equal(again_after_others[tap].frames, alone[0][tap].frames)


def test_reset_variables_would_not_do(weights, speech):
    """Why a fresh interpreter: resetting the variables of a used one leaves state behind."""
    interpreter = tflite_interpreter(weights / "soundstream_encoder.tflite", num_threads=1)
    interpreter.allocate_tensors()
    source, sink = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def run(signal):
        outputs = []
        for start in range(0, len(signal) // 320 * 320, 320):
            interpreter.set_tensor(source, signal[None, start : start + 320])
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(sink).reshape(-1))
        return np.stack(outputs)

    first = run(speech[0])
    interpreter.reset_all_variables()
    assert np.abs(run(speech[0])[:5] - first[:5]).max() > 1e-2


def test_quant_taps_are_the_first_n_codes_decoded(lyra, weights, speech):
    """Against the quantizer graph asked for n codes directly, as Lyra's C++ does per bitrate."""
    latent = lyra.encode(speech[2])["latent"].frames
    quantizer = tflite_interpreter(weights / "quantizer.tflite")
    encode, decode = quantizer.get_signature_runner("encode"), quantizer.get_signature_runner("decode")
    out = lyra.encode(speech[2], ["quant1", "quant16", "quant46"])
    errors = []
    for n in (1, 16, 46):
        expected = np.stack([decode(encoding_indices=encode(input_frames=frame[None, None],
                                                            num_quantizers=np.array(n, np.int32))["output_0"])
                             ["output_0"].reshape(-1) for frame in latent])
        np.testing.assert_array_equal(out[f"quant{n}"].frames, expected)
        errors.append(np.linalg.norm(expected - latent) / np.linalg.norm(latent))
    assert errors[0] > errors[1] > errors[2]  # more codebooks, closer to the latent
    assert errors[2] < 0.35


def log_mel_correlation(reference: np.ndarray, decoded: np.ndarray) -> float:
    logmel = build_encoder("logmel")
    n = min(len(reference), len(decoded))
    a, b = (logmel.encode(x[:n])["logmel"].frames.ravel() for x in (reference, decoded))
    return float(np.corrcoef(a, b)[0, 1])


def test_reconstruction_of_real_speech_needs_the_trained_weights(lyra, control, speech):
    audio = speech[0]
    trained = log_mel_correlation(audio, lyra.decode(lyra.encode(audio)["latent"].frames))
    coded = log_mel_correlation(audio, lyra.decode(lyra.encode(audio, ["quant16"])["quant16"].frames))
    untrained = log_mel_correlation(audio, control.decode(control.encode(audio)["latent"].frames))
    assert trained > 0.9 and coded > 0.9  # 3.2 kbps (16 quantizers) too
    assert untrained < 0.5
    assert len(lyra.decode(np.zeros((7, 64), np.float32))) == 7 * 320


def test_control_is_seeded_labelled_and_the_same_graphs(lyra, control, weights, speech):
    identity = control.identity()
    assert identity.trained is False
    assert identity.weights_id == f"permuted:seed=0:{lyra.weights_id}" and lyra.weights_id.startswith("dir:")
    assert untrained_kind(identity.weights_id) == PERMUTED
    assert identity.settings == lyra.identity().settings
    again = build_lyra(BuildOptions(weights=str(weights), random_init=True, seed=0))
    other = build_lyra(BuildOptions(weights=str(weights), random_init=True, seed=1))
    first = control.encode(speech[1], ["latent", "quant4"])
    for tap in ("latent", "quant4"):
        np.testing.assert_array_equal(again.encode(speech[1], [tap])[tap].frames, first[tap].frames)
    assert np.abs(other.encode(speech[1])["latent"].frames - first["latent"].frames).max() > 1e-2
    assert np.abs(lyra.encode(speech[1])["latent"].frames - first["latent"].frames).max() > 1e-2


@pytest.mark.parametrize("name", ["soundstream_encoder.tflite", "quantizer.tflite", "lyragan.tflite"])
def test_permutation_shuffles_every_weight_and_touches_nothing_else(weights, name):
    from ai_edge_litert import schema_py_generated as schema

    original = (weights / name).read_bytes()
    permuted = permute_weights(original, seed=3)
    assert permute_weights(original, seed=3) == permuted and len(permuted) == len(original)
    before, after = schema.Model.GetRootAs(original, 0), schema.Model.GetRootAs(permuted, 0)
    entries = weight_buffers(before)
    assert len(entries) > 40
    inside = np.zeros(len(original), bool)
    for entry in entries:
        table = before.Buffers(entry.index)._tab
        start = table.Vector(table.Offset(4))
        inside[start : start + before.Buffers(entry.index).DataLength()] = True
        old = before.Buffers(entry.index).DataAsNumpy().view(entry.dtype).reshape(entry.shape)
        new = after.Buffers(entry.index).DataAsNumpy().view(entry.dtype).reshape(entry.shape)
        assert_same_values(old, new, entry)
        assert not np.array_equal(old, new) or np.all(old == old.flat[0])  # only constant tensors stay
    changed = np.frombuffer(original, np.uint8) != np.frombuffer(permuted, np.uint8)
    assert changed.any() and not (changed & ~inside).any()  # the graph, shapes, scales and state: untouched


def assert_same_values(old: np.ndarray, new: np.ndarray, entry) -> None:
    """Each tensor keeps its real values: exactly, or to half a quantum for requantized int32 biases."""
    if entry.scale is None or len(entry.scale) == 1:
        np.testing.assert_array_equal(np.sort(old, axis=None), np.sort(new, axis=None))
        return
    channels = [np.moveaxis(x, entry.axis, 0).reshape(len(entry.scale), -1) for x in (old, new)]
    if entry.dtype is np.int32:
        real = [np.sort((x * entry.scale[:, None]).ravel()) for x in channels]
        assert np.all(np.abs(real[0] - real[1]) <= 0.5 * entry.scale.max() + 1e-12)
    else:  # per-channel int8: the channels of one scale keep their values (so every real value stays)
        for scale in np.unique(entry.scale):
            group = entry.scale == scale
            np.testing.assert_array_equal(np.sort(channels[0][group], axis=None), np.sort(channels[1][group], axis=None))


def test_issue18_item9_lyra_is_labelled_by_its_folder_not_its_hash(lyra, control, weights):
    import os

    assert lyra.identity().short_label() == f"Lyra v2 (Google, {os.path.relpath(weights)})"
    assert control.identity().short_label() == "lyra (permuted control)"
    import dataclasses

    assert dataclasses.replace(lyra.identity(), weights_name="elsewhere") == lyra.identity()  # the name keys nothing


def test_settings_are_checked_and_in_the_identity(weights):
    encoder = build_encoder("lyra", BuildOptions(weights=str(weights), settings={"threads": 2}))
    assert encoder.identity().settings["threads"] == 2
    with pytest.raises(InputError, match="threads must be at least 1"):
        build_encoder("lyra", BuildOptions(weights=str(weights), settings={"threads": 0}))
    with pytest.raises(InputError, match="CPU only"):
        build_encoder("lyra", BuildOptions(weights=str(weights), device="cuda"))


def test_a_weights_folder_is_named_by_its_content(weights, tmp_path, lyra):
    copy = tmp_path / "copy"
    shutil.copytree(weights, copy)
    assert build_lyra(BuildOptions(weights=str(copy))).weights_id == lyra.weights_id
    (copy / "lyra_config.binarypb").write_bytes(b"\x08\x04")
    assert build_lyra(BuildOptions(weights=str(copy))).weights_id != lyra.weights_id


def test_bad_weights_are_named(weights, tmp_path, monkeypatch):
    with pytest.raises(InputError, match="nowhere: not a folder"):
        build_lyra(BuildOptions(weights=str(tmp_path / "nowhere")))
    partial = tmp_path / "partial"
    shutil.copytree(weights, partial)
    (partial / "quantizer.tflite").unlink()
    with pytest.raises(InputError, match="partial: not a Lyra weights folder .missing quantizer.tflite"):
        build_lyra(BuildOptions(weights=str(partial)))
    (partial / "quantizer.tflite").write_bytes(b"not a model at all")
    with pytest.raises(InputError, match="quantizer.tflite: not a TFLite model"):
        build_lyra(BuildOptions(weights=str(partial)))
    monkeypatch.setattr(lyra_module, "SHARED_WEIGHTS", tmp_path / "no-shared-copy")
    with pytest.raises(InputError, match="lyra needs its weights: pass --weights DIR"):
        build_lyra(BuildOptions())


def test_without_the_runtime_the_command_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from codecprobe.cli.main import main

    from tests.fakes import write_tone_corpus

    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # fails as if not installed (it may not be)
    write_tone_corpus(tmp_path / "corpus", speakers=("a",), per_speaker=1)
    assert main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "lyra",
                 "--store", str(tmp_path / "store"), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert "pip install 'codecprobe[lyra]'" in error and len(error.splitlines()) == 1


def test_verify_sweeps_lyra_against_the_same_weights_permuted(weights, shared_data, tmp_path):
    import json

    import soundfile as sf

    from codecprobe.cli.main import main

    corpus = tmp_path / "corpus"
    for speaker in ("p225", "p226", "p227", "p228"):  # two 1.5 s excerpts each
        (corpus / speaker).mkdir(parents=True)
        for path in sorted((shared_data / "vctk-autovc" / speaker).glob("*.wav"))[:2]:
            sf.write(corpus / speaker / path.name, read_audio(path, 0.5, 2.0)[0], 16000)
    copy = tmp_path / "my-lyra"
    shutil.copytree(weights, copy)
    (copy / "lyra_config.binarypb").write_bytes(b"\x08\x04")  # other weights than the default copy
    out = tmp_path / "out"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus), "--encoder", "lyra", "--weights", str(copy), "--sweep",
                 "--backend", "cosine", "--store", str(tmp_path / "store"), "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [(r["role"], r["tap"]) for r in results["results"]] == [
        (role, tap) for role in ("encoder", "control")
        for tap in ("latent", "quant1", "quant2", "quant4", "quant8", "quant16", "quant46")]
    trained_id = build_lyra(BuildOptions(weights=str(copy))).weights_id
    (entry,) = results["encoders"]
    assert entry["encoder"]["weights_id"] == trained_id
    assert entry["control"] == {**entry["control"], "weights_id": f"permuted:seed=0:{trained_id}", "trained": False}
    assert PERMUTED in entry["control_note"] and PERMUTED in (out / "report.md").read_text()


def test_the_demo_shows_lyra_beside_its_permuted_control(weights, tmp_path, monkeypatch):
    from codecprobe.demo import run as demo
    from codecprobe.demo.run import DemoConfig, run_demo

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "SHARED_DATA", tmp_path / "no-shared")  # synthetic voices, as on a fresh clone
    result = run_demo(DemoConfig(out="out", encoders=["lyra"], backends=["cosine"], pipelines=[], progress=False))
    trained_id = build_lyra(BuildOptions()).weights_id  # the shared copy, found beside the project
    rows = result["identity"]["rows"]
    assert [(r["label"], r["role"], r["tap"]) for r in rows] == [("Lyra v2", "encoder", "latent"),
                                                                ("Lyra v2 permuted", "control", "latent")]
    names = {n["label"]: n["what"] for n in result["names"]}
    assert trained_id in names["Lyra v2"] and f"permuted:seed=0:{trained_id}" in names["Lyra v2 permuted"]
    report = (tmp_path / "out" / "demo.md").read_text()
    assert report.count(f"permuted:seed=0:{trained_id}") == 1  # the long id once, in the names table
    assert "| Lyra v2 permuted | latent | cosine |" in report
