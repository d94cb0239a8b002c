"""Frozen encoders with named tap points (Mimi, Lyra, GE2E, MFCC/log-mel baselines)."""
from codecprobe.encoders.base import (Encoder, EncoderIdentity, FrameSequence, frame_rate_text, short_weights_label,
                                      untrained_kind, weights_kind, weights_label)
from codecprobe.encoders.registry import (BuildOptions, UtteranceUse, available_encoders, build_encoder,
                                          build_settings, describe_settings, register, settings_class,
                                          utterance_settings, utterance_use)

__all__ = ["Encoder", "EncoderIdentity", "FrameSequence", "BuildOptions", "available_encoders", "build_encoder",
           "build_settings", "describe_settings", "frame_rate_text", "register", "settings_class",
           "short_weights_label", "untrained_kind", "weights_kind", "weights_label", "UtteranceUse", "utterance_settings", "utterance_use"]
