#!/usr/bin/env bash
# Seed 003 on a real system (docs/refine.md, "Seed 003 on the pyannote pipeline"): where the
# `codecprobe diarize --pipeline pyannote` output's error lies on the six real recordings
# (`codecprobe boundaries`), then boundary refiners trained on that pipeline's measured boundary
# errors (measured on held-out SIMULATED conversations, never on the real ones) and applied to its
# output on the real recordings, with seed 003's gate.
#
# Usage: recipes/refine/run.sh [first stage] [last stage]     (DATA=../shared/data; writes runs/seed003)
# Stages: 1 the real recordings as one corpus, diarized, `boundaries` on them;
#         2 simulate training conversations and held-out ones (disjoint speakers);
#         3 diarize the held-out simulations, `boundaries` on them: the measured errors;
#         4 refine studies (frames: logmel, Lyra's latent, CAM++ block1), trained on measured jitter;
#         5 each trained refiner applied to the real output with `codecprobe refine --model`, and the
#           ceiling: every matched boundary moved onto its reference (recipes/refine/oracle.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
first=${1:-1}; last=${2:-5}
data=${DATA:-../shared/data}; work=runs/seed003  # recipes/refine/seed003.yaml names these paths
stage() { [ "$first" -le "$1" ] && [ "$last" -ge "$1" ]; }
export OMP_NUM_THREADS=1
codecprobe() { nice -n 10 .venv/bin/codecprobe "$@"; }
bash scripts/setup_env.sh
pool=(--corpus "$data/librispeech-test-other" --corpus "$data/vctk-autovc" --corpus "$data/timit-sample"
      --corpus "$data/ravdess-24spk")
sim=(--noise pink --set noise.snr_db.minimum=10 --set noise.snr_db.maximum=30 --set noise.snr_db.mean=20
     --set speakers.min_turns=3 --set speakers.max_turns=6)

if stage 1; then
  .venv/bin/python recipes/refine/real_corpus.py "$data" "$work/real"
  codecprobe diarize "$work"/real/*.wav "$work"/real/*.mp3 --pipeline pyannote --reference "$work/real" \
    --set plots=false --out "$work/diarize-real"
  codecprobe boundaries -r "$work/real" -s "$work/diarize-real/rttm" -o "$work/boundaries-real"
fi
if stage 2; then
  codecprobe simulate "${pool[@]}" --split train -n 40 --seed 0 "${sim[@]}" --set recording_prefix=s3train \
    --out "$work/sim-train"
  codecprobe simulate "${pool[@]}" --split held-out -n 16 --seed 1 "${sim[@]}" --set recording_prefix=s3measure \
    --out "$work/sim-measure"
fi
if stage 3; then
  codecprobe diarize "$work/sim-measure" --layout rttm --pipeline pyannote --reference "$work/sim-measure/rttm" \
    --set plots=false --out "$work/diarize-sim-measure"
  codecprobe boundaries -r "$work/sim-measure/rttm" -s "$work/diarize-sim-measure/rttm" -o "$work/boundaries-sim"
fi
study() {  # system name, output folder, variants, input tap, more overrides; one store per system
  local name=$1 out=$2 variants=$3 tap=$4; shift 4
  codecprobe refine --config recipes/refine/seed003.yaml --set "jitter.measured=$work/boundaries-sim/boundaries.json" \
    --store "$work/store-$name" --out "$work/$out" --variant $variants --set "systems=[{name: $name, inputs: [$tap]}]" "$@"
}
if stage 4; then  # the three side by side (about 22 minutes on the loaded 2-core machine), then a longer log-mel run
  study logmel refine-logmel "mlp transformer diffusion contrastive" "{encoder: logmel}" &
  study lyra-latent refine-lyra-latent "mlp contrastive" "{encoder: lyra, taps: [latent]}" &
  study campplus-block1 refine-campplus-block1 "mlp contrastive" "{encoder: campplus, taps: [block1]}" &
  wait
  study logmel refine-logmel-long "mlp diffusion" "{encoder: logmel}" --set jitter.copies=8 trainer.max_steps=900 \
    trainer.val_every_steps=150 trainer.checkpoint_every_steps=150
fi
if stage 5; then  # every trained refiner applied to the pipeline's real output, as a user would
  for ckpt in "$work"/refine-*/systems/*/*/best.ckpt; do
    variant=$(basename "$(dirname "$ckpt")"); system=$(basename "$(dirname "$(dirname "$ckpt")")")
    run=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$ckpt")")")")")
    codecprobe refine --model "$ckpt" --hyp "$work/diarize-real/rttm" --corpus "$work/real" --layout rttm \
      --store "$work/store-$system" --out "$work/apply/${run#refine-}-$variant"
  done
  .venv/bin/python recipes/refine/oracle.py "$work/real" "$work/diarize-real/rttm" --layout rttm
  .venv/bin/python recipes/refine/oracle.py "$work/sim-measure" "$work/diarize-sim-measure/rttm" --layout rttm
fi
echo "reports: $work/boundaries-real/boundaries.md $work/refine-*/report.md $work/apply/*/refine.json"
