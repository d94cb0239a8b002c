"""Issue 20 item 2: several encoders in one verify / diagnose run, one table across them (each encoder beside
its untrained control, the ceilings marked), EER against tap and against kbps, and --seeds N for the seeded
back-ends (mean and std over the seeds, checked against the single-seed runs)."""
import numpy as np
import pytest

from codecprobe.cli.main import build_parser, main
from codecprobe.encoders import register
from codecprobe.encoders.spec import EncoderSpec
from codecprobe.verify.config import PoolingHeadConfig, ProbeConfig, StudyConfig
from codecprobe.verify.study import backend_seeds, run_verify, verify, write_verify
from tests.fakes import write_pitch_corpus
from tests.verify.test_study import TinyNet

SPEAKERS = {"ann": 220.0, "bob": 330.0, "cat": 440.0, "dan": 550.0, "eve": 260.0, "fay": 390.0, "gus": 480.0,
            "hal": 610.0}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """8 speakers x 3 half-second tones plus noise: 4 speakers fitted on, 4 evaluated (66 trials)."""
    return write_pitch_corpus(tmp_path_factory.mktemp("corpus"), SPEAKERS, per_speaker=3)


class TinyCodec(TinyNet):
    """TinyNet as a codec: a latent and two 'quantizer' taps (1 and 2 kbps), the second the first halved."""

    name = "verify-tinycodec"
    taps = ("latent", "quant1", "quant2")
    default_taps = ("latent",)

    def bitrate_kbps(self, tap):
        return float(tap[len("quant"):]) if tap.startswith("quant") else None

    def encode_batch(self, audios, taps):
        out = super().encode_batch(audios, ["proj"])
        return [{tap: self.frames(frames["proj"].frames * (0.5 if tap == "quant2" else 1.0) + (tap == "quant1"),
                                  200.0, tap) for tap in taps} for frames in out]


register("verify-tinycodec")(TinyCodec)
TINY_HEAD = PoolingHeadConfig(channels=8, embedding_dim=4, crop_frames=20, max_epochs=2)


def study(corpus_dir, tmp_path, **changes) -> StudyConfig:
    settings = {"corpus": str(corpus_dir), "store": str(tmp_path / "store"), "train_fraction": 0.5,
                "encoders": [EncoderSpec("verify-tinycodec", ["latent", "quant1", "quant2"]), EncoderSpec("mfcc")],
                "ceilings": [EncoderSpec("framestats", ["energy"])], "backends": ["cosine", "center"]}
    return StudyConfig(**settings | changes)


def test_several_encoders_give_one_table_with_controls_beside_and_the_ceiling_marked(corpus_dir, tmp_path):
    import tests.fakes  # noqa: F401  (registers framestats)

    out = tmp_path / "out"
    result = verify(study(corpus_dir, tmp_path), out, progress=False)
    keys = [(r.encoder, r.role, r.tap, r.backend) for r in result.results]
    assert keys == [(encoder, role, tap, backend)
                    for encoder, roles, taps in [("verify-tinycodec", ("encoder", "control"), ("latent", "quant1", "quant2")),
                                                 ("mfcc", ("encoder",), ("mfcc",)),
                                                 ("framestats", ("ceiling",), ("energy",))]
                    for role in roles for tap in taps for backend in ("cosine", "center")]
    control = {(r.tap, r.backend): r.eer for r in result.results if r.role == "control"}
    for record in result.results:
        if record.encoder == "verify-tinycodec" and record.role == "encoder":
            assert record.control_eer == control[(record.tap, record.backend)] and record.against_control
        else:
            assert record.control_eer is None  # mfcc has no weights, a ceiling no control
    assert [(e.kind, e.encoder.encoder, e.control is not None, e.kbps) for e in result.encoders] == [
        ("encoder", "verify-tinycodec", True, {"quant1": 1.0, "quant2": 2.0}), ("encoder", "mfcc", False, {}),
        ("ceiling", "framestats", False, {})]

    text = (out / "report.md").read_text()
    assert text.startswith("# Speaker verification: verify-tinycodec, mfcc on corpus")
    table = text[text.index("| role | weights | tap | kbps |"):].split("\n\n")[0].splitlines()[2:]
    assert len(table) == len([r for r in result.results if r.role != "control"])  # controls beside, not below
    quant2 = next(r for r in result.results if r.role == "encoder" and r.tap == "quant2" and r.backend == "center")
    row = next(line for line in table if "| quant2 | 2 | center |" in line)
    assert f"| {quant2.control_eer:.2f} | {quant2.eer - quant2.control_eer:+.2f} |" in row
    assert any(line.startswith("| ceiling |") and "| energy |  | cosine |" in line for line in table)
    assert "## Every row" in text and "| control |" in text
    assert {"det.png", "scores.png", "sweep.png", "kbps.png"} <= {p.name for p in out.iterdir()}


