"""codecprobe simulate end to end on tone speakers: the audio says what the RTTM says, runs repeat
byte for byte, resume after a crash, restrict speakers, and refuse bad input before any work."""
import json

import numpy as np
import pytest
import soundfile as sf

from codecprobe.config import load_config
from codecprobe.errors import InputError
from codecprobe.data.rttm import read_rttm
from codecprobe.simulate import SimulateConfig, run_simulation, write_simulation_report
from codecprobe.simulate import study
from tests.simulate.tones import FRAME, FREQUENCIES, RATE, band_energy, write_tones

SMALL = ["speakers.min_turns=2", "speakers.max_turns=4", "turns.cut_duration.mean=0.8",
         "turns.cut_duration.minimum=0.3", "timing.overlap_probability=0.5"]


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    return write_tones(tmp_path_factory.mktemp("tones") / "tones")


def config(corpus, *overrides, n=6):
    return load_config(SimulateConfig, None, [f"corpora=['{corpus}']", f"num_recordings={n}", *SMALL, *overrides])


def simulate(corpus, out, *overrides, n=6):
    simulation = run_simulation(config(corpus, *overrides, n=n), out, progress=False)
    write_simulation_report(simulation)
    return simulation


def files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.parent.name in ("audio", "rttm", "meta")}


def test_the_audio_says_what_the_rttm_says(tones, tmp_path):
    out = tmp_path / "sim"
    simulate(tones, out, "audio_format=float32", "turns.cut_duration.mean=1.5", n=8)
    overlapped = joined = checked = 0
    for wav in sorted((out / "audio").glob("*.wav")):
        audio, rate = sf.read(wav, dtype="float32")
        assert rate == RATE and audio.ndim == 1
        turns = list(read_rttm(out / "rttm" / f"{wav.stem}.rttm")[wav.stem])
        meta = json.loads((out / "meta" / f"{wav.stem}.json").read_text())
        n_frames = len(audio) // FRAME
        frames = audio[: n_frames * FRAME].reshape(n_frames, FRAME)
        start, stop = np.arange(n_frames) * FRAME, (np.arange(n_frames) + 1) * FRAME
        boundary = np.zeros(n_frames, bool)  # frames holding the start or end of a turn or of a piece of one
        sounding = {}  # per speaker: frames wholly inside one piece of their audio
        assert [(t.speaker, t.start, t.duration) for t in turns] == \
            [(t["speaker"], t["onset"], t["duration"]) for t in meta["turn_sources"]]
        for turn in meta["turn_sources"]:
            pieces = turn["pieces"]
            # the RTTM turn spans its pieces (and the short pauses between joined ones)
            assert pieces[0]["offset"] == 0
            assert pieces[-1]["offset"] + pieces[-1]["duration"] == pytest.approx(turn["duration"], abs=1e-9)
            joined += len(pieces) > 1
            speaker = turn["speaker"].split(":")[-1]
            sounding.setdefault(speaker, np.zeros(n_frames, bool))
            for piece in pieces:
                a = round((turn["onset"] + piece["offset"]) * RATE)
                b = a + round(piece["duration"] * RATE)
                boundary |= ((start < a) & (a < stop)) | ((start < b) & (b < stop))
                sounding[speaker] |= (start >= a) & (stop <= b)
        clean = ~boundary
        # a tone of amplitude A fills its bin with (A * FRAME / 2) ** 2; level -25 dBFS +- 3 dB => A >= 0.05
        loud = (0.05 * FRAME / 2) ** 2 / 4
        for speaker, active in sounding.items():
            energy = band_energy(audio, FREQUENCIES[speaker])
            assert np.all(energy[clean & active] > loud), speaker
            assert np.all(energy[clean & ~active] < 1e-6), speaker
            gain = meta["gains_db"][f"tones:{speaker}"]
            solo = clean & active & (sum(sounding.values()) == 1)
            if solo.any():  # the speaker's level: -25 dBFS plus their gain
                rms = np.sqrt(np.mean(frames[solo] ** 2))
                assert 20 * np.log10(rms) == pytest.approx(-25 + gain, abs=0.05)
        nobody = clean & ~np.any(list(sounding.values()), axis=0)
        assert np.all(frames[nobody] == 0)  # silence is digital silence
        overlapped += int(np.sum(clean & (sum(sounding.values()) >= 2)))
        assert len(audio) == round(meta["duration"] * RATE)
        checked += _pieces_are_their_sources(audio, meta, tones)
    assert overlapped > 0  # overlaps are in the audio and in the RTTM
    assert joined > 0  # and turns joined from several utterances
    assert checked > 10


