"""``codecprobe corpus``: load a corpus folder once, check it, and write its lhotse manifests."""
from __future__ import annotations

import argparse
from pathlib import Path

from codecprobe.cli.common import add_corpus_args, exit_statuses


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("corpus", help="inspect a corpus and write its lhotse manifests")
    commands = parser.add_subparsers(dest="corpus_command", required=True, metavar="CORPUS_COMMAND")
    prepare = commands.add_parser(
        "prepare", help="load a corpus folder and write recordings/supervisions manifests",
        description="Read every file header of a corpus (see --layout), list unreadable files, print a "
                    "summary and write OUT/recordings.jsonl.gz, OUT/supervisions.jsonl.gz and "
                    "OUT/corpus.json. Every command accepts OUT as --corpus (layout 'manifest').",
        epilog=exit_statuses("some audio files could not be read; each is named in the output and in the manifests"))
    add_corpus_args(prepare)
    prepare.add_argument("--out", type=Path, required=True, help="folder for the manifests")
    prepare.set_defaults(run=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    from codecprobe.cli.common import corpus_from_args

    corpus = corpus_from_args(args)
    corpus.save(args.out)
    segments = corpus.segments()
    print(f"{corpus.name} ({corpus.layout}): {len(corpus.recordings)} recordings, {len(segments)} "
          f"{'whole recordings' if corpus.whole_recordings else 'segments'}, {len(corpus.speakers())} speakers, "
          f"{corpus.hours:.3f} h; {len(corpus.failures)} unreadable file(s)")
    for path, reason in corpus.failures:
        print(f"  {path}: {reason}")
    print(f"manifests written to {args.out}")
    return 1 if corpus.failures else 0
