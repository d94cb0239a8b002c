"""The pipeline behind ``codecprobe simulate``: checks, then one recording at a time into the output folder.

Output folder (a corpus the ``rttm`` layout loads)::

    audio/<recording>.wav     16 kHz mono (config.sampling_rate), 16-bit PCM or 32-bit float
    rttm/<recording>.rttm     the reference: every turn, overlaps kept
    meta/<recording>.json     the recording's statistics, gains, SNR and the source of every turn
    all.uem                   whole recordings
    corpus.yaml               speaker_labels: global (one label is one person in every recording)
    config.yaml               the merged config (rerun with --config)
    speaker_pool.txt          the speakers the recordings could draw from; speakers.txt: those they did
    simulation.json           identity, provenance, per-recording and overall statistics
    report.md                 the statistics as tables

Every check that needs no audio runs first (config values, corpora and their speaker labels,
speaker restrictions, speaker counts, a folder made with another config). Each recording's
wav and rttm are written atomically, then its ``meta`` file, which marks it finished; a killed
run resumes where it stopped, and a rerun with the same config skips finished recordings
(a larger ``num_recordings`` extends the set). Memory holds one recording's audio at a time.
"""
from __future__ import annotations

import dataclasses
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from codecprobe.config import save_config
from codecprobe.data.rttm import write_rttm
from codecprobe.data.uem import write_uem
from codecprobe.errors import InputError
from codecprobe.report import atomic_write_bytes, atomic_write_text, write_json
from codecprobe.simulate.config import SimulateConfig
from codecprobe.simulate.conversation import SimulatedRecording, simulate_recording
from codecprobe.simulate.mixing import noise_files
from codecprobe.simulate.sources import SourcePool, build_pool
from codecprobe.simulate.statistics import Totals, turn_statistics
from codecprobe.simulate.timing import ConversationalTiming

FORMAT_VERSION = 1  # bump when the same config would make different audio
CORPUS_YAML = """\
# A corpus made by `codecprobe simulate`: load it with --layout rttm.
# speaker_labels: global -- a speaker label names the same person in every recording.
speaker_labels: global
sampling_rate: {rate}
audio_format: {audio_format}
"""


@dataclass
class Simulation:
    """What ``run_simulation`` made: the config, the pool, the timing model and the per-recording rows."""

    config: SimulateConfig
    out: Path
    identity: dict  # what must match for a rerun into the same folder
    pool: SourcePool
    timing: ConversationalTiming
    rows: list[dict]  # per recording: id, duration, speakers, ratios, turns (no per-turn detail)
    totals: Totals
    made: int  # recordings made in this run (the rest were already there)


