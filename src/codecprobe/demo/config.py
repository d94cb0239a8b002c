"""Every knob of ``codecprobe demo`` with its default, and what it saves (``demo.json``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from codecprobe.report.results import Result


@dataclass
class DemoConfig:
    corpora: list[str] = field(default_factory=list)  # empty: ../shared/data sets, else synthetic voices
    layout: str | None = None
    out: str = "runs/demo"
    # the speaker-identity lead: these encoders at their primary utterance tap, with these back-ends
    encoders: list[str] = field(default_factory=lambda: ["lyra", "campplus", "ge2e"])
    controls: list[str] = field(default_factory=lambda: ["lyra"])  # also run untrained (lyra: permuted weights)
    backends: list[str] = field(default_factory=lambda: ["center", "cosine"])  # the first: the summary's
    # sets of ../shared/data: every speaker of eval_set is evaluated, the back-ends are fitted on train_set
    eval_set: str = "timit-sample"
    train_set: str = "librispeech-test-other"
    # diarization of the real conversations: these `codecprobe diarize --pipeline` values, those this
    # build has (the others are named in the report and skipped)
    pipelines: list[str] = field(default_factory=lambda: ["pyannote", "classic"])
    full: bool = False  # also the full sweep: every sweep encoder and tap, per-corpus studies, the adapter
    sweep_encoders: list[str] = field(default_factory=lambda: ["mfcc", "logmel", "ge2e", "mimi", "lyra"])
    mimi_weights: str = "auto"  # full sweep: "auto" (trained kyutai/mimi if loadable, else random init); "random"; id/path
    settings: dict[str, dict] = field(default_factory=dict)  # per encoder: its settings, e.g. {"mimi": {...}}
    seed: int = 0
    adapter_steps: int = 150  # full sweep: training steps of the small adapter it diarizes with
    progress: bool = True


@dataclass
class DemoResult(Result):
    """``demo.json``: what the demo used and found, from which ``demo.md`` is rendered."""

    study = "demo"
    renderer = "codecprobe.demo.report:render"
    filename = "demo.json"
    report_name = "demo.md"

    data: str  # where the data came from, in words
    names: list[dict]  # every corpus and set of weights once: {"label": short, "what": long}
    identity: dict  # the speaker-identity lead: sets, why, one row per encoder role and back-end, figure
    diarization: dict | None  # the conversations, each pipeline's pooled scores, one figure per recording
    sweep: dict | None  # --full: encoders, extraction, taps, per-corpus speaker studies
    config: DemoConfig
    provenance: dict
