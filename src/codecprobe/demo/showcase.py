"""Diarization in ``codecprobe demo``: conversations with references through each pipeline, side by side.

The conversations are the real ones of ``../shared/data`` where that folder exists, else a
few simulated from the demo's synthetic voices (``codecprobe simulate``).
"""
from __future__ import annotations

from pathlib import Path

from codecprobe.diarize.run import run_diarize
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.errors import InputError


def demo_conversations(shared: Path, voices: Path | None, folder: Path, seed: int = 0) -> tuple[dict, str]:
    """``({recording id: (audio, reference RTTM)}, where they come from)``."""
    from codecprobe.demo.conversations import shared_conversations

    found = shared_conversations(shared, folder / "references") if shared.is_dir() else {}
    if found:
        return found, f"the {len(found)} real conversations of {shared}"
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


def pipeline_systems(names: list[str]) -> tuple[list[tuple], list[str]]:
    """The ``codecprobe diarize --pipeline`` values of ``names`` that this build has and can load, each
    built once as ``(name, config, pipeline)``; a note on each one that it cannot run."""
    from typing import get_args, get_type_hints

    from codecprobe.diarize.run import build_pipeline

    hint = get_type_hints(DiarizeConfig)["pipeline"]  # Literal[...] | None
    offered = [name for arg in get_args(hint) for name in (get_args(arg) or (arg,)) if isinstance(name, str)]
    systems, notes = [], []
    for name in names:
        if offered and name not in offered:
            notes.append(f"pipeline {name!r} is not in this build of codecprobe diarize (it offers "
                         f"{', '.join(offered)}): diarized without it")
            continue
        config = DiarizeConfig(pipeline=name)
        try:
            systems.append((name, config, build_pipeline(config)))
        except InputError as error:  # e.g. its weights are not installed here
            notes.append(f"pipeline {name!r} cannot run here ({str(error).splitlines()[0]}): diarized without it")
    return systems, notes


def diarize_conversations(conversations: dict[str, tuple[Path, Path]], folder: Path, systems: list[tuple],
                          out: Path, progress: bool = True) -> dict:
    """Each ``(name, config, pipeline or None)`` over the conversations in ``folder/name``, scored,
    with one picture per recording (paths relative to ``out``).

    Returns ``{"recordings", "names", "reference_speakers", "systems": [{"name", "label", "report", "overall",
    "files", "speakers", "real_time_factor", "audio_s"}], "figures": {recording: path}}``: pooled DER
    (collars 0 and 0.25, overlap scored) with its parts and JER, per-file DER at collar 0 and the
    number of speakers found.
    """
    from codecprobe.data.rttm import read_rttm
    from codecprobe.demo.figures import conversation_figure

    audio = [str(a) for a, _ in conversations.values()]
    references = {fid: read_rttm(r)[fid] for fid, (_, r) in conversations.items()}
    systems_out, hypotheses = [], {}
    for name, config, pipeline in systems:
        summary = run_diarize(config, audio, folder / name, reference=[str(r) for _, r in conversations.values()],
                              progress=progress, pipeline=pipeline)
        collars = summary["scores"]["collars"]
        found = {}
        for rttm in sorted(Path(summary["outputs"]["rttm"]).glob("*.rttm")):
            found.update(read_rttm(rttm))
        hypotheses[name] = found
        systems_out.append({
            "name": name, "label": summary["pipeline"]["label"],
            "report": (folder / name / "report.md").relative_to(out).as_posix(),
            "overall": {"collar_0": collars["0"]["overall"], "collar_0.25": collars["0.25"]["overall"]},
            "files": {fid: scores["der"] for fid, scores in sorted(collars["0"]["files"].items())},
            "speakers": {fid: len(found[fid].labels) if fid in found else 0 for fid in sorted(conversations)},
            "real_time_factor": summary["totals"]["real_time_factor"], "audio_s": summary["totals"]["audio_s"]})
    # a recording's set beside its id (gecko-2spk/demo), where its folder names one
    names = {fid: fid if audio.parent.name == "audio" else f"{audio.parent.name}/{fid}"
             for fid, (audio, _) in sorted(conversations.items())}
    figures = {fid: conversation_figure(reference, [(s["name"], hypotheses[s["name"]].get(fid)) for s in systems_out],
                                        names[fid], out / "figures" / f"diarize-{fid}.png").relative_to(out).as_posix()
               for fid, reference in sorted(references.items())}
    return {"recordings": sorted(conversations), "names": names,
            "reference_speakers": {fid: len(t.labels) for fid, t in sorted(references.items())},
            "systems": systems_out, "figures": figures}


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
