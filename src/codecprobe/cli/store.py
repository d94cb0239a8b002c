"""``codecprobe store show``: list what a latent store holds; ``store vacuum``: delete unused shards."""
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
    vacuum = commands.add_parser("vacuum", help="delete shards no entry points to (left by killed or redone extractions)",
                                 description="Delete the shard files no index row points to: batches of a killed "
                                             "extraction that were written but never committed (Ray workers write "
                                             "shards before the driver indexes them), and arrays replaced by a "
                                             "re-extraction. Not while an extraction is writing to the store: its "
                                             "newest shards are not indexed yet.")
    vacuum.add_argument("store", type=Path, help="latent store folder")
    vacuum.set_defaults(run=run_vacuum)


def run_show(args: argparse.Namespace) -> int:
    from codecprobe.encoders import weights_label
    from codecprobe.report import markdown_table
    from codecprobe.store import LatentStore

    with LatentStore(existing_store(args.store)) as store:
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


def run_vacuum(args: argparse.Namespace) -> int:
    from codecprobe.store import LatentStore

    with LatentStore(existing_store(args.store)) as store:
        print(f"{args.store}: {store.vacuum()} unused shard(s) deleted, {len(store.entries())} entries kept")
    return 0


def existing_store(path: Path) -> Path:
    """``path``, if it holds a latent store (opening a store elsewhere would create one)."""
    from codecprobe.errors import InputError

    if not (path / "index.sqlite").exists():
        raise InputError(f"{path}: not a latent store (no index.sqlite)")
    return path
