"""``codecprobe refine``: train and judge boundary refiners (seed 003), or apply one to hypothesis RTTMs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codecprobe.cli.common import EXIT_STATUSES, add_encoder_args, add_executor_args, add_process_args, add_store_args

HELP = """\
two modes:
  study   codecprobe refine --train-corpus DIR --eval-corpus DIR [--encoder E --tap T ...] --out DIR
          trains the variants (--variant, default all four: mlp, transformer, diffusion, contrastive) on
          jittered references of the training conversations and evaluates them, beside the unrefined
          hypothesis, on jittered references of every --eval-corpus: boundary MAE / RMSE / accuracy
          within 50, 100, 200 ms, DER at collars 0 and 0.25 s, seed 003's gate. Writes OUT/report.md,
          OUT/results.json, refined RTTMs under OUT/rttm/, checkpoints under OUT/systems/<system>/<variant>/.
          A system's output (e.g. `codecprobe diarize`) as hypotheses, several systems, fused taps and the
          jitter distribution go in a config file (--config FILE.yaml, --set key=value; docs/refine.md):
            evals: [{corpora: [../shared/data/pyannote-sample], hypotheses: [runs/diarize/rttm]}]
            systems: [{inputs: [{encoder: lyra, tap: latent}, {encoder: logmel}]}]
  apply   codecprobe refine --model CKPT --hyp RTTM [--hyp ...] --corpus DIR --out DIR
          moves every boundary of the hypotheses by the refiner and writes OUT/refined.rttm; a turn never
          ends before it starts and one speaker's turns never overlap. Where the corpus has reference
          turns, OUT/refine.json holds boundary errors and DER before and after.
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "refine", help="refine speaker-change boundaries with small learned models (seed 003)",
        description="Train boundary refiners on cached latents and measure them against the unrefined "
                    "hypothesis, or apply a trained refiner to hypothesis RTTMs.",
        epilog=HELP + "\n" + EXIT_STATUSES,
    )
    study = parser.add_argument_group("study")
    study.add_argument("--train-corpus", type=Path, help="training conversations with references (folder or "
                                                         "manifest; default: the config's)")
    study.add_argument("--train-layout", help="layout of --train-corpus (default: guessed)")
    study.add_argument("--eval-corpus", type=Path, action="extend", nargs="+", dest="eval_corpora",
                       help="conversations whose jittered references are evaluated on (repeatable; default: the "
                            "config's evals)")
    study.add_argument("--eval-layout", help="layout of every --eval-corpus (default: guessed)")
    study.add_argument("--variant", action="extend", nargs="+", dest="variants",
                       choices=("mlp", "transformer", "diffusion", "contrastive"),
                       help="refiner variant(s) to train (repeatable; default: all four)")
    study.add_argument("--evaluate-only", action="store_true", help="evaluate the checkpoints already in OUT")
    study.add_argument("--config", type=Path, help="YAML config (see docs/refine.md; default: none)")
    study.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                       help="config override(s), e.g. --set jitter.scale_s=0.4 (repeatable; applied last; "
                            "default: none)")
    add_encoder_args(parser, default_encoder="")
    apply = parser.add_argument_group("apply")
    apply.add_argument("--model", type=Path, help="a trained refiner's checkpoint, OUT/systems/<s>/<v>/best.ckpt "
                                                  "(default: none, run the study)")
    apply.add_argument("--hyp", action="extend", nargs="+", dest="hypotheses",
                       help="hypothesis RTTM file(s) or folder(s) (repeatable; default: none)")
    apply.add_argument("--corpus", type=Path, help="the hypotheses' recordings, named by their file ids "
                                                   "(default: none)")
    apply.add_argument("--layout", help="layout of --corpus (default: guessed)")
    add_store_args(parser)
    add_executor_args(parser)
    add_process_args(parser)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run_command)


