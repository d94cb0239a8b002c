"""The boundary-analysis report: ``boundaries.json`` (a :class:`BoundaryResult`), ``boundaries.md`` rendered
from it, and PNG plots, in one folder."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from codecprobe.report import provenance
from codecprobe.report.model import Figure, Report, Section, Table
from codecprobe.report.results import Result, write_study
from codecprobe.score.boundaries import TOLERANCES

if TYPE_CHECKING:
    from codecprobe.score.boundaries import BoundaryReport


@dataclass
class BoundaryResult(Result):
    """``boundaries.json``: DER per file, boundary errors and the collar curve, from which ``boundaries.md``
    is rendered."""

    study = "boundaries"
    renderer = "codecprobe.score.report:render"
    filename = "boundaries.json"
    report_name = "boundaries.md"

    options: dict  # collars and max_distance as given
    provenance: dict
    files: dict  # file -> DER and its parts at collar 0
    boundaries: dict  # matched boundary errors: summaries per kind, the unmatched counts, every signed error
    collar_curve: dict  # collar ("0.25") -> pooled DER and its parts
    error_share_near_boundary: dict  # collar -> share of the collar-0 error within it of a reference boundary
    figures: list[str] = field(default_factory=list)


def write_boundary_report(report: BoundaryReport, folder: str | os.PathLike, options: dict | None = None) -> Path:
    """Write ``boundaries.json``, ``boundaries.md``, ``boundary_errors.png``, ``collar_curve.png``; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = BoundaryResult(options=options or {}, provenance=provenance(), **report.to_dict(),
                            figures=[plot.name for plot in _plots(report, folder)])
    write_study(result, folder)
    return folder


def render(result: BoundaryResult) -> Report:
    def parts(d: dict) -> list:
        return [d["scored"], _number(d["der"]), *[100 * d[f"{x}_s"] / d["scored"] if d["scored"] else 0.0
                                                  for x in ("miss", "fa", "conf")]]

    rows = [[fid, *parts(d)] for fid, d in sorted(result.files.items())] + [["TOTAL", *parts(result.collar_curve["0.00"])]]
    b = result.boundaries
    boundary_rows = [[kind, s["matched"], _ms(s["mean_abs_error_s"]), _ms(s["median_abs_error_s"]),
                      *[_pct(s[f"within_{int(t * 1000)}ms"]) for t in TOLERANCES]]
                     for kind, s in (("all", b["all"]), ("speech on/off", b["speech"]), ("speaker change", b["change"]))]
    collar_rows = [[c, _number(d["der"]), _pct(result.error_share_near_boundary[c]) if float(c) > 0 else "-"]
                   for c, d in result.collar_curve.items()]
    sections = [
        Section("DER by file (collar 0; percent of scored reference speech)",
                [Table(["file", "scored s", "DER", "miss", "FA", "conf"], rows)]),
        Section("Boundary errors (matched reference/system boundaries under the optimal mapping)", [
            Table(["boundaries", "matched", "mean ms", "median ms", *[f"within {int(t * 1000)} ms %" for t in TOLERANCES]],
                  boundary_rows),
            f"Unmatched: {b['unmatched_reference']} reference and {b['unmatched_system']} system boundaries."]),
        Section("Collar sensitivity", [Table(["collar s", "DER", "error within collar of a ref boundary %"],
                                             collar_rows)]),
        Section(None, [Figure(name, name.rsplit(".", 1)[0].replace("_", " ")) for name in result.figures]),
    ]
    return Report("Diarization error and boundaries", [], sections, result.options, result.provenance)


def _number(value: float | None) -> float:
    return float("nan") if value is None else value


def _ms(seconds):
    return "-" if seconds is None else f"{1000 * seconds:.0f}"


def _pct(share):
    return "-" if share is None else f"{100 * share:.1f}"


def _plots(report: BoundaryReport, folder: Path) -> list[Path]:
    """The plots that have something to show (none when nothing was scored or matched)."""
    import numpy as np

    from codecprobe.report.plots import legend, pyplot, save_figure

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
