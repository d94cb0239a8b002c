"""``codecprobe demo``: what trained models say on real speech, in about five minutes.

1. Data: the corpora given, else the real speech of ``../shared/data`` beside the project
   (not the current folder) where that folder exists, else a small corpus of synthetic
   voices made here (see :mod:`codecprobe.data.synthetic`).
2. Speaker identity (``codecprobe verify``): each lead encoder (the trained Lyra v2 codec
   beside its permuted control, CAM++ and GE2E) at its primary utterance tap, with bootstrap
   intervals over speakers. On ``../shared/data`` every speaker of TIMIT's sample (16) is
   evaluated and the back-ends are fitted on LibriSpeech test-other, so the verdicts stand on
   more speakers than the thresholds ask for and no speaker is both fitted and evaluated.
3. Diarization (``codecprobe diarize``) of the real conversations of ``../shared/data`` (else
   of conversations simulated from the synthetic voices) by each configured pipeline this
   build has (default: pyannote's trained pipeline and the classic baseline), scored as
   md-eval scores them, with one picture per recording.
4. ``--full`` adds the sweep: every sweep encoder and tap over LibriSpeech and VCTK into one
   store, verify and diagnose per corpus and encoder (random-init Mimi unless Mimi's weights
   are given), and a small adapter trained here, diarizing beside the pipelines.

Everything lands in ``--out``: ``demo.md``, ``demo.json``, ``figures/``, the store and one
report folder per study. A rerun reuses the store and the diarized recordings.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codecprobe.config import save_config
from codecprobe.data import Corpus, load_corpus
from codecprobe.data.synthetic import make_synthetic_corpus
from codecprobe.demo.config import DemoConfig, DemoResult
from codecprobe.demo.labels import corpus_label, encoder_label, say
from codecprobe.errors import InputError
from codecprobe.report import provenance
from codecprobe.report.results import write_study
from codecprobe.store import open_store

SWEEP_SETS = ("librispeech-test-other", "vctk-autovc")
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"  # ../shared/data beside the project


@dataclass
class DemoData:
    note: str  # where the data came from, in words
    identity_sets: list[tuple[Corpus, Corpus | None]]  # (evaluated, fitted on; None: held-out halves)
    sweep_corpora: list[Corpus]
    voices: Path | None  # synthetic voices to simulate conversations from
    conversations: bool  # whether the demo diarizes (not on corpora given by hand)


def run_demo(config: DemoConfig) -> dict:
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    used = set(config.encoders) | (set(config.sweep_encoders) if config.full else set())
    unknown = sorted(set(config.settings) - used)
    if unknown:
        raise InputError(f"settings (--encoder-opt) for {', '.join(unknown)}, which the demo does not run "
                         f"(encoders: {', '.join(sorted(used))})")
    data = demo_data(config, out)
    say(f"data: {data.note}")
    names: dict[str, str] = {}
    for corpus in {c.name: c for pair in data.identity_sets for c in pair if c is not None}.values():
        names[corpus_label(corpus.name)] = f"{corpus.name}: {corpus.root}"
    identity = _identity(config, data, out, names)
    sweep, adapter = (_sweep(config, data, out, names) if config.full else (None, None))
    diarization = _diarization(config, data, out, adapter)
    for system in (diarization or {}).get("systems", []):
        names[system["name"]] = system["label"]
    result = DemoResult(data.note, [{"label": k, "what": v} for k, v in names.items()], identity, diarization,
                        sweep, config, provenance())
    write_study(result, out)
    say(f"report: {out / 'demo.md'}, {out / 'demo.json'}")
    return result.to_dict()


def demo_data(config: DemoConfig, out: Path) -> DemoData:
    if config.corpora:
        corpora = [load_corpus(path, config.layout) for path in config.corpora]
        return DemoData("given corpora: " + ", ".join(config.corpora), [(c, None) for c in corpora], corpora,
                        None, False)
    wanted = (config.eval_set, config.train_set, *(SWEEP_SETS if config.full else ()))
    if all((SHARED_DATA / name).is_dir() for name in wanted):
        evaluated, fitted = load_corpus(SHARED_DATA / config.eval_set), load_corpus(SHARED_DATA / config.train_set)
        sweep = [load_corpus(SHARED_DATA / name) for name in SWEEP_SETS] if config.full else []
        return DemoData(f"real speech from {SHARED_DATA}: {_sized(evaluated)} evaluated, back-ends fitted on "
                        f"{_sized(fitted)}", [(evaluated, fitted)], sweep, None, True)
    root = make_synthetic_corpus(out / "synthetic-voices", seed=config.seed)
    corpus = load_corpus(root, "speaker-folders")
    return DemoData(f"synthetic voices made offline by codecprobe ({len(corpus.speakers())} voices, "
                    f"{len(corpus.segments())} utterances; no {', '.join(wanted)} in {SHARED_DATA})",
                    [(corpus, None)], [corpus], root, True)


def _sized(corpus: Corpus) -> str:
    return f"{corpus.name} ({len(corpus.speakers())} speakers, {len(corpus.segments())} utterances)"


def _identity(config: DemoConfig, data: DemoData, out: Path, names: dict[str, str]) -> dict:
    """``codecprobe verify`` per identity set and lead encoder; one row per role and back-end."""
    from codecprobe.demo.figures import identity_figure
    from codecprobe.encoders import utterance_use
    from codecprobe.encoders.spec import EncoderSpec
    from codecprobe.verify.config import StudyConfig
    from codecprobe.verify.study import verify

    rows, skipped = [], []
    for corpus, fitted in data.identity_sets:
        for name in config.encoders:
            study = StudyConfig(
                corpus=str(corpus.root), layout=corpus.layout,
                encoders=[EncoderSpec(name, taps=list(utterance_use(name).taps[:1]), seed=config.seed,
                                      settings=config.settings.get(name, {}))], ceilings=[],
                train_corpus=None if fitted is None else str(fitted.root),
                train_layout=None if fitted is None else fitted.layout,
                control=name in config.controls, store=str(out / "store"), backends=list(config.backends))
            folder = out / "identity" / f"{corpus.name}-{name}"
            say(f"speaker identity: {name} on {corpus.name}")
            try:
                verified = verify(study, folder, progress=False)
            except InputError as error:  # no weights or runtime here: the demo goes on without it
                skipped.append(f"{name}: {str(error).splitlines()[0]}")
                say(f"{name} skipped: {skipped[-1]}")
                continue
            for _, record in verified.encoders[0].roles:
                names[encoder_label(record.encoder, record.trained, record.weights)] = record.description
            rows += [{"eval_set": corpus_label(corpus.name),
                      "train_set": corpus_label(fitted.name) if fitted else "held-out half",
                      "label": encoder_label(r.encoder, r.trained, r.weights), "encoder": r.encoder,
                      "role": r.role, "tap": r.tap, "backend": r.backend, "eer": r.eer,
                      "eer_interval": r.eer_interval, "verdict": r.verdict, "control_eer": r.control_eer,
                      "against_control": r.against_control,
                      "eval_speakers": verified.data.eval_speakers, "train_speakers": verified.data.train_speakers,
                      "n_trials": r.n_trials, "report": (folder / "report.md").relative_to(out).as_posix()}
                     for r in verified.results]
    figure = identity_figure(rows, out / "figures" / "identity.png") if rows else None
    return {"rows": rows, "skipped": skipped, "figure": figure and figure.relative_to(out).as_posix(),
            "thresholds": _thresholds()}


def _thresholds() -> dict:
    from dataclasses import asdict

    from codecprobe.verify.config import Thresholds

    return asdict(Thresholds())


def _diarization(config: DemoConfig, data: DemoData, out: Path, adapter: dict | None) -> dict | None:
    """The conversations through each available pipeline (and the sweep's adapter), scored, with
    one picture per recording."""
    if not data.conversations or not (config.pipelines or adapter):
        return None
    from codecprobe.demo.showcase import demo_conversations, diarize_conversations, pipeline_systems

    conversations, source = demo_conversations(SHARED_DATA, data.voices, out / "diarize", config.seed)
    if not conversations:
        return None
    systems, notes = pipeline_systems(config.pipelines)
    for note in notes:
        say(note)
    if adapter is not None:
        from codecprobe.diarize.config import DiarizeConfig

        systems.append(("adapter", DiarizeConfig(model=adapter["checkpoint"]), None))
    result = diarize_conversations(conversations, out / "diarize", systems, out, progress=config.progress)
    return {"source": source, "notes": notes, "adapter": adapter, **result}


def _sweep(config: DemoConfig, data: DemoData, out: Path, names: dict[str, str]) -> tuple[dict, dict | None]:
    """``--full``: every sweep encoder and tap into the store, verify and diagnose per corpus and
    encoder at its main tap, and the small adapter (trained where there are conversations)."""
    from codecprobe.demo.sweep import speaker_studies, sweep_encoders, tap_rows
    from codecprobe.extract import extract

    encoders = sweep_encoders(config)
    for encoder, note in encoders:
        identity = encoder.identity()
        names.setdefault(encoder_label(identity.encoder, identity.trained, identity.weights), note)
        say(f"sweep encoder {note}")
    for corpus in data.sweep_corpora:
        names.setdefault(corpus_label(corpus.name), f"{corpus.name}: {corpus.root}")
    runs, summaries = [], []
    with open_store(out / "store") as store:
        for corpus in data.sweep_corpora:
            for encoder, _ in encoders:
                summary = extract(corpus, encoder, encoder.sweep_taps, store, progress=config.progress)
                summaries.append({"corpus": corpus.name, **summary.to_dict()})
                runs.append((corpus, encoder, encoder.sweep_taps, summary))
        stored = store.entries()
    taps = [row for run in runs for row in tap_rows(stored, *run)]
    studies = speaker_studies(config, data.sweep_corpora, encoders, out)
    adapter = None
    if data.conversations:
        from codecprobe.demo.showcase import train_demo_adapter

        say("diarization: training a small adapter on simulated conversations")
        checkpoint, what = train_demo_adapter([c.root for c in data.sweep_corpora], out / "diarize" / "adapter",
                                              config.seed, config.adapter_steps, progress=config.progress)
        adapter = {"checkpoint": str(checkpoint), "what": what}
    return {"encoders": [note for _, note in encoders], "extraction": summaries, "taps": taps,
            "speaker_studies": studies}, adapter
