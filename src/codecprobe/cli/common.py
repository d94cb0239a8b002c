"""Options shared by every command that reads a corpus, builds an encoder or uses the store."""
from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_STORE = "runs/store"


def add_corpus_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    from codecprobe.data.layouts import LAYOUTS  # light import: no torch

    group = parser.add_argument_group("corpus")
    group.add_argument("--corpus", type=Path, required=required,
                       help="corpus folder (or manifest file); see --layout")
    group.add_argument("--layout", choices=sorted(LAYOUTS), default=None,
                       help="how the corpus folder is organised (default: guessed). speaker-folders: "
                            "<speaker>/**/<file>; fsdd: {digit}_{speaker}_{index}.wav; librispeech: "
                            "<spk>/<chapter>/ with transcripts or <spk>/<spk>-<ch>-<utt>.flac; voxceleb: "
                            "[wav/]<spk>/<video>/<utt>.wav; rttm: audio + <file id>.rttm; manifest: CSV/JSONL "
                            "with path,speaker[,id,start,end,text] or lhotse manifests")


def add_encoder_args(parser: argparse.ArgumentParser, default_encoder: str | None = None) -> None:
    group = parser.add_argument_group("encoder")
    group.add_argument("--encoder", required=default_encoder is None, default=default_encoder,
                       help="encoder name: mimi, lyra, ge2e, mfcc, logmel (see docs/encoders.md)")
    group.add_argument("--tap", action="extend", nargs="+", dest="taps", metavar="TAP",
                       help="tap point(s), e.g. --tap seanet layer4 prequant (repeatable); mimi: seanet, "
                            "layer1..layer8, prequant, quant{n}; lyra: latent, quant1..quant46; "
                            "ge2e: mel, partials, utterance; default: the encoder's default taps")
    group.add_argument("--weights", help="weights: Hugging Face id or local path (encoder-specific)")
    group.add_argument("--random-init", action="store_true",
                       help="use seeded random weights (an untrained control; every output says so); lyra: "
                            "its weights (--weights or the default) randomly permuted")
    group.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                       metavar="KEY=VALUE",
                       help="encoder setting(s), e.g. --encoder-opt partials_rate=2 trim_silences=true "
                            "(repeatable; values read as YAML). Settings and defaults: docs/encoders.md; "
                            "unknown keys and bad values are refused before any work")
    group.add_argument("--seed", type=int, default=0, help="seed for --random-init (default 0)")
    group.add_argument("--device", default="cpu", help="torch device (default cpu)")


def add_store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=Path(DEFAULT_STORE),
                        help=f"latent store folder (default {DEFAULT_STORE})")


def add_executor_args(parser: argparse.ArgumentParser) -> None:
    """Where extraction runs (:class:`codecprobe.extract.ExecutorConfig`); see docs/scale.md."""
    group = parser.add_argument_group("executor (where extraction runs; docs/scale.md)")
    group.add_argument("--executor", choices=("local", "ray"), default=None,
                       help="local: this process (default); ray: Ray Data reads the audio, a pool of Ray actors "
                            "encodes it (needs the extra: pip install 'codecprobe[ray]')")
    group.add_argument("--address", default=None,
                       help="ray: the cluster to join, 'auto' or HEAD_HOST:PORT (default: the cluster `ray start` "
                            "runs on this machine, else a Ray instance started for the run)")
    group.add_argument("--workers", type=int, default=None, help="ray: encoder actors, one model each (default 1)")
    group.add_argument("--gpus-per-worker", type=float, default=None,
                       help="ray: GPUs per actor (default 0); above 0 the actors encode on cuda")
    group.add_argument("--cpus-per-worker", type=float, default=None,
                       help="ray: CPUs per actor, also its torch threads (default 1)")


def executor_settings_from_args(args: argparse.Namespace, prefix: str = "") -> dict:
    """The executor options given on the command line, as ExecutorConfig fields (``prefix`` + name)."""
    given = {"kind": args.executor, "address": args.address, "workers": args.workers,
             "gpus_per_worker": args.gpus_per_worker, "cpus_per_worker": args.cpus_per_worker}
    return {prefix + key: value for key, value in given.items() if value is not None}


def corpus_from_args(args: argparse.Namespace):
    from codecprobe.data import load_corpus

    return load_corpus(args.corpus, args.layout)


def encoder_settings_from_args(args: argparse.Namespace) -> dict:
    from codecprobe.config import parse_assignments

    return parse_assignments(args.encoder_options, what="--encoder-opt")


def encoder_from_args(args: argparse.Namespace):
    from codecprobe.encoders import BuildOptions, build_encoder

    return build_encoder(args.encoder, BuildOptions(weights=args.weights, random_init=args.random_init,
                                                    seed=args.seed, device=args.device,
                                                    settings=encoder_settings_from_args(args)))


def describe_weights(identity) -> str:
    """One line that never lets random or permuted weights pass for trained ones."""
    from codecprobe.encoders import weights_label

    if identity.trained:
        return f"{identity.encoder}: trained weights {identity.weights_id}"
    return f"{identity.encoder}: {weights_label(identity.weights_id, False)} - not the real model"
