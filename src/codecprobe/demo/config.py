"""Every knob of ``codecprobe demo`` with its default, and what it saves (``demo.json``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from codecprobe.report.results import Result


@dataclass
class DemoConfig:
    corpora: list[str] = field(default_factory=list)  # empty: ../shared/data sets, else synthetic voices
    layout: str | None = None
    out: str = "runs/demo"
    encoders: list[str] = field(default_factory=lambda: ["mfcc", "logmel", "ge2e", "mimi", "lyra"])
    mimi_weights: str = "auto"  # "auto": trained kyutai/mimi if loadable, else random init; "random"; or an id/path
    encoder_options: dict[str, dict] = field(default_factory=dict)  # per encoder: its settings, e.g. {"mimi": {...}}
    seed: int = 0
    adapter_steps: int = 150  # training steps of the small adapter the demo diarizes with
    progress: bool = True


@dataclass
class DemoResult(Result):
    """``demo.json``: what the demo used and found, from which ``demo.md`` is rendered."""

    study = "demo"
    renderer = "codecprobe.demo.report:render"
    filename = "demo.json"
    report_name = "demo.md"

    data: str  # the corpora, in words
    encoders: list[str]  # each encoder and its weights, in words
    extraction: list[dict]  # per corpus and encoder: the extraction summary
    taps: list[dict]  # per corpus, encoder and tap: segments, frames, dims, frame rate, speed
    speaker_studies: list[dict]  # per corpus and encoder: the verify and diagnose results
    diarization: dict | None  # the diarized conversations, the systems and their pooled scores
    config: DemoConfig
    provenance: dict
