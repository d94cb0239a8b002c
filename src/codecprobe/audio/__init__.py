"""Audio input: read any soundfile-supported file (or a time range of it), downmix, resample."""
from codecprobe.audio.io import AudioError, AudioInfo, audio_info, read_audio, resample

__all__ = ["AudioError", "AudioInfo", "audio_info", "read_audio", "resample"]
