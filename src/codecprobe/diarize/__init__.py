"""Speaker diarization: from per-window local speaker activity to one RTTM per recording.

Long-recording inference (``codecprobe diarize``) is built from small stages, each in
its own module: :mod:`~codecprobe.diarize.clustering` (speaker embeddings to global
speakers, with a speaker count), :mod:`~codecprobe.diarize.assignment` (local speakers
of each window to those speakers), :mod:`~codecprobe.diarize.aggregation` (windows back
onto one frame grid), :mod:`~codecprobe.diarize.classic` (the training-free baseline)
and :mod:`~codecprobe.diarize.inference` (the pipeline over files and corpora).
"""
