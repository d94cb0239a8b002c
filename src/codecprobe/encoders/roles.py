"""The encoders a study runs: the one asked for and, beside a trained one, its untrained control.

A random-weights model never passes silently for a trained one: every study that runs a
trained neural encoder also runs the same architecture with seeded random weights, and
labels it. :func:`encoder_roles` builds both, or says why there is no control.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from codecprobe.encoders.base import Encoder, EncoderIdentity, untrained_kind
from codecprobe.encoders.registry import BuildOptions, build_encoder
from codecprobe.errors import InputError


@dataclass
class Role:
    """One encoder a study runs: the encoder asked for, or its untrained control."""

    name: str  # "encoder" or "control"
    encoder: Encoder
    identity: EncoderIdentity


def encoder_roles(name: str, options: BuildOptions, control: bool = True,
                  control_seed: int = 0) -> tuple[list[Role], str]:
    """The encoder and (where it applies) its untrained control, and a note on the control."""
    main = build_encoder(name, options)
    roles = [Role("encoder", main, main.identity())]
    kind = roles[0].identity.weights
    if not control:
        return roles, "no untrained control (control=false)"
    if kind == "untrained":
        return roles, (f"this run's encoder is untrained ({untrained_kind(roles[0].identity.weights_id)}): "
                       "it is itself the untrained control")
    if kind == "none":
        return roles, f"{name} is a baseline without weights: there is nothing to train, so no control"
    weights = options.weights if main.untrained_from_weights else None  # lyra permutes the same weights
    try:
        untrained = build_encoder(name, replace(options, weights=weights, random_init=True, seed=control_seed))
    except InputError:
        return roles, f"{name} cannot be built with random weights, so there is no untrained control"
    roles.append(Role("control", untrained, untrained.identity()))
    weights_id = untrained.identity().weights_id
    return roles, f"untrained control: {name} with {untrained_kind(weights_id)} ({weights_id})"
