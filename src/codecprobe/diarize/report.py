"""The report of ``codecprobe diarize``, rendered from its saved ``summary.json``: with a reference,
a per-file table of DER, its parts and JER with a TOTAL row pooled as md-eval pools, and one
picture per file of reference against hypothesis over time (the scores: :mod:`~codecprobe.diarize.scoring`).
"""
from __future__ import annotations

from codecprobe.diarize.recordings import display_name
from codecprobe.diarize.results import DiarizeResult
from codecprobe.report.model import Bullets, Figure, Report, Section, Table

__all__ = ["DiarizeResult", "render"]


def render(result: DiarizeResult) -> Report:
    from codecprobe.config import config_to_dict

    pipeline, scores = result.pipeline, result.scores
    names = {r["id"]: display_name(r["id"], r.get("corpus", "")) for r in result.recordings}
    about = []
    if not pipeline["trained"]:
        about.append("**Untrained control**: part of this pipeline has random weights; its numbers show what a "
                     "model learns, not what it does.")
    about.append(f"Thresholds: {result.tuning}. The full config is in `config.yaml` and `summary.json`.")
    sections = []
    if scores is None:
        sections.append(Section(None, ["No reference given (--reference): nothing was scored."]))
    elif scores["collars"]:
        sections.append(Section("Scores (overlap scored; % of scored reference speech)", [
            _score_table(result),
            "VAD error = missed speech + false alarm (seed 001's split); conf = speaker confusion. "
            "TOTAL pools seconds over files as md-eval does; x real time is audio seconds per second "
            "of the pipeline's wall time."]))
    else:
        sections.append(Section(None, ["No recording has reference turns: nothing was scored."]))
    if scores and scores["unscored_recordings"]:
        sections.append(Section(None, [f"No reference turns for: "
                                       f"{', '.join(names.get(i, i) for i in scores['unscored_recordings'])}."]))
    if result.failures:
        sections.append(Section("Skipped", [Bullets([f"`{f['path']}`: {f['reason']}" for f in result.failures])]))
    noted = [(names[r["id"]], note) for r in result.recordings for note in r["notes"]]
    if noted:
        sections.append(Section("Notes", [Bullets([f"{name}: {note}" for name, note in noted])]))
    if result.figures:
        sections.append(Section("Reference against hypothesis",
                                [Figure(path, names.get(fid, fid)) for fid, path in result.figures.items()]))
    return Report(f"Diarization: {pipeline['label']}", about, sections, config_to_dict(result.config),
                  result.provenance)


def _score_table(result: DiarizeResult) -> Table:
    """One row per scored file and a TOTAL row."""
    scores = result.scores
    collars = list(scores["collars"])
    headers = ["recording (corpus)", "duration s", "ref spk", "hyp spk"]
    for collar in collars:
        headers += [f"DER c={collar}", f"VAD err c={collar}", f"miss c={collar}", f"FA c={collar}", f"conf c={collar}"]
    headers += ["JER", "x real time"]
    first = scores["collars"][collars[0]]
    recordings = {r["id"]: r for r in result.recordings}
    scored = sorted(fid for fid in recordings if fid in first["files"])
    rows = []
    for fid in scored:
        record = recordings[fid]
        cells = [c for collar in collars for c in _error_cells(scores, collar, fid)]
        rows.append([display_name(fid, record.get("corpus", "")), record["duration_s"], scores["reference_speakers"][fid], record["n_speakers"], *cells,
                     _number(first["files"][fid].get("jer")), _number(record["real_time_factor"])])
    duration = sum(recordings[fid]["duration_s"] for fid in scored)
    wall = sum(sum(recordings[fid]["seconds"].values()) for fid in scored)
    total = [c for collar in collars for c in _error_cells(scores, collar, None)]
    rows.append(["TOTAL", duration, "", "", *total, _number(first["overall"].get("jer")),
                 duration / wall if wall else float("nan")])
    return Table(headers, rows)


def _error_cells(scores: dict, collar: str, fid: str | None) -> list[float]:
    """DER, VAD error, miss, false alarm and confusion of one file (None: the pooled TOTAL) at one collar."""
    d = scores["collars"][collar]["overall" if fid is None else "files"]
    d = d if fid is None else d[fid]
    vad = scores["vad_error"][collar]["TOTAL" if fid is None else fid]
    return [_number(d["der"]), _number(vad), _number(d["miss"]), _number(d["fa"]), _number(d["conf"])]


def _number(value: float | None) -> float:
    """A saved figure for the table: NaN where it is undefined (saved as null)."""
    return float("nan") if value is None else value
