"""Score a trained adapter on held-out recordings, window by window (no long-audio stitching).

Each recording is cut into consecutive windows of the adapter's own length (the last one
shorter, its padding masked). A window is scored as a file of its own: the adapter's
local speakers against the reference turns inside the window (the window is the UEM),
with the project's scorer (md-eval's rules: optimal one-to-one speaker mapping per
window, collars around reference boundaries, overlap scored), and the seconds are pooled
over windows and recordings as md-eval pools files. Because speakers are matched per
window, confusion here is *within-window* speaker confusion: what the adapter itself
gets wrong, before any linking of speakers across windows (that is the next stage's job).

The seed's split: VAD error = missed speech + false alarm, speaker error = confusion
(percent of scored reference speech).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from lhotse import Recording
from scipy.optimize import linear_sum_assignment

from codecprobe.adapter.config import Verdicts
from codecprobe.audio import read_audio
from codecprobe.data.turns import Turns
from codecprobe.score import DerComponents, DiarizationScorer
from codecprobe.train.bank import FrameBank
from codecprobe.train.conversations import Conversations
from codecprobe.train.grid import grid_frames, to_grid


@dataclass
class WindowHypothesis:
    """One window's output for pictures: its span and turns as ``(onset, offset, reference speaker or None)``."""

    start: float
    end: float
    turns: list[tuple[float, float, str | None]]


@dataclass
class Evaluation:
    system: str
    corpus: str
    collars: dict[float, DerComponents]  # pooled over every window of every recording
    recordings: dict[str, dict[float, DerComponents]]
    windows: dict[str, list[WindowHypothesis]] = field(default_factory=dict)
    n_windows: int = 0

    def summary(self, collar: float) -> dict:
        return summarize(self.collars[collar])


def summarize(components: DerComponents) -> dict:
    """DER and its parts in percent, with the seed's VAD error (miss + FA) and speaker error (confusion)."""
    values = components.to_dict()
    return {"der": values["der"], "miss": values["miss"], "fa": values["fa"], "conf": values["conf"],
            "vad_error": values["miss"] + values["fa"], "confusion": values["conf"],
            "scored_s": components.scored}


def verdict(summary: dict, thresholds: Verdicts) -> str:
    """The seed's reading: "good VAD, poor speaker ID" and the like.

    >>> verdict({"vad_error": 4.6, "confusion": 33.0}, Verdicts())
    'good VAD, poor speaker ID'
    """
    vad = "good VAD" if summary["vad_error"] < thresholds.vad_good else "poor VAD"
    if summary["confusion"] < thresholds.confusion_good:
        speaker = "good speaker ID"
    elif summary["confusion"] >= thresholds.confusion_poor:
        speaker = "poor speaker ID"
    else:
        speaker = "fair speaker ID"
    return f"{vad}, {speaker}"


def window_turns(activity: np.ndarray, first_frame: int, rate: float, end: float) -> Turns:
    """Turns of ``[frames, slots]`` 0/1 ``activity`` whose first frame is ``first_frame``; slots named "0", "1"...

    >>> t = window_turns(np.array([[1, 0], [1, 1], [0, 1]]), 10, 10.0, end=1.25)
    >>> [(turn.start, turn.end, turn.speaker) for turn in t]
    [(1.0, 1.2, '0'), (1.1, 1.25, '1')]
    """
    onsets, durations, slots = [], [], []
    padded = np.pad(activity.astype(np.int8), ((1, 1), (0, 0)))
    for slot in range(activity.shape[1]):
        changes = np.flatnonzero(np.diff(padded[:, slot]))
        for begin, stop in zip(changes[0::2], changes[1::2]):
            onset = (first_frame + begin) / rate
            offset = min((first_frame + stop) / rate, end)
            if offset > onset:
                onsets.append(onset)
                durations.append(offset - onset)
                slots.append(str(slot))
    return Turns.build("window", onsets, durations, slots)


def evaluate(module, data: Conversations, bank: FrameBank, collars: list[float], batch_size: int = 16,
             name: str = "") -> Evaluation:
    """Score ``module`` on every recording of ``data`` (its frames in ``bank``)."""
    ratio, window = module.input_ratio, module.hparams.grid["window_frames"]

    def predict(recording: Recording, starts: list[int], mask: torch.Tensor) -> np.ndarray:
        row = bank.index(recording.id)
        features = torch.from_numpy(np.stack([bank.window(row, s * ratio, window * ratio) for s in starts]))
        return module.activity(features, mask).cpu().numpy()

    return _score_windows(data, module.hparams.grid, collars, predict, batch_size, name or module.hparams.system)


def evaluate_one_speaker(data: Conversations, grid: dict, collars: list[float]) -> Evaluation:
    """The baseline that needs no model: one speaker, speaking through every window."""
    def predict(recording: Recording, starts: list[int], mask: torch.Tensor) -> np.ndarray:
        return mask.numpy()[..., None].astype(np.float32)

    return _score_windows(data, grid, collars, predict, 64, "baseline: one speaker, always speaking")


