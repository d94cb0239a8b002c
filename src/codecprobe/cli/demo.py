"""``codecprobe demo``: the main job, end to end on local data."""
from __future__ import annotations

import argparse

from codecprobe.cli.common import EXIT_STATUSES


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
    parser.add_argument("--out", help="output folder (default runs/demo)")
    parser.add_argument("--encoder", action="extend", nargs="+", dest="encoders", metavar="NAME",
                        help="encoder(s) to run (repeatable; default mfcc, logmel, ge2e, mimi, lyra)")
    parser.add_argument("--mimi-weights",
                        help="'auto' (trained kyutai/mimi if loadable, else random init, reported; the default), "
                             "'random', a Hugging Face id, a transformers folder or a moshi checkpoint file")
    parser.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                        metavar="ENCODER.KEY=VALUE",
                        help="an encoder's setting, e.g. --encoder-opt mimi.chunk_seconds=10 ge2e.partials_rate=2 "
                             "(repeatable; default: each encoder's defaults; see codecprobe extract --help)")
    parser.add_argument("--config", help="YAML file with DemoConfig fields (options given here override it; "
                                         "default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.config import load_config
    from codecprobe.demo.run import DemoConfig, run_demo

    overrides = [f"progress={not args.quiet}"]
    if args.out:
        overrides.append(f"out={args.out}")
    if args.mimi_weights:
        overrides.append(f"mimi_weights={args.mimi_weights}")
    if args.corpora:
        overrides.append(f"corpora={args.corpora}")
    if args.layout:
        overrides.append(f"layout={args.layout}")
    if args.encoders:
        overrides.append(f"encoders={args.encoders}")
    overrides += [f"encoder_options.{item}" for item in args.encoder_options]
    run_demo(load_config(DemoConfig, args.config, overrides))
    return 0
