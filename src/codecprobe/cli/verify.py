"""``codecprobe verify``: speaker-verification EER/minDCF of an encoder's latents, with controls."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codecprobe.cli.common import (add_out_arg, EXIT_STATUSES, add_also_arg, add_corpus_args, add_encoder_args,
                                   add_executor_args, add_store_args)
from codecprobe.verify.config import StudyConfig

DEFAULTS = StudyConfig()
BACKENDS = ("cosine", "center", "pca", "lda", "probe", "asnorm", "plda", "weighted-sum", "pooling-head")

TRIALS_HELP = """\
trial list format (VoxCeleb1-O/E/H: veri_test[2].txt, list_test_all[2].txt,
list_test_hard[2].txt), one trial per line:
  1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav
  0 id10270/x6uYqmx31kE/00001.wav id10300/ize_eiCFEg0/00003.wav
label (1 same speaker, 0 different) then the enrollment and test files, relative to
the corpus root (for VoxCeleb: to its wav/ folder; on lhotse's prepare_voxceleb
manifests they map onto its ids, id10270-x6uYqmx31kE-00001). Kaldi's 'enroll test
target|nontarget' is read too. Blank lines and '#' lines are skipped. Without --trials, trials are every pair of the evaluation segments (or a
seeded sample: --max-trials-per-class).

