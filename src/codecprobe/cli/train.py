"""``codecprobe train``: train and evaluate diarization adapters on cached encoder latents."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecprobe.cli.common import add_out_arg, EXIT_STATUSES, add_encoder_args, add_executor_args, add_process_args, add_store_args

HELP = """\
data: conversations with reference turns, e.g. simulated by `codecprobe simulate` (layout rttm:
audio files and RTTM lines `SPEAKER <file> 1 <onset> <dur> <NA> <NA> <speaker> <NA> <NA>`).
--eval-corpus (repeatable) names held-out recordings; scoring is md-eval's DER per window of the
adapter (the window is the UEM), pooled over windows, at collars 0 and 0.25 s.

systems: --encoder/--tap give one system (several --tap values are fused by concatenation);
a config file can list several, e.g. Mimi + GE2E partials (the seed's hybrid) and Mimi's top
3 layers unfrozen (Step 1.5):
  systems:
    - {name: hybrid, inputs: [{encoder: mimi, random_init: true},
                              {encoder: ge2e, taps: [partials], settings: {partials_rate: 12.5}}]}
    - {name: unfreeze3, unfreeze_layers: 3, inputs: [{encoder: mimi, taps: [layer5], random_init: true}]}
    - {name: segmentation-3.0, pretrained: segmentation}   # pyannote's model as it is: no adapter, no training
Every knob is in the config (--config FILE.yaml, --set key=value, e.g. --set trainer.max_steps=500
--set adapter.loss=pit); see docs/diarize.md. The merged config is saved beside the checkpoints
(OUT/systems/<name>/) and in the report (OUT/report.md, OUT/results.json).

training size: the defaults are the seed's (a 4-layer 384-wide adapter, 2000 steps of 32 windows
of 10 s), sized for a GPU. Settings that train in a few minutes on a laptop CPU (the demo's adapter,
src/codecprobe/demo/showcase.py): --max-steps 150 --width 64 --layers 2 --window 8
--set adapter.heads=4 adapter.feedforward=128 trainer.batch_size=16 window_step_s=2

