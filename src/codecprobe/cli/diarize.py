"""``codecprobe diarize``: recordings of any length to RTTM, scored when a reference is given."""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from codecprobe.cli.common import add_out_arg, exit_statuses

EPILOG = """\
pipelines:
  adapter  (default with --model) sliding windows of a trained adapter's training length (--model, from
           `codecprobe train`): local speaker activity per window, one speaker embedding per
           (window, local speaker) over the frames where it speaks alone, clustering across
           windows, a constrained assignment (two local speakers of one window never become one
           speaker), overlap-add, a per-frame speaker count. Overlapping speech stays overlapping.
  classic  training-free baseline: Silero VAD speech, speaker-embedding windows (GE2E partials
           by default), the same clustering; one speaker at a time.
  pyannote (default without --model) pyannote 3.1's recipe on trained weights: segmentation-3.0 on 10 s windows
           every pyannote.step_s (powerset: up to 3 local speakers, 2 at once), one CAM++ embedding
           per (window, local speaker) over its solo speech (a local speaker whose earlier and
           later speech sound like two voices is split in two: pyannote.split_threshold), the same
           clustering, assignment, speaker count and overlap-add; knobs under pyannote.* (the
           embedding.* options are not used: CAM++ is its speaker encoder).

outputs (OUT):
  rttm/<id>.rttm, all.rttm   one RTTM per recording and all of them together
  summary.json               pipeline, config, per-recording speakers, speed per stage, notes, failures
  report.md, scores.json, plots/<id>.png   with --reference: DER (collars 0 and 0.25), JER,
                             VAD error (miss + false alarm) and confusion per file, and a picture
                             of reference against hypothesis over time per file
A rerun with the same settings reuses finished recordings; an unreadable file is listed and skipped.

Every knob (thresholds, windows, step, clustering) is in the config: --config FILE.yaml and
--set key=value, e.g. --set classic.clustering.threshold=0.6 --set adapter.step_s=2;
defaults and the data they were tuned on: docs/diarize-inference.md."""


