"""Diarization scoring: RTTM/UEM I/O, DER (md-eval), JER and clustering metrics (dscore), boundary analysis."""
from codecprobe.score.der import DerComponents, file_der
from codecprobe.score.prepare import prepare
from codecprobe.score.rttm import FileTurns, Problems, Turn, group_turns, read_rttm, read_rttms, write_rttm
from codecprobe.score.scorer import DiarizationScorer, FileScores, Scores, coverage_warnings, score
from codecprobe.score.uem import default_uem, read_uem, write_uem

__all__ = ["DerComponents", "DiarizationScorer", "FileScores", "FileTurns", "Problems", "Scores", "Turn", "coverage_warnings",
           "default_uem", "file_der", "group_turns", "prepare", "read_rttm", "read_rttms", "read_uem",
           "score", "write_rttm", "write_uem"]
