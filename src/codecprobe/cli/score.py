"""``codecprobe score``: DER, JER and clustering metrics of system RTTMs against reference RTTMs."""
from __future__ import annotations

from codecprobe.cli.common import exit_statuses

FORMATS = """\
file formats:
  RTTM  one turn per line: SPEAKER <file> <chnl> <onset s> <duration s> <NA> <NA> <speaker> <NA> <NA>
        (lines starting with ; or # are comments; other RTTM record types are ignored)
  UEM   one scoring region per line: <file> <chnl> <onset s> <offset s>
Without -u the scored region of each file runs from the earliest to the latest turn of
reference or system (dscore's default). Percentages are of scored reference speech;
the overall row pools seconds over files as md-eval does. Files only in the reference
or only in the system, UEM ids that name no file and empty inputs are warned about on
stderr, as dscore does."""

EXIT_STATUSES = exit_statuses("nothing was scored: no reference speech inside the scoring regions (pooled figures "
                              "n/a)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "score", help="score diarization (DER, JER, B3, MI, NMI) as md-eval/dscore do",
        description="Score system RTTMs against reference RTTMs.", epilog=f"{FORMATS}\n\n{EXIT_STATUSES}")
    add_common_arguments(parser)
    parser.add_argument("--ignore-overlaps", action="store_true",
                        help="score only regions where the reference has at most one speaker (md-eval -1)")
    parser.add_argument("--step", type=float, default=0.01, help="frame step (s) for JER and clustering metrics")
    parser.add_argument("--json", metavar="OUT", help="write {'overall': {...}, 'files': {...}} here (default: none)")
    parser.add_argument("--per-file", action="store_true", help="print one row per file before the TOTAL row")
    parser.set_defaults(run=run)


def add_common_arguments(parser) -> None:
    parser.add_argument("-r", "--reference", action="extend", nargs="+", required=True, metavar="RTTM",
                        help="reference RTTM files or folders of them (repeatable)")
    parser.add_argument("-s", "--system", action="extend", nargs="+", required=True, metavar="RTTM",
                        help="system RTTM files or folders of them (repeatable)")
    parser.add_argument("-u", "--uem", action="extend", nargs="+", metavar="UEM",
                        help="UEM files with the scoring regions (repeatable; default: see below)")
    parser.add_argument("--collar", type=float, default=0.0,
                        help="seconds left unscored on EACH side of every reference boundary (md-eval -c)")
    parser.add_argument("--lenient", action="store_true",
                        help="skip malformed lines (and report them) instead of stopping at the first")


def load_inputs(args):
    """Reference, system and UEM (or None) from the common arguments; problems go to stderr as warnings."""
    from codecprobe.data.rttm import Problems, read_rttms
    from codecprobe.data.uem import read_uem
    from codecprobe.score import coverage_warnings

    problems = Problems()
    reference = read_rttms(args.reference, strict=not args.lenient, problems=problems)
    system = read_rttms(args.system, strict=not args.lenient, problems=problems)
    uem = None
    if args.uem:
        uem = {}
        for path in args.uem:
            uem.update(read_uem(path, strict=not args.lenient, problems=problems))
    warn(*problems.messages, *coverage_warnings(reference, system, uem))
    return reference, system, uem


NOTHING_SCORED = "nothing was scored: no reference speech lies inside the scoring regions"


def warn(*messages: str) -> None:
    import sys

    for message in messages:
        print(f"warning: {message}", file=sys.stderr)


def run(args) -> int:
    from codecprobe.report import write_json
    from codecprobe.score import score

    reference, system, uem = load_inputs(args)
    result = score(reference, system, uem, collar=args.collar, ignore_overlaps=args.ignore_overlaps, step=args.step)
    if not result.measured:
        warn(NOTHING_SCORED)
    print(result.table(per_file=args.per_file))
    if args.json:
        write_json(args.json, result.to_dict())
    return 0 if result.measured else 1
