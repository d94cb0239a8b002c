"""Torch networks of the pretrained encoders that no installed library provides (PyanNet, CAM++)."""
