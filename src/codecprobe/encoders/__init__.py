"""Frozen encoders with named tap points (Mimi, Lyra, GE2E, MFCC/log-mel baselines)."""
from codecprobe.encoders.base import Encoder, EncoderIdentity, FrameSequence, untrained_kind, weights_label
from codecprobe.encoders.registry import (BuildOptions, available_encoders, build_encoder, build_settings,
                                          describe_settings, register, settings_class)

__all__ = ["Encoder", "EncoderIdentity", "FrameSequence", "BuildOptions", "available_encoders", "build_encoder",
           "build_settings", "describe_settings", "register", "settings_class", "untrained_kind",
           "weights_label"]
