"""Scores of ``codecprobe diarize --reference``: the output scored by ``codecprobe.score``.

For each recording with reference turns: DER at each collar of the config (md-eval's
rules, overlap scored), JER, and seed 001's split of DER into VAD error (missed speech +
false alarm) and speaker confusion, written to ``OUT/scores.json``; and one picture per file
of reference against hypothesis over time (``OUT/plots/<id>.png``).
"""
from __future__ import annotations

from pathlib import Path

from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.recordings import RecordingResult
from codecprobe.report import write_json
from codecprobe.report.plots import pyplot, save_figure
from codecprobe.data.turns import Turns
from codecprobe.score import score


def score_outputs(results: list[RecordingResult], references, config: DiarizeConfig, label: str,
                  out: Path) -> tuple[dict, dict[str, str]]:
    """Score, write ``scores.json`` and ``plots/<id>.png``; the scores and the plots (id -> path in ``out``)."""
    reference, uem = references
    system = {r.recording.id: r.turns for r in results if r.recording.id in reference}
    unmatched = sorted(r.recording.id for r in results if r.recording.id not in reference)
    regions = None if uem is None else {fid: uem[fid] for fid in system if fid in uem}
    by_collar = {collar: score({fid: reference[fid] for fid in system}, system, regions, collar=collar)
                 for collar in config.collars} if system else {}
    scores = {"collars": {f"{collar:g}": result.to_dict() for collar, result in by_collar.items()},
              "vad_error": _vad_errors(by_collar), "unscored_recordings": unmatched,
              "reference_speakers": {fid: len(reference[fid].labels) for fid in system}}
    write_json(out / "scores.json", scores)
    plots = {}
    if config.plots and by_collar:
        first = by_collar[config.collars[0]]
        names = {r.recording.id: r.recording.name for r in results}
        for fid in system:
            mapping = first.files[fid].mapping if fid in first.files else {}
            path = _timeline_plot(reference[fid], system[fid], mapping, f"{names[fid]}: {label}",
                                  out / "plots" / f"{fid.replace('/', '__')}.png")
            if path is not None:
                plots[fid] = path.relative_to(out).as_posix()
    return scores, plots


def _vad_errors(by_collar: dict) -> dict:
    """Seed 001's VAD error (missed speech + false alarm, % of scored speech) per collar, overall and per file."""
    table = {}
    for collar, result in by_collar.items():
        rows = {fid: s.der for fid, s in result.files.items()} | {"TOTAL": result.overall.der}
        table[f"{collar:g}"] = {fid: _percent(der.miss + der.fa, der.scored) for fid, der in rows.items()}
    return table


def _percent(part: float, total: float) -> float:
    return 100.0 * part / total if total > 0 else 0.0


def _timeline_plot(reference: Turns, system: Turns, mapping: dict[str, str], title: str, path: Path) -> Path:
    """Reference speakers (top) and hypothesis speakers (bottom) as bars over time; a hypothesis
    speaker mapped to a reference one (the DER mapping) shares its colour."""
    plt = pyplot()
    colours = plt.get_cmap("tab10")
    ref_labels = list(reference.labels)
    sys_labels = sorted(system.labels, key=lambda s: (s not in mapping.values(), s))
    colour_of = {r: colours(i % 10) for i, r in enumerate(ref_labels)}
    for r, s in mapping.items():
        colour_of[f"sys:{s}"] = colour_of[r]
    rows = [("ref", r) for r in ref_labels] + [("hyp", s) for s in sys_labels]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.6))
    for y, (side, name) in enumerate(rows):
        turns = reference if side == "ref" else system
        code = turns.labels.index(name)
        pick = turns.code == code
        bars = list(zip(turns.start[pick], turns.duration[pick]))
        colour = colour_of[name] if side == "ref" else colour_of.get(f"sys:{name}", "0.55")
        ax.broken_barh(bars, (len(rows) - 1 - y - 0.4, 0.8), facecolors=colour)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{side}: {name}" for side, name in reversed(rows)], fontsize=8)
    end = max([0.0, *(reference.end.tolist()), *(system.end.tolist())])
    ax.set_xlim(0, end if end > 0 else 1)
    ax.axhline(len(sys_labels) - 0.5, color="black", linewidth=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("speaker (reference above the line, hypothesis below)")
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path, dpi=90)


