"""The boundary-analysis report: JSON, Markdown and PNG plots in one folder."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from codecprobe.report import markdown_table, provenance, write_json
from codecprobe.report.files import atomic_write_text
from codecprobe.report.plots import legend, pyplot, save_figure
from codecprobe.score.boundaries import TOLERANCES, BoundaryReport


def write_boundary_report(report: BoundaryReport, folder: str | os.PathLike, options: dict | None = None) -> Path:
    """Write ``boundaries.json``, ``boundaries.md``, ``boundary_errors.png``, ``collar_curve.png``; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = report.to_dict()
    write_json(folder / "boundaries.json", {"options": options or {}, "provenance": provenance(), **data})
    plots = _plots(report, folder)
    atomic_write_text(folder / "boundaries.md", _markdown(report, data, plots))
    return folder


def _markdown(report: BoundaryReport, data: dict, plots: list[Path]) -> str:
    total = report.collar_curve[0.0]
    rows = [[fid, d.scored, d.der, *[100 * x / d.scored if d.scored else 0.0 for x in (d.miss, d.fa, d.conf)]]
            for fid, d in sorted(report.files.items())]
    rows.append(["TOTAL", total.scored, total.der, *[100 * x / total.scored if total.scored else 0.0
                                                     for x in (total.miss, total.fa, total.conf)]])
    b = data["boundaries"]
    boundary_rows = [[kind, s["matched"], _ms(s["mean_abs_error_s"]), _ms(s["median_abs_error_s"]),
                      *[_pct(s[f"within_{int(t * 1000)}ms"]) for t in TOLERANCES]]
                     for kind, s in (("all", b["all"]), ("speech on/off", b["speech"]), ("speaker change", b["change"]))]
    collar_rows = [[f"{c:.2f}", d.der, _pct(report.jitter_share(c)) if c > 0 else "-"]
                   for c, d in report.collar_curve.items()]
    return "\n\n".join([
        "# Diarization error and boundaries",
        "## DER by file (collar 0; percent of scored reference speech)",
        markdown_table(["file", "scored s", "DER", "miss", "FA", "conf"], rows),
        "## Boundary errors (matched reference/system boundaries under the optimal mapping)",
        markdown_table(["boundaries", "matched", "mean ms", "median ms",
                        *[f"within {int(t * 1000)} ms %" for t in TOLERANCES]], boundary_rows),
        f"Unmatched: {b['unmatched_reference']} reference and {b['unmatched_system']} system boundaries.",
        "## Collar sensitivity",
        markdown_table(["collar s", "DER", "error within collar of a ref boundary %"], collar_rows),
        *[f"![{plot.stem.replace('_', ' ')}]({plot.name})" for plot in plots],
    ]) + "\n"


def _ms(seconds):
    return "-" if seconds is None else f"{1000 * seconds:.0f}"


def _pct(share):
    return "-" if share is None else f"{100 * share:.1f}"


def _plots(report: BoundaryReport, folder: Path) -> list[Path]:
    """The plots that have something to show (none when nothing was scored or matched)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for kind, label in (("speech", "speech on/off"), ("change", "speaker change")):
        errors = 1000 * report.boundaries.all(kind)
        if len(errors):
            ax.hist(errors, bins=np.linspace(-1000, 1000, 81), alpha=0.6, label=label)
    ax.set_xlabel("system - reference boundary (ms)")
    ax.set_ylabel("boundaries")
    ax.set_title(f"boundary errors of the {len(report.boundaries.all())} matched reference boundaries")
    legend(ax)
    plots = [save_figure(fig, folder / "boundary_errors.png", dpi=100)]

    if report.measured:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        collars = list(report.collar_curve)
        ax.plot(collars, [report.collar_curve[c].der for c in collars], marker="o")
        ax.set_xlabel("collar (s, each side of reference boundaries)")
        ax.set_ylabel("DER (%)")
        ax.set_title(f"DER against the collar ({len(report.files)} file(s))")
        plots.append(save_figure(fig, folder / "collar_curve.png", dpi=100))
    return [plot for plot in plots if plot is not None]
