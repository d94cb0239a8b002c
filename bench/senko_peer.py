"""senko 0.2.2 over WAV files, one torch thread: the offline peer of ``bench/diarize.py --parts side``.

Runs under senko's own interpreter (``bench/setup_senko_env.sh``), never the project's: it imports
senko only, no codecprobe. Writes ``OUT/rttm/<id>.rttm`` (as ``codecprobe diarize`` does) and prints
one JSON line: seconds spent building the diarizer and in the ``diarize`` calls (wall and CPU),
speakers found per file. Usage: ``senko_peer.py OUT WAV [WAV ...]`` (16-bit mono 16 kHz WAV only).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch
from senko import Diarizer, save_rttm


def main(out: Path, wavs: list[str]) -> None:
    # senko sets torch to the core count after loading Silero VAD and after each VAD pass: keep one thread
    Diarizer._set_torch_num_threads = lambda self, num=None: torch.set_num_threads(1)
    torch.set_num_threads(1)
    (out / "rttm").mkdir(parents=True, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    diarizer = Diarizer(device="cpu", vad="silero", quiet=True)  # vad="pyannote" is refused off CUDA/CoreML
    startup = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    wall, cpu = time.perf_counter(), time.process_time()
    speakers = {}
    for wav in wavs:
        result = diarizer.diarize(wav)
        rttm = out / "rttm" / f"{Path(wav).stem}.rttm"
        if result is None:  # no speech found: an empty RTTM, scored as all missed
            rttm.write_text("")
            speakers[Path(wav).stem] = 0
        else:
            save_rttm(result["merged_segments"], wav, str(rttm))
            speakers[Path(wav).stem] = result["merged_speakers_detected"]
    print(json.dumps({"startup": startup, "diarize": {"wall_s": time.perf_counter() - wall,
                                                      "cpu_s": time.process_time() - cpu},
                      "n_speakers": speakers, "torch_threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
