#!/usr/bin/env bash
# Seed 001 on real speech: the diarization adapter on frozen (random-init, labelled) Mimi, on GE2E
# partials, on MFCCs, on Lyra v2's latent (trained weights), the hybrid (Mimi + GE2E) and Step 1.5
# (Mimi's top 3 layers trained), trained on simulated conversations and evaluated on held-out
# simulations (other speakers) and on the real recordings with references in ../shared/data.
# See docs/diarize.md ("Study") for what to expect.
#
# Usage: recipes/diarize/run.sh [first stage] [last stage]     (DATA=../shared/data WORK=runs/diarize)
# Stages: 1 simulate training conversations, 2 simulate held-out conversations (disjoint speakers),
#         3 falcon's JSON reference as RTTM, 4 extract + frame banks, 5 train + evaluate + report;
#         seed 001 with a trained yardstick (recipes/diarize/seed001.yaml, docs/diarize.md):
#         6 the six real recordings as one rttm corpus, 7 train + evaluate + report (after stages 1-2):
#         recipes/diarize/run.sh 1 2 && recipes/diarize/run.sh 6 7
# Every stage resumes: rerun the same command after an interruption.
set -euo pipefail
cd "$(dirname "$0")/../.."
first=${1:-1}; last=${2:-5}
data=${DATA:-../shared/data}; work=${WORK:-runs/diarize}
stage() { [ "$first" -le "$1" ] && [ "$last" -ge "$1" ]; }
codecprobe() { nice -n 10 .venv/bin/codecprobe "$@"; }
# the speaker pool: 54 speakers of four single-speaker sets; a quarter of them held out
pool=(--corpus "$data/librispeech-test-other" --corpus "$data/vctk-autovc" --corpus "$data/timit-sample"
      --corpus "$data/ravdess-24spk")
short=(--set speakers.min_turns=3 --set speakers.max_turns=6)  # 1-4 speakers, recordings of ~0.2-1.5 min

bash scripts/setup_env.sh
# recording ids differ between the sets (the latent store keys segments by id)
if stage 1; then codecprobe simulate "${pool[@]}" --split train -n 64 --seed 0 "${short[@]}" --set recording_prefix=train \
                   --out "$work/sim-train"; fi
if stage 2; then codecprobe simulate "${pool[@]}" --split held-out -n 16 --seed 1 "${short[@]}" --set recording_prefix=heldout \
                   --out "$work/sim-test"; fi
if stage 3; then  # falcon's reference is Picovoice's test JSON; the rttm layout reads RTTM
  mkdir -p "$work/falcon"
  ln -sf "$(realpath "$data/falcon/test.wav")" "$work/falcon/test.wav"
  .venv/bin/python - "$data/falcon/test_data.json" "$work/falcon/test.rttm" <<'PY'
import json, sys
from codecprobe.data.rttm import write_rttm
from codecprobe.data.turns import Turn, group_turns
segments = json.load(open(sys.argv[1]))["tests"]["diarization_tests"][0]["segments"]
write_rttm(sys.argv[2], group_turns(Turn("test", s["start_sec"], s["end_sec"] - s["start_sec"], f"speaker{s['speaker_tag']}")
                                    for s in segments))
PY
fi
study=(--config recipes/diarize/study.yaml --set "train_corpus=$work/sim-train" --store "$work/store" --out "$work/study"
       --set "eval_corpora=[$work/sim-test, $data/pyannote-sample, $data/ami-es2004a, $data/gecko-2spk, $data/pyaudioanalysis, $work/falcon]")
if stage 4; then codecprobe train "${study[@]}" --prepare-only; fi
if stage 5; then codecprobe train "${study[@]}"; fi
if stage 6; then  # evaluation only: audio and references linked from ../shared (falcon's and pyAudioAnalysis' written as RTTM)
  mkdir -p "$work/real"
  .venv/bin/python - "$data" "$work/real" <<'PY'
import sys
from pathlib import Path
from codecprobe.demo.conversations import shared_conversations
folder = Path(sys.argv[2])
for recording, (audio, rttm) in shared_conversations(Path(sys.argv[1]), folder).items():
    for source, target in ((audio, folder / f"{recording}{audio.suffix}"), (rttm, folder / f"{recording}.rttm")):
        if source.resolve() != target.resolve():
            target.unlink(missing_ok=True)
            target.symlink_to(source.resolve())
PY
fi
if stage 7; then codecprobe train --config recipes/diarize/seed001.yaml --set "train_corpus=$work/sim-train" \
                   --set "eval_corpora=[$work/sim-test, $work/real]" --store "$work/store" --out "$work/seed001"; fi
echo "reports: $work/study/report.md, $work/seed001/report.md"
