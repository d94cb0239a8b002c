"""``codecprobe store show``: list what a latent store holds; ``store vacuum``: delete unused shards."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from codecprobe.cli.common import EXIT_STATUSES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("store", help="inspect a latent store")
    commands = parser.add_subparsers(dest="store_command", required=True, metavar="STORE_COMMAND")
    show = commands.add_parser("show", help="list every stored entry",
                               description="One row per stored entry: segment, encoder, tap, weights identity, "
                                           "frames, dim, frame rate. --summary groups them per encoder, weights, "
                                           "settings and tap. Keys of --json are snake_case.",
                               epilog=EXIT_STATUSES)
    show.add_argument("store", type=Path, help="latent store folder")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.add_argument("--summary", action="store_true", help="one row per encoder/weights/settings/tap")
    show.set_defaults(run=run_show)
    vacuum = commands.add_parser("vacuum", help="delete shards no entry points to (left by killed or redone extractions)",
                                 description="Delete the shard files no index row points to: batches of a killed "
                                             "extraction that were written but never committed (Ray workers write "
                                             "shards before the driver indexes them), and arrays replaced by a "
                                             "re-extraction. Not while an extraction is writing to the store: its "
                                             "newest shards are not indexed yet.",
                                 epilog=EXIT_STATUSES)
    vacuum.add_argument("store", type=Path, help="latent store folder")
    vacuum.set_defaults(run=run_vacuum)


def run_show(args: argparse.Namespace) -> int:
    from codecprobe.report import markdown_table
    from codecprobe.store import open_store

    with open_store(args.store, mode="r") as store:
        entries = store.entries()
    rows = summary_rows(entries) if args.summary else [
        {"segment": e.segment_id, "encoder": e.encoder, "tap": e.tap, "weights": _weights(e), "frames": e.frames,
         "dim": e.dim, "frame_rate": e.frame_rate} for e in entries]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        columns = list(rows[0]) if rows else ["segment", "encoder", "tap", "weights", "frames", "dim", "frame_rate"]
        print(markdown_table([c.replace("_", " ") for c in columns], [list(row.values()) for row in rows],
                             float_format="{:g}"))
    return 0


def summary_rows(entries) -> list[dict]:
    """One row per encoder, weights, settings and tap.

    The settings column shows only the settings that tell an encoder's variants in the store
    apart (empty when it has one). Utterance taps have one frame per segment at 1 / duration
    Hz, so the frame rate is a range; ``rate`` says it in words ("one vector per utterance").
    """
    from codecprobe.encoders.base import frame_rate_text

    groups: dict[tuple, list] = {}
    for e in entries:
        groups.setdefault((e.encoder, e.weights_id, json.dumps(e.settings, sort_keys=True), e.tap), []).append(e)
    variants: dict[str, list[dict]] = {}
    for encoder, _, settings, _ in groups:
        variants.setdefault(encoder, []).append(json.loads(settings))
    rows = []
    for (encoder, _, settings, tap), members in groups.items():
        differing = {key: value for key, value in json.loads(settings).items()
                     if len({json.dumps(v.get(key)) for v in variants[encoder]}) > 1}
        rates = [e.frame_rate for e in members]
        rows.append({"encoder": encoder, "weights": _weights(members[0]),
                     "settings": ", ".join(f"{k}={v}" for k, v in differing.items()), "tap": tap,
                     "segments": len(members), "frames": sum(e.frames for e in members),
                     "dim": members[0].dim, "min_frame_rate": min(rates), "max_frame_rate": max(rates),
                     "rate": frame_rate_text([e.frames for e in members], rates)})
    return rows


def _weights(entry) -> str:
    from codecprobe.encoders.base import weights_label

    return weights_label(entry.weights_id, entry.trained)


def run_vacuum(args: argparse.Namespace) -> int:
    from codecprobe.store import open_store

    with open_store(args.store, mode="existing") as store:  # never creates one
        print(f"{args.store}: {store.vacuum()} unused shard(s) deleted, {len(store.entries())} entries kept")
    return 0
