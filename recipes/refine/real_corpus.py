"""Assemble the six real conversations of ``codecprobe.demo.conversations`` as one ``rttm``-layout
corpus folder (audio linked, references as RTTM) for ``codecprobe refine --corpus``.

Usage: python recipes/refine/real_corpus.py SHARED_DATA OUT_DIR
"""
import sys
from pathlib import Path

from codecprobe.demo.conversations import shared_conversations

shared, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for fid, (audio, rttm) in shared_conversations(shared, out).items():
    link = out / f"{fid}{audio.suffix}"
    if not link.exists():
        link.symlink_to(audio.resolve())
    if rttm.parent.resolve() != out.resolve():
        (out / f"{fid}.rttm").write_text(rttm.read_text())
    print(fid, audio)
