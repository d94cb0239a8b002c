"""The pipelines behind ``codecprobe verify`` and ``codecprobe diagnose``.

1. :func:`split_data`: which segments are evaluated and which (disjoint) ones the
   back-ends are fitted on: a ``train_corpus``, or the corpus speakers that no trial
   names, or else a seeded split of the corpus speakers. Everything that can be checked
   without work (trial files, back-ends that need disjoint speakers, taps) is checked
   before any extraction.
2. :func:`plan_encoders`: every encoder as its authors use it for whole utterances (its
   declared canonical preprocessing, :class:`~codecprobe.encoders.UtteranceUse`) and its
   untrained control (same architecture, seeded random weights, or for lyra its weights
   randomly permuted); then the ceilings (dedicated speaker encoders, no control).
3. :class:`EmbeddingSource`: extract the taps into the latent store (cached) and pool each
   segment's frames into one utterance embedding. Segments that cannot be read or encoded
   are left out and named in the result.
4. For every encoder, role, tap and back-end: fit (a seeded back-end once per seed in verify),
   score the trials (:func:`run_verify`) or compute the speaker-space diagnostics
   (:func:`run_diagnose`), with bootstrap intervals over speakers.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field

import numpy as np
from lhotse import SupervisionSegment

from codecprobe.data import Corpus, load_corpus
from codecprobe.encoders import Encoder, EncoderIdentity, utterance_settings, utterance_use
from codecprobe.encoders.roles import Role, encoder_roles
from codecprobe.encoders.spec import EncoderSpec
from codecprobe.errors import InputError
from codecprobe.verify import metrics
from codecprobe.verify.backends import BACKENDS, CenterLengthNorm, build_backend
from codecprobe.verify.config import StudyConfig
from codecprobe.verify.diagnostics import Diagnostics
from codecprobe.verify.diagnostics import diagnose as diagnose_space
from codecprobe.verify.pooling import pool
from codecprobe.verify.results import CalibrationRecord, PairedTest, TrainingRecord
from codecprobe.verify.trials import Trials, generate_trials, read_trials


# -- which data plays which part ---------------------------------------------------------
@dataclass
class Split:
    corpus: Corpus
    eval_segments: list[SupervisionSegment]
    train_corpus: Corpus
    train_segments: list[SupervisionSegment]
    trials: Trials | None
    description: str  # for the report: where the back-ends were fitted

    def without(self, eval_failed: set[str], train_failed: set[str]) -> "Split":
        """The split less the segments that could not be encoded (ids of the corpus and of the training corpus)."""
        if not eval_failed and not train_failed:
            return self
        split = dataclasses.replace(
            self, eval_segments=[s for s in self.eval_segments if s.id not in eval_failed],
            train_segments=[s for s in self.train_segments if s.id not in train_failed],
            trials=self.trials.without(eval_failed) if self.trials is not None else None)
        if len({s.speaker for s in split.eval_segments}) < 2:
            raise InputError(f"{self.corpus.name}: fewer than 2 speakers left once the {len(eval_failed)} segment(s) "
                             "that could not be encoded are left out")
        _check_trials(split.trials)
        return split


def _check_trials(trials: Trials | None) -> None:
    if trials is not None and (trials.n_target == 0 or trials.n_target == len(trials)):
        raise InputError(f"{trials.source}: trials need both same-speaker and different-speaker pairs")


def split_data(config: StudyConfig, with_trials: bool = True) -> Split:
    config.check()
    corpus = load_corpus(config.corpus, config.layout)
    segments = [s for s in corpus.segments() if s.speaker is not None]
    if not segments:
        raise InputError(f"{config.corpus}: no speaker-labelled segments")
    train_corpus = load_corpus(config.train_corpus, config.train_layout) if config.train_corpus else None

    if config.trials:
        trials = read_trials(config.trials, known_ids={s.id for s in corpus.segments()})
        named = set(trials.segment_ids())
        if unlabelled := sorted(named - {s.id for s in segments}):
            raise InputError(f"{config.trials}: {len(unlabelled)} trial segment(s) without a speaker in {config.corpus}, "
                             f"e.g. {unlabelled[0]}; verify needs the speakers of the segments it scores")
        eval_segments = [s for s in segments if s.id in named]
        trial_speakers = {s.speaker for s in eval_segments}
        if train_corpus is None:
            train_segments = [s for s in segments if s.speaker not in trial_speakers]
            description = (f"back-ends fitted on the {len({s.speaker for s in train_segments})} speakers of "
                           f"{corpus.name} that no trial names")
    else:
        trials = None
        if train_corpus is None:
            rng = np.random.default_rng(config.split_seed)
            speakers = corpus.speakers()
            n_train = int(round(config.train_fraction * len(speakers)))
            if not 2 <= n_train <= len(speakers) - 2:
                raise InputError(f"{config.corpus}: {len(speakers)} speakers cannot be split into >= 2 for fitting "
                                 f"and >= 2 for trials (train_fraction {config.train_fraction}); give --train-corpus")
            held_out = set(rng.permutation(speakers)[:n_train].tolist())
            train_segments = [s for s in segments if s.speaker in held_out]
            eval_segments = [s for s in segments if s.speaker not in held_out]
            description = (f"back-ends fitted on {n_train} of {len(speakers)} speakers of {corpus.name} "
                           f"({', '.join(sorted(held_out))}; seeded split, seed {config.split_seed}), "
                           f"evaluated on the other {len(speakers) - n_train}")
        else:
            eval_segments = segments
        if with_trials:
            trials = generate_trials(eval_segments, config.max_trials_per_class, config.trial_seed,
                                     config.exclude_same_recording)

    if train_corpus is not None:
        train_segments = [s for s in train_corpus.segments() if s.speaker is not None]
        overlap = {s.speaker for s in train_segments} & {s.speaker for s in eval_segments}
        description = f"back-ends fitted on the separate corpus {train_corpus.name}"
        if overlap:
            description += f" (WARNING: {len(overlap)} speaker labels also occur in the trials)"
    if with_trials:
        _check_trials(trials)
    split = Split(corpus, eval_segments, train_corpus or corpus, train_segments, trials, description)
    _check_backends(config, split)
    return split


def _check_backends(config: StudyConfig, split: Split) -> None:
    fitted = [name for name in config.backends if name != "cosine"]  # raw cosine learns nothing
    if fitted and not split.train_segments:
        raise InputError(f"back-end(s) {', '.join(fitted)} must be fitted on speakers disjoint from the trials, and "
                         f"none of {split.train_corpus.name} is left for it: give --train-corpus DIR "
                         "(or --backend cosine)")


# -- embeddings ---------------------------------------------------------------------------
class EmbeddingSource:
    """Pooled utterance embeddings of one encoder, extracted through the latent store."""

    def __init__(self, encoder: Encoder, store, config: StudyConfig, progress: bool = True):
        self.encoder = encoder
        self.identity = encoder.identity()
        self.store = store
        self.config = config
        self.progress = progress
        self._speech: dict[tuple[str, str], list[tuple[float, float]]] = {}  # VAD segments, shared by taps

    def extract(self, corpus: Corpus, taps: list[str]) -> list[tuple[str, str]]:
        """Extract what the store lacks; returns ``(file or segment id, reason)`` of every input that failed."""
        from codecprobe.extract import extract

        return extract(corpus, self.encoder, taps, self.store, progress=self.progress,
                       executor=self.config.executor).failures

    def embeddings(self, corpus: Corpus, segments: list[SupervisionSegment], tap: str) -> np.ndarray:
        """One pooled row per segment, in order; frames are read shard by shard and pooled at once."""
        position = {segment.id: i for i, segment in enumerate(segments)}
        rows: list[np.ndarray | None] = [None] * len(segments)
        for segment_id, frames in self.store.read_many(position, self.identity, tap):
            segment = segments[position[segment_id]]
            mask = self._speech_mask(corpus, segment, tap, len(frames)) if self.config.vad else None
            rows[position[segment_id]] = pool(frames, self.config.pooling, mask)
        return np.stack(rows)

    def frames(self, corpus: Corpus, segments: list[SupervisionSegment], tap: str) -> list[np.ndarray]:
        """Each segment's frames (its speech frames with ``vad``), in order, for back-ends trained on frames."""
        position = {segment.id: i for i, segment in enumerate(segments)}
        rows: list[np.ndarray | None] = [None] * len(segments)
        for segment_id, frames in self.store.read_many(position, self.identity, tap):
            segment = segments[position[segment_id]]
            mask = self._speech_mask(corpus, segment, tap, len(frames)) if self.config.vad else None
            rows[position[segment_id]] = frames[mask] if mask is not None and mask.any() else frames
        return rows

    def inputs(self, corpus: Corpus, segments: list[SupervisionSegment], taps: list[str], kind: str):
        """What a back-end of this input kind is fitted on and scores: pooled rows ``[n, dim]`` of one tap
        (``pooled``), one tap's frame arrays (``frames``), or each tap's layer-normalised frame means
        ``[n, taps, dim]`` (``taps``, for the weighted sum; the taps must have one width)."""
        if kind == "pooled":
            return self.embeddings(corpus, segments, taps[0])
        if kind == "frames":
            return self.frames(corpus, segments, taps[0])
        from codecprobe.verify.heads import pool_taps

        means = [pool_taps([[f] for f in self.frames(corpus, segments, tap)], self.config.weighted_sum.layer_norm)[:, 0]
                 for tap in taps]
        widths = {tap: m.shape[1] for tap, m in zip(taps, means)}
        if len(set(widths.values())) > 1:
            raise InputError(f"--backend weighted-sum needs taps of one width; {self.identity.encoder} has "
                             + ", ".join(f"{tap} {width}" for tap, width in widths.items())
                             + ": choose taps of one width with --tap")
        return np.stack(means, axis=1)

    def _speech_mask(self, corpus: Corpus, segment: SupervisionSegment, tap: str, n_frames: int) -> np.ndarray:
        from codecprobe.audio import read_audio
        from codecprobe.audio.vad import VAD_RATE, segments_to_frame_mask, speech_segments

        key = (corpus.name, segment.id)
        if key not in self._speech:
            audio, _ = read_audio(corpus.audio_path(segment.recording_id), segment.start,
                                  segment.start + segment.duration, target_rate=VAD_RATE)
            self._speech[key] = speech_segments(audio, VAD_RATE, self.config.vad_threshold)
        return segments_to_frame_mask(self._speech[key], self.store.frame_rate(self.identity, tap), n_frames)


