"""What the structure study and the next-latent study (Tier 1) share: seed 004's data split
(pooled corpora, each corpus's speakers split into a seeded training share and held-out speakers,
named ``corpus/speaker``) and the encoders they run with their untrained controls."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecprobe.data import Corpus, load_corpus
from codecprobe.encoders import BuildOptions, EncoderIdentity, weights_label
from codecprobe.encoders.roles import Role, encoder_roles
from codecprobe.errors import InputError
from codecprobe.structure.analysis import SpeakerSplit
from codecprobe.structure.config import EncoderChoice
from codecprobe.structure.frames import AudioSpan


@dataclass
class StudyData:
    corpora: list[Corpus]
    split: SpeakerSplit
    spans: dict[str, AudioSpan]
    summary: list[dict]  # per corpus: speakers and utterances on each side
    description: str


@dataclass
class EncoderPlan:
    choice: EncoderChoice
    roles: list[Role]
    control_note: str
    taps: list[str]


@dataclass
class RoleTap:
    """One tap of one encoder role, as a study's tables name it (structure and nextlatent)."""

    role: str  # "encoder" or "control"
    identity: EncoderIdentity
    tap: str

    @property
    def label(self) -> str:
        return f"{self.identity.encoder}:{self.tap}"

    @property
    def weights(self) -> str:
        """The weights, never letting untrained ones pass for trained ones."""
        return weights_label(self.identity.weights_id, self.identity.trained)


def load_data(corpora_paths: list[str], layout: str | None, train_fraction: float, split_seed: int) -> StudyData:
    """The corpora, pooled, with each corpus's speakers split (seeded) into training and held-out ones."""
    rng = np.random.default_rng(split_seed)
    corpora, train, held_out, speaker_of, spans, summary = [], [], [], {}, {}, []
    for path in corpora_paths:
        corpus = load_corpus(path, layout)
        if corpus.whole_recordings:
            raise InputError(f"{path}: a conversation corpus (layout {corpus.layout}); the structure study needs "
                             "single-speaker utterances")
        segments = [s for s in corpus.segments() if s.speaker is not None]
        speakers = sorted({s.speaker for s in segments})
        if len(speakers) < 2:
            raise InputError(f"{path}: {len(speakers)} labelled speaker(s); a speaker-disjoint split needs >= 2")
        n_train = min(max(int(round(train_fraction * len(speakers))), 1), len(speakers) - 1)
        fitted = set(rng.permutation(speakers)[:n_train].tolist())
        for segment in segments:
            if segment.id in speaker_of:
                raise InputError(f"{path}: segment id {segment.id!r} also occurs in another corpus; the latent store "
                                 "keys frames by segment id, so pooled corpora need distinct ids")
            speaker_of[segment.id] = f"{corpus.name}/{segment.speaker}"
            (train if segment.speaker in fitted else held_out).append(segment.id)
            spans[segment.id] = AudioSpan(corpus.audio_path(segment.recording_id), segment.start,
                                          segment.start + segment.duration)
        summary.append({"corpus": corpus.name, "path": str(path), "layout": corpus.layout,
                        "speakers_train": n_train, "speakers_eval": len(speakers) - n_train,
                        "utterances_train": sum(s.speaker in fitted for s in segments),
                        "utterances_eval": sum(s.speaker not in fitted for s in segments),
                        "hours": sum(s.duration for s in segments) / 3600})
        corpora.append(corpus)
    description = (f"speaker-disjoint: {train_fraction:g} of each corpus's speakers are fitted on "
                   f"(seeded, split_seed {split_seed}), the others are held out")
    return StudyData(corpora, SpeakerSplit(sorted(train), sorted(held_out), speaker_of), spans, summary, description)


def plan_encoders(choices: list[EncoderChoice], device: str, control: bool, control_seed: int) -> list[EncoderPlan]:
    """Build every encoder (and control) and check its taps, before any extraction."""
    plans = []
    for choice in choices:
        options = BuildOptions(choice.weights, choice.random_init, choice.seed, device, choice.encoder_options)
        roles, note = encoder_roles(choice.encoder, options, control, control_seed)
        try:
            taps = roles[0].encoder.check_taps(choice.taps or list(roles[0].encoder.default_taps))
        except ValueError as error:
            raise InputError(str(error)) from None
        plans.append(EncoderPlan(choice, roles, note, taps))
    return plans