def test_a_random_init_encoder_is_labelled_untrained_in_the_plots(corpus_dir, tmp_path, monkeypatch):
    from codecprobe.verify import figures

    labels = {}
    save = figures.save_figure

    def inspect(fig, path, **options):
        labels[path.name] = [line.get_label() for ax in fig.axes for line in ax.lines]
        return save(fig, path, **options)

    monkeypatch.setattr(figures, "save_figure", inspect)
    config = study(corpus_dir, tmp_path, backends=["cosine"], ceilings=[],
                   encoders=[EncoderSpec("verify-tinycodec", ["latent", "quant1"], random_init=True)])
    write_verify(run_verify(config, progress=False), tmp_path / "out")
    for name in ("sweep.png", "kbps.png"):
        assert "verify-tinycodec cosine (UNTRAINED)" in labels[name]


def test_kbps_plot_has_only_taps_with_a_bitrate_and_the_ceilings_level(corpus_dir, tmp_path, monkeypatch):
    import tests.fakes  # noqa: F401
    from codecprobe.verify import figures

    drawn = {}
    save = figures.save_figure

    def inspect(fig, path, **options):
        (ax,) = [ax for ax in fig.axes if ax.get_visible()] if path.name in ("kbps.png", "sweep.png") else [None]
        if ax is not None:
            drawn[path.name] = {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()), line.get_linestyle())
                                for line in ax.lines}
            drawn[path.name + " axes"] = (ax.get_xlabel(), ax.get_ylabel())
        return save(fig, path, **options)

    monkeypatch.setattr(figures, "save_figure", inspect)
    result = run_verify(study(corpus_dir, tmp_path, backends=["center"]), progress=False)
    write_verify(result, tmp_path / "out")
    eer = {(r.role, r.identity.encoder, r.tap): r.eer for r in result.rows}
    lines = drawn["kbps.png"]
    assert lines["verify-tinycodec center"][:2] == ([1.0, 2.0], [eer[("encoder", "verify-tinycodec", "quant1")],
                                                                  eer[("encoder", "verify-tinycodec", "quant2")]])
    assert lines["verify-tinycodec center (control)"][2] == "--"
    assert "mfcc center" not in lines  # no tap with a bitrate
    assert lines["ceiling framestats:energy center"][1] == [eer[("ceiling", "framestats", "energy")]] * 2
    assert drawn["kbps.png axes"] == ("bitrate (kbps)", "EER (%)")
    sweep = drawn["sweep.png"]
    assert sweep["verify-tinycodec center"][0] == [0, 1, 2] and sweep["mfcc center"][0] == [3]  # taps in order
    assert "ceiling framestats:energy center" in sweep and "chance (50)" in sweep
    assert drawn["sweep.png axes"] == ("tap", "EER (%)")

    result = run_verify(study(corpus_dir, tmp_path, backends=["center"], encoders=[EncoderSpec("mfcc")]),
                        progress=False)
    assert "kbps.png" not in write_verify(result, tmp_path / "plain").figures


