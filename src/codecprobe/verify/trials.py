"""Verification trials: pairs of segments labelled same speaker (1) or different (0).

A trial list file is VoxCeleb's format, one trial per line (VoxCeleb1-O ``veri_test.txt``
and its cleaned ``veri_test2.txt``, VoxCeleb1-E ``list_test_all[2].txt``, VoxCeleb1-H
``list_test_hard[2].txt``)::

    1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav
    0 id10270/x6uYqmx31kE/00001.wav id10300/ize_eiCFEg0/00003.wav

``label enroll test``, whitespace separated; Kaldi's ``enroll test target|nontarget``
(as Kaldi and WeSpeaker write the same lists) is read too. A file name maps onto the
corpus's segment id that is its path without extension
(:func:`codecprobe.data.segment_id_for_path`), else that path with ``/`` as ``-`` (the
ids lhotse's ``prepare_voxceleb`` gives: ``id10270-x6uYqmx31kE-00001``). Blank lines and
lines starting with ``#`` are skipped. Trials can also be generated from any
speaker-labelled set of segments (:func:`generate_trials`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from lhotse import SupervisionSegment

from codecprobe.data import segment_id_for_path, source_of
from codecprobe.errors import InputError


@dataclass(frozen=True)
class Trials:
    """``enroll[i]`` against ``test[i]`` (segment ids) with ``labels[i]`` True for same speaker."""

    enroll: tuple[str, ...]
    test: tuple[str, ...]
    labels: np.ndarray  # bool [n]
    source: str  # the file, or how the trials were generated

    def __post_init__(self) -> None:
        if not len(self.enroll) == len(self.test) == len(self.labels):
            raise ValueError("enroll, test and labels must have the same length")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_target(self) -> int:
        return int(self.labels.sum())

    def segment_ids(self) -> list[str]:
        """Every segment a trial names, each once, in first-seen order."""
        return list(dict.fromkeys(self.enroll + self.test))

    def without(self, segment_ids: set[str]) -> "Trials":
        """The trials that name none of ``segment_ids`` (segments that could not be encoded)."""
        keep = [i for i, (e, t) in enumerate(zip(self.enroll, self.test)) if e not in segment_ids and t not in segment_ids]
        if len(keep) == len(self):
            return self
        return Trials(tuple(self.enroll[i] for i in keep), tuple(self.test[i] for i in keep), self.labels[keep],
                      f"{self.source}; {len(self) - len(keep)} trial(s) naming segments that could not be encoded "
                      "left out")


def read_trials(path: str | os.PathLike, known_ids: Iterable[str] | None = None) -> Trials:
    """Read a trial list; with ``known_ids``, every file must map onto a known segment."""
    path = Path(path)
    known = set(known_ids) if known_ids is not None else None
    enroll, test, labels = [], [], []
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read trial list ({error})") from None
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) == 3 and fields[0] in ("0", "1"):
            label, names = fields[0] == "1", fields[1:]
        elif len(fields) == 3 and fields[2] in _KALDI_LABELS:
            label, names = _KALDI_LABELS[fields[2]], fields[:2]
        else:
            raise InputError(f"{path}:{number}: expected 'label enroll test' with label 0 or 1 (or Kaldi's 'enroll "
                             f"test target|nontarget'), got {line.strip()!r}")
        pair = [_segment_id(name, known, f"{path}:{number}") for name in names]
        labels.append(label)
        enroll.append(pair[0])
        test.append(pair[1])
    if not labels:
        raise InputError(f"{path}: no trials")
    return Trials(tuple(enroll), tuple(test), np.array(labels, dtype=bool), source=str(path))


_KALDI_LABELS = {"target": True, "nontarget": False}


def _segment_id(name: str, known: set[str] | None, where: str) -> str:
    """The segment a trial's file names: its path without extension, else lhotse's VoxCeleb id of it."""
    path_id = segment_id_for_path(name)
    if known is None or path_id in known:
        return path_id
    if (lhotse_id := path_id.replace("/", "-")) in known:
        return lhotse_id
    raise InputError(f"{where}: {name} is not a segment of the corpus (no segment id {path_id!r} or {lhotse_id!r}; "
                     f"its ids look like {min(known, default='(none)')!r})")


def write_trials(trials: Trials, path: str | os.PathLike) -> None:
    from codecprobe.report import atomic_write_text

    atomic_write_text(path, "".join(f"{int(l)} {e} {t}\n" for l, e, t in zip(trials.labels, trials.enroll, trials.test)))


def generate_trials(
    segments: Sequence[SupervisionSegment],
    max_per_class: int | None = None,
    seed: int = 0,
    exclude_same_recording: bool = False,
) -> Trials:
    """Trials from speaker-labelled segments.

    Every unordered pair of distinct segments, or, with ``max_per_class``, a seeded sample
    of at most that many same-speaker and as many different-speaker pairs (balanced
    when both classes have enough). ``exclude_same_recording`` drops pairs cut from one
    recording (for VoxCeleb: one video; see :func:`codecprobe.data.source_of`), whose shared
    channel would flatter the same-speaker scores.
    """
    segments = [s for s in segments if s.speaker is not None]
    ids = [s.id for s in segments]
    speakers = np.array([s.speaker for s in segments])
    recordings = np.array([source_of(s) for s in segments])
    first, second = np.triu_indices(len(segments), k=1)
    if exclude_same_recording:
        keep = recordings[first] != recordings[second]
        first, second = first[keep], second[keep]
    same = speakers[first] == speakers[second]
    if max_per_class is not None:
        rng = np.random.default_rng(seed)
        chosen = [rng.permutation(np.flatnonzero(same == cls))[:max_per_class] for cls in (True, False)]
        keep = np.sort(np.concatenate(chosen))
        first, second, same = first[keep], second[keep], same[keep]
    how = "all pairs" if max_per_class is None else f"at most {max_per_class} pairs per class, seed {seed}"
    if exclude_same_recording:
        how += ", no pair from one recording"
    return Trials(
        tuple(ids[i] for i in first), tuple(ids[i] for i in second), same,
        source=f"generated from {len(segments)} segments of {len(set(speakers.tolist()))} speakers ({how})",
    )
