"""Seed 004's Tier 1 Exp 1, 2 and 3: next-latent models trained on cached latents.

Exp 1: does a von Mises-Fisher direction with a LogNormal length (:mod:`.distributions`,
:mod:`.model`) fit the next latent step better than a Gaussian? Exp 2: how much does injecting
Phase 0's key (:mod:`codecprobe.structure`) lower the held-out NLL, against a random key? Exp 3
(:mod:`.across`): how do several encoders compare on the same held-out utterances? The typed config (:mod:`.config`), the items (:mod:`.data`), the pipeline behind
``codecprobe nextlatent`` (:mod:`.study`) and its report (:mod:`.report`). Training is
:mod:`codecprobe.train`'s (checkpoints, resume).
"""
