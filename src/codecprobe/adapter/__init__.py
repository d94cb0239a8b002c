"""The diarization adapter (seed 001, ``codecprobe train``, docs/diarize.md): a small network
trained on cached encoder frames to find the local speakers of short windows.

Task and model: :mod:`~codecprobe.adapter.losses` (PIT, sort, hybrid, powerset),
:mod:`~codecprobe.adapter.model` (the adapter; Mimi's top layers for partial unfreezing),
:mod:`~codecprobe.adapter.module` (the LightningModule). Study: :mod:`~codecprobe.adapter.config`,
:mod:`~codecprobe.adapter.study` (train or resume every system, evaluate),
:mod:`~codecprobe.adapter.evaluate` (DER / VAD error / confusion in windows) and
:mod:`~codecprobe.adapter.report`. The conversations and frame labels it trains on live in
:mod:`codecprobe.train` (the refiners train on them too); long recordings are
:mod:`codecprobe.diarize`'s job.
"""