def config_from_args(args: argparse.Namespace):
    """Defaults, then --config, then the options given on the command line, then --set."""
    from codecprobe.cli.common import (encoder_settings_from_args, executor_settings_from_args,
                                       process_settings_from_args)
    from codecprobe.config import load_config
    from codecprobe.errors import InputError
    from codecprobe.refine.config import RefineStudyConfig

    given = {"train_corpus": args.train_corpus, "train_layout": args.train_layout, "variants": args.variants,
             "store": args.store, "device": args.device if args.device != "cpu" else None,
             "trainer.progress": False if args.quiet else None,
             **executor_settings_from_args(args, prefix="executor."), **process_settings_from_args(args)}
    if args.eval_corpora:
        given["evals"] = [{"corpora": [str(path)], "layout": args.eval_layout} for path in args.eval_corpora]
    if args.encoder:
        given["systems"] = [{"inputs": [{"encoder": args.encoder, "tap": tap, "weights": args.weights,
                                         "random_init": args.random_init, "seed": args.seed,
                                         "options": encoder_settings_from_args(args)} for tap in (args.taps or [None])]}]
    elif args.taps:
        raise InputError("--tap describes a system: give --encoder too")
    overrides = [f"{key}={json.dumps(str(value) if isinstance(value, Path) else value)}"
                 for key, value in given.items() if value is not None]
    return load_config(RefineStudyConfig, args.config, overrides + list(args.set))


def run_command(args: argparse.Namespace) -> int:
    from codecprobe.errors import InputError

    applying = [name for name in ("model", "hypotheses", "corpus") if getattr(args, name)]
    if applying:
        if len(applying) < 3:
            raise InputError("applying a refiner takes --model, --hyp and --corpus together")
        if args.train_corpus or args.eval_corpora or args.config or args.set or args.evaluate_only:
            raise InputError("--model applies a trained refiner: the study options (--train-corpus, --eval-corpus, "
                             "--config, --set, --evaluate-only) do not go with it")
        return apply_command(args)
    return study_command(args)


def study_command(args: argparse.Namespace) -> int:
    from codecprobe.refine.study import run_study, write_refine

    result = run_study(config_from_args(args), args.out, not args.quiet, evaluate_only=args.evaluate_only)
    saved = write_refine(result, args.out)
    for record in saved.evaluations:
        print(summary_line(record))
    for gate in saved.gates:
        print(f"gate on {gate['eval_set']}: {gate['verdict']} (best {gate['best']})")
    print(f"report: {args.out / 'report.md'}", file=sys.stderr)
    return 0


def apply_command(args: argparse.Namespace) -> int:
    from codecprobe.cli.common import executor_settings_from_args
    from codecprobe.config import load_config
    from codecprobe.extract import ExecutorConfig
    from codecprobe.refine.study import refine_hypotheses
    from codecprobe.report import write_json
    from codecprobe.data.rttm import write_rttm

    executor = load_config(ExecutorConfig, None, [f"{key}={json.dumps(value)}" for key, value in
                                                  executor_settings_from_args(args).items()])
    refined = refine_hypotheses(args.model, args.corpus, args.layout, args.hypotheses, args.store, args.device,
                                progress=not args.quiet, executor=executor)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rttm(args.out / "refined.rttm", refined.turns)
    print(f"refined {len(refined.turns)} recording(s) with {refined.module.describe()['label']}: "
          f"{args.out / 'refined.rttm'}", file=sys.stderr)
    if refined.before is not None:
        records = [{"variant": e.variant, "boundaries": {"all": e.metrics()}, "der": {f"{c:g}": d.to_dict()
                                                                              for c, d in e.der.items()}}
                   for e in (refined.before, refined.after)]
        write_json(args.out / "refine.json", {"model": str(args.model), "refiner": refined.module.describe(),
                                              "hypotheses": [str(h) for h in args.hypotheses], "results": records})
        for record in records:
            print(summary_line(record))
    return 0


def summary_line(record: dict) -> str:
    b = record["boundaries"]["all"]
    mae = "n/a" if b["mae_s"] is None else f"{1000 * b['mae_s']:.0f} ms"
    der = ", ".join(f"DER c={c} {v['der']:.2f}%" for c, v in record["der"].items())
    where = f" on {record['eval_set']}" if "eval_set" in record else ""
    who = f"{record['system']} {record['variant']}" if record.get("system") else record["variant"]
    return f"{who}{where}: boundary MAE {mae} over {b['n']} matched; {der}"
