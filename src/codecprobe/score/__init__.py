"""Diarization scoring: DER (md-eval), JER and clustering metrics (dscore), boundary analysis.

Turns, RTTM and UEM files are the data model's (:mod:`codecprobe.data`).
"""
from codecprobe.score.der import DerComponents, file_der
from codecprobe.score.prepare import prepare
from codecprobe.score.scorer import DiarizationScorer, FileScores, Scores, coverage_warnings, score

__all__ = ["DerComponents", "DiarizationScorer", "FileScores", "Scores", "coverage_warnings", "file_der", "prepare",
           "score"]
