"""What a verify / diagnose study saves (``results.json``), and the verdicts it draws.

The verdicts use the thresholds of :class:`~codecprobe.verify.config.Thresholds` (the
values of the original Mimi study). On too few evaluation speakers they are withheld, with
the reason. A trained encoder is also judged against its untrained control: an EER that
random weights match says nothing about what training put in the latents. A metric that
cannot tell speakers apart by construction is flagged, not passed as meeting its target:
consistency where different speakers are just as similar, and the ratios (separability,
Fisher) on a space whose variance lies almost all on one direction.

This module is light (no lhotse, no torch): ``codecprobe report`` loads these results.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from codecprobe.report.results import Result
from codecprobe.verify.config import StudyConfig, Thresholds
from codecprobe.verify.sessions import CorpusProperties


# -- verdicts -----------------------------------------------------------------------------
def withheld(n_speakers: int, thresholds: Thresholds) -> str | None:
    """Why no verdict can be given on this many evaluation speakers, or None if one can."""
    if n_speakers < thresholds.min_eval_speakers:
        return f"verdict withheld: only {n_speakers} evaluation speakers (a verdict needs {thresholds.min_eval_speakers})"
    return None


def eer_verdict(eer: float, thresholds: Thresholds, n_speakers: int, interval: list[float] | None = None) -> str:
    """The reading of an EER in percent, or why there is none."""
    reason = withheld(n_speakers, thresholds)
    if reason:
        return reason
    if eer < thresholds.eer_straightforward:
        verdict = f"adapter straightforward (EER < {thresholds.eer_straightforward:g}%)"
    elif eer < thresholds.eer_viable:
        verdict = f"adapter viable (EER < {thresholds.eer_viable:g}%)"
    elif eer >= thresholds.eer_agnostic:
        verdict = f"speaker-agnostic (EER >= {thresholds.eer_agnostic:g}%, chance is 50%)"
    else:
        verdict = f"weak speaker signal ({thresholds.eer_viable:g}% <= EER < {thresholds.eer_agnostic:g}%)"
    lines = [v for v in (thresholds.eer_straightforward, thresholds.eer_viable, thresholds.eer_agnostic)
             if interval and interval[0] < v <= interval[1]]
    if lines:
        verdict += (f"; uncertain: the interval crosses the {' and '.join(f'{v:g}%' for v in lines)} "
                    + ("lines" if len(lines) > 1 else "line"))
    return verdict


def control_verdict(eer: float, control_eer: float, thresholds: Thresholds) -> str:
    gain = control_eer - eer
    if gain > thresholds.control_margin:
        return f"{gain:.1f} EER points better than the untrained control"
    return (f"no better than the untrained control ({eer:.1f}% vs {control_eer:.1f}%): "
            "the architecture and the signal, not training, explain this EER")


def degenerate_space(participation_ratio: float, thresholds: Thresholds) -> bool:
    """Whether the space's variance lies almost all on one direction (issue 18 item 6)."""
    return participation_ratio < thresholds.min_participation_ratio


def diagnostic_verdicts(row: dict, thresholds: Thresholds) -> dict[str, str]:
    """A verdict per diagnostic with a target; degenerate ones are flagged, not passed."""
    reason = withheld(row["n_speakers"], thresholds)
    checks = {"acoustics_score": thresholds.acoustics_score, "separability": thresholds.separability,
              "consistency": thresholds.consistency}
    flat = row.get("participation_ratio") is not None and degenerate_space(row["participation_ratio"], thresholds)
    verdicts = {}
    for key, target in checks.items():
        value, interval = row[key], row["intervals"].get(key)
        if value is None:
            verdicts[key] = "not measurable (needs the same text from several speakers)"
        elif key == "consistency" and row["different_speaker_similarity"] >= target:
            verdicts[key] = (f"degenerate: different speakers are as similar (mean cosine "
                             f"{row['different_speaker_similarity']:.2f}), every embedding points the same way; "
                             "consistency says nothing here (see the centred back-end)")
        elif key == "separability" and flat:
            verdicts[key] = (f"no verdict: degenerate space (participation ratio {row['participation_ratio']:.2f} "
                             f"< {thresholds.min_participation_ratio:g}), the ratio measures one direction")
        elif reason:
            verdicts[key] = reason
        else:
            verdicts[key] = f"{'meets' if value > target else 'below'} target (> {target:g})"
            if interval and interval[0] < target <= interval[1]:
                verdicts[key] += "; uncertain: the interval crosses the target"
    return verdicts


