"""``codecprobe nextlatent``: seed 004's Tier 1 Exp 1 (vMF direction x LogNormal length against a Gaussian),
Exp 2 (what injecting Phase 0's key takes off the held-out NLL) and Exp 3 (several encoders on the same
utterances), trained with checkpoints and resume."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecprobe.cli.common import (add_out_arg, EXIT_STATUSES, add_also_arg, add_encoder_args, add_process_args,
                                   add_store_args, encoder_specs_from_args, process_settings_from_args, skipped_status)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "nextlatent", help="next-latent models (seed 004 Tier 1 Exp 1-3): held-out NLL per frame",
        description="Train MLPs that predict the next latent step from a context window (a Gaussian head, a vMF "
                    "direction x LogNormal length head, and the latter with Phase 0's key or a random key injected) "
                    "on the training speakers of the corpora given, and compare their NLL on held-out speakers; several "
                    "encoders (--also, or encoders: in --config) are compared on the same held-out utterances. "
                    "Resumes from OUT/runs/<encoder-tap-role>/systems/<system>/last.ckpt. See docs/nextlatent.md.",
        epilog=EXIT_STATUSES)
    parser.add_argument("--corpus", type=Path, nargs="+", action="extend", dest="corpora", metavar="DIR",
                        help="speaker-labelled corpora, pooled (speakers are split per corpus, as in structure; "
                             "default: the config's corpora)")
    parser.add_argument("--layout", metavar="LAYOUT",  # checked by load_corpus (see corpus --help)
                        help="layout of every corpus, as in corpus --layout (default: guessed per corpus)")
    add_encoder_args(parser, when_absent="the encoders of --config, else mimi")
    add_also_arg(parser)
    add_store_args(parser)
    add_process_args(parser)
    add_out_arg(parser, "study folder (checkpoints under OUT/runs/)")
    parser.add_argument("--lag", type=int, help="predict z[t+lag] - z[t] (default 1)")
    parser.add_argument("--no-control", dest="control", action="store_false", default=None,
                        help="skip the untrained (random-weights) control of a trained neural encoder")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/structure.md; default: none, the "
                                                    "built-in defaults)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. trainer.max_steps=2000 or model.hidden=1024 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace):
    from codecprobe.config import load_config
    from codecprobe.nextlatent.config import NextLatentConfig

    given = {"corpora": args.corpora, "layout": args.layout,
             "lag": args.lag, "control": args.control, "store": args.store, "device": args.device,
             "trainer.progress": False if args.quiet else None, "encoders": encoder_specs_from_args(args),
             **process_settings_from_args(args)}
    return load_config(NextLatentConfig, args.config, args.set, given)


def run(args: argparse.Namespace) -> int:
    from codecprobe.nextlatent.report import summary_line
    from codecprobe.nextlatent.study import run_nextlatent, write_nextlatent

    result = run_nextlatent(config_from_args(args), args.out, progress=not args.quiet)
    for tap_run in write_nextlatent(result, args.out).runs:
        print(summary_line(tap_run))
    print(f"report: {args.out / 'report.md'}", file=sys.stderr)
    return skipped_status(failure for corpus in result.data.corpora for failure in corpus.failures)
