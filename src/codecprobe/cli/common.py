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
