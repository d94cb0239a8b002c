"""Diarization in ``codecprobe demo``: conversations with references through each pipeline, side by side.

The conversations are the real ones of ``../shared/data`` where that folder exists, else a
few simulated from the demo's synthetic voices (``codecprobe simulate``).
"""
from __future__ import annotations

from pathlib import Path

from codecprobe.diarize.inference import run_diarize
from codecprobe.diarize.inference_config import DiarizeConfig
from codecprobe.report import markdown_table


def demo_conversations(shared: Path, voices: Path | None, folder: Path, seed: int = 0) -> tuple[dict, str]:
    """``({recording id: (audio, reference RTTM)}, where they come from)``."""
    from codecprobe.diarize.shared_conversations import shared_conversations

    found = shared_conversations(shared, folder / "references") if shared.is_dir() else {}
    if found:
        return found, "real conversations from ../shared/data"
    if voices is None:
        return {}, "no conversations"
    from codecprobe.simulate.config import SimulateConfig
    from codecprobe.simulate.study import run_simulation

    config = SimulateConfig(corpora=[str(voices)], num_recordings=3, seed=seed)
    config.speakers.counts, config.speakers.count_weights = [2, 3], [1.0, 1.0]
    config.speakers.min_turns, config.speakers.max_turns = 4, 6
    simulation = run_simulation(config, folder / "simulated", progress=False)
    ids = [row["recording"] for row in simulation.rows]
    return ({rid: (folder / "simulated" / "audio" / f"{rid}.wav", folder / "simulated" / "rttm" / f"{rid}.rttm")
             for rid in ids}, "conversations simulated from the synthetic voices (codecprobe simulate)")


def diarize_conversations(conversations: dict[str, tuple[Path, Path]], out: Path,
                          systems: list[tuple[str, DiarizeConfig]], progress: bool = True) -> dict:
    """Each ``(name, config)`` over the conversations, scored.

    Returns ``{"table": Markdown, "recordings": ids, "systems": [{"name", "label", "report", "overall"}]}``:
    one table row per system with pooled DER (collars 0 and 0.25), VAD error, confusion, JER and speed.
    """
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
