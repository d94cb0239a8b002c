"""``codecprobe demo``: the whole pipeline as it stands, on data found or made locally.

1. Corpora: the ones given, else the real speech sets in ``../shared/data`` where that
   folder exists, else a small corpus of synthetic voices made here (see
   :mod:`codecprobe.data.synthetic`).
2. Encoders: every registered baseline and Mimi. Mimi's trained weights are used when
   they can be loaded (``--mimi-weights``, default ``kyutai/mimi`` from the local
   Hugging Face cache); otherwise the demo uses seeded random weights and says so in
   every line that shows them: the numbers are then an untrained control.
3. Extraction of every tap into one latent store, and a summary table.

Everything lands in ``--out``: ``demo.md``, ``demo.json`` and the store.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from codecprobe.config import save_config
from codecprobe.data import Corpus, load_corpus
from codecprobe.data.synthetic import make_synthetic_corpus
from codecprobe.encoders import BuildOptions, Encoder, build_encoder
from codecprobe.errors import InputError
from codecprobe.extract import extract
from codecprobe.report import atomic_write_text, markdown_table, provenance, write_json
from codecprobe.store import LatentStore

SHARED_SETS = ("librispeech-test-other", "vctk-autovc")
MIMI_TAPS = ("seanet", *(f"layer{i}" for i in range(1, 9)), "prequant", "quant1", "quant2", "quant4", "quant8")


@dataclass
class DemoConfig:
    corpora: list[str] = field(default_factory=list)  # empty: ../shared/data sets, else synthetic voices
    layout: str | None = None
    out: str = "runs/demo"
    encoders: list[str] = field(default_factory=lambda: ["mfcc", "logmel", "ge2e", "mimi"])
    mimi_weights: str = "auto"  # "auto": trained kyutai/mimi if loadable, else random init; "random"; or an id/path
    seed: int = 0
    progress: bool = True


def run_demo(config: DemoConfig) -> dict:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    corpora, data_note = _corpora(config, out)
    say(f"data: {data_note}")
    encoders = [_build(name, config) for name in config.encoders]
    for encoder, note in encoders:
        say(f"encoder {note}")

    rows, summaries = [], []
    with LatentStore(out / "store") as store:
        for corpus in corpora:
            for encoder, _ in encoders:
                taps = MIMI_TAPS if encoder.name == "mimi" else encoder.taps
                summary = extract(corpus, encoder, taps, store, progress=config.progress)
                summaries.append({"corpus": corpus.name, **summary.to_dict()})
                rows += _tap_rows(store, corpus, encoder, taps, summary)

    headers = ["corpus", "encoder", "weights", "tap", "segments", "frames", "dim", "frame rate (Hz)", "x real time"]
    table = markdown_table(headers, rows, float_format="{:.1f}")
    print(table)
    result = {"data": data_note, "encoders": [note for _, note in encoders], "extraction": summaries,
              "taps": [dict(zip(headers, row)) for row in rows], "provenance": provenance()}
    write_json(out / "demo.json", result)
    atomic_write_text(out / "demo.md", "\n\n".join([
        "# codecprobe demo", f"Data: {data_note}", "Encoders:\n" + "\n".join(f"- {n}" for _, n in encoders),
        "## Extracted taps", table, f"Store: `{out / 'store'}` (see `codecprobe store show`).",
    ]) + "\n")
    say(f"report: {out / 'demo.md'}, {out / 'demo.json'}")
    return result


def _corpora(config: DemoConfig, out: Path) -> tuple[list[Corpus], str]:
    if config.corpora:
        corpora = [load_corpus(path, config.layout) for path in config.corpora]
        return corpora, "given corpora: " + ", ".join(config.corpora)
    shared = Path.cwd().parent / "shared" / "data"
    if all((shared / name).is_dir() for name in SHARED_SETS):
        corpora = [load_corpus(shared / name) for name in SHARED_SETS]
        return corpora, "real speech from ../shared/data: " + ", ".join(
            f"{c.name} ({len(c.speakers())} speakers, {len(c.segments())} utterances)" for c in corpora)
    root = make_synthetic_corpus(out / "synthetic-voices", seed=config.seed)
    corpus = load_corpus(root, "speaker-folders")
    return [corpus], (f"synthetic voices made offline by codecprobe ({len(corpus.speakers())} voices, "
                      f"{len(corpus.segments())} utterances; no ../shared/data found)")


def _build(name: str, config: DemoConfig) -> tuple[Encoder, str]:
    if name != "mimi":
        encoder = build_encoder(name, BuildOptions(seed=config.seed))
        return encoder, f"{name}: {encoder.weights_id}"
    if config.mimi_weights != "random":
        weights = None if config.mimi_weights == "auto" else config.mimi_weights
        try:
            encoder = build_encoder("mimi", BuildOptions(weights=weights))
            return encoder, f"mimi: TRAINED weights {encoder.weights_id}"
        except InputError as error:
            if config.mimi_weights != "auto":
                raise
            say(f"mimi: trained weights unavailable ({str(error).splitlines()[0][:160]}...)")
    encoder = build_encoder("mimi", BuildOptions(random_init=True, seed=config.seed))
    return encoder, (f"mimi: RANDOM weights ({encoder.weights_id}), an untrained control - "
                     "not Kyutai's trained model; pass --mimi-weights to use real weights")


def _tap_rows(store: LatentStore, corpus: Corpus, encoder: Encoder, taps, summary) -> list[list]:
    identity = encoder.identity()
    weights = identity.weights_id + ("" if identity.trained else " (RANDOM)")
    entries = [e for e in store.entries() if e.encoder == identity.encoder and e.weights_id == identity.weights_id]
    segment_ids = {s.id for s in corpus.segments()}
    rows = []
    for tap in taps:
        mine = [e for e in entries if e.tap == tap and e.segment_id in segment_ids]
        if mine:
            rows.append([corpus.name, identity.encoder, weights, tap, len(mine), sum(e.frames for e in mine),
                         mine[0].dim, mine[0].frame_rate, summary.real_time_factor])
    return rows


def say(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)