several processes: --devices 2 --strategy ddp (one system per command; the global batch
trainer.batch_size is split evenly over the processes). An interrupted run resumes from
OUT/systems/<name>/last.ckpt when rerun.
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train and evaluate diarization adapters on encoder latents (seed 001 Steps 1, 1.5, hybrid)",
        description="Extract what the store lacks, train each system's adapter on windows of cached latents "
                    "(resumable), evaluate it on held-out recordings (DER, VAD error, confusion, the seed's "
                    "verdict) and write OUT/report.md and OUT/results.json.",
        epilog=HELP + "\n" + EXIT_STATUSES,
    )
    data = parser.add_argument_group("data")
    data.add_argument("--train-corpus", type=Path, help="training conversations (folder or manifest; default: the "
                                                        "config's)")
    data.add_argument("--train-layout", help="layout of --train-corpus (default: guessed)")
    data.add_argument("--eval-corpus", type=Path, action="extend", nargs="+", dest="eval_corpora",
                      help="held-out conversations to evaluate on (repeatable; default: the config's)")
    data.add_argument("--eval-layout", action="extend", nargs="+", dest="eval_layouts", metavar="LAYOUT",
                      help="layout of the --eval-corpus folders: once for all, or once per --eval-corpus in the "
                           "same order (default: guessed)")
    add_encoder_args(parser, when_absent="the systems of --config, else one system reading mimi prequant")
    parser.add_argument("--unfreeze", type=int, dest="unfreeze_layers",
                        help="with --encoder mimi --tap layer{8-k}: train Mimi's top k layers too (Step 1.5; "
                             "default 0: Mimi frozen)")
    size = parser.add_argument_group("training size (see below for settings that train in minutes)")
    for option, key, what in SIZE_OPTIONS:
        size.add_argument(option, type=float if key == "window_s" else int, dest=key.replace(".", "_"),
                          metavar="SECONDS" if key == "window_s" else "N", help=what).more_help = _config_default(key)
    add_store_args(parser)
    add_executor_args(parser)
    add_out_arg(parser, "study folder (checkpoints under OUT/systems/)")
    add_process_args(parser)
    run = parser.add_argument_group("running")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--prepare-only", action="store_true", help="extract and build frame banks, then stop")
    mode.add_argument("--evaluate-only", action="store_true", help="evaluate the checkpoints already in OUT")
    mode.add_argument("--checkpoint", type=Path, help="evaluate this checkpoint on --eval-corpus (no training; "
                                                      "default: train)")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/diarize.md; default: none)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override(s), e.g. --set trainer.max_steps=500 (repeatable; applied last; "
                             "default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run_command)


# option, config key, what it sets: the knobs that decide how long training takes
SIZE_OPTIONS = (("--max-steps", "trainer.max_steps", "optimiser steps"),
                ("--width", "adapter.d_model", "the adapter's width (model dimension; a multiple of adapter.heads)"),
                ("--layers", "adapter.layers", "the adapter's Transformer layers"),
                ("--window", "window_s", "training and evaluation window, in seconds"))


def _config_default(key: str):
    """The default of config ``key`` in words, read from the config when --help is shown."""
    def text() -> str:
        from codecprobe.adapter.config import TrainStudyConfig

        value = TrainStudyConfig()
        for part in key.split("."):
            value = getattr(value, part)
        return f"({key}; default {value:g})"
    return text


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.cli.common import encoder_spec_from_args, executor_settings_from_args, process_settings_from_args
    from codecprobe.config import load_config
    from codecprobe.adapter.config import TrainStudyConfig

    given = {
        "train_corpus": args.train_corpus, "train_layout": args.train_layout, "eval_layouts": args.eval_layouts,
        "eval_corpora": args.eval_corpora,
        "store": args.store, "device": args.device if args.device != "cpu" else None,
        "trainer.progress": False if args.quiet else None,
        **{key: getattr(args, key.replace(".", "_")) for _, key, _ in SIZE_OPTIONS},
        **executor_settings_from_args(args, prefix="executor."), **process_settings_from_args(args),
    }
    if args.encoder:
        spec = encoder_spec_from_args(args)
        inputs = [spec | {"taps": [tap]} for tap in args.taps] if args.taps else [spec]
        given["systems"] = [{"inputs": inputs, "unfreeze_layers": args.unfreeze_layers or 0}]
    elif args.taps or args.unfreeze_layers:
        from codecprobe.errors import InputError

        raise InputError("--tap and --unfreeze describe a system: give --encoder too")
    return load_config(TrainStudyConfig, args.config, args.set, given)


def run_command(args: argparse.Namespace) -> int:
    from codecprobe.adapter.study import run_checkpoint, run_study, write_train

    config = config_from_args(args)
    progress = not args.quiet
    if args.checkpoint:
        result = run_checkpoint(config, args.checkpoint, progress)
    else:
        result = run_study(config, args.out, progress, evaluate_only=args.evaluate_only,
                           prepare_only=args.prepare_only)
    if result is None:  # --prepare-only, or an extra process of a DDP run
        return 0
    for line in summary_lines(write_train(result, args.out)):
        print(line)
    print(f"report: {args.out / 'report.md'}", file=sys.stderr)
    return 0


def summary_lines(result) -> list[str]:
    """One line per evaluation of a :class:`~codecprobe.adapter.results.TrainResult`."""
    collar = f"{result.verdict_collar:g}"
    lines = []
    for record in result.evaluations + result.baselines:
        main = record["collars"][collar]
        der = ", ".join(f"DER c={c} {v['der']:.2f}%" for c, v in record["collars"].items())
        lines.append(f"{record['system']} [{record['weights']}] on {record['corpus']}: {der}; VAD error "
                     f"{main['vad_error']:.2f}%, confusion {main['confusion']:.2f}% (c={collar}): {record['verdict']}")
    return lines
