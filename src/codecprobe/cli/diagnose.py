"""``codecprobe diagnose``: seed 002's diagnostics of an encoder's speaker space, with controls."""
from __future__ import annotations

import argparse
import sys

from codecprobe.cli.verify import BACKENDS, add_study_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "diagnose", help="seed 002's diagnostics: acoustics score, separability, consistency, Fisher, dimensionality",
        description="Mean-pool each segment's latents and measure how the space is organised by speaker: the "
                    "acoustics score (same speaker/different text minus same text/different speaker cosine; "
                    "needs text labels, e.g. --layout fsdd), separability ratio, intra-speaker consistency, "
                    "per-channel Fisher ratio and effective dimensionality. Writes OUT/report.md, "
                    "OUT/results.json and plots. Back-ends (--backend) are fitted on speakers held out from the "
                    "measured ones, as in verify; a trained neural encoder also gets an untrained control.",
    )
    add_study_args(parser)
    parser.add_argument("--backend", action="append", dest="backends", choices=BACKENDS,
                        help="space to measure in (repeatable; default cosine = raw, and center)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.cli.verify import config_from_args
    from codecprobe.verify.report import write_diagnose_report
    from codecprobe.verify.study import run_diagnose

    results = write_diagnose_report(run_diagnose(config_from_args(args), progress=not args.quiet), args.out)
    for record in results["results"]:
        values = ", ".join(f"{k} {record[k]:.3f}" if record[k] is not None else f"{k} n/a"
                           for k in ("acoustics_score", "separability", "consistency"))
        print(f"{record['role']} {record['encoder']}:{record['tap']} {record['backend']}: {values}")
    print(f"report: {args.out / 'report.md'}", file=sys.stderr)
    return 0
