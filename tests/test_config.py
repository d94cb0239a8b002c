from dataclasses import dataclass, field

import pytest

from codecprobe.config import ConfigError, load_config, save_config


@dataclass
class Inner:
    k: int = 8
    whiten: bool = True


@dataclass
class Study:
    name: str = "x"
    rate: float = 0.5
    taps: list[str] = field(default_factory=lambda: ["prequant"])
    weights: str | None = None
    inner: Inner = field(default_factory=Inner)


def test_defaults_then_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("rate: 1\ninner:\n  k: 16\n")
    config = load_config(Study, path, ["inner.whiten=false", "taps=[seanet, layer1]", "weights=kyutai/mimi"])
    assert config == Study(rate=1.0, taps=["seanet", "layer1"], weights="kyutai/mimi", inner=Inner(16, False))
    assert isinstance(config.rate, float)


def test_round_trip(tmp_path):
    config = load_config(Study, None, ["inner.k=3"])
    save_config(config, tmp_path / "saved.yaml")
    assert load_config(Study, tmp_path / "saved.yaml") == config


@pytest.mark.parametrize("overrides, message", [
    (["nmae=y"], "unknown key"),
    (["inner.k=many"], "expected int"),
    (["inner.k=true"], "expected int"),
    (["name"], "not key=value"),
])
def test_bad_values_fail_loudly(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(Study, None, overrides)


def test_yaml_error_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rate: 1\ntaps: [a, b\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+"):
        load_config(Study, path)