def _pieces_are_their_sources(audio, meta, corpus) -> int:
    """Each piece nobody else talks over is its source file's audio from source_start on, scaled."""
    spans = [(t["onset"], t["onset"] + t["duration"]) for t in meta["turn_sources"]]
    checked = 0
    for i, turn in enumerate(meta["turn_sources"]):
        if any(a < spans[i][1] and spans[i][0] < b for j, (a, b) in enumerate(spans) if j != i):
            continue
        for piece in turn["pieces"]:
            a = round((turn["onset"] + piece["offset"]) * RATE)
            mine = audio[a:a + round(piece["duration"] * RATE)]
            source, _ = sf.read(corpus / (piece["source"].split(":", 1)[1] + ".wav"), dtype="float32",
                                start=round(piece["source_start"] * RATE), frames=len(mine))
            assert np.allclose(mine / np.abs(mine).max(), source / np.abs(source).max(), atol=1e-4)
            checked += 1
    return checked


def test_same_config_same_bytes_other_seed_other_bytes(tones, tmp_path):
    simulate(tones, tmp_path / "a")
    simulate(tones, tmp_path / "b")
    simulate(tones, tmp_path / "c", "seed=1")
    a, b, c = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert a == b and len(a) == 18
    assert a["audio/sim-000000.wav"] != c["audio/sim-000000.wav"]
    header = sf.info(tmp_path / "a" / "audio" / "sim-000000.wav")
    assert (header.samplerate, header.channels, header.subtype) == (16000, 1, "PCM_16")


