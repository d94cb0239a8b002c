"""Seed 004's latent-structure gate: do coarse context keys predict a latent sequence's dynamics
across speakers?

The typed config (:mod:`.config`), the frame dataset (:mod:`.frames`), what is fitted on the
training speakers (:mod:`.conditioning`), the four streamed passes (:mod:`.analysis`), the
measures and their bootstrap intervals (:mod:`.metrics`), PASS/FAIL (:mod:`.decision`), the
pipeline behind ``codecprobe structure`` (:mod:`.study`) and its report (:mod:`.report`), and
generated sequences of known structure (:mod:`.synthetic`). Tier 1 Exp 1 and 2 (next-latent
models) are :mod:`codecprobe.nextlatent`.
"""
