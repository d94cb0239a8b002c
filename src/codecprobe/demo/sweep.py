"""``codecprobe demo --full``: every sweep encoder and tap, and verify + diagnose per corpus and encoder."""
from __future__ import annotations

from pathlib import Path

from codecprobe.data import Corpus
from codecprobe.demo.config import DemoConfig
from codecprobe.demo.labels import corpus_label, encoder_label, say
from codecprobe.encoders import BuildOptions, Encoder, build_encoder, utterance_use
from codecprobe.errors import InputError
from codecprobe.store import StoredEntry

TAP_KEYS = ["corpus", "encoder", "weights", "tap", "segments", "frames", "dim", "frame_rate_hz", "x_real_time"]


def sweep_encoders(config: DemoConfig) -> list[tuple[Encoder, str]]:
    """Each sweep encoder that can be built here, with one line on its weights."""
    built = []
    for name in config.sweep_encoders:
        settings = config.settings.get(name, {})
        if name == "lyra":
            try:
                encoder = build_encoder("lyra", BuildOptions(seed=config.seed, settings=settings))
            except InputError as error:  # no weights folder, or no TFLite runtime: the sweep goes on without it
                say(f"lyra skipped: {error}")
                continue
            built.append((encoder, f"lyra: TRAINED weights {encoder.weights_id} (its control: the same weights "
                                   "randomly permuted)"))
        elif name == "mimi":
            built.append(_mimi(config, settings))
        else:
            encoder = build_encoder(name, BuildOptions(seed=config.seed, settings=settings))
            built.append((encoder, encoder.identity().describe()))
    return built


def _mimi(config: DemoConfig, settings: dict) -> tuple[Encoder, str]:
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


def speaker_studies(config: DemoConfig, corpora: list[Corpus], encoders, out: Path) -> list[dict]:
    """verify and diagnose per utterance corpus and encoder at its main tap; one report folder each."""
    from codecprobe.encoders.spec import EncoderSpec
    from codecprobe.verify.config import StudyConfig
    from codecprobe.verify.study import diagnose, verify

    studies = []
    for corpus in (c for c in corpora if not c.whole_recordings):
        for encoder, _ in encoders:
            identity = encoder.identity()
            trained_mimi = identity.encoder == "mimi" and identity.weights == "trained"
            study = StudyConfig(  # the encoder's canonical utterance-level preprocessing and primary tap
                corpus=str(corpus.root), layout=corpus.layout, encoders=[EncoderSpec(
                    identity.encoder, taps=[(utterance_use(identity.encoder).taps or encoder.default_taps)[0]],
                    weights=config.mimi_weights if trained_mimi and config.mimi_weights != "auto" else None,
                    random_init=identity.weights == "untrained", seed=config.seed,
                    settings=config.settings.get(identity.encoder, {}))], ceilings=[],
                store=str(out / "store"), backends=["cosine", "center", "probe"],
            )
            folder = out / "studies" / f"{corpus.name}-{identity.encoder}"
            verified = verify(study, folder / "verify", progress=False).to_dict()
            diagnosed = diagnose(study, folder / "diagnose", progress=False).to_dict()
            studies.append({"corpus": corpus.name, "encoder": identity.encoder,
                            "report": (folder / "verify" / "report.md").relative_to(out).as_posix(),
                            "verify": verified, "diagnose": diagnosed})
    return studies


def tap_rows(stored: list[StoredEntry], corpus: Corpus, encoder: Encoder, taps, summary) -> list[dict]:
    """One summary row per tap: what the store holds for this corpus and encoder."""
    identity = encoder.identity()
    entries = [e for e in stored if e.encoder == identity.encoder and e.weights_id == identity.weights_id
               and e.settings == identity.settings]
    segment_ids = {s.id for s in corpus.segments()}
    rows = []
    for tap in taps:
        mine = [e for e in entries if e.tap == tap and e.segment_id in segment_ids]
        if mine:
            rows.append(dict(zip(TAP_KEYS, [corpus_label(corpus.name), identity.encoder,
                                            encoder_label(identity.encoder, identity.trained, identity.weights), tap, len(mine),
                                            sum(e.frames for e in mine), mine[0].dim, mine[0].frame_rate,
                                            summary.real_time_factor])))
    return rows
