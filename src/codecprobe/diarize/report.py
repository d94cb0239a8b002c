"""Scores and report of ``codecprobe diarize --reference``: the output scored by ``codecprobe.score``.

For each recording with reference turns: DER at each collar of the config (md-eval's
rules, overlap scored), JER, and seed 001's split of DER into VAD error (missed speech +
false alarm) and speaker confusion. Written as ``OUT/report.md`` (a per-file table with a
TOTAL row pooled as md-eval pools, and one picture per file of reference against
hypothesis over time) and ``OUT/scores.json``.
"""
from __future__ import annotations

from pathlib import Path

from codecprobe.data.turns import Turns
from codecprobe.diarize.config import TUNING_NOTE, DiarizeConfig
from codecprobe.diarize.recordings import RecordingResult
from codecprobe.report import atomic_write_text, markdown_table, write_json
from codecprobe.report.plots import pyplot, save_figure
from codecprobe.score import score


def write_report(summary: dict, results: list[RecordingResult], references, config: DiarizeConfig,
                 out: Path) -> dict:
    """Score, write ``report.md``, ``scores.json`` and ``plots/<id>.png``; return the scores."""
    reference, uem = references
    system = {r.recording.id: r.turns for r in results if r.recording.id in reference}
    unmatched = sorted(r.recording.id for r in results if r.recording.id not in reference)
    regions = None if uem is None else {fid: uem[fid] for fid in system if fid in uem}
    by_collar = {collar: score({fid: reference[fid] for fid in system}, system, regions, collar=collar)
                 for collar in config.collars} if system else {}
    scores = {"collars": {f"{collar:g}": result.to_dict() for collar, result in by_collar.items()},
              "vad_error": _vad_errors(by_collar), "unscored_recordings": unmatched}
    write_json(out / "scores.json", scores)
    plots = {}
    if config.plots and by_collar:
        first = by_collar[config.collars[0]]
        for fid in system:
            mapping = first.files[fid].mapping if fid in first.files else {}
            plots[fid] = _timeline_plot(reference[fid], system[fid], mapping, summary["pipeline"]["label"],
                                        out / "plots" / f"{fid.replace('/', '__')}.png")
    atomic_write_text(out / "report.md", _markdown(summary, results, reference, by_collar, unmatched, plots, out))
    return scores


def _vad_errors(by_collar: dict) -> dict:
    """Seed 001's VAD error (missed speech + false alarm, % of scored speech) per collar, overall and per file."""
    table = {}
    for collar, result in by_collar.items():
        rows = {fid: s.der for fid, s in result.files.items()} | {"TOTAL": result.overall.der}
        table[f"{collar:g}"] = {fid: _percent(der.miss + der.fa, der.scored) for fid, der in rows.items()}
    return table


def _percent(part: float, total: float) -> float:
    return 100.0 * part / total if total > 0 else 0.0


def _markdown(summary: dict, results: list[RecordingResult], reference: dict[str, Turns], by_collar: dict,
              unmatched: list[str], plots: dict, out: Path) -> str:
    pipeline = summary["pipeline"]
    lines = [f"# Diarization: {pipeline['label']}", ""]
    if not pipeline["trained"]:
        lines += ["**Untrained control**: part of this pipeline has random weights; its numbers show what a "
                  "model learns, not what it does.", ""]
    lines += [f"Thresholds: {TUNING_NOTE}. The full config is in `config.yaml` and `summary.json`.", ""]
    if by_collar:
        lines += ["## Scores (overlap scored; % of scored reference speech)", "",
                  markdown_table(*_score_table(results, reference, by_collar)), "",
                  "VAD error = missed speech + false alarm (seed 001's split); conf = speaker confusion. "
                  "TOTAL pools seconds over files as md-eval does; x real time is audio seconds per second "
                  "of the pipeline's wall time.", ""]
    else:
        lines += ["No recording has reference turns: nothing was scored.", ""]
    if unmatched:
        lines += [f"No reference turns for: {', '.join(unmatched)}.", ""]
    if summary["failures"]:
        lines += ["## Skipped", "", *[f"- `{f['path']}`: {f['reason']}" for f in summary["failures"]], ""]
    noted = [(r.recording.id, note) for r in results for note in r.notes]
    if noted:
        lines += ["## Notes", "", *[f"- {fid}: {note}" for fid, note in noted], ""]
    if plots:
        lines += ["## Reference against hypothesis", "", *[f"![{fid}]({path.relative_to(out)})" for fid, path in plots.items()]]
    return "\n".join(lines) + "\n"


def _score_table(results: list[RecordingResult], reference: dict[str, Turns], by_collar: dict) -> tuple[list, list]:
    """Headers and rows: one row per scored file and a TOTAL row."""
    headers = ["file", "duration s", "ref spk", "hyp spk"]
    for collar in by_collar:
        headers += [f"DER c={collar:g}", f"VAD err c={collar:g}", f"miss c={collar:g}", f"FA c={collar:g}",
                    f"conf c={collar:g}"]
    headers += ["JER", "x real time"]
    first = next(iter(by_collar.values()))
    scored = [r for r in results if r.recording.id in first.files]
    rows = []
    for result in sorted(scored, key=lambda r: r.recording.id):
        fid = result.recording.id
        rows.append([fid, result.recording.duration, len(reference[fid].labels), result.n_speakers,
                     *_error_cells([c.files[fid] for c in by_collar.values()]), _jer(first.files[fid]),
                     result.real_time_factor])
    duration = sum(r.recording.duration for r in scored)
    wall = sum(sum(r.seconds.values()) for r in scored)
    rows.append(["TOTAL", duration, "", "", *_error_cells([c.overall for c in by_collar.values()]),
                 _jer(first.overall), duration / wall if wall else float("nan")])
    return headers, rows


def _error_cells(scores: list) -> list[float]:
    cells = []
    for s in scores:
        d = s.der.to_dict()
        cells += [d["der"], _percent(s.der.miss + s.der.fa, s.der.scored), d["miss"], d["fa"], d["conf"]]
    return cells


def _jer(scores) -> float:
    return scores.jer if scores.jer is not None else float("nan")


def _timeline_plot(reference: Turns, system: Turns, mapping: dict[str, str], label: str, path: Path) -> Path:
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
    ax.set_title(f"{reference.recording_id}: {label}", fontsize=9)
    return save_figure(fig, path, dpi=90)


