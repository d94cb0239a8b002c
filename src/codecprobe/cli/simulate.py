"""``codecprobe simulate``: multi-speaker conversations from speaker-labelled corpora, as an rttm-layout corpus."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codecprobe.cli.common import exit_statuses, skipped_status

EPILOG = """\
output (load it with --layout rttm):
  OUT/audio/<recording>.wav   16 kHz mono WAV, 16-bit PCM (--format float32: 32-bit float)
  OUT/rttm/<recording>.rttm   reference turns, overlaps kept; OUT/all.uem: whole recordings
  OUT/corpus.yaml             speaker_labels: global (a label is one person in every recording)
  OUT/simulation.json, OUT/report.md   config, provenance, statistics per recording and overall
  OUT/speaker_pool.txt, OUT/speakers.txt   speakers it could use / did use (one id per line)
speaker ids are <corpus>:<speaker> (conversation corpora: <corpus>:<recording>:<speaker>); <corpus> is
the folder name, or --name.

train and held-out sets with disjoint speakers, by construction:
  codecprobe simulate --corpus A --corpus B --split train --out runs/sim-train
  codecprobe simulate --corpus A --corpus B --split held-out --out runs/sim-test
(the same --held-out-fraction and --split-seed), or --exclude-speakers runs/sim-train/speakers.txt.

Every knob (speaker counts and weights, turns per speaker, turn lengths, pause and overlap
distributions, gains, noise) is in the config: --config FILE.yaml and --set key=value, e.g.
  --set speakers.counts=[2,3] --set speakers.count_weights=[1,1] --set timing.overlap_probability=0.2
  --set turns.source=cut --set turns.cut_duration.mean=3 --set noise.snr_db.minimum=10
Defaults and where they come from: docs/simulate.md. The merged config is saved to OUT/config.yaml.
A rerun with the same config resumes or extends (larger -n) the set; another config is refused.
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="simulated multi-speaker conversations (audio + reference RTTM) from speaker-labelled corpora",
        description="Mix utterances of 1-4 speakers from one or more speaker-labelled corpora into conversations "
                    "with drawn turn lengths, pauses, overlaps, gains and optional noise; write the audio, reference "
                    "RTTMs, a UEM and statistics. Seeded: the same config gives the same bytes.",
        epilog=EPILOG + "\n" + exit_statuses("some source audio files could not be read; each is named on "
                                            "stderr and in simulation.json"),
    )
    parser.add_argument("--corpus", action="extend", nargs="+", dest="corpora", type=Path, metavar="DIR",
                        help="source corpus folder(s) or manifest(s), any layout (repeatable: several corpora at once; "
                             "default: the config's corpora)")
    parser.add_argument("--layout", action="extend", nargs="+", dest="layouts", metavar="LAYOUT",
                        help="layout of the corpora: once for all, or once per --corpus (default: guessed)")
    parser.add_argument("--name", action="extend", nargs="+", dest="names", metavar="NAME",
                        help="corpus name in speaker ids (<name>:<speaker>), once per --corpus (default: folder names)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (a new one, or one to resume)")
    parser.add_argument("-n", "--num-recordings", type=int, help="recordings to make (default 100)")
    parser.add_argument("--seed", type=int, help="seed of everything drawn (default 0)")
    parser.add_argument("--num-speakers", type=int, action="extend", nargs="+", metavar="N",
                        help="speakers per recording, drawn with equal weights among these (repeatable, like "
                             "--tap; default 1 2 3 4)")
    parser.add_argument("--speakers", type=Path, dest="include_file", metavar="FILE",
                        help="use only these speakers (one id per line, as in speakers.txt; default: every speaker)")
    parser.add_argument("--exclude-speakers", type=Path, dest="exclude_file", metavar="FILE",
                        help="never use these speakers (e.g. another simulation's speakers.txt; default: none)")
    parser.add_argument("--split", choices=("all", "train", "held-out"),
                        help="a seeded split of the speakers: its train or held-out part (default all)")
    parser.add_argument("--held-out-fraction", type=float, help="share of speakers held out (default 0.25)")
    parser.add_argument("--split-seed", type=int, help="seed of that split (default 0)")
    parser.add_argument("--timing", choices=("conversational", "independent"),
                        help="conversational (lhotse/BUT: pauses and overlaps between turns; default) or "
                             "independent (EEND: each speaker on their own track)")
    parser.add_argument("--fit-rttm", action="extend", nargs="+", dest="fit_rttm", metavar="RTTM",
                        help="fit pauses, overlaps, turn-taking and turn lengths to these RTTM files or folders "
                             "(repeatable; default: none, the config's distributions)")
    parser.add_argument("--noise", metavar="KIND_OR_DIR",
                        help="background noise: white, pink, brown, or a folder of noise audio (default none)")
    parser.add_argument("--format", dest="audio_format", choices=("pcm16", "float32"),
                        help="WAV samples (default pcm16)")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/simulate.md; default: none)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override(s), e.g. --set timing.overlap_probability=0.2 (repeatable; applied last; "
                             "default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.config import load_config
    from codecprobe.simulate import SimulateConfig

    noise = {}
    if args.noise is not None:
        kinds = ("none", "white", "pink", "brown")
        noise = {"noise.kind": args.noise} if args.noise in kinds else {"noise.kind": "folder",
                                                                       "noise.folder": args.noise}
    given = {
        "corpora": [str(p) for p in args.corpora] if args.corpora else None, "layouts": args.layouts,
        "names": args.names,
        "num_recordings": args.num_recordings, "seed": args.seed, "audio_format": args.audio_format,
        "speakers.counts": args.num_speakers,
        "speakers.count_weights": [1.0] * len(args.num_speakers) if args.num_speakers else None,
        "speakers.include_file": args.include_file, "speakers.exclude_file": args.exclude_file,
        "speakers.split": args.split, "speakers.held_out_fraction": args.held_out_fraction,
        "speakers.split_seed": args.split_seed, "timing.model": args.timing, "timing.fit_rttm": args.fit_rttm,
        **noise,
    }
    overrides = [f"{key}={json.dumps(str(value) if isinstance(value, Path) else value)}"
                 for key, value in given.items() if value is not None]
    return load_config(SimulateConfig, args.config, overrides + list(args.set))


def run(args: argparse.Namespace) -> int:
    from codecprobe.simulate import run_simulation, write_simulation_report

    simulation = run_simulation(config_from_args(args), args.out, progress=not args.quiet)
    overall = write_simulation_report(simulation).overall
    print(f"{overall['recordings']} recordings ({simulation.made} made now), {overall['hours']:.2f} h, "
          f"{overall['speakers_used']} speakers: speech {overall['speech_ratio']:.3f}, overlap/speech "
          f"{overall['overlap_ratio']:.3f}, silence {overall['silence_ratio']:.3f}")
    print(f"corpus: {args.out} (--layout rttm); report: {args.out / 'report.md'}", file=sys.stderr)
    return skipped_status(simulation.pool.failures)