def study_subject(encoders: list[tuple[str, list[str]]]) -> str:
    """``encoder:tap`` of the study, as the thresholds in words name it (``encoders``: each encoder's name and taps,
    the ceilings left out)."""
    if len(encoders) > 1:
        return "each encoder and tap"
    (encoder, taps), = encoders
    return f"{encoder}:{taps[0]}" + (" (and the other taps)" if len(taps) > 1 else "")


# -- what is saved ------------------------------------------------------------------------
@dataclass
class EncoderRecord:
    encoder: str
    weights_id: str
    trained: bool
    weights: str  # "trained", "untrained" or "none"
    settings: dict
    description: str  # one line that never lets a control pass for the model
    weights_name: str = ""  # a human name for hashed weights ids (EncoderIdentity.weights_name)

    @classmethod
    def of(cls, identity) -> "EncoderRecord":
        return cls(identity.encoder, identity.weights_id, identity.trained, identity.weights, identity.settings,
                   identity.describe(), identity.weights_name)

    @property
    def short_label(self) -> str:
        """The weights in a few words, for table cells and figure titles; ``description`` is the full line."""
        from codecprobe.encoders.base import short_weights_label

        return short_weights_label(self.encoder, self.weights_id, self.trained, self.weights_name)


@dataclass
class EncoderEntry:
    """One encoder of a study: an encoder beside its untrained control, or a ceiling (a dedicated speaker
    encoder, no control)."""

    kind: str  # "encoder" or "ceiling"
    encoder: EncoderRecord
    control: EncoderRecord | None
    control_note: str
    preprocessing: str  # its utterance-level preprocessing, in words
    taps: list[str]
    kbps: dict[str, float]  # the bitrate of each tap that is a code

    @property
    def roles(self) -> list[tuple[str, EncoderRecord]]:
        """(role, weights): the encoder (role "ceiling" for a ceiling), then its control."""
        return [("ceiling" if self.kind == "ceiling" else "encoder", self.encoder)] + (
            [("control", self.control)] if self.control else [])


@dataclass
class DataRecord:
    corpus: str
    corpus_name: str
    layout: str | None
    eval_segments: int
    eval_speakers: int
    train_corpus: str
    train_segments: int
    train_speakers: int
    split: str  # where the back-ends were fitted, in words
    n_failures: int
    trials: str | None = None  # where the trials come from
    n_trials: int | None = None
    n_target: int | None = None
    properties: CorpusProperties | None = None  # sessions and speakers, with the notes the report states


@dataclass
class Failure:
    input: str  # file or segment id
    reason: str


@dataclass
class CalibrationRecord:
    """The linear calibration of a back-end's scores to LLRs, fitted on trials among its training speakers."""

    slope: float
    offset: float
    n_trials: int  # calibration trials


@dataclass
class TrainingRecord:
    """What a trained back-end learned."""

    first_loss: float
    last_loss: float
    epochs: int
    layer_weights: dict[str, float] | None = None  # the weighted sum's softmax weight of each tap


@dataclass
class PairedTest:
    """A paired bootstrap test of the EER on the same trials: this row's EER minus that of ``against``."""

    against: dict[str, str]  # role, tap and back-end of the row compared with
    eer_difference: float  # percentage points
    interval: list[float] | None  # percentage points; None below 3 speakers or without replicates
    p_value: float | None  # two-sided
    replicates: int
    unit: str  # what a replicate draws (speakers or trials)


@dataclass
class RoleRow:
    """Who a row of a verify or diagnose table is about: the role (encoder or its control), its weights,
    the tap and the back-end."""

    role: str
    encoder: str
    weights_id: str
    trained: bool
    weights: str
    tap: str
    backend: str


