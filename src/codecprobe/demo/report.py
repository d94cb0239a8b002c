"""``demo.md``, rendered from the saved ``demo.json``."""
from __future__ import annotations

from pathlib import Path

from codecprobe.demo.config import DemoResult
from codecprobe.encoders.base import weights_label
from codecprobe.report.model import Report, Section, Table

__all__ = ["DemoResult", "render", "study_table", "tap_table"]


def render(result: DemoResult) -> Report:
    """``demo.md``: what was extracted, the speaker studies' verdicts and the diarization, side by side."""
    out = Path(result.config.out)
    sections = [
        Section("Extracted taps", [tap_table(result.taps), f"Store: `{out / 'store'}` (see `codecprobe store show`)."]),
        Section("Speaker identity (verify + diagnose, main tap of each encoder)", [
            study_table(result.speaker_studies),
            "Back-ends are fitted on a seeded half of each corpus's speakers and evaluated on the other "
            "half. On sets this small (2-5 speakers per side) the fitted back-ends (`probe`) are not "
            "meaningful; raw and centred cosine, and the distance to the untrained control, are. "
            f"Full reports per study: `{out / 'studies'}`."])]
    diarization = result.diarization
    if diarization:
        sections.append(Section("Diarization (`codecprobe diarize`)", [
            diarization["table"],
            f"Pooled over {diarization['source']}: " + ", ".join(diarization["recordings"]) + "; percentages "
            "of scored reference speech, overlap scored. **classic**: the training-free baseline (Silero VAD "
            "+ GE2E windows + clustering), one speaker at a time. **adapter**: "
            f"{diarization['adapter']['what']}, with GE2E speaker embeddings and the same clustering; a "
            "demonstration of the pipeline, not a model to judge the approach by (docs/diarize.md has the "
            f"study). Per-file reports: `{out / 'diarize'}`."]))
    return Report("codecprobe demo", [f"Data: {result.data}", "Encoders:\n" + "\n".join(f"- {n}" for n in result.encoders)],
                  sections, _config_dict(result), result.provenance)


def tap_table(taps: list[dict]) -> Table:
    headers = ["corpus", "encoder", "weights", "tap", "segments", "frames", "dim", "frame rate (Hz)", "x real time"]
    return Table(headers, [list(tap.values()) for tap in taps], float_format="{:.1f}")


def study_table(studies: list[dict]) -> Table:
    """One row per corpus, encoder role and back-end: EER beside the diagnostics, with the verdict."""
    rows = []
    for study in studies:
        for record in study["verify"]["results"]:
            diag = next((d for d in study["diagnose"].get("results", []) if d.get("role") == record["role"]
                         and d.get("backend") == record["backend"]), {})
            rows.append([study["corpus"], record["encoder"], weights_label(record["weights_id"], record["trained"]),
                         record["tap"], record["backend"], record["eer"], diag.get("separability", float("nan")),
                         diag.get("consistency", float("nan")), record["verdict"]])
    headers = ["corpus", "encoder", "weights", "tap", "back-end", "EER %", "separability", "consistency", "verdict"]
    return Table(headers, rows)


def _config_dict(result: DemoResult) -> dict:
    from codecprobe.config import config_to_dict

    return config_to_dict(result.config)