def test_a_killed_run_resumes_to_the_same_bytes(tones, tmp_path, monkeypatch):
    simulate(tones, tmp_path / "whole")
    real_write = study.write_recording
    calls = []

    def crash_on_third(recording, out, cfg):
        calls.append(recording.recording_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_write(recording, out, cfg)

    monkeypatch.setattr(study, "write_recording", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        simulate(tones, tmp_path / "resumed")
    assert len(list((tmp_path / "resumed" / "meta").glob("*.json"))) == 2
    monkeypatch.setattr(study, "write_recording", real_write)
    first = (tmp_path / "resumed" / "audio" / "sim-000000.wav").stat().st_mtime_ns
    resumed = simulate(tones, tmp_path / "resumed")
    assert resumed.made == 4
    assert (tmp_path / "resumed" / "audio" / "sim-000000.wav").stat().st_mtime_ns == first
    assert files(tmp_path / "resumed") == files(tmp_path / "whole")
    assert not list((tmp_path / "resumed").rglob("*.tmp"))
    summary = json.loads((tmp_path / "resumed" / "simulation.json").read_text())
    assert summary["complete"] and summary["overall"]["recordings"] == 6


def test_a_larger_n_extends_and_another_config_is_refused(tones, tmp_path):
    simulate(tones, tmp_path / "six")
    simulate(tones, tmp_path / "grow", n=3)
    assert simulate(tones, tmp_path / "grow").made == 3
    assert files(tmp_path / "grow") == files(tmp_path / "six")
    with pytest.raises(InputError, match="different timing.overlap_probability"):
        simulate(tones, tmp_path / "grow", "timing.overlap_probability=0.2")
    with pytest.raises(InputError, match="beyond num_recordings"):
        simulate(tones, tmp_path / "grow", n=2)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a simulate output folder"):
        simulate(tones, tmp_path / "other")


def test_split_gives_disjoint_speakers_and_the_output_lists_them(tones, tmp_path):
    split = ["speakers.split={}", "speakers.held_out_fraction=0.5", "speakers.counts=[1,2]",
             "speakers.count_weights=[1,1]"]
    train = simulate(tones, tmp_path / "train", *[s.format("train") for s in split])
    test = simulate(tones, tmp_path / "test", *[s.format("held-out") for s in split])
    train_pool, test_pool = set(train.pool.speakers), set(test.pool.speakers)
    assert len(train_pool) == len(test_pool) == 2 and not train_pool & test_pool
    assert train_pool | test_pool == {f"tones:s{k}" for k in range(1, 5)}
    for sim in (train, test):
        used = set((sim.out / "speakers.txt").read_text().split())
        in_rttms = {t.speaker for p in (sim.out / "rttm").glob("*.rttm") for f in read_rttm(p).values() for t in f}
        assert used == in_rttms and used <= set(sim.pool.speakers)
        assert (sim.out / "speaker_pool.txt").read_text().split() == sim.pool.speakers


def test_speaker_lists_restrict_the_pool(tones, tmp_path):
    (tmp_path / "only.txt").write_text("# two of them\ntones:s1\ntones:s3\n")
    only = simulate(tones, tmp_path / "only", "speakers.include_file=" + str(tmp_path / "only.txt"),
                    "speakers.counts=[2]", "speakers.count_weights=[1]")
    assert only.pool.speakers == ["tones:s1", "tones:s3"]
    (tmp_path / "spare.txt").write_text("tones:s1\nsomeone:else\n")
    rest = simulate(tones, tmp_path / "rest", "speakers.exclude_file=" + str(tmp_path / "spare.txt"),
                    "speakers.counts=[3]", "speakers.count_weights=[1]")
    assert rest.pool.speakers == ["tones:s2", "tones:s3", "tones:s4"]
    (tmp_path / "typo.txt").write_text("tones:s1\ntones:s9\n")
    with pytest.raises(InputError, match=r"typo.txt:2: speaker 'tones:s9' is not in the corpora"):
        simulate(tones, tmp_path / "typo", "speakers.include_file=" + str(tmp_path / "typo.txt"))


def test_several_corpora_keep_speakers_apart(tones, tmp_path):
    other = write_tones(tmp_path / "more", speakers=("s1", "s5"), per_speaker=2)
    sim = simulate(tones, tmp_path / "both", f"corpora=['{tones}', '{other}']")
    assert sim.pool.speakers == ["more:s1", "more:s5", "tones:s1", "tones:s2", "tones:s3", "tones:s4"]
    twin = write_tones(tmp_path / "x" / "tones", speakers=("s1",), per_speaker=1)
    with pytest.raises(InputError, match="both named 'tones'"):
        simulate(tones, tmp_path / "twins", f"corpora=['{tones}', '{twin}']")
    named = simulate(tones, tmp_path / "named", f"corpora=['{tones}', '{twin}']", "names=[a, b]")
    assert named.pool.speakers == ["a:s1", "a:s2", "a:s3", "a:s4", "b:s1"]


def test_statistics_follow_the_config_over_many_recordings(tones, tmp_path):
    sim = simulate(tones, tmp_path / "many", "speakers.counts=[1,2,3]", "speakers.count_weights=[1,2,1]",
                   "timing.overlap_probability=0.0", "turns.source=utterance", "speakers.min_turns=8",
                   "speakers.max_turns=12", n=120)
    overall = json.loads((sim.out / "simulation.json").read_text())["overall"]
    shares = {k: v / 120 for k, v in overall["speakers_per_recording"].items()}
    assert shares == pytest.approx({"1": 0.25, "2": 0.5, "3": 0.25}, abs=0.09)
    assert overall["mean"]["same_speaker_pause"] == pytest.approx(1.0, rel=0.12)
    assert overall["mean"]["different_speaker_pause"] == pytest.approx(1.0, rel=0.12)
    assert overall["overlap_ratio"] == 0
    durations = [json.loads(p.read_text())["statistics"]["mean_turn"] for p in (sim.out / "meta").glob("*.json")]
    assert 0.6 < np.mean(durations) < 1.6  # whole utterances of 0.6, 1.1 and 1.6 s
    report = (sim.out / "report.md").read_text()
    assert "| share of 2-speaker recordings | 0.500 |" in report


def test_noise_at_the_drawn_snr(tones, tmp_path):
    clean = simulate(tones, tmp_path / "clean", "audio_format=float32", n=3)
    noisy = simulate(tones, tmp_path / "noisy", "audio_format=float32", "noise.kind=pink",
                     "noise.snr_db.kind=fixed", "noise.snr_db.mean=10", n=3)
    (tmp_path / "noises").mkdir()
    sf.write(tmp_path / "noises" / "hum.wav", np.random.default_rng(0).standard_normal(8000).astype(np.float32), RATE)
    folder = simulate(tones, tmp_path / "folder", "audio_format=float32", "noise.kind=folder",
                      f"noise.folder={tmp_path / 'noises'}", "noise.snr_db.kind=fixed", "noise.snr_db.mean=5", n=3)
    for sim, snr in ((noisy, 10.0), (folder, 5.0)):
        for row in sim.rows:
            meta = json.loads((sim.out / "meta" / f"{row['recording']}.json").read_text())
            assert meta["peak_scale"] == 1.0 and meta["snr_db"] == snr
            speech, _ = sf.read(clean.out / "audio" / f"{row['recording']}.wav")
            mixed, _ = sf.read(sim.out / "audio" / f"{row['recording']}.wav")
            mask = np.zeros(len(speech), bool)
            for turn in read_rttm(sim.out / "rttm" / f"{row['recording']}.rttm")[row["recording"]]:
                mask[round(turn.start * RATE):round(turn.end * RATE)] = True
            noise = mixed - speech
            measured = 10 * np.log10(np.mean(speech[mask] ** 2) / np.mean(noise ** 2))
            assert measured == pytest.approx(snr, abs=0.01)


@pytest.mark.parametrize("overrides, message", [
    (["timing.overlap_probability=2"], "timing.overlap_probability: must be a probability"),
    (["speakers.counts=[5]", "speakers.count_weights=[1]"], "asks for [5] speakers per recording, but the pool"),
    (["speakers.counts=[1,2]"], "speakers.counts: needs one weight per count"),
    (["turns.cut_duration.mean=0.1"], "turns.cut_duration: mean (0.1) must be above minimum"),
    (["speakers.split=held-out", "speakers.exclude_file={tones}/../all.txt"], "no speakers left"),
    (["sampling_rate=22050"], "sampling_rate: must be a multiple of 1000"),
    (["noise.kind=folder"], "noise.folder: is needed"),
])
def test_bad_input_is_refused_before_any_work(tones, tmp_path, overrides, message):
    (tones.parent / "all.txt").write_text("".join(f"tones:s{k}\n" for k in range(1, 5)))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        simulate(tones, tmp_path / "out", *[o.format(tones=tones) for o in overrides])
    assert not (tmp_path / "out").exists()


def test_a_corpus_without_speaker_labels_is_refused(tmp_path):
    write_tones(tmp_path / "c", speakers=("s1",), per_speaker=1)
    (tmp_path / "c" / "manifest.csv").write_text("path\ns1/0.wav\n")
    with pytest.raises(InputError, match="no speaker-labelled segments"):
        simulate(tmp_path / "c" / "manifest.csv", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_codecprobe_report_rerenders_the_simulation_report_without_computing(tones, tmp_path, monkeypatch):
    """Issue 17 item 1: simulation.json loads back into the same typed result, and `codecprobe report OUT`
    writes the same report.md from it, byte for byte, with the simulator switched off."""
    from codecprobe.cli.main import main
    from codecprobe.report.results import load_result
    from codecprobe.simulate import conversation, study

    sim = run_simulation(config(tones, n=2), tmp_path / "sim", progress=False)
    result = write_simulation_report(sim)
    assert load_result(sim.out) == result
    original = (sim.out / "report.md").read_bytes()
    (sim.out / "report.md").unlink()

    def no_computation(*args, **kwargs):
        raise AssertionError("codecprobe report must not simulate")

    monkeypatch.setattr(study, "simulate_recording", no_computation)
    monkeypatch.setattr(conversation, "simulate_recording", no_computation)
    assert main(["report", str(sim.out)]) == 0
    assert (sim.out / "report.md").read_bytes() == original
