"""``codecprobe diagnose``: how an encoder's latent space is organised by speaker (the diagnostics of the
original Mimi analysis, seed 002), with controls."""
from __future__ import annotations

import argparse

from codecprobe.cli.common import EXIT_STATUSES
from codecprobe.cli.verify import add_backend_args, add_study_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "diagnose", help="speaker-space diagnostics: acoustics score, separability, consistency, Fisher, dimensionality",
        description="Mean-pool each segment's latents and measure how the space is organised by speaker: the "
                    "acoustics score (same speaker/different text minus same text/different speaker cosine; "
                    "needs text labels, e.g. --layout fsdd), separability ratio, intra-speaker consistency, "
                    "per-channel Fisher ratio and effective dimensionality. Writes OUT/report.md, "
                    "OUT/results.json and plots. Back-ends (--backend) are fitted on speakers held out from the "
                    "measured ones, as in verify; a trained neural encoder also gets an untrained control.",
        epilog=EXIT_STATUSES,
    )
    add_study_args(parser)
    add_backend_args(parser, "space(s) to measure in (cosine: the raw space)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.cli.verify import config_from_args, report_written
    from codecprobe.verify.study import diagnose

    result = diagnose(config_from_args(args), args.out, progress=not args.quiet)
    for record in result.results:
        values = ", ".join(f"{k} {getattr(record, k):.3f}" if getattr(record, k) is not None else f"{k} n/a"
                           for k in ("acoustics_score", "separability", "consistency"))
        print(f"{record.role} {record.encoder}:{record.tap} {record.backend}: {values}")
    return report_written(result, args.out)
