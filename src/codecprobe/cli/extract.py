"""``codecprobe extract``: encode a corpus into the latent store."""
from __future__ import annotations

import argparse
import sys

from codecprobe.cli.common import EXIT_STATUSES, add_corpus_args, add_encoder_args, add_executor_args, add_store_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract", help="extract encoder taps over a corpus into the latent store (resumable)",
        description="Encode every segment of a corpus at the chosen tap points and cache the frame "
                    "sequences in the store. Work already stored is skipped, so rerunning after an "
                    "interruption resumes. Prints a summary (segments, audio hours, real-time factor, failures).",
        epilog=EXIT_STATUSES,
    )
    add_corpus_args(parser)
    add_encoder_args(parser)
    add_store_args(parser)
    add_executor_args(parser)
    parser.add_argument("--batch-seconds", type=float, default=120.0, help="padded audio per batch, in seconds")
    parser.add_argument("--max-batch-size", type=int, default=32, help="segments per batch at most")
    parser.add_argument("--json", dest="json_out", metavar="FILE", help="also write the summary as JSON to this file (default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.cli.common import corpus_from_args, encoder_from_args, executor_settings_from_args
    from codecprobe.extract import ExecutorConfig, extract
    from codecprobe.report import write_json
    from codecprobe.store import open_store

    executor = ExecutorConfig(**executor_settings_from_args(args))  # checked before any work
    encoder = encoder_from_args(args)  # settings and taps are checked before the corpus is read
    taps = encoder.check_taps(args.taps or encoder.default_taps)
    corpus = corpus_from_args(args)
    print(encoder.identity().describe(), file=sys.stderr)
    with open_store(args.store) as store:
        summary = extract(corpus, encoder, taps, store, batch_seconds=args.batch_seconds,
                          max_batch_size=args.max_batch_size, progress=not args.quiet, executor=executor)
    print(format_summary(summary, corpus.name))
    if args.json_out:
        write_json(args.json_out, summary.to_dict())
    return 1 if summary.failures else 0


def format_summary(summary, corpus_name: str) -> str:
    from codecprobe.encoders import weights_label

    lines = [
        f"corpus {corpus_name}: {summary.n_segments} segments, {summary.n_cached} already stored, "
        f"{summary.n_extracted} extracted ({summary.audio_seconds / 3600:.3f} h of audio in "
        f"{summary.wall_seconds:.1f} s, {summary.real_time_factor:.1f}x real time after a "
        f"{summary.warmup_seconds:.1f} s warm-up call)",
        f"encoder {summary.encoder} taps {', '.join(summary.taps)}; "
        f"weights {weights_label(summary.weights_id, summary.trained)}",
        f"failures: {len(summary.failures)}",
    ]
    lines += [f"  {where}: {reason}" for where, reason in summary.failures[:20]]
    if len(summary.failures) > 20:
        lines.append(f"  ... and {len(summary.failures) - 20} more")
    return "\n".join(lines)
