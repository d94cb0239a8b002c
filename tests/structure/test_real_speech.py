"""``codecprobe structure`` on real speech (``../shared/data``) with a trained codec (Lyra, ``../shared/models``):
its permuted-weights control runs beside it, says so everywhere, and the random-key baseline of every
scheme comes out at 1 on both roles (on real latents, not only on generated ones)."""
import json

import pytest

from codecprobe.cli.main import main

SMALL = ["--set", "bootstrap=50", "--set", "fit_frames=4000", "--set", "min_cluster_size=20", "--set",
         "schemes=[{name: mean_vq16, kind: mean_vq, clusters: 16}, {name: pca4_quartile, kind: pca_bins, pca_dims: 4}]"]


@pytest.mark.slow
def test_lyra_and_its_permuted_control_on_real_speech(shared_data, lyra_weights, tmp_path, capsys):
    corpus = shared_data / "vctk-autovc"  # 4 speakers x 10 utterances, 4.8 min
    out = tmp_path / "out"
    assert main(["structure", "--corpus", str(corpus), "--encoder", "lyra", "--weights", str(lyra_weights),
                 "--train-fraction", "0.75", "--lags", "1", "--store", str(tmp_path / "store"), "--out", str(out),
                 "--quiet", *SMALL]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("lyra:latent [dir:")
    assert lines[1].startswith("lyra:latent [permuted:seed=0:dir:") and "UNTRAINED control: weights randomly permuted" in lines[1]

    decision = json.loads((out / "decision.json").read_text())
    encoder, control = decision["runs"]
    assert (encoder["trained"], control["trained"]) == (True, False)
    assert encoder["control_decision"] == control["decision"]
    for run in (encoder, control):
        for scheme in run["schemes"]:
            criteria = {c["name"]: c for c in scheme["criteria"]}
            for side in ("train", "eval"):
                baseline = criteria[f"random_baseline_{side}"]
                assert baseline["passed"], (run["weights_id"], scheme["scheme"], baseline)
    assert "UNTRAINED control" in (out / "report.md").read_text()
