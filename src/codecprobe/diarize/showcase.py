"""Diarization in ``codecprobe demo``: the real conversations of ``../shared/data`` through each pipeline."""
from __future__ import annotations

from pathlib import Path

from codecprobe.diarize.inference import run_diarize
from codecprobe.diarize.inference_config import DiarizeConfig
from codecprobe.diarize.shared_conversations import shared_conversations
from codecprobe.report import markdown_table


def diarize_conversations(shared: Path, out: Path, systems: list[tuple[str, DiarizeConfig]],
                          progress: bool = True) -> dict | None:
    """Each ``(name, config)`` over every shared conversation, scored; None where there are none.

    Returns ``{"table": Markdown, "systems": [{"name", "label", "report", "overall"}]}``: one
    row per system with pooled DER (collars 0 and 0.25), VAD error, confusion, JER and speed.
    """
    conversations = shared_conversations(shared, out / "references")
    if not conversations:
        return None
    audio = [str(a) for a, _ in conversations.values()]
    references = [str(r) for _, r in conversations.values()]
    rows, systems_out = [], []
    for name, config in systems:
        summary = run_diarize(config, audio, out / name, reference=references, progress=progress)
        c0, c25 = (summary["scores"]["collars"][c]["overall"] for c in ("0", "0.25"))
        totals = summary["totals"]
        rows.append([name, summary["pipeline"]["label"], totals["n_recordings"], totals["audio_s"] / 60, c0["der"],
                     c0["miss"] + c0["fa"], c0["conf"], c25["der"], c0.get("jer", float("nan")),
                     totals["real_time_factor"] or float("nan")])
        systems_out.append({"name": name, "label": summary["pipeline"]["label"], "report": str(out / name / "report.md"),
                            "overall": {"collar_0": c0, "collar_0.25": c25}})
    table = markdown_table(["system", "what it is", "files", "minutes", "DER c=0 %", "VAD err %", "confusion %",
                            "DER c=0.25 %", "JER %", "x real time"], rows)
    return {"table": table, "recordings": sorted(conversations), "systems": systems_out}