def test_seeds_give_the_mean_and_spread_of_the_single_seed_runs(corpus_dir, tmp_path):
    """--seeds 3 refits the pooling head with seeds 0, 1 and 2: its EER is the mean of the three runs with one seed
    each (backend_seed 0, 1, 2), their spread is kept; the deterministic back-end is fitted once."""
    def run(**changes):
        config = study(corpus_dir, tmp_path, encoders=[EncoderSpec("verify-tinynet")], ceilings=[], control=False,
                       backends=["center", "pooling-head"], pooling_head=TINY_HEAD, **changes)
        return {r.backend: r for r in run_verify(config, progress=False).rows}

    repeated = run(seeds=3)
    single = [run(backend_seed=seed)["pooling-head"] for seed in range(3)]
    head = repeated["pooling-head"]
    assert head.eer_seeds == pytest.approx([r.eer for r in single], rel=1e-12)
    assert head.eer == pytest.approx(np.mean([r.eer for r in single]), rel=1e-12)
    assert np.std(head.eer_seeds, ddof=1) > 0  # the seeds matter on this data
    assert head.min_dcf == pytest.approx({p: np.mean([r.min_dcf[p] for r in single]) for p in head.min_dcf})
    np.testing.assert_array_equal(head.scores, single[0].scores)  # the rest is the first seed's
    record = head.to_dict()
    assert record["eer_std"] == pytest.approx(np.std([r.eer for r in single], ddof=1), rel=1e-12)
    assert set(record["min_dcf_std"]) == {"0.01", "0.05"}
    center = repeated["center"].to_dict()
    assert (center["eer_seeds"], center["eer_std"], center["min_dcf_std"]) == ([repeated["center"].eer], None, None)


def test_only_seeded_backends_are_repeated():
    config = StudyConfig(seeds=3, backend_seed=5)
    assert {name: backend_seeds(name, config, repeat=True) for name in ("cosine", "center", "plda", "probe",
                                                                        "weighted-sum", "pooling-head")} == {
        "cosine": [5], "center": [5], "plda": [5], "probe": [5, 6, 7], "weighted-sum": [5, 6, 7],
        "pooling-head": [5, 6, 7]}
    assert backend_seeds("probe", config, repeat=False) == [5]  # diagnose


def test_seeds_and_several_encoders_reload_and_rerender(corpus_dir, tmp_path, monkeypatch):
    import tests.fakes  # noqa: F401
    from codecprobe.report.results import load_result
    from codecprobe.verify import study as studies

    out = tmp_path / "out"
    result = verify(study(corpus_dir, tmp_path, backends=["center", "probe"], seeds=2,
                          probe=ProbeConfig(max_epochs=5)), out, progress=False)
    assert all(len(r.eer_seeds) == (2 if r.backend == "probe" else 1) for r in result.results)
    text = (out / "report.md").read_text()
    assert " ± " in text and "fitted 2 times (seeds 0..1)" in text
    assert load_result(out) == result
    original = (out / "report.md").read_bytes()
    (out / "report.md").unlink()
    monkeypatch.setattr(studies, "_run", lambda *a, **k: pytest.fail("codecprobe report must not compute"))
    assert main(["report", str(out)]) == 0
    assert (out / "report.md").read_bytes() == original


def test_diagnose_takes_several_encoders(corpus_dir, tmp_path):
    import tests.fakes  # noqa: F401
    from codecprobe.verify.study import diagnose

    result = diagnose(study(corpus_dir, tmp_path, backends=["center"]), tmp_path / "out", progress=False)
    assert [(r.encoder, r.role) for r in result.results] == [
        ("verify-tinycodec", "encoder")] * 3 + [("verify-tinycodec", "control")] * 3 + [("mfcc", "encoder"),
                                                                                       ("framestats", "ceiling")]
    assert {"sweep_separability.png", "fisher.png"} <= set(result.figures)


