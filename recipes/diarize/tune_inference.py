"""Tune the thresholds of `codecprobe diarize` on simulated conversations (never on evaluation data).

    codecprobe simulate --corpus ../shared/data/librispeech-test-other --corpus ../shared/data/vctk-autovc \
        --corpus ../shared/data/timit-sample --out runs/sim-tune -n 30 --seed 7 --num-speakers 1 2 3 4 5 6 \
        --noise pink --set speakers.min_turns=5 --set speakers.max_turns=10 \
        --set noise.snr_db.minimum=10 --set noise.snr_db.maximum=30 --set noise.snr_db.mean=20
    python recipes/diarize/tune_inference.py --corpus runs/sim-tune --out runs/diarize-tune [--model CKPT]
    python recipes/diarize/tune_inference.py --corpus runs/sim-tune --out runs/diarize-tune-pyannote --pipeline pyannote

The expensive analysis of each recording (speech probabilities, embedding track; for the
adapter also its local activities) is computed once (and kept with ``--cache``); every point of a coordinate-wise
grid then re-runs only the decisions (speech, windows, clustering, stitching) and is
scored at collar 0 with overlap, as the evaluation scores. Writes ``tuning.md`` (DER per
value of each knob) and ``best.yaml`` (a config to pass with ``--config``).
"""
from __future__ import annotations

import argparse
import copy
import pickle
import sys
from pathlib import Path

import numpy as np
import yaml

from codecprobe.config import config_to_dict, load_config
from codecprobe.data import load_corpus
from codecprobe.diarize.clustering import SpeakerCount
from codecprobe.diarize.run import build_pipeline
from codecprobe.diarize.config import DiarizeConfig
from codecprobe.diarize.recordings import Recording
from codecprobe.report import atomic_write_text, markdown_table
from codecprobe.data import Turns
from codecprobe.data.uem import read_uem
from codecprobe.score import score

# knob -> values tried, in the order they are tuned (each keeps the best value found so far)
GRIDS = {
    "classic": {
        "classic.clustering.threshold": [0.3, 0.4, 0.45, 0.475, 0.5, 0.525, 0.55, 0.575, 0.6, 0.7, 0.8],
        "classic.clustering.min_cluster_size": [1, 4, 8, 12, 20],
        "classic.min_speech_share": [0.3, 0.5, 0.7, 0.9],
        "classic.vad_threshold": [0.3, 0.4, 0.5, 0.6],
        # stops at 0.6 s: DER keeps falling with longer gaps filled (1.0 s: -0.9 points) only because
        # simulated references count the pauses inside a turn as speech; real references differ
        "classic.min_duration_off": [0.0, 0.1, 0.2, 0.4, 0.6],
        "classic.min_duration_on": [0.0, 0.1, 0.2, 0.4],
    },
    "spectral": {
        "classic.clustering.method": ["spectral"],
        "classic.clustering.single_speaker_threshold": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    },
    "adapter": {
        "adapter.clustering.threshold": [0.4, 0.45, 0.5, 0.525, 0.55, 0.575, 0.6, 0.65, 0.7],
        "adapter.clustering.min_cluster_size": [1, 4, 8, 12, 20],
        "adapter.min_speech_s": [0.2, 0.5, 1.0, 2.0],
        # hysteresis: (onset, offset) pairs, offset never above onset
        "adapter.onset,adapter.offset": [(0.3, 0.3), (0.4, 0.4), (0.5, 0.5), (0.6, 0.6), (0.7, 0.7), (0.5, 0.3),
                                         (0.6, 0.4), (0.7, 0.5), (0.8, 0.6)],
        "adapter.min_duration_off": [0.0, 0.1, 0.2, 0.4, 0.6],
        "adapter.min_duration_on": [0.0, 0.1, 0.2, 0.4],
    },
    "pyannote": {
        "pyannote.clustering.threshold": [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2],
        "pyannote.clustering.min_cluster_size": [1, 4, 8, 12, 20],
        "pyannote.min_solo_s": [0.5, 1.0, 2.0, 3.0, 5.0],
        "pyannote.min_duration_off": [0.0, 0.1, 0.2, 0.4, 0.6],
        "pyannote.min_duration_on": [0.0, 0.1, 0.2, 0.4],
    },
    # the change-of-voice check inside a local speaker (None: no check), from the tuned defaults; the
    # analysis embeds the parts of every split above the lowest value (_analysis_config)
    "pyannote-split": {
        "pyannote.split_threshold": [None, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 1.7, 2.0],
    },
    "pyannote-spectral": {
        "pyannote.clustering.method": ["spectral"],
        "pyannote.clustering.single_speaker_threshold": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    },
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, action="append",
                        help="simulated conversations (rttm layout); repeat to pool several sets (ids must differ)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", help="adapter checkpoint: tune the adapter pipeline instead of the classic one")
    parser.add_argument("--pipeline", choices=("classic", "pyannote"),
                        help="without --model: the pipeline to tune (default classic)")
    parser.add_argument("--grid", choices=sorted(GRIDS), help="default: the pipeline's (adapter with --model)")
    parser.add_argument("--config", type=Path, help="start from this config (e.g. an earlier best.yaml)")
    parser.add_argument("--set", action="append", default=[], help="config override applied before tuning")
    parser.add_argument("--cache", type=Path, help="keep each recording's analysis here (pickle) for the next run")
    args = parser.parse_args(argv)

    pipeline_name = "adapter" if args.model else args.pipeline or "classic"
    base = load_config(DiarizeConfig, args.config, [f"pipeline={pipeline_name}",
                                              *([f"model={args.model}"] if args.model else []), *args.set])
    recordings, reference, uem = [], {}, {}
    for folder in args.corpus:
        corpus = load_corpus(folder, "rttm")
        reference.update(_references(corpus))
        recordings += [Recording(r.id, corpus.audio_path(r.id), r.duration) for r in corpus.recordings]
        uem_path = Path(folder) / "all.uem"
        uem.update(read_uem(uem_path) if uem_path.exists() else {})
    if len({recording.id for recording in recordings}) != len(recordings):
        parser.error("--corpus: two recordings share an id (simulate each set with its own recording_prefix)")
    grid = GRIDS[args.grid or pipeline_name]
    analysis_config = _analysis_config(base, grid)
    pipeline = build_pipeline(analysis_config)
    analyses = {}
    # the analysis depends on the model and, for pyannote, on the window step and the split check
    analysis_name = Path(args.model).parent.name if args.model else \
        _pyannote_analysis_name(analysis_config) if pipeline_name == "pyannote" else pipeline_name
    for number, recording in enumerate(recordings, 1):
        cached = args.cache / f"{analysis_name}-{recording.id}.pickle" \
            if args.cache else None
        if cached is not None and cached.exists():
            analyses[recording.id] = pickle.loads(cached.read_bytes())
            continue
        print(f"analysing {number}/{len(recordings)}: {recording.id}", file=sys.stderr, flush=True)
        analyses[recording.id] = pipeline.analyse(recording, {})
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps(analyses[recording.id]))

    best, sections = base, []
    for knob, values in grid.items():
        rows = []
        for value in values:
            candidate = _with(best, knob, value)
            rows.append((str(value), *_evaluate(candidate, recordings, analyses, reference, uem)))
        best_index = int(np.argmin([row[1] for row in rows]))
        value, der = values[best_index], rows[best_index][1]
        best = _with(best, knob, value)
        sections.append(f"### {knob} (best {value})\n\n" + markdown_table(
            [knob, "DER %", "speaker count error (mean abs)", "VAD error %"], rows))
        print(f"{knob} = {value}: DER {der:.2f}%", file=sys.stderr, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "best.yaml", yaml.safe_dump(config_to_dict(best), sort_keys=False))
    atomic_write_text(args.out / "tuning.md", "\n\n".join([
        f"# Tuning `codecprobe diarize` ({best.pipeline}) on {', '.join(args.corpus)}",
        f"{len(recordings)} recordings, {sum(r.duration for r in recordings) / 3600:.2f} h; collar 0, overlap "
        "scored; each knob tuned in turn with the best values found before it.", *sections]) + "\n")
    return 0


