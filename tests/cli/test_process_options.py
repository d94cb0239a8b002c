"""Every command that trains takes the Lightning process options the same way (issue 13)."""
import importlib

import pytest

from codecprobe.cli.main import build_parser
from codecprobe.errors import InputError


@pytest.mark.parametrize("command", ["train", "refine", "nextlatent"])
def test_training_commands_take_devices_nodes_and_strategy(command, tmp_path):
    args = build_parser().parse_args([command, "--devices", "2", "--num-nodes", "2", "--strategy", "ddp",
                                      "--out", str(tmp_path)])
    trainer = importlib.import_module(f"codecprobe.cli.{command}").config_from_args(args).trainer
    assert (trainer.devices, trainer.num_nodes, trainer.strategy) == (2, 2, "ddp")


def test_devices_is_a_number_or_auto(tmp_path):
    from codecprobe.cli.refine import config_from_args

    args = build_parser().parse_args(["refine", "--devices", "two", "--out", str(tmp_path)])
    with pytest.raises(InputError, match="--devices takes a number of devices or 'auto'"):
        config_from_args(args)
