"""codecprobe: probe neural audio codec latents for speaker identity and diarization."""
__version__ = "0.1.0"