back-ends (--backend B [B ...], repeatable; default cosine and center):
  cosine  raw cosine (the seeds' Step 0)       center  mean removed, then cosine
  pca     PCA with whitening (seed 002)        lda     LDA (shrinkage) projection
  probe   Step 0.5 linear probe: softmax layer to the training speakers, cosine
          in its projection                    asnorm  adaptive s-norm over center
  plda    two-covariance PLDA (centre, LDA, length-norm), log-likelihood ratio
  weighted-sum  SUPERB: softmax weights over all taps (--tap/--sweep), learned with a
          linear speaker classifier; cosine on the pooled weighted sum (one row)
  pooling-head  DASB: small TDNN + attentive statistics pooling + AAM-softmax trained
          on the frames of each tap; cosine between its embeddings
Back-ends are fitted on data disjoint from the trials: --train-corpus, else the corpus
speakers no trial names, else a seeded split of the speakers (--train-fraction).

Every knob (thresholds, probe epochs, minDCF costs...) is in the config:
--config FILE.yaml and --set key=value (e.g. --set thresholds.eer_viable=25);
the merged config is saved to OUT/config.yaml.

""" + EXIT_STATUSES


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "verify", help="speaker-verification EER and minDCF of encoder latents (seeds' Step 0 / 0.5)",
        description="Mean-pool each segment's latents, score speaker-verification trials with one or more "
                    "back-ends, and write OUT/report.md, OUT/results.json and DET / score plots. A trained "
                    "neural encoder is also run with seeded random weights as an untrained control.",
        epilog=TRIALS_HELP,
    )
    add_study_args(parser)
    add_backend_args(parser, "scoring back-end(s)")
    parser.add_argument("--trials", type=Path, help="trial list (format below); default: every pair of the "
                                                    "evaluation segments")
    parser.add_argument("--max-trials-per-class", type=int,
                        help="generated trials: a seeded sample of at most this many same- and different-speaker "
                             "pairs (default: all pairs)")
    parser.add_argument("--trial-seed", type=int, help=f"seed of the trial sample (default {DEFAULTS.trial_seed})")
    parser.add_argument("--exclude-same-recording", action="store_true", default=None,
                        help="generated trials: no pair of segments from one recording")
    parser.set_defaults(run=run)


def add_study_args(parser: argparse.ArgumentParser) -> None:
    """The options verify and diagnose share."""
    add_corpus_args(parser, required=False)  # or corpus in --config
    add_encoder_args(parser, when_absent="the encoders of --config, else mimi")
    add_also_arg(parser, "more encoders in the same table, default weights, e.g. --also mfcc lyra:latent,quant16 "
                         "(each with its control; default: none)")
    parser.add_argument("--ceiling", nargs="+", action="extend", dest="ceilings", metavar="NAME[:TAP,...]",
                        help="dedicated speaker encoders run beside as the ceiling rows, no control (default: "
                             + " and ".join(f"{c.encoder}:{','.join(c.taps)}" for c in DEFAULTS.ceilings) + ")")
    parser.add_argument("--no-ceilings", dest="no_ceilings", action="store_true", help="no ceiling rows")
    add_store_args(parser)
    add_executor_args(parser)
    add_out_arg(parser, "report folder")
    parser.add_argument("--train-corpus", type=Path, help="fit back-ends on this corpus (disjoint speakers; default: "
                                                          "speakers of --corpus held out from the trials)")
    parser.add_argument("--train-layout", metavar="LAYOUT", help="layout of --train-corpus (default: guessed)")
    parser.add_argument("--train-fraction", type=float,
                        help="without --train-corpus: share of speakers held out for fitting "
                             f"(default {DEFAULTS.train_fraction:g})")
    parser.add_argument("--split-seed", type=int, help=f"seed of that speaker split (default {DEFAULTS.split_seed})")
    parser.add_argument("--seeds", type=int, help=f"verify: fit every seeded back-end (probe, weighted-sum, "
                                                  f"pooling-head) with this many seeds and report mean ± std "
                                                  f"(default {DEFAULTS.seeds})")
    parser.add_argument("--sweep", action="store_true", default=None,
                        help="each encoder's sweep taps (mimi: seanet, layer1-8, prequant, quant1/2/4/8; "
                             "lyra: latent, quant1/2/4/8/16/46; others: every tap)")
    parser.add_argument("--pooling", choices=("mean", "mean+std"),
                        help=f"utterance pooling (default {DEFAULTS.pooling})")
    parser.add_argument("--vad", action="store_true", default=None, help="pool Silero-VAD speech frames only")
    parser.add_argument("--no-control", dest="control", action="store_false", default=None,
                        help="skip the untrained control (random weights; lyra: permuted weights)")
    parser.add_argument("--control-seed", type=int,
                        help=f"seed of the control's random (lyra: permuted) weights (default {DEFAULTS.control_seed})")
    parser.add_argument("--config", type=Path, help="YAML config (see docs/verify.md; default: none, the built-in "
                                                    "defaults)")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="config override(s), e.g. --set probe.max_epochs=50 dcf.c_fa=10 (repeatable; applied "
                             "last; default: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def add_backend_args(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--backend", action="extend", nargs="+", dest="backends", choices=BACKENDS, metavar="B",
                        help=f"{what}: {', '.join(BACKENDS)} (repeatable, like --tap: --backend cosine center; "
                             f"default {' and '.join(DEFAULTS.backends)})")


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.cli.common import encoder_spec_from_text, executor_settings_from_args
    from codecprobe.config import load_config
    from codecprobe.verify.config import StudyConfig

    ceilings = [] if args.no_ceilings else args.ceilings and [encoder_spec_from_text(c, "--ceiling")
                                                                for c in args.ceilings]
    given = {
        "corpus": args.corpus, "layout": args.layout, "train_corpus": args.train_corpus,
        "train_layout": args.train_layout, "train_fraction": args.train_fraction, "split_seed": args.split_seed,
        "encoders": _encoders(args), "ceilings": ceilings, "seeds": args.seeds,
        "device": args.device, "store": args.store,
        "sweep": args.sweep, "pooling": args.pooling, "vad": args.vad, "control": args.control,
        "control_seed": args.control_seed, "backends": getattr(args, "backends", None),
        "trials": getattr(args, "trials", None), "max_trials_per_class": getattr(args, "max_trials_per_class", None),
        "trial_seed": getattr(args, "trial_seed", None),
        "exclude_same_recording": getattr(args, "exclude_same_recording", None),
        **executor_settings_from_args(args, prefix="executor."),
    }
    return load_config(StudyConfig, args.config, args.set, given)


def _encoders(args: argparse.Namespace) -> list[dict] | None:
    """The encoders the command line gives, as EncoderSpec fields (None: the config's). ``--encoder`` names the
    first (an entry of --config with its name gives the options not on the command line), ``--also`` the others;
    without ``--encoder``, the encoder options change the config's first encoder and ``--also`` adds to its list."""
    import dataclasses

    from codecprobe.cli.common import encoder_spec_from_args, encoder_spec_from_text
    from codecprobe.config import load_config
    from codecprobe.verify.config import StudyConfig

    options = encoder_spec_from_args(args)
    if not options and not args.also:
        return None
    configured = [dataclasses.asdict(spec) for spec in load_config(StudyConfig, args.config).encoders]
    if args.encoder:
        same = [spec for spec in configured if spec["encoder"] == args.encoder]
        head = [(same[0] if same else {}) | options]
    else:
        head = [configured[0] | options, *configured[1:]] if configured else []
    return head + [encoder_spec_from_text(item) for item in args.also]


def run(args: argparse.Namespace) -> int:
    from codecprobe.verify.study import verify

    result = verify(config_from_args(args), args.out, progress=not args.quiet)
    print(summary_line(result))
    return report_written(result, args.out)


def report_written(result, out: Path) -> int:
    """What the corpus does to the numbers, where the report is, which inputs were left out, and the exit
    status that says whether any were."""
    if result.data.properties is not None:
        for note in result.data.properties.notes:
            print(f"note: {note}", file=sys.stderr)
    for failure in result.failures:
        print(f"left out: {failure.input}: {failure.reason}", file=sys.stderr)
    print(f"report: {out / 'report.md'}", file=sys.stderr)
    return 1 if result.failures else 0


def summary_line(result) -> str:
    """One line of a :class:`~codecprobe.verify.results.VerifyResult`: the headline EER and its verdict."""
    primary, interval = result.results[0], result.eer_interval
    encoder = result.weights(primary.encoder, primary.role)
    return (f"{encoder.encoder}:{primary.tap} {primary.backend} [{encoder.short_label}]: EER {result.eer:.2f}%"
            + ("" if interval is None else f" ({interval[0]:.1f}-{interval[1]:.1f}%)")
            + " minDCF " + ", ".join(f"{p}: {v:.3f}" for p, v in result.min_dcf.items())
            + f" over {result.n_trials} trials; {primary.verdict}")
