"""``codecprobe demo``: the main job (:mod:`~codecprobe.demo.run`) and what only it needs: the shared
real conversations (:mod:`~codecprobe.demo.conversations`) and the demo's adapter and diarization
showcase (:mod:`~codecprobe.demo.showcase`). Nothing in the library imports this package."""