@dataclass
class VerifyRecord(RoleRow):
    eer: float  # percent; a seeded back-end fitted with several seeds: the mean over them
    eer_interval: list[float] | None  # percent, bootstrap over speakers (the first seed's scores)
    eer_std: float | None  # over the seeds (sample standard deviation); None: one fit
    eer_seeds: list[float]  # each fit's EER, by seed
    min_dcf: dict[str, float]  # by p_target; the mean over the seeds
    min_dcf_std: dict[str, float] | None  # over the seeds
    act_dcf: dict[str, float] | None  # by p_target, on the calibrated scores; None: no calibration trials
    cllr: float | None  # on the calibrated scores
    min_cllr: float  # after the best monotone recalibration
    calibration: CalibrationRecord | None
    mean_pos: float
    mean_neg: float
    gap: float
    score_min: float
    score_max: float
    n_trials: int
    n_target: int
    training_accuracy: float | None  # the linear probe's, on its training speakers
    training: TrainingRecord | None  # trained back-ends (weighted sum, pooling head)
    paired_tests: list[PairedTest]  # against the first back-end of the role and tap, and the untrained control
    verdict: str
    control_eer: float | None = None  # the untrained control's, same tap and back-end
    control_eer_std: float | None = None
    against_control: str | None = None


@dataclass
class DiagnoseRecord(RoleRow):
    acoustics_score: float | None
    intra_voice: float | None
    inter_voice: float | None
    separability: float
    consistency: float
    different_speaker_similarity: float
    fisher_mean: float
    fisher_max: float
    fisher_top_channels: list[int]
    dims_90: int
    dims_95: int
    dims_99: int
    participation_ratio: float
    n_segments: int
    n_speakers: int
    intervals: dict  # name -> [low, high] or None, bootstrap over speakers
    verdicts: dict[str, str] = field(default_factory=dict)
    degenerate: bool = False  # variance on about one direction: the ratios carry no verdict


@dataclass
class SpeakerSpaceResult(Result):
    """What verify and diagnose both save."""

    config: StudyConfig
    encoders: list[EncoderEntry]  # the encoders, then the ceilings
    data: DataRecord
    failures: list[Failure]
    thresholds_in_words: list[str]
    figures: list[str]  # file names of the figures drawn, in the report's order
    provenance: dict

    @property
    def subject(self) -> str:
        return study_subject([(e.encoder.encoder, e.taps) for e in self.encoders if e.kind == "encoder"])

    def entry(self, encoder: str) -> EncoderEntry:
        return next(e for e in self.encoders if e.encoder.encoder == encoder)

    def weights(self, encoder: str, role: str) -> EncoderRecord:
        """The weights of one role (encoder, control or ceiling) of an encoder."""
        return dict(self.entry(encoder).roles)[role]


@dataclass
class VerifyResult(SpeakerSpaceResult):
    study = "verify"
    renderer = "codecprobe.verify.report:render_verify"

    results: list[VerifyRecord]
    primary: dict[str, str]  # tap and back-end of the headline
    eer: float
    eer_interval: list[float] | None
    min_dcf: dict[str, float]
    act_dcf: dict[str, float] | None
    cllr: float | None
    min_cllr: float
    mean_pos: float
    mean_neg: float
    n_trials: int


@dataclass
class DiagnoseResult(SpeakerSpaceResult):
    study = "diagnose"
    renderer = "codecprobe.verify.report:render_diagnose"

    results: list[DiagnoseRecord]


def verify_records(rows, thresholds: Thresholds, n_speakers: int) -> list[VerifyRecord]:
    """The saved rows of :class:`~codecprobe.verify.study.VerifyRow` s, with their verdicts."""
    records = [VerifyRecord(**row.to_dict(), verdict=eer_verdict(row.eer, thresholds, n_speakers, row.eer_interval))
               for row in rows]
    controls = {(r.encoder, r.tap, r.backend): r for r in records if r.role == "control"}
    for record in records:
        control = controls.get((record.encoder, record.tap, record.backend)) if record.role == "encoder" else None
        if control is not None:
            record.control_eer, record.control_eer_std = control.eer, control.eer_std
            record.against_control = control_verdict(record.eer, control.eer, thresholds)
    return records


def diagnose_records(rows, thresholds: Thresholds) -> list[DiagnoseRecord]:
    """The saved rows of :class:`~codecprobe.verify.study.DiagnoseRow` s, with their verdicts and flags."""
    records = []
    for row in rows:
        values = row.to_dict()
        records.append(DiagnoseRecord(**values, verdicts=diagnostic_verdicts(values, thresholds),
                                      degenerate=degenerate_space(values["participation_ratio"], thresholds)))
    return records