def evaluate_segmentation(data: Conversations, grid: dict, collars: list[float], encoder, name: str,
                          batch_size: int = 16) -> Evaluation:
    """A trained window model with no adapter (``pretrained: segmentation``), on the adapters' own windows.

    ``encoder``: the ``segmentation`` encoder with ``speakers=hard`` (or anything with its
    ``sample_rate``, ``frame_offset`` and ``encode_batch`` giving a ``speakers`` tap of 0/1 local
    speakers). Each window's audio goes through it alone, zero-padded to the window's length as
    pyannote pads a recording's last chunk (segmentation-3.0 was trained on, and is run on, 10 s
    chunks; a whole recording in one pass would be outside that), and each local speaker is brought
    onto the label grid (:func:`~codecprobe.train.grid.to_grid`) and is active in a grid frame where
    it speaks over at least half of it, the labels' own rule. Scored by the same code as an adapter.
    """
    rate, window = grid["rate"], grid["window_frames"]
    sample_rate = encoder.sample_rate
    window_samples = int(round(window / rate * sample_rate))
    offset = encoder.frame_offset("speakers")
    audio: dict[str, np.ndarray] = {}

    def predict(recording: Recording, starts: list[int], mask: torch.Tensor) -> np.ndarray:
        if recording.id not in audio:
            audio.clear()  # one recording at a time
            audio[recording.id] = read_audio(data.corpus.audio_path(recording.id), target_rate=sample_rate)[0]
        signal = audio[recording.id]
        chunks = []
        for start in starts:
            first = int(round(start / rate * sample_rate))
            chunk = signal[first: first + window_samples]
            chunks.append(np.pad(chunk, (0, window_samples - len(chunk))).astype(np.float32))
        encoded = encoder.encode_batch(chunks, ["speakers"])
        return np.stack([to_grid(e["speakers"].frames, e["speakers"].frame_rate, window, rate, offset) >= 0.5
                         for e in encoded]).astype(np.float32)

    return _score_windows(data, grid, collars, predict, batch_size, name)


def frame_errors(decided: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``[miss, false alarm, confusion, speech]`` in frames, summed over windows: the DER of 0/1 ``decided``
    ``[B, T, S_out]`` against ``targets`` ``[B, T, S]`` on the label grid (valid frames of ``mask``
    ``[B, T]``), each window's outputs mapped one-to-one to its speakers to maximise their overlap
    (md-eval's mapping, collar 0); what validation logs, cheaply, as ``val/der``.

    >>> ref = np.array([[[1, 0], [1, 1], [0, 1], [0, 0]]])       # speaker 0, overlap, speaker 1, silence
    >>> hyp = np.array([[[0, 1], [0, 1], [1, 0], [1, 0]]])       # output 1 is speaker 0, output 0 speaker 1
    >>> frame_errors(hyp, ref, np.ones((1, 4), bool)).tolist()   # a miss in the overlap, a false alarm at the end
    [1.0, 1.0, 0.0, 4.0]
    """
    totals = np.zeros(4)
    for hyp, ref, valid in zip(decided, targets, mask):
        hyp, ref = hyp[valid.astype(bool)] >= 0.5, ref[valid.astype(bool)] >= 0.5
        rows, cols = linear_sum_assignment(-(hyp.T.astype(np.float64) @ ref))
        correct = (hyp[:, rows] & ref[:, cols]).sum(axis=1)
        n_hyp, n_ref = hyp.sum(axis=1), ref.sum(axis=1)
        totals += [np.maximum(n_ref - n_hyp, 0).sum(), np.maximum(n_hyp - n_ref, 0).sum(),
                   (np.minimum(n_ref, n_hyp) - correct).sum(), n_ref.sum()]
    return totals


def _score_windows(data: Conversations, grid: dict, collars: list[float], predict, batch_size: int,
                   name: str) -> Evaluation:
    """Windows of every recording through ``predict(recording, window starts, mask) -> [B, window, slots]``
    0/1 decisions, and the scorer: every system, trained or not, is scored here."""
    rate, window = grid["rate"], grid["window_frames"]
    recordings: dict[str, dict[float, DerComponents]] = {}
    pictures: dict[str, list[WindowHypothesis]] = {}
    n_windows = 0
    for recording in data.recordings:
        frames = grid_frames(recording.duration, rate)
        reference = data.reference(recording.id)
        starts = list(range(0, frames, window))
        # one scorer per recording and collar: its total pools the windows as md-eval pools files
        scorers = {collar: DiarizationScorer(collar=collar, jer=False, clustering=False) for collar in collars}
        pictures[recording.id] = []
        for first in range(0, len(starts), batch_size):
            chunk = starts[first: first + batch_size]
            mask = torch.from_numpy(np.stack([np.arange(window) < frames - s for s in chunk]))
            for start, decided in zip(chunk, predict(recording, chunk, mask)):
                span = (start / rate, min((start + window) / rate, recording.duration))
                hypothesis = window_turns(decided, start, rate, span[1])
                mapping = {}
                for scorer in scorers.values():
                    mapping = scorer.add(f"w{start}", reference, hypothesis, np.array([span])).mapping
                slot_to_speaker = {slot: speaker for speaker, slot in mapping.items()}
                pictures[recording.id].append(WindowHypothesis(
                    *span, [(t.start, t.end, slot_to_speaker.get(t.speaker)) for t in hypothesis]))
        n_windows += len(starts)
        recordings[recording.id] = {collar: scorer.result().overall.der for collar, scorer in scorers.items()}
    pooled = {collar: sum((totals[collar] for totals in recordings.values()), DerComponents()) for collar in collars}
    return Evaluation(name, data.name, pooled, recordings, pictures, n_windows)
