"""The one report skeleton: its Markdown, and a saved result read back into its typed object."""
from dataclasses import dataclass

import pytest

from codecprobe.errors import InputError
from codecprobe.report.model import Bullets, Figure, Report, Section, Table, to_markdown
from codecprobe.report.results import Result

PROVENANCE = {"created": "2026-01-01T00:00:00+00:00", "python": "3.11.0", "platform": "Linux",
              "versions": {"codecprobe": "0.1", "torch": None, "numpy": "2.0"}}


def test_markdown_of_every_block_with_long_labels_as_footnotes():
    report = Report(
        "A study", [Bullets(["data: d", "weights: w"])],
        [Section(None, ["**headline**", Table(["a", "b"], [[1.234, "x|y"]])]),
         Section("Figures", [Figure("det.png", "det"), Figure("plots/f.png", "f", note="a very long label")]),
         Section("Other", [Figure("g.png", "g", note="another long label")])],
        {"seed": 0, "taps": ["a"]}, PROVENANCE)
    assert to_markdown(report) == (
        "# A study\n\n- data: d\n- weights: w\n\n**headline**\n\n| a | b |\n|---|---|\n| 1.23 | x\\|y |\n\n"
        "## Figures\n\n![det](det.png)\n\n![f](plots/f.png)[^1]\n\n## Other\n\n![g](g.png)[^2]\n\n"
        "## Config\n\n```yaml\nseed: 0\ntaps:\n- a\n```\n\n"
        "## Versions\n\ncodecprobe 0.1, numpy 2.0; Python 3.11.0 on Linux; 2026-01-01T00:00:00+00:00\n\n"
        "[^1]: a very long label\n\n[^2]: another long label\n")


@dataclass
class Knobs:
    seed: int = 0
    rates: list[float] | None = None


@dataclass
class Row:
    name: str
    value: float | None


@dataclass
class TinyResult(Result):
    study = "tiny"

    rows: list[Row]
    intervals: dict[str, list[float]]
    config: Knobs
    provenance: dict


def test_a_saved_result_loads_back_into_the_same_typed_object(tmp_path):
    result = TinyResult([Row("a", 1.5), Row("b", None)], {"a": [0.25, 3.0]}, Knobs(3, [0.5]), PROVENANCE)
    result.save(tmp_path)
    loaded = TinyResult.load(tmp_path / "results.json")
    assert loaded == result and isinstance(loaded.rows[0], Row) and isinstance(loaded.config, Knobs)
    assert (tmp_path / "config.yaml").read_text() == "seed: 3\nrates:\n- 0.5\n"
    (tmp_path / "results.json").write_text('{"study": "other"}')
    with pytest.raises(InputError, match="results of study 'other', not 'tiny'"):
        TinyResult.load(tmp_path / "results.json")


def test_issue18_item9_a_long_weights_label_is_a_short_cell_with_one_footnote():
    from codecprobe.report.model import Footnoted

    long = "permuted:seed=0:dir:af0f (UNTRAINED control: weights randomly permuted ...)"
    cell = Footnoted("lyra (permuted control)", long)
    report = Report("A study", [], [Section(None, [Table(["role", "weights"], [["control", cell], ["control", cell]]),
                                                   Figure("f.png", "f", note=long)])], {}, PROVENANCE)
    text = to_markdown(report)
    assert "| control | lyra (permuted control)[^1] |" in text
    assert text.count(long) == 1 and "![f](f.png)[^1]" in text and "[^2]" not in text
    assert text.endswith(f"[^1]: {long}\n")


def test_issue18_item9_titles_wider_than_their_panel_are_broken_so_neighbours_never_overlap(tmp_path):
    from codecprobe.report.plots import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="x", ylabel="y", title="a title much longer than its panel is wide " * 3)
    fig.suptitle("and a figure title that runs far past the width of the whole figure " * 2)
    titles = []
    original = plt.close

    def keep(figure):  # read the laid-out titles just before save_figure closes the figure
        renderer = figure.canvas.get_renderer()
        titles.extend(ax.title.get_window_extent(renderer) for ax in figure.axes)
        titles.append(figure._suptitle.get_window_extent(renderer))
        original(figure)

    plt.close = keep
    try:
        assert save_figure(fig, tmp_path / "f.png") == tmp_path / "f.png"
    finally:
        plt.close = original
    panels, whole = titles[:-1], titles[-1]
    assert all(left.x1 <= right.x0 for left, right in zip(panels, panels[1:]))
    assert whole.x0 >= 0 and whole.x1 <= fig.get_figwidth() * fig.dpi
