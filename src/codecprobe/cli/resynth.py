"""``codecprobe resynth``: the resynthesis track (Codec-SUPERB's speaker track, VERSA's speaker similarity)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecprobe.cli.common import add_out_arg, exit_statuses, skipped_status

EPILOG = """\
output:
  OUT/results.json, OUT/report.md   similarity and EER per verifier and bitrate, config, provenance
  OUT/decoded/<codec>-<n>cb-<key>.npy   decoded 16 kHz audio, keyed by codec identity, codebooks and file
                                        (a rerun decodes nothing again; --cache moves it)

codecs: any encoder with a decoder step (codecprobe.resynth.codecs): lyra (0.2 kbps per codebook,
1..46 codebooks: 3.2, 6 and 9.2 kbps are 16, 30 and 46); mimi (the whole model through
transformers: a local folder as --weights, or --random-init; 0.1375 kbps per codebook, 1..32:
1.1 and 4.4 kbps are 8 and 32). --random-init decodes with the codec's UNTRAINED control.
Protocol and how it compares with Codec-SUPERB and VERSA: docs/verify.md, "Resynthesis".

example:
  codecprobe resynth --corpus ../shared/data/timit-sample --codec lyra --bitrates 3.2 6 9.2 \\
      --verifier campplus ge2e --out runs/resynth-lyra
"""


def add_parser(subparsers) -> None:
    from codecprobe.resynth.study import ResynthConfig

    defaults = ResynthConfig()
    parser = subparsers.add_parser(
        "resynth", help="speaker similarity and verification EER of codec-resynthesised audio, per bitrate",
        description="Decode each utterance of a speaker-labelled corpus through a codec at each bitrate, then "
                    "judge with trained verifiers (CAM++, GE2E) how much of the speaker survived: the cosine "
                    "similarity of each utterance before and after, and the EER of the same trials on "
                    "resynthesised audio beside the original.",
        epilog=EPILOG + "\n" + exit_statuses("some segments could not be read; each is named on stderr and in "
                                            "results.json (their trials are left out)"))
    parser.add_argument("--corpus", type=Path, help="speaker-labelled corpus folder or manifest (default: the "
                                                    "--config's; one of the two is needed)")
    parser.add_argument("--layout", metavar="LAYOUT", help="corpus layout, as in corpus --layout (default: guessed)")
    parser.add_argument("--codec", help=f"codec with a decoder (default {defaults.codec})")
    parser.add_argument("--weights", help="the codec's weights (default: the encoder's own)")
    parser.add_argument("--random-init", action="store_true", default=None,
                        help="decode with the codec's UNTRAINED control (random or permuted weights)")
    parser.add_argument("--seed", type=int, help=f"seed of that control (default {defaults.seed})")
    parser.add_argument("--bitrates", type=float, nargs="+", metavar="KBPS",
                        help=f"bitrates in kbps (default {' '.join(f'{b:g}' for b in defaults.bitrates)})")
    parser.add_argument("--verifier", dest="verifiers", nargs="+", metavar="NAME",
                        help=f"trained verifiers: campplus, ge2e (default {' '.join(defaults.verifiers)})")
    parser.add_argument("--trials", type=Path, help="trial list 'label enroll test' (default: every pair of the "
                                                    "corpus's segments)")
    parser.add_argument("--max-trials-per-class", type=int,
                        help="generated trials: at most this many same- and different-speaker pairs (default: all)")
    parser.add_argument("--cache", type=Path, help="folder of decoded audio (default OUT/decoded)")
    add_out_arg(parser, "study folder")
    parser.add_argument("--config", type=Path, help="YAML config (default: none, the built-in defaults)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. bootstrap_replicates=0 or exclude_same_recording=true "
                             "(repeatable; applied last)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace):
    from codecprobe.config import load_config
    from codecprobe.resynth.study import ResynthConfig

    given = {"corpus": args.corpus, "layout": args.layout, "codec": args.codec, "weights": args.weights,
             "random_init": args.random_init, "seed": args.seed, "bitrates": args.bitrates,
             "verifiers": args.verifiers, "trials": args.trials, "max_trials_per_class": args.max_trials_per_class,
             "cache": args.cache}
    given = {key: str(value) if isinstance(value, Path) else value for key, value in given.items()}
    return load_config(ResynthConfig, args.config, list(args.set), given)


def run(args: argparse.Namespace) -> int:
    from codecprobe.resynth.report import summary_line
    from codecprobe.resynth.study import run_resynth, write_resynth

    result = run_resynth(config_from_args(args), args.out, progress=not args.quiet)
    report = write_resynth(result, args.out)
    print(summary_line(result))
    print(f"report: {report}", file=sys.stderr)
    return skipped_status(result.failures)