# -- encoders ----------------------------------------------------------------------------
@dataclass
class EncoderPlan:
    """One encoder of the study, built and checked before any extraction: its roles (the encoder and its
    untrained control; a ceiling alone), taps and bitrates."""

    kind: str  # "encoder" or "ceiling"
    spec: EncoderSpec
    roles: list[Role]
    control_note: str
    preprocessing: str  # its utterance-level preprocessing, in words
    taps: list[str]
    kbps: dict[str, float]  # the bitrate of each tap that is a code (Encoder.bitrate_kbps)

    @property
    def name(self) -> str:
        return self.spec.encoder


def plan_encoders(config: StudyConfig) -> list[EncoderPlan]:
    """Every encoder (with its canonical utterance-level settings and, where it applies, its untrained control),
    then every ceiling not already among them, built and with its taps checked."""
    config.check()
    names = {spec.encoder for spec in config.encoders}
    plans = []
    for kind, spec in [("encoder", s) for s in config.encoders] + [("ceiling", s) for s in config.ceilings
                                                                   if s.encoder not in names]:
        settings = utterance_settings(spec.encoder, spec.settings, config.canonical_preprocessing)
        options = dataclasses.replace(spec, settings=settings).build_options(config.device)
        roles, note = encoder_roles(spec.encoder, options, kind == "encoder" and config.control, config.control_seed)
        if kind == "ceiling":
            roles = [dataclasses.replace(roles[0], name="ceiling")]
            note = f"{spec.encoder} is a ceiling (a dedicated speaker encoder): no control"
        taps = study_taps(config, spec, roles[0].encoder, sweep=config.sweep and kind == "encoder")
        for role in roles[1:]:
            role.encoder.check_taps(taps)
        kbps = {tap: rate for tap in taps if (rate := roles[0].encoder.bitrate_kbps(tap)) is not None}
        plans.append(EncoderPlan(kind, spec, roles, note, preprocessing_note(spec, config.canonical_preprocessing),
                                 taps, kbps))
    return plans


