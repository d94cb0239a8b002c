"""The main job end to end where no real speech is at hand (synthetic voices, mfcc only), and on ../shared."""
import json
import re

import pytest

from codecprobe.demo import run as demo
from codecprobe.demo.run import DemoConfig, run_demo


def summary_numbers_match(out):
    """The five summary lines of demo.md against demo.json: every EER with its interval, every
    speaker count and every DER the lines quote is the saved one (to its printed digit)."""
    saved = json.loads((out / "demo.json").read_text())
    report = (out / "demo.md").read_text().split("\n\n")
    summary = report[1].splitlines()
    assert len(summary) == 5 and all(line.startswith("- ") for line in summary), report[1]
    rows = {r["label"]: r for r in saved["identity"]["rows"] if r["backend"] == saved["config"]["backends"][0]}
    quoted = re.findall(r"([\w+ ]+?) EER (\d+\.\d) % \[(\d+\.\d), (\d+\.\d)\]", "\n".join(summary))
    assert sorted(label.strip() for label, *_ in quoted) == sorted(rows)
    for label, eer, low, high in quoted:
        row = rows[label.strip()]
        assert [float(eer), float(low), float(high)] == pytest.approx([row["eer"], *row["eer_interval"]], abs=0.051)
    for name, n in re.findall(r"(\S+) \((\d+) speakers\) evaluated", summary[0]):
        assert {int(n)} == {r["eval_speakers"] for r in rows.values() if r["eval_set"] == name}
    ders = dict(re.findall(r"(\w+) DER (\d+\.\d) %", summary[3]))
    systems = {s["name"]: s["overall"]["collar_0"]["der"] for s in saved["diarization"]["systems"]}
    assert ders.keys() == systems.keys()
    assert {k: float(v) for k, v in ders.items()} == pytest.approx(systems, abs=0.051)
    return saved, "\n\n".join(report)


def figures_embedded(out, report):
    """Every figure demo.json names is embedded in demo.md by its path relative to it, and exists."""
    saved = json.loads((out / "demo.json").read_text())
    figures = [saved["identity"]["figure"], *saved["diarization"]["figures"].values()]
    for path in figures:
        assert f"]({path})" in report and (out / path).stat().st_size > 1000, path
    return figures


def test_demo_on_synthetic_voices_leads_with_speaker_identity_then_diarization(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "SHARED_DATA", tmp_path / "no-shared")  # as on a fresh clone
    result = run_demo(DemoConfig(out="out", encoders=["mfcc"], settings={"mfcc": {"n_mfcc": 16}},
                                 pipelines=["no-such-pipeline", "classic"], progress=False))
    assert result["data"].startswith("synthetic voices made offline by codecprobe (6 voices, 48 utterances")
    assert result["data"].endswith(f"no timit-sample, librispeech-test-other in {tmp_path / 'no-shared'})")
    saved, report = summary_numbers_match(tmp_path / "out")
    rows = saved["identity"]["rows"]
    assert [(r["label"], r["backend"], r["train_set"]) for r in rows] == [
        ("MFCC", "center", "held-out half"), ("MFCC", "cosine", "held-out half")]
    assert rows[0]["n_trials"] == 24 * 23 // 2 and rows[0]["eval_speakers"] == 3  # all pairs of the evaluation half
    assert 0 <= rows[0]["eer"] < 50  # the voices differ in pitch and formants: better than chance
    diarization = saved["diarization"]
    assert diarization["source"] == "conversations simulated from the synthetic voices (codecprobe simulate)"
    assert len(diarization["recordings"]) == 3
    assert [s["name"] for s in diarization["systems"]] == ["classic"]  # the pipeline this build lacks: named, skipped
    assert diarization["notes"][0].startswith("pipeline 'no-such-pipeline' is not in this build of codecprobe diarize")
    assert diarization["notes"][0] in report
    assert len(figures_embedded(tmp_path / "out", report)) == 1 + 3  # identity, one per recording
    assert saved["sweep"] is None and "`codecprobe demo --full`" in report
    # every corpus and set of weights once, by its long name, in the Names table; short labels elsewhere
    assert {n["label"] for n in saved["names"]} == {"synthetic", "MFCC", "classic"}
    assert "classic baseline" in report and report.count(diarization["systems"][0]["label"]) == 1

    # issue 17 item 1: `codecprobe report` writes the demo's report and each study's again, byte for byte,
    # from the saved results, with every computation switched off
    from codecprobe.cli.main import main

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not compute")

    monkeypatch.setattr(demo, "run_demo", no_computation)
    monkeypatch.setattr(demo, "demo_data", no_computation)
    folders = {tmp_path / "out": "demo.md", tmp_path / "out" / "identity" / "synthetic-voices-mfcc": "report.md",
               tmp_path / "out" / "diarize" / "classic": "report.md"}
    for folder, name in folders.items():
        original = (folder / name).read_bytes()
        (folder / name).unlink()
        assert main(["report", str(folder)]) == 0
        assert (folder / name).read_bytes() == original, folder


