"""The executor setting: checked before any work, the same on every command that extracts."""
import sys

import pytest

from codecprobe.cli.main import build_parser, main
from codecprobe.errors import InputError
from codecprobe.extract import ExecutorConfig
from tests.fakes import write_tone_corpus


def test_ray_settings_without_the_ray_executor_are_refused():
    with pytest.raises(InputError, match="workers, cpus_per_worker apply to the ray executor only"):
        ExecutorConfig(workers=2, cpus_per_worker=2)
    with pytest.raises(InputError, match="cpus_per_worker must be positive"):
        ExecutorConfig(kind="ray", cpus_per_worker=0)


def test_without_ray_the_option_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    write_tone_corpus(tmp_path / "corpus", per_speaker=1)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if it were not installed
    code = main(["extract", "--corpus", str(tmp_path / "corpus"), "--encoder", "mfcc", "--store", str(tmp_path / "s"),
                 "--executor", "ray", "--workers", "2"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["codecprobe extract: error: --executor ray needs Ray, an optional extra: "
                   "pip install 'codecprobe[ray]'"]
    assert not (tmp_path / "s").exists()  # refused before any work


def test_studies_take_the_same_executor_options(tmp_path):
    from codecprobe.cli.verify import config_from_args

    from codecprobe.cli.train import config_from_args as train_config

    options = ["--executor", "ray", "--workers", "2", "--cpus-per-worker", "0.5"]
    for command in ("verify", "diagnose"):
        args = build_parser().parse_args([command, "--corpus", "c", "--encoder", "mfcc", "--out", str(tmp_path), *options])
        assert config_from_args(args).executor == ExecutorConfig("ray", workers=2, cpus_per_worker=0.5)
    args = build_parser().parse_args(["train", "--train-corpus", "c", "--out", str(tmp_path), *options])
    assert train_config(args).executor == ExecutorConfig("ray", workers=2, cpus_per_worker=0.5)
    args = build_parser().parse_args(["verify", "--corpus", "c", "--encoder", "mfcc", "--out", str(tmp_path),
                                      "--set", "executor.kind=ray", "--set", "executor.address=auto"])
    assert config_from_args(args).executor == ExecutorConfig("ray", address="auto")
