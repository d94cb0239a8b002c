"""A checkpoint of ``codecprobe train`` in ``codecprobe diarize``: end to end, from the store, and refused
when it cannot serve (not a checkpoint, or an encoder that is not the one it trained on)."""
from __future__ import annotations

import json

import pytest
import torch

from codecprobe.cli.main import main
from codecprobe.config import load_config
from codecprobe.adapter.config import TrainStudyConfig
from codecprobe.adapter.study import run_study
from tests.diarize.conversations import write_conversations
from tests.diarize.test_train import TINY as TRAIN_TINY

TINY = [*TRAIN_TINY, "trainer.max_steps=8", "systems=[{name: tiny, inputs: [{encoder: mfcc}]}]"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny MFCC adapter trained for 8 steps on tone conversations, and two held-out conversations."""
    root = tmp_path_factory.mktemp("adapter")
    write_conversations(root / "train", 8, seed=1)
    write_conversations(root / "test", 2, speakers=("dan", "eve", "ann"), seed=2, prefix="test")
    config = load_config(TrainStudyConfig, None, [f"train_corpus={root / 'train'}", f"store={root / 'store'}", *TINY])
    run_study(config, root / "study", progress=False)
    return root, root / "study" / "systems" / "tiny" / "last.ckpt"


def test_a_trained_checkpoint_diarizes_and_reads_its_latents_from_the_store(trained, tmp_path, capsys):
    root, checkpoint = trained
    argv = ["diarize", str(root / "test"), "--model", str(checkpoint), "--reference", str(root / "test"), "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "encoded")]) == 0
    summary = json.loads((tmp_path / "encoded" / "summary.json").read_text())
    assert summary["pipeline"]["label"].startswith("adapter tiny [mfcc:mfcc no weights (librosa")
    assert summary["pipeline"]["model"]["checkpoint"] == str(checkpoint)
    assert summary["pipeline"]["model"]["grid"]["window_frames"] == 50  # 4 s at 12.5 Hz
    assert {r["id"] for r in summary["recordings"]} == {"test000", "test001"}
    assert set(summary["scores"]["collars"]) == {"0", "0.25"}
    assert all(r["notes"] == [] for r in summary["recordings"])

    assert main(["extract", "--corpus", str(root / "test"), "--encoder", "mfcc", "--store", str(tmp_path / "store"),
                 "--quiet"]) == 0
    assert main([*argv, "--out", str(tmp_path / "stored"), "--store", str(tmp_path / "store")]) == 0
    stored = json.loads((tmp_path / "stored" / "summary.json").read_text())
    assert all(r["notes"] == ["mfcc:mfcc read from the latent store"] for r in stored["recordings"])
    for rid in ("test000", "test001"):  # the same latents, so the same answer
        encoded = (tmp_path / "encoded" / "rttm" / f"{rid}.rttm").read_text()
        assert (tmp_path / "stored" / "rttm" / f"{rid}.rttm").read_text() == encoded and len(read_rttm_lines(encoded))
    capsys.readouterr()


def test_a_checkpoint_that_cannot_serve_is_a_one_line_error(trained, tmp_path, capsys):
    root, checkpoint = trained
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    state["hyper_parameters"]["inputs"][0]["build"]["options"] = {"n_mfcc": 13}  # not the encoder it trained on
    torch.save(state, tmp_path / "other-encoder.ckpt")
    (tmp_path / "noise.ckpt").write_bytes(b"not a checkpoint")
    for model, message in [(tmp_path / "other-encoder.ckpt", "not the same encoder"),
                           (tmp_path / "noise.ckpt", "noise.ckpt: not a checkpoint (not a PyTorch file"),
                           (tmp_path / "missing.ckpt", "no such checkpoint")]:
        assert main(["diarize", str(root / "test"), "--model", str(model), "--out", str(tmp_path / "out"),
                     "--quiet"]) == 2
        error = capsys.readouterr().err
        assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def read_rttm_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("SPEAKER")]
