"""Frozen encoders with named tap points (Mimi, GE2E, MFCC/log-mel baselines)."""
from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence
from codecprobe.encoders.registry import (BuildOptions, UtteranceUse, available_encoders, build_encoder,
                                          build_settings, describe_settings, register, settings_class,
                                          utterance_settings, utterance_use)

__all__ = ["Encoder", "EncoderIdentity", "FrameSequence", "BuildOptions", "available_encoders", "build_encoder",
           "build_settings", "describe_settings", "register", "settings_class", "UtteranceUse", "utterance_settings",
           "utterance_use"]
