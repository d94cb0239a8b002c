"""``codecprobe store show``: list what a latent store holds."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("store", help="inspect a latent store")
    commands = parser.add_subparsers(dest="store_command", required=True, metavar="STORE_COMMAND")
    show = commands.add_parser("show", help="list every stored entry",
                               description="One row per stored entry: segment, encoder, tap, weights identity, "
                                           "frames, dim, frame rate. --summary groups them per encoder/tap.")
    show.add_argument("store", type=Path, help="latent store folder")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.add_argument("--summary", action="store_true", help="one row per encoder/weights/tap")
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    from codecprobe.encoders import weights_label
    from codecprobe.errors import InputError
    from codecprobe.report import markdown_table
    from codecprobe.store import LatentStore

    if not (args.store / "index.sqlite").exists():
        raise InputError(f"{args.store}: not a latent store (no index.sqlite)")
    with LatentStore(args.store) as store:
        entries = store.entries()
    if args.summary:
        groups: dict[tuple, list] = {}
        for e in entries:
            groups.setdefault((e.encoder, e.weights_id, e.trained, e.tap, e.dim, e.frame_rate), []).append(e)
        rows = [[enc, weights_label(w, trained), tap, len(es), sum(e.frames for e in es), dim, rate]
                for (enc, w, trained, tap, dim, rate), es in groups.items()]
        headers = ["encoder", "weights", "tap", "segments", "frames", "dim", "frame rate"]
    else:
        rows = [[e.segment_id, e.encoder, e.tap, weights_label(e.weights_id, e.trained),
                 e.frames, e.dim, e.frame_rate] for e in entries]
        headers = ["segment", "encoder", "tap", "weights", "frames", "dim", "frame rate"]
    if args.json:
        print(json.dumps([dict(zip(headers, row)) for row in rows], indent=1))
    else:
        print(markdown_table(headers, rows, float_format="{:g}"))
    return 0
