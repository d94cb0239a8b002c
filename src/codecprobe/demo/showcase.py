"""Diarization in ``codecprobe demo``: conversations with references through each pipeline, side by side.

The conversations are the real ones of ``../shared/data`` where that folder exists, else a
few simulated from the demo's synthetic voices (``codecprobe simulate``).
"""
from __future__ import annotations

from pathlib import Path

from codecprobe.diarize.run import run_diarize
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.report import markdown_table


def demo_conversations(shared: Path, voices: Path | None, folder: Path, seed: int = 0) -> tuple[dict, str]:
    """``({recording id: (audio, reference RTTM)}, where they come from)``."""
    from codecprobe.demo.conversations import shared_conversations

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


def train_demo_adapter(speaker_corpora: list[Path], out: Path, seed: int = 0, steps: int = 150,
                       progress: bool = True) -> tuple[Path, str]:
    """A small adapter trained here in a couple of minutes: ``(checkpoint, what it is)``.

    Conversations simulated from the demo's speaker corpora (``codecprobe simulate``), MFCC
    input, a 2-layer 64-wide adapter, ``steps`` optimiser steps (``codecprobe train``). It shows
    the pipeline end to end; it is not a model to judge the approach by (docs/diarize.md has
    the study for that).
    """
    from codecprobe.adapter.config import AdapterConfig, InputTap, SystemConfig, TrainStudyConfig
    from codecprobe.adapter.study import run_study
    from codecprobe.simulate.config import SimulateConfig
    from codecprobe.simulate.study import run_simulation
    from codecprobe.train.config import TrainerConfig
    from codecprobe.train.run import TrainingRun

    simulation = SimulateConfig(corpora=[str(c) for c in speaker_corpora], num_recordings=24, seed=seed,
                                recording_prefix="demo-train")
    simulation.speakers.counts, simulation.speakers.count_weights = [1, 2, 3], [1.0, 2.0, 2.0]
    simulation.speakers.min_turns, simulation.speakers.max_turns = 3, 5
    run_simulation(simulation, out / "simulated", progress=False)
    study = TrainStudyConfig(
        train_corpus=str(out / "simulated"), systems=[SystemConfig(name="demo-mfcc", inputs=[InputTap(encoder="mfcc")])],
        adapter=AdapterConfig(d_model=64, layers=2, heads=4, feedforward=128), window_s=8.0, window_step_s=2.0,
        trainer=TrainerConfig(max_steps=steps, batch_size=16, warmup_steps=10, val_every_steps=50,
                              checkpoint_every_steps=50, threads=1, progress=progress),
        store=str(out / "store"))
    run_study(study, out / "study", progress=progress)
    checkpoint = TrainingRun(out / "study" / "systems" / "demo-mfcc").checkpoint
    return checkpoint, (f"a 2-layer adapter on MFCCs trained in this demo for {steps} steps on 24 simulated "
                        f"conversations of {', '.join(c.name for c in speaker_corpora)}")
