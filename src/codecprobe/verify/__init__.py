"""Speaker-identity probing: how much do an encoder's latents know about who is speaking?

Trials (:mod:`.trials`), utterance pooling (:mod:`.pooling`), scoring back-ends
(:mod:`.backends`), verification metrics (:mod:`.metrics`), seed 002's diagnostics
(:mod:`.diagnostics`) and the pipelines behind ``codecprobe verify`` / ``diagnose``
(:mod:`.study`).
"""
