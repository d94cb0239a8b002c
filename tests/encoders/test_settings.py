"""Encoder settings (``--encoder-opt key=value``, the ``settings`` of a config's encoder spec): validated before any
work, applied, part of the encoder identity (so of the store's cache key) and of the report."""
import json

import numpy as np
import pytest
import soundfile as sf

from codecprobe.cli.main import main
from codecprobe.config import ConfigError
from codecprobe.encoders import BuildOptions, build_encoder, describe_settings
from codecprobe.encoders.features import MfccConfig
from codecprobe.errors import InputError
from codecprobe.store import LatentStore


def test_settings_reach_the_encoder_and_its_identity():
    encoder = build_encoder("mfcc", BuildOptions(settings={"n_mfcc": 13, "window": "hann"}))
    assert encoder.config == MfccConfig(n_mfcc=13, window="hann")
    assert encoder.identity().settings["n_mfcc"] == 13
    audio = np.random.default_rng(0).normal(size=16000).astype(np.float32)
    assert encoder.encode(audio)["mfcc"].dim == 13
    assert build_encoder("mfcc").identity() != encoder.identity()


def test_mimi_chunk_length_is_a_setting_and_in_the_identity():
    mimi = build_encoder("mimi", BuildOptions(random_init=True, settings={"chunk_seconds": 2.5}))
    assert mimi.settings.chunk_seconds == 2.5
    assert mimi.identity().settings["chunk_seconds"] == 2.5


@pytest.mark.parametrize("settings, message", [
    ({"n_mfc": 13}, "unknown key(s) ['n_mfc']"),        # typo: the known keys are listed
    ({"n_mfcc": "many"}, "expected int"),                # wrong type
    ({"n_mfcc": 99}, "n_mfcc must be 1-n_mels"),         # refused by the config's own check
])
def test_bad_settings_are_refused_with_the_encoder_named(settings, message):
    with pytest.raises(ConfigError) as error:
        build_encoder("mfcc", BuildOptions(settings=settings))
    assert "encoder mfcc settings" in str(error.value) and message in str(error.value)


def test_an_encoder_without_settings_refuses_them():
    from codecprobe.encoders import register
    from tests.fakes import FrameStatsEncoder

    register("settings-free-fake")(lambda options: FrameStatsEncoder())
    with pytest.raises(InputError, match="has no settings"):
        build_encoder("settings-free-fake", BuildOptions(settings={"x": 1}))


def test_describe_settings_lists_defaults():
    assert "partials_rate=1.3" in describe_settings("ge2e")
    assert "chunk_seconds=5.0" in describe_settings("mimi")


def test_encoder_opt_on_the_command_line_keys_the_cache(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    for speaker in ("a", "b"):
        (corpus / speaker).mkdir(parents=True)
        sf.write(corpus / speaker / "x.wav", np.random.default_rng(1).normal(size=8000).astype(np.float32) * 0.1, 16000)
    store = tmp_path / "store"
    common = ["extract", "--corpus", str(corpus), "--encoder", "mfcc", "--store", str(store), "--quiet"]
    assert main(common + ["--encoder-opt", "n_mfcc=13", "n_mels=32"]) == 0
    assert main(common) == 0
    with LatentStore(store) as opened:
        dims = sorted({(e.dim, e.settings["n_mels"]) for e in opened.entries()})
    assert dims == [(13, 32), (20, 40)]  # both settings stored side by side, neither overwrote the other
    assert main(common + ["--encoder-opt", "n_mfcc"]) == 2
    assert "is not key=value" in capsys.readouterr().err


def test_verify_records_encoder_settings_in_its_report(tmp_path):
    corpus = tmp_path / "corpus"
    rng = np.random.default_rng(2)
    for s, speaker in enumerate("abcd"):
        (corpus / speaker).mkdir(parents=True)
        for u in range(2):
            t = np.arange(8000) / 16000
            audio = 0.3 * np.sin(2 * np.pi * (150 + 80 * s) * t) + 0.02 * rng.normal(size=t.size)
            sf.write(corpus / speaker / f"{u}.wav", audio.astype(np.float32), 16000)
    out = tmp_path / "out"
    assert main(["verify", "--no-ceilings", "--corpus", str(corpus), "--encoder", "mfcc", "--encoder-opt", "n_mfcc=12",
                 "--store", str(tmp_path / "store"), "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["encoders"][0]["encoder"]["settings"]["n_mfcc"] == 12
    assert results["config"]["encoders"][0]["settings"] == {"n_mfcc": 12}


def test_docs_and_help_list_every_encoders_settings_and_defaults(capsys):
    """Item 2: --help and docs/encoders.md show each encoder's settings with their defaults."""
    from codecprobe.encoders.registry import _BUILTIN_MODULES  # not the fakes other tests register
    from tests.conftest import REPO_ROOT

    docs = (REPO_ROOT / "docs" / "encoders.md").read_text()
    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for name in _BUILTIN_MODULES:
        assert describe_settings(name) in docs
        assert describe_settings(name) in help_text
