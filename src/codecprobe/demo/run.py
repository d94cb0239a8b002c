"""``codecprobe demo``: the whole pipeline as it stands, on data found or made locally.

1. Corpora: the ones given, else the real speech sets in ``../shared/data`` beside the
   project (not the current folder) where that folder exists, else a small corpus of
   synthetic voices made here (see :mod:`codecprobe.data.synthetic`).
2. Encoders: every registered baseline, Mimi and Lyra. Mimi's trained weights are used when
   they can be loaded (``--mimi-weights``, default ``kyutai/mimi`` from the local
   Hugging Face cache); otherwise the demo uses seeded random weights and says so in
   every line that shows them: the numbers are then an untrained control. Lyra (a trained
   codec) runs where its weights (``../shared/models/lyra-v2``) and runtime are at hand,
   beside its control (its weights randomly permuted); elsewhere it is skipped, with a note.
3. Extraction of every tap into one latent store, and a summary table.
4. Speaker verification and seed 002's diagnostics per corpus and encoder at its main
   tap (``codecprobe verify`` / ``diagnose``: back-ends fitted on held-out speakers, a
   trained encoder beside its untrained control), with the seeds' verdicts.
5. ``codecprobe diarize`` on the real conversations of ``../shared/data`` (else on
   conversations simulated from the synthetic voices), scored as md-eval scores them: the
   training-free classic baseline and a small adapter trained here (``codecprobe train``)
   on conversations simulated from the demo's speaker corpora, each labelled.

Everything lands in ``--out``: ``demo.md``, ``demo.json``, the store and one report
folder per study.
"""
from __future__ import annotations

import sys
from pathlib import Path

from codecprobe.config import save_config
from codecprobe.demo.config import DemoConfig, DemoResult
from codecprobe.data import Corpus, load_corpus
from codecprobe.data.synthetic import make_synthetic_corpus
from codecprobe.encoders import BuildOptions, Encoder, build_encoder, utterance_use, weights_label
from codecprobe.errors import InputError
from codecprobe.extract import extract
from codecprobe.report import provenance
from codecprobe.demo.report import study_table, tap_table
from codecprobe.report.results import write_study
from codecprobe.store import StoredEntry, open_store
from codecprobe.verify.config import StudyConfig

SHARED_SETS = ("librispeech-test-other", "vctk-autovc")
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"  # ../shared/data beside the project


def run_demo(config: DemoConfig) -> dict:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    unknown = sorted(set(config.encoder_options) - set(config.encoders))
    if unknown:
        raise InputError(f"encoder_options for {', '.join(unknown)}, which the demo does not run "
                         f"(encoders: {', '.join(config.encoders)})")
    corpora, data_note = _corpora(config, out)
    say(f"data: {data_note}")
    encoders = [built for built in (_build(name, config) for name in config.encoders) if built is not None]
    for _encoder, note in encoders:
        say(f"encoder {note}")

    runs, summaries = [], []
    with open_store(out / "store") as store:
        for corpus in corpora:
            for encoder, _ in encoders:
                taps = encoder.sweep_taps
                summary = extract(corpus, encoder, taps, store, progress=config.progress)
                summaries.append({"corpus": corpus.name, **summary.to_dict()})
                runs.append((corpus, encoder, taps, summary))
        stored = store.entries()
    rows = [row for run in runs for row in _tap_rows(stored, *run)]
    keys = ["corpus", "encoder", "weights", "tap", "segments", "frames", "dim", "frame_rate_hz", "x_real_time"]
    taps = [dict(zip(keys, row)) for row in rows]
    print(tap_table(taps).markdown())
    studies = _speaker_studies(config, corpora, encoders, out)
    print(study_table(studies).markdown())
    diarization = _diarization(config, out, corpora)
    if diarization:
        print(diarization["table"])
    result = DemoResult(data_note, [note for _, note in encoders], summaries, taps, studies, diarization, config,
                        provenance())
    write_study(result, out)
    say(f"report: {out / 'demo.md'}, {out / 'demo.json'}")
    return result.to_dict()


def _speaker_studies(config: DemoConfig, corpora: list[Corpus], encoders, out: Path) -> list[dict]:
    """verify and diagnose per utterance corpus and encoder; one report folder each."""
    from codecprobe.verify.study import diagnose, verify

    studies = []
    for corpus in (c for c in corpora if not c.whole_recordings):
        for encoder, _ in encoders:
            identity = encoder.identity()
            study = StudyConfig(  # the encoder's canonical utterance-level preprocessing and primary tap
                corpus=str(corpus.root), layout=corpus.layout, encoder=identity.encoder,
                encoder_options=config.encoder_options.get(identity.encoder, {}),
                taps=[(utterance_use(identity.encoder).taps or encoder.default_taps)[0]],
                random_init=identity.weights == "untrained", seed=config.seed,
                weights=_mimi_weights(config) if identity.encoder == "mimi" and identity.weights == "trained" else None,
                store=str(out / "store"), backends=["cosine", "center", "probe"],
            )
            folder = out / "studies" / f"{corpus.name}-{identity.encoder}"
            verified = verify(study, folder / "verify", progress=False).to_dict()
            diagnosed = diagnose(study, folder / "diagnose", progress=False).to_dict()
            studies.append({"corpus": corpus.name, "encoder": identity.encoder, "report": str(folder),
                            "verify": verified, "diagnose": diagnosed})
    return studies


