"""The ``codecprobe`` command group.

Each subcommand lives in its own module under ``codecprobe.cli`` and exposes
``add_parser(subparsers)``; the module does argument parsing only and calls one
library function. Heavy imports happen inside the command, so ``--help`` is fast.

Exit statuses: 0 done; 1 done, but some inputs could not be read (the command lists them);
2 bad input or options (one line on stderr, no traceback); 130 interrupted; 141 the reader
of the output went away (``codecprobe store show --json | head``).
"""
from __future__ import annotations

import importlib
import os
import sys

from codecprobe import __version__
from codecprobe.cli.common import EXIT_STATUSES, CommandParser, check_outputs
from codecprobe.errors import InputError

# the order `codecprobe --help` lists commands in; a module of this package that defines add_parser
# and is not named here is a command too, listed after these (adding a command edits only its module)
HELP_ORDER = ("demo", "corpus", "extract", "store", "verify", "diagnose", "score", "boundaries", "simulate",
              "train", "diarize", "refine", "structure", "nextlatent", "report")
_NOT_COMMANDS = ("common", "main")


def command_modules() -> list[str]:
    """Every command module of :mod:`codecprobe.cli`, in :data:`HELP_ORDER`, then by name."""
    import pkgutil

    import codecprobe.cli

    found = {m.name for m in pkgutil.iter_modules(codecprobe.cli.__path__) if m.name not in _NOT_COMMANDS}
    return [n for n in HELP_ORDER if n in found] + sorted(found - set(HELP_ORDER))


def build_parser() -> CommandParser:
    parser = CommandParser(
        prog="codecprobe",
        description="Probe neural audio codec latents: how much do they know about who is speaking?",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--version", action="version", version=f"codecprobe {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in command_modules():
        importlib.import_module(f"codecprobe.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_outputs(args)
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a reader that went away shows up here, not at exit
        return status
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes", file=sys.stderr)
        return 130
    except InputError as error:
        print(f"codecprobe {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `| head` stopped reading: stop quietly, as command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141


if __name__ == "__main__":
    sys.exit(main())