def preprocessing_note(spec: EncoderSpec, canonical_preprocessing: bool) -> str:
    """What the report says about an encoder's utterance-level preprocessing."""
    name = spec.encoder
    use = utterance_use(name)
    if not use.settings:
        return f"{name} as configured (it declares no utterance-level preprocessing)"
    canonical = ", ".join(f"{key}={value}" for key, value in use.settings.items())
    if not canonical_preprocessing:
        return f"as configured: {name}'s canonical preprocessing ({canonical}) switched off"
    overridden = {k: v for k, v in spec.settings.items() if k in use.settings and v != use.settings[k]}
    note = f"{name}'s canonical utterance-level preprocessing, {canonical}: {use.note}"
    if overridden:
        note += "; overridden by the encoder settings given: " + ", ".join(f"{k}={v}" for k, v in overridden.items())
    return note


def study_taps(config: StudyConfig, spec: EncoderSpec, encoder: Encoder, sweep: bool) -> list[str]:
    """The taps given, else every tap (sweep), else the encoder's primary utterance taps, else its default taps."""
    if sweep:
        return list(encoder.sweep_taps)
    return encoder.check_taps(spec.taps or list(utterance_use(spec.encoder).taps) or list(encoder.default_taps))


def input_kind(name: str) -> str:
    """``pooled`` (one vector per segment), ``frames`` (one tap's frames) or ``taps`` (every tap's frame means)."""
    return getattr(BACKENDS.get(name), "input_kind", "pooled")  # an unknown name is refused by build_backend