def _analysis_config(base: DiarizeConfig, grid: dict) -> DiarizeConfig:
    """``base`` with pyannote's split_threshold lowered to the lowest the grid tries: the analysis embeds the
    two parts of a local speaker only where its split passes that threshold, so it then serves every value."""
    tried = [value for value in grid.get("pyannote.split_threshold", []) if value is not None]
    return _with(base, "pyannote.split_threshold", min(tried)) if tried else base


def _pyannote_analysis_name(config: DiarizeConfig) -> str:
    """What the analysis depends on; "ward": the split statistic of ``best_split`` (an analysis cached with
    the first check's means' distance has another name and is not reused)."""
    settings = config.pyannote
    split = f"-ward{settings.split_threshold:g}-pieces{settings.split_piece_s:g}" \
        if settings.split_threshold is not None else ""
    return f"pyannote-step{settings.step_s:g}{split}"


def _evaluate(config: DiarizeConfig, recordings, analyses, reference, uem) -> tuple[float, float, float]:
    """Pooled DER, mean absolute error of the speaker count, and pooled VAD error (miss + FA)."""
    decide = _decider(config)
    system, count_errors = {}, []
    for recording in recordings:
        result = decide(config, recording, analyses[recording.id], SpeakerCount(), {})
        system[recording.id] = result.turns
        count_errors.append(abs(result.n_speakers - len(reference[recording.id].labels)))
    overall = score(reference, system, uem or None, jer=False, clustering=False).overall.der
    return overall.der, float(np.mean(count_errors)), 100 * (overall.miss + overall.fa) / overall.scored


def _decider(config: DiarizeConfig):
    """The pipeline's decision step (everything after the expensive analysis)."""
    if config.pipeline == "classic":
        from codecprobe.diarize.classic import decide
    elif config.pipeline == "pyannote":
        from codecprobe.diarize.pyannote_pipeline import decide
    else:
        from codecprobe.diarize.adapter_pipeline import decide
    return decide


def _with(config: DiarizeConfig, knobs: str, values) -> DiarizeConfig:
    """A copy of ``config`` with ``knobs`` (dotted keys, several joined by commas) set to ``values``."""
    changed = copy.deepcopy(config)
    names = knobs.split(",")
    for knob, value in zip(names, values if len(names) > 1 else [values]):
        *parents, leaf = knob.split(".")
        target = changed
        for part in parents:
            target = getattr(target, part)
        setattr(target, leaf, value)
    return changed


def _references(corpus) -> dict[str, Turns]:
    return Turns.from_supervisions(corpus.supervisions)


if __name__ == "__main__":
    sys.exit(main())