def run_simulation(config: SimulateConfig, out: str | Path, progress: bool = True) -> Simulation:
    out = Path(out)
    config.validate()
    previous = _previous_identity(out)
    pool = build_pool(config)
    config = fit_counts_to_pool(config, len(pool.speakers))
    noise = noise_files(config.noise)
    timing = ConversationalTiming.from_config(config.timing)
    identity = json.loads(json.dumps({"format_version": FORMAT_VERSION, "config": config.identity(),
                                      "pool": pool.fingerprint()}))  # as simulation.json holds it
    if previous is not None and previous != identity:
        raise InputError(f"{out}: holds a simulation made with a different {_first_difference(previous, identity)}; "
                         "use another --out, or the same config to resume or extend it")
    _check_no_extra_recordings(out, config)

    for folder in ("audio", "rttm", "meta"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    save_config(config, out / "config.yaml")
    atomic_write_text(out / "corpus.yaml", CORPUS_YAML.format(rate=config.sampling_rate,
                                                              audio_format=config.audio_format))
    atomic_write_text(out / "speaker_pool.txt", "".join(f"{s}\n" for s in pool.speakers))
    if previous is None:
        write_json(out / "simulation.json", {"identity": identity, "complete": False})

    rows, totals, made = [], Totals(), 0
    bar = tqdm(range(config.num_recordings), unit="rec", desc="simulate", disable=not progress)
    for index in bar:
        meta_path = out / "meta" / f"{config.recording_id(index)}.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
        else:
            meta = write_recording(simulate_recording(index, pool, config, timing, noise), out, config)
            made += 1
        rows.append({key: meta[key] for key in ROW_KEYS})
        totals.add(meta["statistics"], meta["speakers"])
    write_uem(out / "all.uem", {row["recording"]: np.array([[0.0, row["duration"]]]) for row in rows})
    atomic_write_text(out / "speakers.txt", "".join(f"{s}\n" for s in sorted(totals.speakers_used)))
    return Simulation(config, out, identity, pool, timing, rows, totals, made)


def fit_counts_to_pool(config: SimulateConfig, n_speakers: int) -> SimulateConfig:
    """The config with the speaker counts above the pool's size dropped (said on stderr, and the saved
    config.yaml holds what was used): a small held-out split of the default 1-4 speakers still runs.
    InputError when no count fits."""
    speakers = config.speakers
    kept = [(c, w) for c, w in zip(speakers.counts, speakers.count_weights) if c <= n_speakers and w > 0]
    dropped = sorted({c for c, w in zip(speakers.counts, speakers.count_weights) if c > n_speakers and w > 0})
    if not dropped:
        return config
    where = f"the pool ({', '.join(config.corpora)}, after restrictions) has only {n_speakers} speaker(s)"
    if not kept:
        raise InputError(f"speakers.counts (--num-speakers) asks for {speakers.counts} speakers per recording, but "
                         f"{where}")
    print(f"simulate: speakers per recording {', '.join(map(str, dropped))} left out: {where}; using "
          f"{', '.join(str(c) for c, _ in kept)} (--num-speakers to choose)", file=sys.stderr)
    counts, weights = map(list, zip(*kept))
    return dataclasses.replace(config, speakers=dataclasses.replace(speakers, counts=counts, count_weights=weights))


ROW_KEYS = ("recording", "duration", "speakers", "speech_ratio", "overlap_ratio", "silence_ratio", "turns",
            "snr_db")


def write_recording(recording: SimulatedRecording, out: Path, config: SimulateConfig) -> dict:
    """Write wav, rttm, then meta (the mark of a finished recording); return the meta."""
    rid = recording.recording_id
    buffer = io.BytesIO()
    sf.write(buffer, recording.audio, config.sampling_rate, format="WAV",
             subtype="PCM_16" if config.audio_format == "pcm16" else "FLOAT")
    atomic_write_bytes(out / "audio" / f"{rid}.wav", buffer.getvalue())
    turns = recording.turns
    write_rttm(out / "rttm" / f"{rid}.rttm", {rid: turns})
    duration = len(recording.audio) / config.sampling_rate
    stats = turn_statistics(turns.start, turns.duration, turns.speakers, duration)
    meta = {
        "recording": rid, "duration": duration, "speakers": recording.speakers,
        "speech_ratio": stats["speech_ratio"], "overlap_ratio": stats["overlap_ratio"],
        "silence_ratio": stats["silence_ratio"], "turns": stats["turns"], "snr_db": recording.snr_db,
        "gains_db": recording.gains_db, "peak_scale": recording.peak_scale, "statistics": stats,
        "turn_sources": [{"speaker": t.speaker, "onset": t.start, "duration": t.duration,
                          "pieces": [dataclasses.asdict(piece) for piece in pieces]}
                         for t, pieces in zip(turns, recording.pieces)],
    }
    write_json(out / "meta" / f"{rid}.json", meta)
    return meta


def _previous_identity(out: Path) -> dict | None:
    """The identity of a simulation already in ``out``; None for a new or empty folder."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return None
    path = out / "simulation.json"
    if not out.is_dir() or not path.is_file():
        raise InputError(f"{out}: exists and is not a simulate output folder (no simulation.json); "
                         "give a new or empty --out")
    try:
        return json.loads(path.read_text())["identity"]
    except (json.JSONDecodeError, KeyError):
        raise InputError(f"{path}: unreadable (no 'identity'); give a new or empty --out") from None


def _check_no_extra_recordings(out: Path, config: SimulateConfig) -> None:
    meta = out / "meta"
    if meta.is_dir():
        extra = sorted(p.stem for p in meta.glob("*.json")
                       if int(p.stem[-6:]) >= config.num_recordings)  # ids end in 6 digits
        if extra:
            raise InputError(f"{out}: already holds {extra[0]} and {len(extra) - 1} more beyond num_recordings "
                             f"({config.num_recordings}); ask for at least as many, or use another --out")


def _first_difference(old: dict, new: dict) -> str:
    """What differs between two identities, for the error message: the first config key, or the pool."""
    if old.get("format_version") != new["format_version"]:
        return f"version of codecprobe simulate (format {old.get('format_version')}, now {new['format_version']})"
    if old.get("config") == new["config"]:
        return "source pool (the corpora's contents, or the speaker lists' contents, changed)"

    def walk(a, b, prefix):
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if isinstance(x, dict) and isinstance(y, dict):
                if x != y:
                    return walk(x, y, f"{prefix}{key}.")
            elif x != y:
                return f"{prefix}{key} ({x!r} there, {y!r} now)"
        return "config"

    return walk(old.get("config") or {}, new["config"], "")
