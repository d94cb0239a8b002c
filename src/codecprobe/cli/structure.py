"""``codecprobe structure``: seed 004's Phase 0 gate (does a coarse context key predict the latents'
next-step dynamics across speakers?), PASS or FAIL per encoder and tap."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecprobe.cli.common import (add_out_arg, EXIT_STATUSES, add_also_arg, add_encoder_args, add_store_args,
                                   encoder_specs_from_args, skipped_status)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "structure", help="latent-structure gate (seed 004 Phase 0): PASS/FAIL per encoder and tap",
        description="Fit coarse context keys (mean-pooled k-means, PCA + k-means, PCA quartile bins) on the "
                    "training speakers of every corpus given, and measure how much of the latents' next-step "
                    "dynamics they explain on held-out speakers, with a random-key baseline, confound slices "
                    "and bootstrap intervals. Writes report.md, metrics.json, decision.json, config.yaml and plots. "
                    "See docs/structure.md.",
        epilog=EXIT_STATUSES)
    parser.add_argument("--corpus", type=Path, nargs="+", action="extend", dest="corpora", metavar="DIR",
                        help="speaker-labelled corpora, pooled (speakers are split per corpus; default: the "
                             "config's corpora)")
    parser.add_argument("--layout", metavar="LAYOUT",  # checked by load_corpus (see corpus --help)
                        help="layout of every corpus, as in corpus --layout (default: guessed per corpus)")
    add_encoder_args(parser, when_absent="the encoders of --config, else mimi")
    add_also_arg(parser)
    add_store_args(parser)
    add_out_arg(parser, "report folder")
    parser.add_argument("--train-fraction", type=float, help="share of each corpus's speakers fitted on (default 0.8)")
    parser.add_argument("--split-seed", type=int, help="seed of the speaker split (default 0)")
    parser.add_argument("--window", type=int, help="context frames (default 8)")
    parser.add_argument("--lags", type=int, nargs="+", help="lags in frames; the first decides (default 1 2 4)")
    parser.add_argument("--no-control", dest="control", action="store_false", default=None,
                        help="skip the untrained (random-weights) control of a trained neural encoder")
    parser.add_argument("--control-seed", type=int, help="seed of the control's random weights (default 0)")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/structure.md; default: none, the "
                                                    "built-in defaults)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. thresholds.variance_ratio=0.5 or fit_frames=50000 "
                             "(repeatable; applied last)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.config import load_config
    from codecprobe.structure.config import StructureConfig

    given = {
        "corpora": args.corpora, "layout": args.layout,
        "train_fraction": args.train_fraction, "split_seed": args.split_seed, "window": args.window,
        "lags": args.lags, "control": args.control, "control_seed": args.control_seed, "store": args.store,
        "device": args.device, "encoders": encoder_specs_from_args(args),
    }
    return load_config(StructureConfig, args.config, args.set, given)


def run(args: argparse.Namespace) -> int:
    from codecprobe.structure.report import summary_line
    from codecprobe.structure.study import run_structure, write_structure

    result = run_structure(config_from_args(args), progress=not args.quiet)
    for tap_run in write_structure(result, args.out).runs:
        print(summary_line(tap_run))
    print(f"report: {args.out / 'report.md'}", file=sys.stderr)
    return skipped_status(failure for corpus in result.data.corpora for failure in corpus.failures)
