"""The real conversations with references in ``../shared/data``, each as an audio file and an RTTM.

Five sets, six recordings: pyannote-sample (2 speakers, overlap), AMI ES2004a 750-810 s
(4, overlap), Gecko's demo call (2, 9.5 min), pyAudioAnalysis' two examples (4 and 6) and
Falcon's test (3). Their references come as RTTM, pyAudioAnalysis ``.segments`` and
Falcon's JSON; the last two are written out as RTTM (Falcon's unlabelled gaps are
silence: 57-68 dB below its speech), so ``codecprobe diarize --reference`` and
``codecprobe score`` read them all alike. Used by ``codecprobe demo`` and ``bench/diarize.py``.
"""
from __future__ import annotations

import json
from pathlib import Path

from codecprobe.data.rttm import read_rttm, read_segments, write_rttm
from codecprobe.data.turns import Turns

SETS = ("pyannote-sample", "ami-es2004a", "gecko-2spk", "pyaudioanalysis", "falcon")


def shared_conversations(shared: Path, folder: Path) -> dict[str, tuple[Path, Path]]:
    """``{recording id: (audio, reference RTTM)}`` for the sets present under ``shared``;
    references that are not RTTM already are written to ``folder``."""
    found: dict[str, tuple[Path, Path]] = {}
    for rttm in [shared / "pyannote-sample" / "sample.rttm", shared / "ami-es2004a" / "ES2004a_750-810s.rttm",
                 shared / "gecko-2spk" / "demo.rttm"]:
        audio = next((a for a in (rttm.with_suffix(".wav"), rttm.with_suffix(".mp3")) if a.exists()), None)
        if rttm.exists() and audio is not None:
            found[rttm.stem] = (audio, rttm)
    for segments in sorted((shared / "pyaudioanalysis").glob("*.segments")):
        found[segments.stem] = (segments.with_suffix(".wav"), _written(folder, read_segments(segments)))
    falcon = shared / "falcon" / "test_data.json"
    if falcon.exists():
        test = json.loads(falcon.read_text())["tests"]["diarization_tests"][0]
        turns = Turns.build("test", [s["start_sec"] for s in test["segments"]],
                            [s["end_sec"] - s["start_sec"] for s in test["segments"]],
                            [f"speaker{s['speaker_tag']}" for s in test["segments"]])
        found["test"] = (falcon.parent / test["audio_file"], _written(folder, turns))
    return {fid: paths for fid, paths in found.items() if paths[0].exists() and fid in read_rttm(paths[1])}


def _written(folder: Path, turns: Turns) -> Path:
    path = folder / f"{turns.recording_id}.rttm"
    write_rttm(path, {turns.recording_id: turns})
    return path
