"""Issue 17 item 5 (one encoder spec; command-line options reach the typed config as data, not YAML text)
and issue 18 item 10 (one option convention for every command), checked over every command at once."""
import argparse
import dataclasses
import inspect
import re
import typing

import pytest

from codecprobe.cli.main import build_parser, command_modules, main
from codecprobe.config import ConfigError, build_dataclass, load_config
from codecprobe.encoders import BuildOptions, build_encoder
from codecprobe.encoders.spec import EncoderSpec, InputTap
from codecprobe.errors import InputError
from codecprobe.store import encoder_key

# commands that write no folder of their own: extract writes into --store (and --json FILE), score a
# --json FILE, store inspects or deletes a store, report re-renders the study folder it is given
NO_OUTPUT_FOLDER = {("extract",), ("score",), ("store", "show"), ("store", "vacuum"),
                    ("report",)}


def commands(parser, path=()):
    """(command path, parser) of every runnable command and subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.get_default("run") is not None:
                    yield (*path, name), sub
                yield from commands(sub, (*path, name))


def options(parser):
    return [action for action in parser._actions if action.option_strings]


def test_item10_every_folder_writing_command_takes_out():
    found = dict(commands(build_parser()))
    assert {path[0] for path in found} == set(command_modules())  # every command module is looked at
    takes_out = set()
    for path, parser in found.items():
        for action in options(parser):
            if action.dest == "out":
                assert action.option_strings == ["-o", "--out"] and action.metavar == "DIR", path
                takes_out.add(path)
            else:
                assert "-o" not in action.option_strings, (path, action.option_strings)
    assert takes_out == set(found) - NO_OUTPUT_FOLDER
    assert NO_OUTPUT_FOLDER <= set(found)  # the exceptions are real commands


def test_item10_json_output_files_take_one_metavar():
    files = [(path, action) for path, parser in commands(build_parser()) for action in options(parser)
             if "--json" in action.option_strings and action.nargs != 0]
    assert {path for path, _ in files} == {("extract",), ("score",)}
    assert {action.metavar for _, action in files} == {"FILE"}


def test_item10_encoder_settings_are_encoder_opt_everywhere():
    spellings = {tuple(action.option_strings) for _, parser in commands(build_parser()) for action in options(parser)
                 if action.dest == "encoder_options" or "opt" in action.dest}
    assert spellings == {("--encoder-opt",)}


def test_item10_no_empty_default_in_any_help():
    for path, parser in commands(build_parser()):
        text = parser.format_help()
        assert "(default: )" not in text and "(default: None)" not in text, path


def test_item10_diarize_takes_corpus_and_still_positional_inputs(tmp_path, capsys):
    parser = build_parser()
    args = parser.parse_args(["diarize", "--corpus", "a.wav", "b", "--corpus", "c", "-o", "out"])
    assert [str(p) for p in args.corpora] == ["a.wav", "b", "c"] and args.inputs == []
    args = parser.parse_args(["diarize", "a.wav", "b", "-o", "out"])
    assert [str(p) for p in args.inputs] == ["a.wav", "b"] and args.corpora == []
    assert main(["diarize", "-o", str(tmp_path / "out"), "--pipeline", "classic"]) == 2
    assert "nothing to diarize: give --corpus" in capsys.readouterr().err


def test_item10_diarize_speaker_encoder_options_fill_the_embedding_spec():
    from codecprobe.cli.diarize import config_from_args

    args = build_parser().parse_args(["diarize", "x.wav", "-o", "o", "--encoder", "mfcc", "--tap", "mfcc",
                                      "--encoder-opt", "n_mfcc=13"])
    embedding = config_from_args(args).embedding
    assert (embedding.encoder, embedding.taps, embedding.settings) == ("mfcc", ["mfcc"], {"n_mfcc": 13})
    default = config_from_args(build_parser().parse_args(["diarize", "x.wav", "-o", "o"])).embedding
    assert default.resolved() == EncoderSpec("ge2e", ["partials"], settings={"partials_rate": 2.5})


@pytest.mark.parametrize("command", ["train", "refine"])
def test_item10_eval_layout_is_one_per_eval_corpus(command):
    module = __import__(f"codecprobe.cli.{command}", fromlist=["config_from_args"])
    argv = [command, "-o", "o", "--eval-corpus", "a", "b", "--eval-layout", "rttm", "manifest"]
    config = module.config_from_args(build_parser().parse_args(argv))
    if command == "train":
        assert (config.eval_corpora, config.eval_layouts) == (["a", "b"], ["rttm", "manifest"])
    else:
        assert [(e.corpora, e.layout) for e in config.evals] == [(["a"], "rttm"), (["b"], "manifest")]
    once = module.config_from_args(build_parser().parse_args(argv[:-1]))  # one layout: for every corpus
    layouts = once.eval_layouts if command == "train" else [e.layout for e in once.evals]
    assert layouts in (["rttm"], ["rttm", "rttm"])
    with pytest.raises(InputError, match="eval"):
        module.config_from_args(build_parser().parse_args([*argv, "rttm"]))  # three layouts, two corpora


def test_item10_train_help_shows_the_training_size():
    from codecprobe.adapter.config import TrainStudyConfig

    defaults = TrainStudyConfig()
    (train,) = [parser for path, parser in commands(build_parser()) if path == ("train",)]
    text = " ".join(train.format_help().split())
    for option, value in [("--max-steps", defaults.trainer.max_steps), ("--width", defaults.adapter.d_model),
                          ("--layers", defaults.adapter.layers), ("--window", defaults.window_s)]:
        assert re.search(rf"{option} \S+ .*?default {value:g}\)", text), option
    assert "train in a few minutes on a laptop CPU" in text
    args = train.parse_args(["-o", "o", "--max-steps", "7", "--width", "32", "--layers", "1", "--window", "4"])
    from codecprobe.cli.train import config_from_args

    config = config_from_args(args)
    assert (config.trainer.max_steps, config.adapter.d_model, config.adapter.layers, config.window_s) == (7, 32, 1, 4)


# -- issue 17 item 5 ----------------------------------------------------------------------
def spec_fields():
    """(config class, field, hint) of every config field that names an encoder."""
    from codecprobe.adapter.config import SystemConfig
    from codecprobe.diarize.config import DiarizeConfig
    from codecprobe.nextlatent.config import NextLatentConfig
    from codecprobe.refine.config import RefineStudyConfig, SpeakersConfig
    from codecprobe.structure.config import StructureConfig
    from codecprobe.verify.config import StudyConfig

    places = [(StudyConfig, "encoders"), (StudyConfig, "ceilings"), (StructureConfig, "encoders"),
              (NextLatentConfig, "encoders"),
              (SystemConfig, "inputs"), (SpeakersConfig, "embedding"), (DiarizeConfig, "embedding"),
              (RefineStudyConfig, "systems")]
    return [(cls, name, typing.get_type_hints(cls)[name]) for cls, name in places]


def test_item5_every_config_names_its_encoder_with_the_one_spec():
    for cls, name, hint in spec_fields():
        inner = typing.get_args(hint)[0] if typing.get_args(hint) else hint
        if dataclasses.is_dataclass(inner) and not issubclass(inner, EncoderSpec):  # refine's systems
            inner = typing.get_args(typing.get_type_hints(inner)["inputs"])[0]
        assert issubclass(inner, EncoderSpec), (cls.__name__, name)
        fields = {f.name for f in dataclasses.fields(inner)}
        assert {"encoder", "taps", "weights", "random_init", "seed", "settings"} <= fields
        assert not fields & {"tap", "options", "encoder_options"}


def test_item5_one_mapping_gives_the_same_encoder_and_store_key_in_every_config():
    """The same spec written into each study's config builds the encoder that build_encoder builds, so the
    latent store finds the same entries whichever study wrote them."""
    from codecprobe.adapter.config import TrainStudyConfig
    from codecprobe.diarize.config import DiarizeConfig
    from codecprobe.nextlatent.config import NextLatentConfig
    from codecprobe.structure.config import StructureConfig
    from codecprobe.verify.config import StudyConfig

    spec = {"encoder": "mfcc", "taps": ["mfcc"], "settings": {"n_mfcc": 13}}
    specs = [load_config(StudyConfig, given={"encoders": [spec]}).encoders[0],
             load_config(StructureConfig, given={"encoders": [spec]}).encoders[0],
             load_config(NextLatentConfig, given={"encoders": [spec]}).encoders[0],
             load_config(TrainStudyConfig, given={"systems": [{"inputs": [spec]}]}).systems[0].inputs[0],
             load_config(DiarizeConfig, given={"embedding": spec}).embedding.resolved()]
    expected = encoder_key(build_encoder("mfcc", BuildOptions(settings={"n_mfcc": 13})).identity())
    assert {encoder_key(s.build().identity()) for s in specs} == {expected}
    assert encoder_key(build_dataclass(EncoderSpec, {"encoder": "mfcc"}, "x").build().identity()) != expected


def test_item5_an_input_reads_one_tap_and_old_checkpoint_records_still_rebuild():
    assert build_dataclass(InputTap, {"encoder": "mfcc", "taps": "mfcc"}, "input").tap == "mfcc"  # one tap, unlisted
    with pytest.raises(ConfigError, match="one input per tap"):
        build_dataclass(InputTap, {"encoder": "mimi", "taps": ["seanet", "prequant"]}, "input")
    old = {"encoder": "mfcc", "tap": None, "weights": None, "random_init": False, "seed": 0,
           "options": {"n_mfcc": 13}, "offset_s": None}
    assert InputTap.from_record(old) == InputTap("mfcc", settings={"n_mfcc": 13})
    assert InputTap.from_record(dataclasses.asdict(InputTap("mfcc", ["mfcc"]))) == InputTap("mfcc", ["mfcc"])


def test_item5_options_reach_the_config_as_data_validated_in_one_place(tmp_path):
    from codecprobe.cli.verify import config_from_args

    path = tmp_path / "study.yaml"
    path.write_text("encoders: [{encoder: mfcc, seed: 3, settings: {n_mfcc: 13}}]\n")
    args = build_parser().parse_args(["verify", "--corpus", "c", "--encoder", "mfcc", "-o", "o",
                                      "--config", str(path), "--weights", "dir: with # a hash"])
    config = config_from_args(args)  # options not given keep the file's values
    assert config.encoders == [EncoderSpec("mfcc", weights="dir: with # a hash", seed=3, settings={"n_mfcc": 13})]
    with pytest.raises(ConfigError, match=r"config.encoders\[0\].seed: expected int"):
        load_config(type(config), given={"encoders": [{"encoder": "mfcc", "seed": "three"}]})
    for name in command_modules():  # no command writes its options out as key=value text for load_config
        source = inspect.getsource(__import__(f"codecprobe.cli.{name}", fromlist=["_"]))
        assert not re.search(r'f"\{key\}=', source), name
