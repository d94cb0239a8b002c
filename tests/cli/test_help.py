"""Item 15: every option's --help shows its default; options taking several values take them one way;
JSON keys are snake_case."""
import argparse
import json
import re

import pytest

from codecprobe.cli.common import HelpFormatter
from codecprobe.cli.main import build_parser, main


def commands(parser, path=()):
    """(command path, parser) of every command and subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands(sub, (*path, name))


def test_every_option_shows_its_default():
    formatter = HelpFormatter("codecprobe")
    missing = []
    for path, parser in commands(build_parser()):
        for action in parser._actions:
            if not action.option_strings or action.nargs == 0 or action.required or action.help == argparse.SUPPRESS:
                continue  # positionals, flags, required options
            text = formatter._get_help_string(action) % {**vars(action), "prog": "codecprobe"}
            if "default" not in text:
                missing.append(f"{' '.join(path)} {action.option_strings[0]}")
    assert missing == []


@pytest.mark.parametrize("command", ["verify", "diagnose"])
def test_backends_are_given_like_taps(command):
    args = build_parser().parse_args([command, "--corpus", "c", "--encoder", "mfcc", "--out", "o",
                                      "--tap", "a", "b", "--backend", "cosine", "center", "--backend", "lda"])
    assert args.taps == ["a", "b"] and args.backends == ["cosine", "center", "lda"]


@pytest.mark.parametrize("argv, dest, expected", [
    (["simulate", "--out", "o", "--corpus", "a", "b", "--corpus", "c"], "corpora", ["a", "b", "c"]),
    (["simulate", "--out", "o", "--corpus", "a", "--num-speakers", "1", "2", "--num-speakers", "4"],
     "num_speakers", [1, 2, 4]),
    (["train", "--out", "o", "--eval-corpus", "a", "b", "--eval-corpus", "c"], "eval_corpora", ["a", "b", "c"]),
])
def test_simulate_and_train_take_several_values_like_tap(argv, dest, expected):
    got = getattr(build_parser().parse_args(argv), dest)
    assert [value if isinstance(value, int) else str(value) for value in got] == expected


def test_score_takes_repeated_reference_options(tmp_path):
    args = build_parser().parse_args(["score", "-r", "a.rttm", "b.rttm", "-r", "c.rttm", "-s", "s.rttm"])
    assert args.reference == ["a.rttm", "b.rttm", "c.rttm"]


def snake_case_keys(obj, data_maps=("min_dcf", "act_dcf", "versions", "files", "collar_curve", "error_share_near_boundary")):
    """Keys that are not snake_case, except inside maps whose keys are data (p-targets, file ids, packages)."""
    bad = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not re.fullmatch(r"[a-z0-9_]+", key):
                bad.append(key)
            if key not in data_maps:
                bad += snake_case_keys(value, data_maps)
    elif isinstance(obj, list):
        for value in obj:
            bad += snake_case_keys(value, data_maps)
    return bad


def test_json_outputs_have_snake_case_keys(tmp_path, capsys):
    rttm = tmp_path / "a.rttm"
    rttm.write_text("SPEAKER a 1 0.0 2.0 <NA> <NA> x <NA> <NA>\nSPEAKER a 1 2.5 1.0 <NA> <NA> y <NA> <NA>\n")
    assert main(["score", "-r", str(rttm), "-s", str(rttm), "--json", str(tmp_path / "score.json")]) == 0
    assert main(["boundaries", "-r", str(rttm), "-s", str(rttm), "-o", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    for path in (tmp_path / "score.json", tmp_path / "b" / "boundaries.json"):
        assert snake_case_keys(json.loads(path.read_text())) == [], path.name