def _pyannote_knobs() -> str:
    """The pyannote pipeline's knobs with their defaults, from its config (one place for both)."""
    from codecprobe.config import config_to_dict
    from codecprobe.diarize.config import PyannoteConfig

    knobs = config_to_dict(PyannoteConfig())
    clustering = knobs.pop("clustering")
    pairs = [f"pyannote.{k}={v}" for k, v in knobs.items()]
    pairs += [f"pyannote.clustering.{k}={clustering[k]}" for k in ("method", "threshold", "min_cluster_size")]
    return "\n".join(textwrap.wrap(", ".join(pairs), 96, initial_indent="  ", subsequent_indent="  "))


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "diarize", help="recordings of any length to RTTM (pyannote recipe, trained adapter or classic baseline), "
                        "scored if asked",
        description="Diarize audio files or whole corpora (any layout) into one RTTM per recording, a combined "
                    "RTTM and a JSON summary; with --reference, score them and write a report.",
        epilog=f"{EPILOG}\n\npyannote pipeline knobs (--set, defaults):\n{_pyannote_knobs()}\n\n" + exit_statuses(
            "some recordings were skipped (unreadable) or left unscored (no reference names them); each is named "
            "on stderr and in summary.json"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, action="extend", nargs="+", dest="corpora", default=[],
                        metavar="AUDIO_OR_CORPUS", help="audio files and/or corpus folders to diarize (repeatable; "
                                                        "the same may be given as positional arguments)")
    parser.add_argument("inputs", nargs="*", type=Path, metavar="AUDIO_OR_CORPUS",
                        help="more audio files and/or corpus folders, as with --corpus")
    add_out_arg(parser, "output folder")
    parser.add_argument("--layout", metavar="LAYOUT",  # checked by load_corpus: importing the loaders would pull in lhotse
                        help="layout of the corpus folders (default: guessed)")
    parser.add_argument("--pipeline", choices=("adapter", "classic", "pyannote"),
                        help="default: adapter with --model, else pyannote")
    parser.add_argument("--model", help="adapter checkpoint from `codecprobe train` (default: none)")
    speakers = parser.add_argument_group("speaker count (default: estimated)")
    speakers.add_argument("--num-speakers", type=int, help="exactly this many speakers (default: estimated)")
    speakers.add_argument("--min-speakers", type=int, help="at least this many (default 1)")
    speakers.add_argument("--max-speakers", type=int, help="at most this many (default: no limit)")
    parser.add_argument("--clustering", metavar="METHOD",  # checked against the registry with the config
                        help="a method registered in codecprobe.diarize.clustering: ahc, centroid linkage with a "
                             "tuned threshold (default); spectral, eigengap count")
    embedding = parser.add_argument_group("speaker-embedding encoder of the classic and adapter pipelines (the config's embedding section; pyannote's is CAM++)")
    embedding.add_argument("--encoder", help="a trained speaker encoder (default ge2e)")
    embedding.add_argument("--tap", dest="taps", action="extend", nargs="+", metavar="TAP",
                           help="its tap, one (default: ge2e partials, else the encoder's default)")
    embedding.add_argument("--weights", help="its weights (default: the encoder's published weights)")
    embedding.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                           metavar="KEY=VALUE", help="its settings, as in every command (default for ge2e: "
                                                     "partials_rate=2.5, else the encoder's defaults)")
    scoring = parser.add_argument_group("scoring")
    scoring.add_argument("--reference", nargs="+", metavar="RTTM_OR_DIR", help="reference RTTM files or folders (default: none, no scoring)")
    scoring.add_argument("--uem", nargs="+", metavar="UEM", help="UEM files with the scoring regions (default: first to last turn)")
    parser.add_argument("--store", help="latent store to take the adapter's encoder latents from, when there (default: none)")
    parser.add_argument("--device", help="torch device (default cpu)")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/diarize-inference.md; default: none)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. adapter.onset=0.6 (repeatable; applied last)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.cli.common import encoder_settings_from_args
    from codecprobe.config import load_config
    from codecprobe.diarize.config import DiarizeConfig

    base = load_config(DiarizeConfig, args.config)
    given = {"pipeline": args.pipeline, "model": args.model, "num_speakers": args.num_speakers,
             "min_speakers": args.min_speakers, "max_speakers": args.max_speakers, "store": args.store,
             "device": args.device, "embedding.encoder": args.encoder, "embedding.taps": args.taps,
             "embedding.weights": args.weights, "embedding.settings": encoder_settings_from_args(args) or None}
    if args.clustering:
        pipeline = args.pipeline or ("adapter" if args.model else base.pipeline)
        given[f"{pipeline}.clustering.method"] = args.clustering
    return load_config(DiarizeConfig, args.config, args.set, given)


def run(args: argparse.Namespace) -> int:
    from codecprobe.diarize.run import run_diarize

    from codecprobe.errors import InputError

    inputs = [*args.corpora, *args.inputs]
    if not inputs:
        raise InputError("nothing to diarize: give --corpus AUDIO_OR_CORPUS (or the files and folders as "
                         "positional arguments)")
    summary = run_diarize(config_from_args(args), inputs, args.out, layout=args.layout,
                          reference=args.reference, uem=args.uem, progress=not args.quiet)
    totals = summary["totals"]
    speed = f"{totals['real_time_factor']:.1f}x real time" if totals["real_time_factor"] else "no audio diarized"
    print(f"{summary['pipeline']['label']}: {totals['n_recordings']} recording(s), {totals['audio_s']:.1f} s of "
          f"audio, {speed}; {len(summary['failures'])} skipped")
    scores = summary.get("scores") or {}  # None where no --reference was given
    if scores:
        for collar, scored in scores["collars"].items():
            overall = scored["overall"]
            print(f"collar {collar}: DER {overall['der']:.2f}% (miss {overall['miss']:.2f}, FA {overall['fa']:.2f}, "
                  f"confusion {overall['conf']:.2f}), JER {overall.get('jer', float('nan')):.2f}%")
    print(f"RTTMs: {args.out / 'rttm'}, summary: {args.out / 'summary.json'}"
          + (f", report: {args.out / 'report.md'}" if scores else ""), file=sys.stderr)
    return 1 if summary["failures"] or scores.get("unscored_recordings") else 0