def backend_seeds(name: str, config: StudyConfig, repeat: bool) -> list[int]:
    """The seeds a back-end is fitted with: ``seeds`` of them from ``backend_seed`` for a seeded back-end when
    ``repeat`` (verify), else ``backend_seed`` alone; a deterministic back-end is fitted once."""
    import inspect

    seeded = name in BACKENDS and "seed" in inspect.signature(BACKENDS[name]).parameters
    return list(range(config.backend_seed, config.backend_seed + (config.seeds if seeded and repeat else 1)))


def make_backend(name: str, config: StudyConfig, seed: int):
    params = {
        "pca": {"n_components": config.pca_components},
        "lda": {"n_components": config.lda_components},
        "probe": {**config.probe.__dict__, "seed": seed},
        "asnorm": {"backend": CenterLengthNorm(), "top_k": config.asnorm_top_k},
        "plda": dict(config.plda.__dict__),
        "weighted-sum": {**config.weighted_sum.__dict__, "seed": seed},
        "pooling-head": {**config.pooling_head.__dict__, "seed": seed},
    }.get(name, {})
    return build_backend(name, **params)


# -- results ------------------------------------------------------------------------------
def _role_fields(role: str, identity: EncoderIdentity, tap: str, backend: str) -> dict:
    return {"role": role, "encoder": identity.encoder, "weights_id": identity.weights_id, "trained": identity.trained,
            "weights": identity.weights, "tap": tap, "backend": backend}


