"""The main job end to end where no real speech is at hand: synthetic voices, mfcc only."""
import json

from codecprobe.demo import DemoConfig, run_demo


def test_demo_on_synthetic_voices_says_what_it_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ../shared/data from here
    result = run_demo(DemoConfig(out="out", encoders=["mfcc"], adapter_steps=20, progress=False))
    assert result["data"].startswith("synthetic voices made offline by codecprobe (6 voices, 48 utterances")
    saved = json.loads((tmp_path / "out" / "demo.json").read_text())
    assert saved["taps"][0]["segments"] == 48 and saved["taps"][0]["dim"] == 20
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
