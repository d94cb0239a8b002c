"""The speakers and utterances a simulation draws from.

Any speaker-labelled corpus the project loads can serve, several at once. Speaker ids are
made unique across corpora as ``<corpus>:<speaker>`` (two corpora may both have a speaker
``1``); in a conversation corpus (``rttm`` layout) whose labels belong to their recording,
as ``<corpus>:<recording>:<speaker>``. A conversation's turns are used only where one
speaker speaks alone: overlapped stretches are cut out.

The pool can be restricted to listed speakers, stripped of excluded ones, and split in
two by a seeded permutation (``train`` / ``held-out``), so that two simulations drawn
from the same corpora with the same split seed never share a speaker.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codecprobe.data import Corpus, load_corpus
from codecprobe.errors import InputError
from codecprobe.score.timeline import coverage, cut_points
from codecprobe.simulate.config import SimulateConfig


@dataclass(frozen=True)
class Utterance:
    """A span of one audio file where one speaker speaks."""

    segment_id: str  # <corpus>:<segment id> (a conversation's solo stretch: with its times)
    path: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class SourcePool:
    """Utterances by speaker, in a fixed order (sorted), so that seeded draws are reproducible."""

    utterances: dict[str, list[Utterance]]  # speaker id -> utterances, sorted by segment id
    corpora: list[dict]  # what each corpus contributed: name, path, layout, speakers, utterances
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of unreadable source files

    @property
    def speakers(self) -> list[str]:
        return sorted(self.utterances)

    def fingerprint(self) -> str:
        """A hash of every speaker, segment and time: a rerun into the same folder must see the same pool."""
        digest = hashlib.sha256()
        for speaker in self.speakers:
            for u in self.utterances[speaker]:
                digest.update(f"{speaker}\t{u.segment_id}\t{u.start:.6f}\t{u.end:.6f}\n".encode())
        return digest.hexdigest()[:16]


def build_pool(config: SimulateConfig) -> SourcePool:
    """Load the corpora, label speakers uniquely, apply the speaker restrictions; InputError if nothing is left."""
    layouts = config.layouts if len(config.layouts) > 1 else (config.layouts or [None]) * len(config.corpora)
    names = config.names or [None] * len(config.corpora)
    corpora = [load_corpus(path, layout, name) for path, layout, name in zip(config.corpora, layouts, names)]
    names = [c.name for c in corpora]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"two corpora are both named {name!r} ({', '.join(config.corpora)}): "
                             "their speaker ids would collide; name them (--name, once per --corpus)")
    utterances: dict[str, list[Utterance]] = defaultdict(list)
    described = []
    for path, corpus in zip(config.corpora, corpora):
        found = _corpus_utterances(corpus, config.turns.min_duration)
        if not found:
            raise InputError(f"{path}: no speaker-labelled segments of at least {config.turns.min_duration} s "
                             f"(layout {corpus.layout!r}); simulate needs a corpus with speaker labels")
        for speaker, utterance in found:
            utterances[speaker].append(utterance)
        described.append({"name": corpus.name, "path": str(path), "layout": corpus.layout,
                          "speakers": len({s for s, _ in found}), "utterances": len(found),
                          "unreadable_files": len(corpus.failures)})
    speakers = restrict_speakers(sorted(utterances), config)
    pool = {s: sorted(utterances[s], key=lambda u: (u.segment_id, u.start)) for s in speakers}
    return SourcePool(pool, described, [failure for corpus in corpora for failure in corpus.failures])


def restrict_speakers(speakers: list[str], config: SimulateConfig) -> list[str]:
    """Apply ``include_file``, ``exclude_file`` and the seeded split, in that order.

    The split permutes the sorted speaker list with ``split_seed`` and puts the first
    ``round(held_out_fraction * n)`` (at least one) in ``held-out``, the rest in ``train``.

    >>> from codecprobe.simulate.config import SimulateConfig
    >>> config = SimulateConfig(corpora=["x"])
    >>> config.speakers.split, config.speakers.held_out_fraction = "held-out", 0.5
    >>> held_out = restrict_speakers(["a", "b", "c", "d"], config)
    >>> config.speakers.split = "train"
    >>> train = restrict_speakers(["a", "b", "c", "d"], config)
    >>> len(held_out), len(train), set(held_out) & set(train)
    (2, 2, set())
    """
    options = config.speakers
    chosen = list(speakers)
    if options.include_file:
        wanted = _read_speaker_list(options.include_file)
        unknown = [s for s in wanted if s not in set(speakers)]
        if unknown:
            raise InputError(f"{options.include_file}:{wanted[unknown[0]]}: speaker {unknown[0]!r} is not in the "
                             f"corpora (ids look like {speakers[0]!r}; {len(unknown)} unknown in all)")
        chosen = [s for s in chosen if s in wanted]
    if options.exclude_file:
        unwanted = _read_speaker_list(options.exclude_file)
        chosen = [s for s in chosen if s not in unwanted]
    if options.split != "all" and chosen:
        order = np.random.default_rng(options.split_seed).permutation(len(chosen))
        n_held_out = min(max(1, int(round(options.held_out_fraction * len(chosen)))), len(chosen) - 1)
        held_out = {chosen[i] for i in order[:n_held_out].tolist()}
        chosen = [s for s in chosen if (s in held_out) == (options.split == "held-out")]
    if not chosen:
        raise InputError(f"no speakers left after the restrictions (include {options.include_file}, exclude "
                         f"{options.exclude_file}, split {options.split}) out of {len(speakers)}")
    return chosen


def _read_speaker_list(path: str) -> dict[str, int]:
    """Speaker id -> line number; one id per line, blank lines and '#' comments skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the speaker list ({error})") from None
    return {line.split("#")[0].strip(): number for number, line in enumerate(lines, start=1)
            if line.split("#")[0].strip()}


