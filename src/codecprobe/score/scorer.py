"""The diarization scorer: DER (md-eval), JER and clustering metrics (dscore), per file and pooled.

``DiarizationScorer`` keeps running totals as files are added (pyannote.metrics'
component idea); ``score`` scores whole sets. Pooling is md-eval's: seconds are
summed over files and the percentages taken from the sums; a file with no reference
turns inside its UEM is reported (DER 100 if the system spoke, else 0) but adds
nothing to the pooled totals, because md-eval never scores it.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from codecprobe.data.turns import Turns
from codecprobe.data.uem import Uem, default_uem
from codecprobe.errors import InputError
from codecprobe.report import markdown_table
from codecprobe.score.clustering import ClusteringScores, Contingency, clustering_scores, contingency
from codecprobe.score.der import DerComponents, file_der
from codecprobe.score.frames import frame_counts
from codecprobe.score.jer import file_jer, overall_jer, speaker_jers
from codecprobe.score.prepare import PreparedFile, prepare


@dataclass
class FileScores:
    file_id: str
    der: DerComponents
    jer: float | None = None
    clustering: ClusteringScores | None = None
    mapping: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = self.der.to_dict()
        if self.jer is not None:
            out["jer"] = self.jer
        if self.clustering is not None:
            out.update(asdict(self.clustering))
        return out


@dataclass
class Scores:
    files: dict[str, FileScores]
    overall: FileScores

    @property
    def measured(self) -> bool:
        """Whether any reference speech was scored; without it the pooled figures measure nothing."""
        return self.overall.der.scored > 0

    def to_dict(self) -> dict:
        """Per file and pooled figures; the pooled ones are null when nothing was scored."""
        overall = self.overall.to_dict()
        if not self.measured:
            overall = {key: (0.0 if key == "scored" else None) for key in overall}
        return {"overall": overall, "files": {fid: s.to_dict() for fid, s in self.files.items()}}

    def table(self, per_file: bool = True) -> str:
        """Markdown table, one row per file and a TOTAL row (seconds scored, percentages otherwise)."""
        overall = self.to_dict()["overall"]
        columns = [k for k in overall if not k.endswith("_s")]
        rows = [[fid, *[s.to_dict()[k] for k in columns]] for fid, s in sorted(self.files.items())] if per_file else []
        rows.append(["TOTAL", *["n/a" if overall[k] is None else overall[k] for k in columns]])
        return markdown_table(["file", *columns], rows)


class DiarizationScorer:
    """Score files one at a time, keeping md-eval/dscore running totals.

    collar: seconds on each side of every reference boundary left unscored (md-eval's ``-c``).
    ignore_overlaps: score only where the reference has at most one speaker (md-eval's ``-1``).
    step: frame step of JER and the clustering metrics (dscore's ``--step``).
    digits: times are rounded to this many decimals for DER, as dscore writes them for md-eval;
        ``None`` scores the times as given.
    """

    def __init__(self, collar: float = 0.0, ignore_overlaps: bool = False, step: float = 0.01,
                 digits: int | None = 3, jer: bool = True, clustering: bool = True):
        if collar < 0 or step <= 0:
            raise InputError(f"collar must be >= 0 and step > 0 (got collar={collar}, step={step})")
        self.collar, self.ignore_overlaps, self.step, self.digits = collar, ignore_overlaps, step, digits
        self.with_jer, self.with_clustering = jer, clustering
        self.files: dict[str, FileScores] = {}
        self._total = DerComponents()
        self._speaker_jers: list[np.ndarray | None] = []
        self._tables: list[Contingency] = []

    def add(self, file_id: str, reference: Turns | None, system: Turns | None,
            regions: np.ndarray) -> FileScores:
        prepared = prepare(file_id, reference, system, regions)
        result = file_der(md_eval_regions(prepared).rounded(self.digits), (self.collar,), self.ignore_overlaps)
        der = result.components[0]
        if prepared.reference.n or len(prepared.ref_points):
            self._total = self._total + der
        scores = FileScores(file_id, der, mapping={prepared.reference.labels[r]: prepared.system.labels[s]
                                                   for r, s in result.mapping})
        if self.with_jer or self.with_clustering:
            self._add_frame_metrics(prepared, scores)
        self.files[file_id] = scores
        return scores

    def _add_frame_metrics(self, prepared: PreparedFile, scores: FileScores) -> None:
        counts = frame_counts(prepared, self.step)
        if self.with_jer:
            jers = speaker_jers(counts)
            self._speaker_jers.append(jers)
            scores.jer = file_jer(jers)
        if self.with_clustering:
            table = contingency(counts)
            self._tables.append(table)
            scores.clustering = clustering_scores(table) if table.count.sum() > 0 else None

    def result(self) -> Scores:
        overall = FileScores("TOTAL", self._total)
        if self.with_jer:
            overall.jer = overall_jer(self._speaker_jers)
        if self.with_clustering and self._tables:
            overall.clustering = clustering_scores(Contingency.block_diagonal(self._tables))
        return Scores(dict(self.files), overall)


def md_eval_uem_id(file_id: str) -> str:
    """The id md-eval files a UEM line under: directory and first ``.ext`` stripped (``s/.*\\///; s/\\.[^.]*//``)."""
    return re.sub(r"\.[^.]*", "", re.sub(r".*/", "", file_id), count=1)


def md_eval_regions(prepared: PreparedFile) -> PreparedFile:
    """The regions md-eval scores DER over: the UEM, unless md-eval cannot match the file id in it.

    md-eval files UEM lines under a mangled id (:func:`md_eval_uem_id`); a file id with a dot
    (or a slash) then finds no UEM and md-eval falls back to the span from the first to the
    last reference turn (turns already cut to the UEM by dscore). dscore reproduces this
    without its default UEM, so we do too; JER and the clustering metrics keep the UEM.
    """
    if md_eval_uem_id(prepared.file_id) == prepared.file_id:
        return prepared
    ref = prepared.reference
    times = np.concatenate([ref.onset, ref.offset, prepared.ref_points])
    if len(times) == 0:
        return prepared
    return PreparedFile(prepared.file_id, np.array([[times.min(), times.max()]]), ref, prepared.system,
                        prepared.ref_points)


def coverage_warnings(reference: dict[str, Turns], system: dict[str, Turns], uem: Uem | None = None) -> list[str]:
    """What dscore warns about, and what it scores without a word: files on one side only, UEM
    ids that name no file, files the UEM leaves out, an empty reference or system.

    >>> turns = Turns.build("a", [0.0], [1.0], ["x"])
    >>> coverage_warnings({"a": turns}, {})
    ['the system holds no speaker turns', 'file "a" is only in the reference: all its speech counts as missed']
    """
    warnings = [f"the {side} holds no speaker turns" for side, turns in (("reference", reference), ("system", system))
                if not turns]
    for fid in sorted(uem if uem is not None else set(reference) | set(system)):
        if fid not in reference and fid not in system:
            warnings.append(f'UEM file "{fid}" is in neither the reference nor the system')
        elif fid not in system:
            warnings.append(f'file "{fid}" is only in the reference: all its speech counts as missed')
        elif fid not in reference:
            warnings.append(f'file "{fid}" is only in the system: all its speech counts as false alarm')
    if uem is not None:
        left_out = sorted((set(reference) | set(system)) - set(uem))
        if left_out:
            warnings.append(f"{len(left_out)} file(s) of the reference or system are not in the UEM and are not "
                            f"scored: {', '.join(left_out[:5])}{' ...' if len(left_out) > 5 else ''}")
    return warnings


def score(reference: dict[str, Turns], system: dict[str, Turns], uem: Uem | None = None,
          **options) -> Scores:
    """Score a system against a reference, file by file over the UEM (dscore's default UEM if none).

    Files of the reference or system missing from a given UEM are not scored (as dscore).
    ``options`` are those of :class:`DiarizationScorer`.
    """
    if uem is None:
        uem = default_uem(reference, system)
    scorer = DiarizationScorer(**options)
    for file_id in sorted(uem):
        scorer.add(file_id, reference.get(file_id), system.get(file_id), uem[file_id])
    return scorer.result()