@pytest.mark.slow
def test_demo_full_sweep_adds_every_tap_the_studies_and_the_adapter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "SHARED_DATA", tmp_path / "no-shared")
    result = run_demo(DemoConfig(out="out", encoders=["mfcc"], sweep_encoders=["mfcc"], pipelines=["classic"],
                                 settings={"mfcc": {"n_mfcc": 16}}, full=True, adapter_steps=20,
                                 progress=False))
    sweep = result["sweep"]
    assert sweep["taps"][0]["segments"] == 48 and sweep["taps"][0]["dim"] == 16  # the setting reached the encoder
    assert sweep["taps"][0]["frame_rate_hz"] == 100.0
    (study,) = sweep["speaker_studies"]
    assert study["verify"]["n_trials"] == 24 * 23 // 2
    assert [s["name"] for s in result["diarization"]["systems"]] == ["classic", "adapter"]
    assert "trained in this demo for 20 steps" in result["diarization"]["adapter"]["what"]
    report = (tmp_path / "out" / "demo.md").read_text()
    assert "## The full sweep" in report and f"]({study['report']})" in report
    assert (tmp_path / "out" / study["report"]).exists()


def test_demo_looks_for_shared_data_beside_the_project_not_the_current_folder(shared_data, tmp_path, monkeypatch):
    """Item 11: run from anywhere, the demo finds ../shared beside the project and says where it looked."""
    monkeypatch.chdir(tmp_path)  # a folder with no ../shared next to it
    data = demo.demo_data(DemoConfig(), tmp_path)
    # >= 10 evaluation speakers for a verdict, none of them fitted on
    assert [(c.name, f.name) for c, f in data.identity_sets] == [("timit-sample", "librispeech-test-other")]
    assert len(data.identity_sets[0][0].speakers()) == 16
    # ../shared may be a symbolic link: the demo names the folder as it is reached, not its target
    assert demo.SHARED_DATA.resolve() == shared_data.resolve()
    assert data.note.startswith(f"real speech from {demo.SHARED_DATA}: timit-sample (16 speakers, 160 utterances) "
                                "evaluated, back-ends fitted on librispeech-test-other (10 speakers")


@pytest.mark.slow
def test_demo_summary_on_real_speech_quotes_demo_json(shared_data, tmp_path, monkeypatch):
    """On ../shared/data (mfcc and the classic pipeline only, to stay fast): the summary's numbers are
    demo.json's, the six conversations each have their picture, and the verdicts stand on 16 speakers."""
    monkeypatch.chdir(tmp_path)
    run_demo(DemoConfig(out="out", encoders=["mfcc"], pipelines=["classic"], progress=False))
    saved, report = summary_numbers_match(tmp_path / "out")
    assert {r["eval_speakers"] for r in saved["identity"]["rows"]} == {16}
    assert not any(r["verdict"].startswith("no verdict") for r in saved["identity"]["rows"])
    assert len(figures_embedded(tmp_path / "out", report)) == 1 + 6
