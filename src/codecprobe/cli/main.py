"""The ``codecprobe`` command group.

Each subcommand lives in its own module under ``codecprobe.cli`` and exposes
``add_parser(subparsers)``; the module does argument parsing only and calls one
library function. Heavy imports happen inside the command, so ``--help`` is fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from codecprobe import __version__
from codecprobe.errors import InputError

COMMAND_MODULES = ("demo", "corpus", "extract", "store", "verify", "diagnose", "score", "boundaries", "simulate",
                   "train", "structure", "nextlatent")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codecprobe",
        description="Probe neural audio codec latents: how much do they know about who is speaking?",
    )
    parser.add_argument("--version", action="version", version=f"codecprobe {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"codecprobe.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes", file=sys.stderr)
        return 130
    except InputError as error:
        print(f"codecprobe {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
