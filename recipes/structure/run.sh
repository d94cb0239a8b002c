#!/usr/bin/env bash
# Seed 004 on the real speech in ../shared/data: Phase 0 (codecprobe structure) and Tier 1 Exp 1-3
# (codecprobe nextlatent). Run from the repository root; on a shared machine put it under nice.
set -euo pipefail
codecprobe structure --config recipes/structure/phase0.yaml --out runs/structure-phase0
codecprobe structure --config recipes/structure/phase0-mimi.yaml --out runs/structure-phase0-mimi
codecprobe structure --config recipes/structure/phase0-all-features.yaml --out runs/structure-features
codecprobe structure --config recipes/structure/phase0-all-mimi.yaml --out runs/structure-all-mimi
codecprobe nextlatent --config recipes/structure/nextlatent.yaml --out runs/nextlatent
codecprobe nextlatent --config recipes/structure/nextlatent-control.yaml --out runs/nextlatent-control
codecprobe nextlatent --config recipes/structure/nextlatent-encoders.yaml --out runs/nextlatent-encoders
