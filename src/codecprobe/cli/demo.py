"""``codecprobe demo``: the main job, end to end on local data."""
from __future__ import annotations

import argparse

from codecprobe.cli.common import add_out_arg, EXIT_STATUSES
from codecprobe.errors import InputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole pipeline on local data (real sets in ../shared/data, else synthetic voices)",
        description="Extract every encoder and tap over a small corpus and report. With no --corpus, uses "
                    "the real speech in ../shared/data beside the project where it exists, else synthetic voices "
                    "made offline. It states which data (the absolute path it looked at) and which weights "
                    "(trained, untrained control: random or permuted, or none) it used.",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--corpus", action="extend", nargs="+", dest="corpora", default=[], metavar="DIR",
                        help="corpus folder(s) (repeatable; default: see above)")
    parser.add_argument("--layout", metavar="LAYOUT", help="layout of --corpus (default: guessed)")
    add_out_arg(parser, "output folder (default runs/demo)", required=False)
    parser.add_argument("--encoder", action="extend", nargs="+", dest="encoders", metavar="NAME",
                        help="encoder(s) to run (repeatable; default mfcc, logmel, ge2e, mimi, lyra)")
    parser.add_argument("--mimi-weights",
                        help="'auto' (trained kyutai/mimi if loadable, else random init, reported; the default), "
                             "'random', a Hugging Face id, a transformers folder or a moshi checkpoint file")
    parser.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                        metavar="ENCODER.KEY=VALUE",
                        help="an encoder's setting, named with its encoder since the demo runs several (every other "
                             "command takes one encoder and KEY=VALUE), e.g. --encoder-opt mimi.chunk_seconds=10 "
                             "ge2e.partials_rate=2 (repeatable; default: each encoder's defaults; the settings: "
                             "codecprobe extract --help)")
    parser.add_argument("--config", help="YAML file with DemoConfig fields (options given here override it; "
                                         "default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.config import load_config, parse_assignments
    from codecprobe.demo.run import DemoConfig, run_demo

    settings = parse_assignments(args.encoder_options, what="--encoder-opt")
    for key in settings:
        if "." not in key:
            raise InputError(f"--encoder-opt {key}=...: name the encoder too, ENCODER.KEY=VALUE "
                             f"(e.g. mimi.chunk_seconds=10)")
    given = {"progress": not args.quiet, "out": args.out, "mimi_weights": args.mimi_weights,
             "corpora": args.corpora or None, "layout": args.layout, "encoders": args.encoders,
             **{f"settings.{key}": value for key, value in settings.items()}}
    run_demo(load_config(DemoConfig, args.config, given=given))
    return 0
