"""``codecprobe demo``: the main job, end to end on local data."""
from __future__ import annotations

import argparse

from codecprobe.cli.common import EXIT_STATUSES, add_out_arg
from codecprobe.errors import InputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="what trained models say on real speech, in minutes (real sets in ../shared/data, else "
                     "synthetic voices)",
        description="Speaker identity of the trained Lyra v2 codec against its permuted control, CAM++ and GE2E "
                    "(codecprobe verify: every speaker of TIMIT's sample evaluated, back-ends fitted on "
                    "LibriSpeech test-other, with intervals), then diarization of the real conversations by each "
                    "pipeline this build has (codecprobe diarize), scored, one picture per recording; report in "
                    "OUT/demo.md. With no --corpus, uses ../shared/data beside the project where it exists, "
                    "else synthetic voices made offline (it states which data and which weights it used). "
                    "About 5 minutes the first time on a 2-core machine, under 1 minute again (the store is "
                    "reused). --full adds the sweep (every encoder and tap, per-corpus studies, a small adapter "
                    "trained here): about 21 minutes.",
        epilog=EXIT_STATUSES,
    )
    parser.add_argument("--corpus", action="extend", nargs="+", dest="corpora", default=[], metavar="DIR",
                        help="corpus folder(s) (repeatable; default: see above)")
    parser.add_argument("--layout", metavar="LAYOUT", help="layout of --corpus (default: guessed)")
    add_out_arg(parser, "output folder (default runs/demo)", required=False)
    parser.add_argument("--encoder", action="extend", nargs="+", dest="encoders", metavar="NAME",
                        help="speaker-identity encoder(s) (repeatable; default lyra campplus ge2e; lyra also "
                             "runs with its permuted control)")
    parser.add_argument("--pipeline", action="extend", nargs="+", dest="pipelines", metavar="NAME",
                        help="diarization pipeline(s), those this build has (repeatable; default pyannote "
                             "classic; one not available is named in the report and skipped)")
    parser.add_argument("--full", action="store_true",
                        help="also the full sweep: every sweep encoder (mfcc logmel ge2e mimi lyra) and tap over "
                             "LibriSpeech and VCTK, verify + diagnose per corpus and encoder, and a small adapter "
                             "trained here diarizing beside the pipelines (about 21 minutes)")
    parser.add_argument("--mimi-weights",
                        help="--full: 'auto' (trained kyutai/mimi if loadable, else random init, reported; the default), "
                             "'random', a Hugging Face id, a transformers folder or a moshi checkpoint file")
    parser.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                        metavar="ENCODER.KEY=VALUE",
                        help="an encoder's setting, e.g. --encoder-opt mimi.chunk_seconds=10 ge2e.partials_rate=2 "
                             "(repeatable; default: each encoder's defaults; see codecprobe extract --help)")
    parser.add_argument("--config", help="YAML file with DemoConfig fields (options given here override it; "
                                         "default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from codecprobe.config import load_config, parse_assignments
    from codecprobe.demo.run import DemoConfig, run_demo

    settings = parse_assignments(args.encoder_options, what="--encoder-opt")
    for key in settings:
        if "." not in key:
            raise InputError(f"--encoder-opt {key}=...: name the encoder too, ENCODER.KEY=VALUE "
                             f"(e.g. mimi.chunk_seconds=10)")
    given = {"progress": not args.quiet, "out": args.out, "mimi_weights": args.mimi_weights,
             "corpora": args.corpora or None, "layout": args.layout, "encoders": args.encoders,
             "pipelines": args.pipelines, "full": args.full or None,
             **{f"settings.{key}": value for key, value in settings.items()}}
    run_demo(load_config(DemoConfig, args.config, given=given))
    return 0
