"""The corpus properties a verify / diagnose report must state (issue 18 item 11).

Two properties of a corpus change how far its numbers can be read:

- **Sessions.** Two recordings of a speaker made in one session (one LibriSpeech chapter,
  one VoxCeleb video, one recording folder) share the microphone, the room and the day, so
  a same-speaker trial between them is flattered: where every same-speaker trial is
  same-session (LibriSpeech test-other gives each speaker one chapter), the EER is
  optimistic, and a channel detector passes for a speaker detector. A segment's session is
  what its id (its path) says: the chapter of a LibriSpeech name ``<spk>-<chapter>-<utt>``,
  else the folder the file lies in (VoxCeleb's ``<speaker>/<video>``; a speaker folder
  without sub-folders is one session).
- **Speakers.** Below the thresholds' ``min_eval_speakers`` evaluation speakers (VCTK's and
  FSDD's shipped sets leave 2-3) no verdict is drawn at all.

This module is light (no lhotse): the study computes the properties, the results keep them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

_LIBRISPEECH_NAME = re.compile(r"^(\d+)-(\d+)-\d+$")


def session_of(segment_id: str) -> str:
    """The session a segment was recorded in, as far as its id says.

    >>> session_of("1688/1688-142285-0000"), session_of("1688-142285-0000")
    ('chapter 142285', 'chapter 142285')
    >>> session_of("id10270/x6uYqmx31kE/00001"), session_of("p225/p225_003"), session_of("0_jackson_0")
    ('id10270/x6uYqmx31kE', 'p225', '')
    """
    folder, _, name = segment_id.rpartition("/")
    match = _LIBRISPEECH_NAME.match(name)
    return f"chapter {match.group(2)}" if match else folder


def session_basis(segment_ids: list[str], single_session: bool) -> str:
    """Where :func:`session_of` read the sessions of these segments from, in words (``single_session``:
    whether every speaker came out with one session)."""
    if segment_ids and all(_LIBRISPEECH_NAME.match(i.rpartition("/")[2]) for i in segment_ids):
        return "the LibriSpeech chapter id in each file name"
    if single_session:
        return "one recording folder per speaker"
    return "the folder each file lies in, e.g. VoxCeleb's video"


@dataclass
class CorpusProperties:
    """What ``results.json`` keeps about the evaluation data's sessions and speakers, and the notes
    the report prints (each a sentence that says what the property does to the numbers)."""

    sessions_from: str
    single_session_speakers: int  # evaluation speakers all of whose segments share one session
    same_session_targets: int | None = None  # same-speaker trials within one session (verify)
    notes: list[str] = field(default_factory=list)


def corpus_properties(speakers: Mapping[str, str], min_speakers: int, trials=None) -> CorpusProperties:
    """The properties of the evaluation segments (``speakers``: segment id -> speaker) and their trials."""
    ids = list(speakers)
    sessions = {i: session_of(i) for i in ids}
    by_speaker: dict[str, set[str]] = {}
    for i in ids:
        by_speaker.setdefault(speakers[i], set()).add(sessions[i])
    single = sum(len(s) == 1 for s in by_speaker.values())
    basis = session_basis(ids, single == len(by_speaker))
    properties = CorpusProperties(basis, single)
    if trials is not None:
        shared = np.array([sessions[e] == sessions[t] for e, t in zip(trials.enroll, trials.test)], dtype=bool)
        same, targets = int((shared & trials.labels).sum()), trials.n_target
        properties.same_session_targets = same
        if targets and same == targets:
            properties.notes.append(
                f"all {targets} same-speaker trials share a session (read from {basis}): the EER is optimistic, "
                "since microphone, room and day are the same on both sides of every same-speaker trial")
        elif same:
            properties.notes.append(
                f"{same} of {targets} same-speaker trials ({100 * same / targets:.0f}%) share a session (read from "
                f"{basis}): the EER is somewhat optimistic")
    elif by_speaker and properties.single_session_speakers == len(by_speaker):
        properties.notes.append(
            f"every evaluation speaker was recorded in one session (read from {basis}): same-speaker comparisons "
            "are all same-session, so consistency, separability and Fisher ratios are optimistic")
    if len(by_speaker) < min_speakers:
        properties.notes.append(f"{len(by_speaker)} evaluation speakers: verdicts are withheld below {min_speakers}")
    return properties
