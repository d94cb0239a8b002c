"""``codecprobe report``: write a study's report again from its saved results, computing nothing."""
from __future__ import annotations

import argparse
from pathlib import Path

from codecprobe.cli.common import EXIT_STATUSES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="re-render a study's report.md from its results.json (no computation)",
        description="Read OUT_DIR/results.json as written by any study (verify, diagnose, ...; its 'study' field "
                    "says which) and write OUT_DIR/report.md again from it: after a change to how reports look, "
                    "or to restore a deleted report. Nothing is recomputed; the figures already in OUT_DIR are "
                    "embedded as they are.",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("out", type=Path, metavar="OUT_DIR", help="a study's output folder (holds results.json)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from codecprobe.report.results import rerender

    print(f"report: {rerender(args.out)}", file=sys.stderr)
    return 0
