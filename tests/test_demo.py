"""The main job end to end where no real speech is at hand: synthetic voices, mfcc only."""
import json

from codecprobe.demo import run as demo
from codecprobe.demo.run import DemoConfig, run_demo


def test_demo_on_synthetic_voices_says_what_it_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "SHARED_DATA", tmp_path / "no-shared")  # as on a fresh clone
    result = run_demo(DemoConfig(out="out", encoders=["mfcc"], encoder_options={"mfcc": {"n_mfcc": 16}},
                                 adapter_steps=20, progress=False))
    assert result["data"].startswith("synthetic voices made offline by codecprobe (6 voices, 48 utterances")
    assert result["data"].endswith(f"no librispeech-test-other, vctk-autovc in {tmp_path / 'no-shared'})")
    saved = json.loads((tmp_path / "out" / "demo.json").read_text())
    assert saved["taps"][0]["segments"] == 48 and saved["taps"][0]["dim"] == 16  # the setting reached the encoder
    assert saved["taps"][0]["frame_rate_hz"] == 100.0  # snake_case keys (item 15)
    (study,) = saved["speaker_studies"]
    assert study["verify"]["n_trials"] == 24 * 23 // 2  # all pairs of the evaluation half
    assert 0 <= study["verify"]["eer"] < 50  # the voices differ in pitch and formants: better than chance
    diarization = saved["diarization"]
    assert diarization["source"] == "conversations simulated from the synthetic voices (codecprobe simulate)"
    assert len(diarization["recordings"]) == 3
    assert [s["name"] for s in diarization["systems"]] == ["classic", "adapter"]
    assert "classic baseline" in diarization["table"] and "adapter demo-mfcc" in diarization["table"]
    assert "trained in this demo for 20 steps" in diarization["adapter"]["what"]
    report = (tmp_path / "out" / "demo.md").read_text()
    assert "synthetic voices" in report and "## Speaker identity" in report and "## Diarization" in report
    assert (tmp_path / "out" / "studies" / "synthetic-voices-mfcc" / "verify" / "det.png").exists()

    # issue 17 item 1: `codecprobe report` writes the demo's report and each study's again, byte for byte,
    # from the saved results, with every computation switched off
    from codecprobe.cli.main import main

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(demo, "run_demo", no_computation)
    monkeypatch.setattr(demo, "extract", no_computation)
    folders = {tmp_path / "out": "demo.md", tmp_path / "out" / "studies" / "synthetic-voices-mfcc" / "verify": "report.md",
               tmp_path / "out" / "diarize" / "classic": "report.md"}
    for folder, name in folders.items():
        original = (folder / name).read_bytes()
        (folder / name).unlink()
        assert main(["report", str(folder)]) == 0
        assert (folder / name).read_bytes() == original, folder


def test_demo_looks_for_shared_data_beside_the_project_not_the_current_folder(shared_data, tmp_path, monkeypatch):
    """Item 11: run from anywhere, the demo finds ../shared beside the project and says where it looked."""
    monkeypatch.chdir(tmp_path)  # a folder with no ../shared next to it
    corpora, note = demo._corpora(DemoConfig(), tmp_path)
    assert [c.name for c in corpora] == ["librispeech-test-other", "vctk-autovc"]
    # ../shared may be a symbolic link: the demo names the folder as it is reached, not its target
    assert demo.SHARED_DATA.resolve() == shared_data.resolve()
    assert note.startswith(f"real speech from {demo.SHARED_DATA}: ")
