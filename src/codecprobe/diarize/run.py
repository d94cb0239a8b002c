"""``codecprobe diarize``: recordings in, one RTTM each, a combined RTTM and a JSON summary out.

:func:`run_diarize` does, in order:

1. every check that needs no work: the config, the inputs (audio files or corpora in any
   layout), the reference and UEM when given, the pipeline (encoders, checkpoint);
2. each recording through the pipeline (:class:`~codecprobe.diarize.classic.ClassicPipeline`
   or the adapter's), writing ``OUT/rttm/<id>.rttm`` and ``OUT/recordings/<id>.json`` as
   soon as it is done. A rerun with the same settings reuses finished recordings, so an
   interrupted batch resumes; an unreadable recording is listed and the batch goes on;
3. with a reference: the scores of :mod:`~codecprobe.diarize.scoring`;
4. ``OUT/all.rttm``, ``OUT/summary.json`` (a :class:`~codecprobe.diarize.results.DiarizeResult`:
   pipeline, config, per-recording results, failures, speed, scores) with ``OUT/config.yaml``,
   and ``OUT/report.md`` (:mod:`~codecprobe.diarize.report`).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from codecprobe.config import config_to_dict, save_config
from codecprobe.data.rttm import RTTM_DIGITS, read_rttm, write_rttm
from codecprobe.data.turns import Turns
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.config import TUNING_NOTE, DiarizeConfig
from codecprobe.diarize.long_audio import ShorterThanOneFrame
from codecprobe.diarize.recordings import Recording, RecordingResult, collect_recordings, empty_result
from codecprobe.diarize.results import DiarizeResult
from codecprobe.errors import InputError
from codecprobe.report import provenance, write_json
from codecprobe.report.results import write_study

# settings that change how results are shown, not the RTTMs
_PRESENTATION_KEYS = ("collars", "plots")


def build_pipeline(config: DiarizeConfig):
    """The configured pipeline, with its encoders (and checkpoint) loaded and checked."""
    if config.pipeline == "classic":
        from codecprobe.diarize.classic import ClassicPipeline

        return ClassicPipeline(config)
    if config.pipeline == "pyannote":
        from codecprobe.diarize.pyannote_pipeline import PyannotePipeline

        return PyannotePipeline(config)
    if not config.model:
        raise InputError("the adapter pipeline needs --model CHECKPOINT (a model from `codecprobe train`); "
                         "for the training-free baseline use --pipeline classic")
    from codecprobe.diarize.adapter_pipeline import AdapterPipeline

    return AdapterPipeline(config)


def run_diarize(config: DiarizeConfig, inputs: list[str | Path], out: str | Path, layout: str | None = None,
                reference: list[str | Path] | None = None, uem: list[str | Path] | None = None,
                progress: bool = True, pipeline=None) -> dict:
    """Diarize ``inputs`` into ``out`` (and score against ``reference``); ``pipeline``: one built
    already (e.g. an adapter pipeline around :class:`~codecprobe.diarize.oracle.OracleModel`),
    else the config's. Returns the saved summary as ``summary.json`` holds it."""
    out = Path(out)
    recordings, failures = collect_recordings(inputs, layout)
    if not recordings:
        reasons = "; ".join(f"{path}: {reason}" for path, reason in failures[:3]) or "the inputs hold no audio"
        raise InputError(f"no recording could be read ({reasons}{'; ...' if len(failures) > 3 else ''})")
    references = _read_references(reference, uem)
    pipeline = pipeline or build_pipeline(config)
    speakers = SpeakerCount(config.num_speakers, config.min_speakers, config.max_speakers)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    described = pipeline.describe()
    key = _settings_key(config, described)

    started = time.perf_counter()
    results: list[RecordingResult] = []
    bar = tqdm(total=sum(r.duration for r in recordings), unit="s", unit_scale=True, disable=not progress,
               desc=f"diarize ({config.pipeline})", dynamic_ncols=True)
    for recording in recordings:
        try:
            result = _resume(out, recording, key) or _diarize_one(pipeline, recording, speakers, out, key)
        except InputError as error:  # unreadable or undecodable audio found while reading it
            failures.append((recording.path, getattr(error, "reason", str(error))))
            result = None
        if result is not None:
            results.append(result)
            for note in result.notes:
                _say(f"{recording.name}: {note}", True)  # not progress: why an RTTM is empty or short of speakers
        bar.update(recording.duration)
    bar.close()

    combined = {r.recording.id: r.turns for r in results}
    write_rttm(out / "all.rttm", combined)
    result = DiarizeResult(
        pipeline=described, tuning=TUNING_NOTE,
        speaker_count={"num_speakers": config.num_speakers, "min_speakers": config.min_speakers,
                       "max_speakers": config.max_speakers},
        recordings=[r.to_dict() for r in results],
        failures=[{"path": path, "reason": reason} for path, reason in failures],
        totals=_totals(results, time.perf_counter() - started),
        outputs={"rttm": str(out / "rttm"), "combined_rttm": str(out / "all.rttm")},
        config=config, provenance=provenance(("spectralcluster", "resemblyzer", "silero-vad")))
    if references is not None:
        from codecprobe.diarize.scoring import score_outputs

        result.scores, result.figures = score_outputs(results, references, config, described["label"], out)
    write_study(result, out)
    for path, reason in failures:
        _say(f"skipped {path}: {reason}", True)
    summary = result.to_dict()
    for recording_id in (summary.get("scores") or {}).get("unscored_recordings", []):
        _say(f"not scored: {recording_id}: no --reference file names this recording", True)
    return summary