@dataclass
class VerifyRow:
    role: str
    identity: EncoderIdentity
    tap: str
    backend: str
    eer: float  # percent
    eer_interval: list[float] | None  # percent, bootstrap over speakers
    min_dcf: dict[float, float]
    summary: metrics.ScoreSummary
    training_accuracy: float | None  # the linear probe's, on its training speakers
    scores: np.ndarray = field(repr=False)
    points: metrics.OperatingPoints = field(repr=False)
    min_cllr: float
    calibration: Calibrated | None  # None: no training speakers to calibrate on
    training: TrainingRecord | None = None  # trained back-ends: first and last epoch's loss, learned tap weights
    paired_tests: list[PairedTest] = field(default_factory=list)  # EER against other rows on the same trials
    # a seeded back-end fitted once per seed: each fit's EER and minDCF (eer and min_dcf are then their means;
    # everything else is the first seed's)
    eer_seeds: list[float] = field(default_factory=list)
    min_dcf_seeds: list[dict[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        s = self.summary
        c = self.calibration
        spread = len(self.eer_seeds) > 1
        return _role_fields(self.role, self.identity, self.tap, self.backend) | {
            "eer": self.eer, "eer_interval": self.eer_interval,
            "eer_std": float(np.std(self.eer_seeds, ddof=1)) if spread else None,
            "eer_seeds": list(self.eer_seeds or [self.eer]),
            "min_dcf": {str(p): v for p, v in self.min_dcf.items()},
            "min_dcf_std": {str(p): float(np.std([d[p] for d in self.min_dcf_seeds], ddof=1)) for p in self.min_dcf}
            if spread else None,
            "act_dcf": None if c is None else {str(p): v for p, v in c.act_dcf.items()},
            "cllr": None if c is None else c.cllr, "min_cllr": self.min_cllr,
            "calibration": None if c is None else CalibrationRecord(c.slope, c.offset, c.n_trials),
            "mean_pos": s.mean_pos, "mean_neg": s.mean_neg,
            "gap": s.gap, "score_min": s.score_min, "score_max": s.score_max, "n_trials": s.n_trials,
            "n_target": s.n_target, "training_accuracy": self.training_accuracy, "training": self.training,
            "paired_tests": self.paired_tests,
        }


def over_seeds(rows: list[VerifyRow]) -> VerifyRow:
    """One back-end fitted with several seeds: the first seed's row, with the EER and minDCF the means over every
    fit and each fit's kept (their standard deviation is saved)."""
    first = rows[0]
    if len(rows) == 1:
        return first
    return dataclasses.replace(first, eer=float(np.mean([r.eer for r in rows])), eer_seeds=[r.eer for r in rows],
                               min_dcf={p: float(np.mean([r.min_dcf[p] for r in rows])) for p in first.min_dcf},
                               min_dcf_seeds=[r.min_dcf for r in rows])


def training_summary(backend, tap: str) -> TrainingRecord | None:
    """What a trained back-end learned: its loss at the first and last epoch and, for the weighted sum, the weight
    of each tap (``tap`` is the row's label, the taps joined by ``+``)."""
    if not hasattr(backend, "loss_curve_"):
        return None
    weights = getattr(backend, "layer_weights_", None)
    return TrainingRecord(float(backend.loss_curve_[0]), float(backend.loss_curve_[-1]), len(backend.loss_curve_),
                          None if weights is None else dict(zip(tap.split("+"), map(float, weights))))


@dataclass
class Calibrated:
    """A back-end's evaluation scores calibrated to LLRs on trials among its training speakers."""

    slope: float
    offset: float
    n_trials: int  # calibration trials
    cllr: float
    act_dcf: dict[float, float]


def calibrate(backend, X_train: np.ndarray, y_train: list, scores: np.ndarray, labels: np.ndarray,
              config: StudyConfig) -> Calibrated | None:
    """Fit :class:`~codecprobe.verify.calibration.LinearCalibration` on training-speaker trials, apply it to ``scores``."""
    from codecprobe.verify.calibration import LinearCalibration, calibration_pairs

    first, second, same = calibration_pairs(y_train, config.calibration.max_trials_per_class, config.trial_seed)
    if same.all() or not same.any():
        return None
    calibration = LinearCalibration(config.calibration.prior, config.calibration.inverse_penalty)
    calibration.fit(backend.score_trials(X_train, first, second), same)
    llrs = calibration.transform(scores)
    return Calibrated(calibration.slope_, calibration.offset_, calibration.n_trials_, metrics.cllr(llrs, labels),
                      {p: metrics.act_dcf(llrs, labels, p, config.dcf.c_miss, config.dcf.c_fa)
                       for p in config.dcf.p_targets})


@dataclass
class DiagnoseRow:
    role: str
    identity: EncoderIdentity
    tap: str
    backend: str
    diagnostics: Diagnostics

    def to_dict(self) -> dict:
        return _role_fields(self.role, self.identity, self.tap, self.backend) | self.diagnostics.summary()


@dataclass
class StudyResult:
    config: StudyConfig
    split: Split
    plans: list[EncoderPlan]  # the encoders, then the ceilings
    rows: list  # VerifyRow or DiagnoseRow, by encoder, role, tap and back-end
    failures: list[tuple[str, str]]  # (file or segment id, reason) of every input left out


def run_verify(config: StudyConfig, progress: bool = True) -> StudyResult:
    """Score the trials for every encoder role, tap and back-end."""
    boot = config.bootstrap

    def evaluator(split: Split):
        trials = split.trials
        index = {s.id: i for i, s in enumerate(split.eval_segments)}
        enroll = np.array([index[i] for i in trials.enroll])
        test = np.array([index[i] for i in trials.test])
        speaker = np.unique([s.speaker for s in split.eval_segments], return_inverse=True)[1].reshape(-1)

        def evaluate(role, tap, name, backend, X, X_train, y_train):
            scores = backend.score_trials(X, enroll, test)
            points = metrics.operating_points(scores, trials.labels)
            dcf = {p: metrics.min_dcf_from_points(points, p, config.dcf.c_miss, config.dcf.c_fa)
                   for p in config.dcf.p_targets}
            interval = metrics.eer_interval(scores, trials.labels, (speaker[enroll], speaker[test]), boot.replicates,
                                            boot.confidence, boot.seed) if boot.replicates else None
            return VerifyRow(role.name, role.identity, tap, name, 100 * metrics.eer_from_points(points),
                             None if interval is None else [100 * v for v in interval], dcf,
                             metrics.score_summary(scores, trials.labels),
                             getattr(backend, "training_accuracy_", None), scores, points,
                             metrics.min_cllr(scores, trials.labels),
                             None if X_train is None else calibrate(backend, X_train, y_train, scores, trials.labels,
                                                                    config),
                             training_summary(backend, tap))

        return evaluate

    result = _run(config, split_data(config), evaluator, progress, repeat_seeds=True)
    _paired_tests(result)
    return result


def _paired_tests(result: StudyResult) -> None:
    """Paired bootstrap tests of the EER on the same trials (the first seed's scores): every back-end against the
    first one of its encoder, role and tap, and each encoder against its untrained control (same tap and back-end)."""
    split, boot = result.split, result.config.bootstrap
    index = {s.id: i for i, s in enumerate(split.eval_segments)}
    speaker = np.unique([s.speaker for s in split.eval_segments], return_inverse=True)[1].reshape(-1)
    speakers = (speaker[[index[i] for i in split.trials.enroll]], speaker[[index[i] for i in split.trials.test]])
    rows = {(r.identity.encoder, r.role, r.tap, r.backend): r for r in result.rows}
    taps = {plan.name: plan.taps for plan in result.plans}
    for row in result.rows:
        name = row.identity.encoder
        mine = [r for r in result.rows if r.identity.encoder == name and r.role == row.role]
        # the first back-end of the row's tap; for the weighted sum over several taps, the role's first row
        first = next(r for r in mine if r.tap == row.tap) if row.tap in taps[name] else mine[0]
        control = rows.get((name, "control", row.tap, row.backend)) if row.role == "encoder" else None
        for other in (o for o in (first, control) if o is not None and o is not row):
            test = metrics.eer_difference(other.scores, row.scores, split.trials.labels, speakers, boot.replicates,
                                          boot.confidence, boot.seed)
            row.paired_tests.append(PairedTest(
                {"role": other.role, "tap": other.tap, "backend": other.backend}, 100 * test.difference,
                None if test.interval is None else [100 * v for v in test.interval], test.p_value, test.replicates,
                test.unit))


def run_diagnose(config: StudyConfig, progress: bool = True) -> StudyResult:
    """The speaker-space diagnostics for every encoder role, tap and back-end."""
    boot = config.bootstrap

    def evaluator(split: Split):
        keep = np.arange(len(split.eval_segments))
        if len(keep) > config.max_diagnostic_segments:
            rng = np.random.default_rng(config.trial_seed)
            keep = np.sort(rng.permutation(len(keep))[:config.max_diagnostic_segments])
        speakers = [split.eval_segments[i].speaker for i in keep]
        texts = [split.eval_segments[i].text for i in keep]

        def evaluate(role, tap, name, backend, X, X_train, y_train):
            subset = [X[i] for i in keep] if isinstance(X, list) else X[keep]  # frame back-ends take lists
            return DiagnoseRow(role.name, role.identity, tap, name,
                               diagnose_space(backend.transform(subset), speakers, texts, boot.replicates,
                                        boot.confidence, boot.seed))

        return evaluate

    return _run(config, split_data(config, with_trials=False), evaluator, progress)


def _run(config: StudyConfig, split: Split, evaluator, progress: bool, repeat_seeds: bool = False) -> StudyResult:
    """Build every encoder and check its taps, extract, leave out what failed, then evaluate every encoder, role, tap
    and back-end (a seeded back-end once per seed when ``repeat_seeds``)."""
    from codecprobe.store import open_store

    plans = plan_encoders(config)
    failures: dict[str, str] = {}
    rows = []
    with open_store(config.store) as store:
        sources = [(plan, role, EmbeddingSource(role.encoder, store, config, progress))
                   for plan in plans for role in plan.roles]
        failed = {"eval": set(), "train": set()}
        for plan, _, source in sources:
            for part, corpus in (("eval", split.corpus), ("train", split.train_corpus)):
                if part == "train" and corpus is split.corpus:
                    continue
                for where, reason in source.extract(corpus, plan.taps):
                    failures.setdefault(where, reason)
                    failed[part].add(where)
        if split.train_corpus is split.corpus:
            failed["train"] = failed["eval"]
        split = split.without(failed["eval"], failed["train"])
        _check_backends(config, split)
        evaluate = evaluator(split)
        y_train = [s.speaker for s in split.train_segments]
        for plan, role, source in sources:
            # pooled and frame back-ends run on each tap; weighted-sum back-ends once on all taps together
            units = [(tap, [tap], [n for n in config.backends if input_kind(n) != "taps"]) for tap in plan.taps]
            units.append(("+".join(plan.taps), plan.taps, [n for n in config.backends if input_kind(n) == "taps"]))
            for label, unit_taps, names in units:
                read: dict[str, tuple] = {}  # input kind -> (evaluation, training) inputs, read once per tap
                for name in names:
                    kind = input_kind(name)
                    if kind not in read:
                        read[kind] = tuple(source.inputs(corpus, segments, unit_taps, kind) if segments else None
                                           for corpus, segments in ((split.corpus, split.eval_segments),
                                                                    (split.train_corpus, split.train_segments)))
                    X, X_train = read[kind]
                    fits = []
                    for seed in backend_seeds(name, config, repeat_seeds):
                        backend = make_backend(name, config, seed)
                        try:
                            if X_train is None:
                                backend.fit(X)  # raw cosine (split_data refused the others without training data)
                            else:
                                backend.fit(X_train, y_train)
                        except ValueError as error:  # e.g. too few training segments for the model
                            raise InputError(f"--backend {name} on {role.identity.encoder}:{label}: {error}") from None
                        fits.append(evaluate(role, label, name, backend, X, X_train, y_train))
                    rows.append(over_seeds(fits) if repeat_seeds else fits[0])
                    if progress:
                        print(f"{role.name} {role.identity.encoder}:{label} {name} done"
                              + (f" ({len(fits)} seeds)" if len(fits) > 1 else ""), file=sys.stderr)
    return StudyResult(config, split, plans, rows, sorted(failures.items()))


# -- the studies: run, draw, save, report -------------------------------------------------
def verify(config: StudyConfig, out, progress: bool = True):
    """``codecprobe verify``: score the trials, then :func:`write_verify`."""
    return write_verify(run_verify(config, progress), out)


def diagnose(config: StudyConfig, out, progress: bool = True):
    """``codecprobe diagnose``: the speaker-space diagnostics, then :func:`write_diagnose`."""
    return write_diagnose(run_diagnose(config, progress), out)


def write_verify(evaluation: StudyResult, out):
    """Draw the figures, draw the verdicts, save ``results.json`` and write the report; the saved result."""
    from pathlib import Path

    from codecprobe.report.results import write_study
    from codecprobe.verify.figures import draw_verify
    from codecprobe.verify.results import VerifyResult, verify_records

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fields = _saved_fields(evaluation, draw_verify(evaluation, out))
    records = verify_records(evaluation.rows, evaluation.config.thresholds, fields["data"].eval_speakers)
    primary = evaluation.rows[0]
    result = VerifyResult(**fields, results=records, primary={"encoder": primary.identity.encoder, "tap": primary.tap,
                                                              "backend": primary.backend},
                          eer=primary.eer, eer_interval=primary.eer_interval, min_dcf=records[0].min_dcf,
                          act_dcf=records[0].act_dcf, cllr=records[0].cllr, min_cllr=records[0].min_cllr,
                          mean_pos=primary.summary.mean_pos, mean_neg=primary.summary.mean_neg,
                          n_trials=primary.summary.n_trials)
    write_study(result, out)
    return result


def write_diagnose(evaluation: StudyResult, out):
    """Draw the figures, draw the verdicts and flags, save ``results.json`` and write the report."""
    from pathlib import Path

    from codecprobe.report.results import write_study
    from codecprobe.verify.figures import draw_diagnose
    from codecprobe.verify.results import DiagnoseResult, diagnose_records

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = DiagnoseResult(**_saved_fields(evaluation, draw_diagnose(evaluation, out)),
                            results=diagnose_records(evaluation.rows, evaluation.config.thresholds))
    write_study(result, out)
    return result


def _saved_fields(result: StudyResult, figures: list[str]) -> dict:
    """What verify and diagnose both save about a run."""
    from codecprobe.report import provenance
    from codecprobe.verify.results import DataRecord, EncoderEntry, EncoderRecord, Failure, study_subject
    from codecprobe.verify.sessions import corpus_properties

    split = result.split
    data = DataRecord(
        corpus=str(result.config.corpus), corpus_name=split.corpus.name, layout=split.corpus.layout,
        eval_segments=len(split.eval_segments), eval_speakers=len({s.speaker for s in split.eval_segments}),
        train_corpus=split.train_corpus.name, train_segments=len(split.train_segments),
        train_speakers=len({s.speaker for s in split.train_segments}), split=split.description,
        n_failures=len(result.failures))
    if split.trials is not None:
        data.trials, data.n_trials, data.n_target = split.trials.source, len(split.trials), split.trials.n_target
    data.properties = corpus_properties({s.id: s.speaker for s in split.eval_segments},
                                        result.config.thresholds.min_eval_speakers, split.trials)
    encoders = [EncoderEntry(plan.kind, EncoderRecord.of(plan.roles[0].identity),
                             EncoderRecord.of(plan.roles[1].identity) if len(plan.roles) > 1 else None,
                             plan.control_note, plan.preprocessing, list(plan.taps), dict(plan.kbps))
                for plan in result.plans]
    subject = study_subject([(plan.name, plan.taps) for plan in result.plans if plan.kind == "encoder"])
    return {
        "config": result.config, "encoders": encoders, "data": data,
        "failures": [Failure(where, reason) for where, reason in result.failures],
        "thresholds_in_words": result.config.thresholds.plain_words(subject), "figures": figures,
        "provenance": provenance(),
    }
