"""``codecprobe train``: train and evaluate diarization adapters on cached encoder latents."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codecprobe.cli.common import EXIT_STATUSES, add_encoder_args, add_executor_args, add_process_args, add_store_args

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
                              {encoder: ge2e, tap: partials, options: {partials_rate: 12.5}}]}
    - {name: unfreeze3, unfreeze_layers: 3, inputs: [{encoder: mimi, tap: layer5, random_init: true}]}
    - {name: segmentation-3.0, pretrained: segmentation}   # pyannote's model as it is: no adapter, no training
Every knob is in the config (--config FILE.yaml, --set key=value, e.g. --set trainer.max_steps=500
--set adapter.loss=pit); see docs/diarize.md. The merged config is saved beside the checkpoints
(OUT/systems/<name>/) and in the report (OUT/report.md, OUT/results.json).

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
    data.add_argument("--eval-layout", help="layout of every --eval-corpus (default: guessed)")
    add_encoder_args(parser, default_encoder="")
    parser.add_argument("--unfreeze", type=int, dest="unfreeze_layers",
                        help="with --encoder mimi --tap layer{8-k}: train Mimi's top k layers too (Step 1.5; "
                             "default 0: Mimi frozen)")
    add_store_args(parser)
    add_executor_args(parser)
    parser.add_argument("--out", type=Path, required=True, help="study folder (checkpoints under OUT/systems/)")
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


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.cli.common import (encoder_settings_from_args, executor_settings_from_args,
                                       process_settings_from_args)
    from codecprobe.config import load_config
    from codecprobe.adapter.config import TrainStudyConfig

    given = {
        "train_corpus": args.train_corpus, "train_layout": args.train_layout, "eval_layout": args.eval_layout,
        "eval_corpora": [str(p) for p in args.eval_corpora] if args.eval_corpora else None,
        "store": args.store, "device": args.device if args.device != "cpu" else None,
        "trainer.progress": False if args.quiet else None,
        **executor_settings_from_args(args, prefix="executor."), **process_settings_from_args(args),
    }
    if args.encoder:
        inputs = [{"encoder": args.encoder, "tap": tap, "weights": args.weights, "random_init": args.random_init,
                   "seed": args.seed, "options": encoder_settings_from_args(args)} for tap in (args.taps or [None])]
        given["systems"] = [{"inputs": inputs, "unfreeze_layers": args.unfreeze_layers or 0}]
    elif args.taps or args.unfreeze_layers:
        from codecprobe.errors import InputError

        raise InputError("--tap and --unfreeze describe a system: give --encoder too")
    overrides = [f"{key}={json.dumps(str(value) if isinstance(value, Path) else value)}"
                 for key, value in given.items() if value is not None]
    return load_config(TrainStudyConfig, args.config, overrides + list(args.set))


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
