"""``codecprobe boundaries``: where the diarization error lies (boundaries, collar curve), as a report."""
from __future__ import annotations

from codecprobe.cli.score import EXIT_STATUSES, FORMATS, add_common_arguments


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "boundaries", help="boundary errors, collar curve and error near boundaries (Markdown + PNG + JSON)",
        description="Match reference and system boundaries under the optimal speaker mapping and report "
                    "boundary errors, DER at collars 0-0.5 s and the share of error near reference boundaries.",
        epilog=f"{FORMATS}\n\n{EXIT_STATUSES}")
    add_common_arguments(parser)
    parser.add_argument("--max-distance", type=float, default=1.0,
                        help="largest boundary error (s) still counted as a match")
    parser.add_argument("-o", "--out", required=True, help="report folder")
    parser.set_defaults(run=run)


def run(args) -> int:
    from codecprobe.cli.score import NOTHING_SCORED, load_inputs, warn
    from codecprobe.score.boundaries import COLLARS, analyse_boundaries
    from codecprobe.score.report import write_boundary_report

    reference, system, uem = load_inputs(args)
    collars = sorted({*COLLARS, args.collar})
    report = analyse_boundaries(reference, system, uem, collars=collars, max_distance=args.max_distance)
    folder = write_boundary_report(report, args.out, {"collars": collars, "max_distance": args.max_distance})
    if not report.measured:
        warn(NOTHING_SCORED)
        print(f"nothing scored; report in {folder}")
        return 1
    matched = report.to_dict()["boundaries"]["all"]
    errors = (f"median boundary error {matched['median_abs_error_s'] * 1000:.0f} ms over {matched['matched']} matched "
              f"boundaries" if matched["matched"] else "no reference boundary matched a system boundary")
    collar = f", {report.collar_curve[args.collar].der:.2f}% (collar {args.collar:g})" if args.collar else ""
    print(f"DER {report.collar_curve[0.0].der:.2f}% (collar 0){collar}; {errors}; report in {folder}")
    return 0