def _mimi_weights(config: DemoConfig) -> str | None:
    return None if config.mimi_weights in ("auto", "random") else config.mimi_weights


def _diarization(config: DemoConfig, out: Path, corpora: list[Corpus]) -> dict | None:
    """``codecprobe diarize`` on the real conversations of ../shared/data (else on conversations
    simulated from the synthetic voices): the training-free classic baseline beside a small
    adapter trained here on conversations simulated from the demo's speaker corpora."""
    if config.corpora:
        return None
    from codecprobe.diarize.config import DiarizeConfig
    from codecprobe.demo.showcase import demo_conversations, diarize_conversations, train_demo_adapter

    voices = next((c.root for c in corpora if c.name == "synthetic-voices"), None)
    conversations, source = demo_conversations(SHARED_DATA, voices, out / "diarize",
                                               config.seed)
    if not conversations:
        return None
    say("diarization: training a small adapter on simulated conversations")
    checkpoint, adapter_note = train_demo_adapter([c.root for c in corpora], out / "diarize" / "adapter",
                                                  config.seed, config.adapter_steps, progress=config.progress)
    systems = [("classic", DiarizeConfig(pipeline="classic")), ("adapter", DiarizeConfig(model=str(checkpoint)))]
    result = diarize_conversations(conversations, out / "diarize", systems, progress=config.progress)
    return {"source": source, "adapter": {"checkpoint": str(checkpoint), "what": adapter_note}, **result}


def _corpora(config: DemoConfig, out: Path) -> tuple[list[Corpus], str]:
    if config.corpora:
        corpora = [load_corpus(path, config.layout) for path in config.corpora]
        return corpora, "given corpora: " + ", ".join(config.corpora)
    if all((SHARED_DATA / name).is_dir() for name in SHARED_SETS):
        corpora = [load_corpus(SHARED_DATA / name) for name in SHARED_SETS]
        return corpora, f"real speech from {SHARED_DATA}: " + ", ".join(
            f"{c.name} ({len(c.speakers())} speakers, {len(c.segments())} utterances)" for c in corpora)
    root = make_synthetic_corpus(out / "synthetic-voices", seed=config.seed)
    corpus = load_corpus(root, "speaker-folders")
    return [corpus], (f"synthetic voices made offline by codecprobe ({len(corpus.speakers())} voices, "
                      f"{len(corpus.segments())} utterances; no {', '.join(SHARED_SETS)} in {SHARED_DATA})")


def _build(name: str, config: DemoConfig) -> tuple[Encoder, str] | None:
    settings = config.encoder_options.get(name, {})
    if name == "lyra":
        try:
            encoder = build_encoder("lyra", BuildOptions(seed=config.seed, settings=settings))
        except InputError as error:  # no weights folder, or no TFLite runtime: the demo goes on without it
            say(f"lyra skipped: {error}")
            return None
        return encoder, f"lyra: TRAINED weights {encoder.weights_id} (its control: the same weights randomly permuted)"
    if name != "mimi":
        encoder = build_encoder(name, BuildOptions(seed=config.seed, settings=settings))
        return encoder, encoder.identity().describe()
    if config.mimi_weights != "random":
        weights = None if config.mimi_weights == "auto" else config.mimi_weights
        try:
            encoder = build_encoder("mimi", BuildOptions(weights=weights, settings=settings))
            return encoder, f"mimi: TRAINED weights {encoder.weights_id}"
        except InputError as error:
            if config.mimi_weights != "auto":
                raise
            say(f"mimi: trained weights unavailable ({str(error).splitlines()[0][:160]}...)")
    encoder = build_encoder("mimi", BuildOptions(random_init=True, seed=config.seed, settings=settings))
    return encoder, (f"mimi: RANDOM weights ({encoder.weights_id}), an untrained control - "
                     "not Kyutai's trained model; pass --mimi-weights to use real weights")


def _tap_rows(stored: list[StoredEntry], corpus: Corpus, encoder: Encoder, taps, summary) -> list[list]:
    """One summary row per tap: what the store holds for this corpus and encoder."""
    identity = encoder.identity()
    weights = weights_label(identity.weights_id, identity.trained)
    entries = [e for e in stored if e.encoder == identity.encoder and e.weights_id == identity.weights_id
               and e.settings == identity.settings]
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
