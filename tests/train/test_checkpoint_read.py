"""Checkpoints are read ``weights_only`` (plain data and tensors), including those that hold
``torch.__version__``, which a random-init encoder's identity recorded."""
from __future__ import annotations

import pytest
import torch

from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.errors import InputError
from codecprobe.train import read_checkpoint


def test_a_torch_version_in_a_checkpoint_reads_back(tmp_path):
    path = tmp_path / "old.ckpt"
    torch.save({"hyper_parameters": {"settings": {"torch": torch.__version__}}}, path)
    assert read_checkpoint(path)["hyper_parameters"]["settings"]["torch"] == str(torch.__version__)


def test_anything_else_is_still_refused(tmp_path):
    path = tmp_path / "code.ckpt"
    torch.save({"callable": print}, path)
    with pytest.raises(InputError, match="not a checkpoint") as refused:
        read_checkpoint(path)
    assert "weights_only" not in str(refused.value)  # torch's page of advice stays out (issue 18 item 16)


def test_random_init_identities_record_the_torch_version_as_plain_text():
    for name in ("mimi", "ge2e"):
        settings = build_encoder(name, BuildOptions(random_init=True)).identity().settings
        assert type(settings["torch"]) is str
