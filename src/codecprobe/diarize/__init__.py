"""Long recordings to RTTM (``codecprobe diarize``, docs/diarize-inference.md), one module per stage.

A window model (the training-free :mod:`~codecprobe.diarize.classic` baseline, pyannote's segmentation-3.0
in :mod:`~codecprobe.diarize.pyannote_pipeline`, or a trained adapter through
:mod:`~codecprobe.diarize.checkpoint_model` and :mod:`~codecprobe.diarize.adapter_pipeline`)
finds local speakers in sliding windows of :mod:`~codecprobe.diarize.long_audio`;
:mod:`~codecprobe.diarize.speaker_embeddings` embeds them; :mod:`~codecprobe.diarize.clustering`
(speaker embeddings to global speakers, with a speaker count), :mod:`~codecprobe.diarize.assignment`
(local speakers of each window to those speakers) and :mod:`~codecprobe.diarize.aggregation`
(windows back onto one frame grid) are joined by :mod:`~codecprobe.diarize.stitching`.
:mod:`~codecprobe.diarize.run` takes files and corpora in and writes RTTMs, a summary and
:mod:`~codecprobe.diarize.scoring` and :mod:`~codecprobe.diarize.report`; :mod:`~codecprobe.diarize.config` holds every setting.
"""