def _corpus_utterances(corpus: Corpus, min_duration: float) -> list[tuple[str, Utterance]]:
    if corpus.whole_recordings:
        return _solo_stretches(corpus, min_duration)
    found = []
    for segment in corpus.supervisions:
        if segment.speaker is not None and segment.duration >= min_duration:
            found.append((f"{corpus.name}:{segment.speaker}",
                          Utterance(f"{corpus.name}:{segment.id}", corpus.audio_path(segment.recording_id),
                                    segment.start, segment.end)))
    return found


def _solo_stretches(corpus: Corpus, min_duration: float) -> list[tuple[str, Utterance]]:
    """The stretches of each conversation where exactly one labelled speaker speaks (within the audio:
    a reference may run past the end of its file). Speakers are as the corpus names them: the rttm
    layout already scopes a label to its recording unless the corpus says labels are global."""
    by_recording = defaultdict(list)
    for segment in corpus.supervisions:
        if segment.speaker is not None:
            by_recording[segment.recording_id].append(segment)
    found = []
    for recording_id, segments in sorted(by_recording.items()):
        audio_end = corpus.recordings[recording_id].duration
        onset = np.array([s.start for s in segments])
        offset = np.minimum([s.end for s in segments], audio_end)
        edges = cut_points(onset, offset)
        solo = coverage(edges, onset, offset) == 1
        for segment in sorted(segments, key=lambda s: (s.start, s.speaker)):
            inside = solo & (edges[:-1] >= segment.start) & (edges[1:] <= min(segment.end, audio_end))
            for start, end in _runs(edges, inside):
                if end - start >= min_duration:
                    found.append((f"{corpus.name}:{segment.speaker}",
                                  Utterance(f"{corpus.name}:{recording_id}:{start:.3f}-{end:.3f}",
                                            corpus.audio_path(recording_id), start, end)))
    return found


def _runs(edges: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Maximal runs of consecutive elementary intervals ``[edges[k], edges[k + 1])`` where ``mask`` holds."""
    change = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts, stops = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    return [(float(edges[a]), float(edges[b])) for a, b in zip(starts, stops)]


def describe_pool(pool: SourcePool) -> dict:
    """The pool for simulation.json: corpora and speaker counts (the full list goes to speaker_pool.txt)."""
    return {"corpora": pool.corpora, "speakers": len(pool.speakers),
            "utterances": sum(len(u) for u in pool.utterances.values()), "fingerprint": pool.fingerprint()}