def test_the_command_line_names_the_encoders_the_ceilings_and_the_seeds(tmp_path):
    from codecprobe.cli.verify import config_from_args

    def config(*options):
        return config_from_args(build_parser().parse_args(["verify", "--corpus", "c", "--out", "o", *options]))

    defaults = config("--encoder", "mfcc")
    assert defaults.encoders == [EncoderSpec("mfcc")] and defaults.seeds == 1
    assert defaults.ceilings == [EncoderSpec("campplus", ["embedding"]), EncoderSpec("ge2e", ["utterance"])]
    given = config("--encoder", "lyra", "--tap", "latent", "--also", "mfcc", "mimi:seanet,prequant", "--ceiling",
                   "ge2e:utterance", "--seeds", "3")
    assert given.encoders == [EncoderSpec("lyra", ["latent"]), EncoderSpec("mfcc"),
                              EncoderSpec("mimi", ["seanet", "prequant"])]
    assert (given.ceilings, given.seeds) == ([EncoderSpec("ge2e", ["utterance"])], 3)
    assert config("--encoder", "mfcc", "--no-ceilings").ceilings == []
    path = tmp_path / "study.yaml"
    path.write_text("encoders: [{encoder: lyra, taps: [latent]}, {encoder: mfcc}]\nseeds: 2\n")
    from_file = config("--config", str(path), "--tap", "quant16", "--also", "ge2e")
    assert from_file.encoders == [EncoderSpec("lyra", ["quant16"]), EncoderSpec("mfcc"), EncoderSpec("ge2e")]
    assert from_file.seeds == 2


@pytest.mark.parametrize("options, error", [
    (["--also", "nosuch"], "unknown encoder 'nosuch'"),
    (["--also", "mfcc:nosuch"], "encoder 'mfcc' has no tap(s) nosuch (--tap)"),
    (["--also", ":mfcc"], "--also ':mfcc': expected NAME[:TAP,...]"),
    (["--ceiling", "framestats:energy", "framestats"], "ceilings: an encoder listed twice"),
    (["--also", "verify-tinynet"], "encoders: verify-tinynet listed twice"),
    (["--seeds", "0"], "seeds (--seeds) must be >= 1, got 0"),
], ids=["unknown-encoder", "unknown-tap", "no-name", "ceiling-twice", "encoder-twice", "no-seeds"])
def test_bad_specs_are_refused_in_one_line_before_any_work(corpus_dir, tmp_path, capsys, options, error):
    import tests.fakes  # noqa: F401

    assert main(["verify", "--corpus", str(corpus_dir), "--encoder", "verify-tinynet", "--store", str(tmp_path / "s"),
                 "--out", str(tmp_path / "o"), "--quiet", *options]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and error in lines[0]
    assert not (tmp_path / "s" / "shards").exists() or not any((tmp_path / "s" / "shards").iterdir())


def test_the_codecs_recipe_is_a_valid_config():
    """recipes/verify/codecs.yaml (the table in docs/verify.md): Lyra's latent and three bitrates with its control,
    MFCC, the two ceilings, the three probes, 3 seeds, fitted and evaluated on disjoint corpora."""
    from codecprobe.config import load_config
    from tests.conftest import REPO_ROOT

    config = load_config(StudyConfig, REPO_ROOT / "recipes" / "verify" / "codecs.yaml")
    config.check()
    assert config.encoders == [EncoderSpec("lyra", ["latent", "quant16", "quant30", "quant46"]), EncoderSpec("mfcc")]
    assert config.ceilings == StudyConfig().ceilings and config.control
    assert (config.backends, config.seeds) == (["cosine", "weighted-sum", "pooling-head"], 3)
    assert config.corpus.startswith("../shared/data/") and config.train_corpus.startswith("../shared/data/")