def _diarize_one(pipeline, recording: Recording, speakers: SpeakerCount, out: Path, key: str) -> RecordingResult:
    try:
        result = pipeline.diarize(recording, speakers)
    except ShorterThanOneFrame as short:  # e.g. 0.3 s against GE2E's 0.4 s partial step
        result = empty_result(recording, f"{short}: empty RTTM")
    # Score what is written (issue 18 item 9): the RTTM is the system's answer, and a rerun or any
    # other scorer reads it back in milliseconds. Writing every digit instead would make files that
    # say 0.32000000000000006; so the turns kept (and scored) are the written ones, to the last bit.
    result.turns = result.turns.as_written(RTTM_DIGITS)
    write_rttm(out / "rttm" / f"{_file_name(recording.id)}.rttm", {recording.id: result.turns})
    write_json(out / "recordings" / f"{_file_name(recording.id)}.json",
               {"settings_key": key, "fingerprint": _fingerprint(recording), **result.to_dict()})
    return result


def _resume(out: Path, recording: Recording, key: str) -> RecordingResult | None:
    """A finished recording from an earlier run with the same settings and the same audio file."""
    record_path = out / "recordings" / f"{_file_name(recording.id)}.json"
    rttm_path = out / "rttm" / f"{_file_name(recording.id)}.rttm"
    if not (record_path.is_file() and rttm_path.is_file()):
        return None
    try:
        record = json.loads(record_path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if record.get("settings_key") != key or record.get("fingerprint") != _fingerprint(recording):
        return None
    turns = read_rttm(rttm_path).get(recording.id) or Turns.empty(recording.id)
    return RecordingResult(recording, turns, record["seconds"], record["n_speakers"], record["speech_s"],
                           record["notes"])


def _read_references(reference, uem):
    if not reference:
        if uem:
            raise InputError("--uem needs --reference")
        return None
    from codecprobe.data.rttm import read_rttms
    from codecprobe.data.uem import read_uem

    regions = None
    if uem:
        regions = {}
        for path in uem:
            regions.update(read_uem(path))
    return read_rttms(reference), regions


def _totals(results: list[RecordingResult], wall_s: float) -> dict:
    stages: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.seconds.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    audio_s = sum(r.recording.duration for r in results)
    pipeline_s = sum(stages.values())
    return {"n_recordings": len(results), "audio_s": audio_s, "wall_s": wall_s, "stage_seconds": stages,
            "real_time_factor": audio_s / pipeline_s if pipeline_s else None}


def _settings_key(config: DiarizeConfig, described: dict) -> str:
    settings = {k: v for k, v in config_to_dict(config).items() if k not in _PRESENTATION_KEYS}
    payload = json.dumps({"config": settings, "pipeline": described}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _fingerprint(recording: Recording) -> str:
    stat = os.stat(recording.path)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _file_name(recording_id: str) -> str:
    """A recording id as a file name (ids of nested corpus files contain ``/``)."""
    return recording_id.replace("/", "__")


def _say(message: str, show: bool) -> None:
    if show:
        print(f"[diarize] {message}", file=sys.stderr, flush=True)
