"""Speaker diarization: the adapter that finds local speakers in short windows, and long recordings to RTTM.

Training (``codecprobe train``, docs/diarize.md): :mod:`~codecprobe.diarize.labels`,
:mod:`~codecprobe.diarize.model`, :mod:`~codecprobe.diarize.losses`,
:mod:`~codecprobe.diarize.module`, :mod:`~codecprobe.diarize.data`,
:mod:`~codecprobe.diarize.study`, :mod:`~codecprobe.diarize.evaluate`.

Long-recording inference (``codecprobe diarize``, docs/diarize-inference.md), one module per
stage: :mod:`~codecprobe.diarize.clustering` (speaker embeddings to global speakers, with a
speaker count), :mod:`~codecprobe.diarize.assignment` (local speakers of each window to
those speakers), :mod:`~codecprobe.diarize.aggregation` (windows back onto one frame grid),
:mod:`~codecprobe.diarize.stitching` (the three together), :mod:`~codecprobe.diarize.classic`
(the training-free baseline), :mod:`~codecprobe.diarize.adapter_pipeline` and
:mod:`~codecprobe.diarize.checkpoint_model` (a trained adapter over sliding windows) and
:mod:`~codecprobe.diarize.inference` (files and corpora in, RTTMs, summary and report out).
"""
