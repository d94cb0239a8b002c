"""The next-latent heads against direct density computations, and the items they train on."""
import numpy as np
import pytest
import torch

from codecprobe.encoders import EncoderIdentity
from codecprobe.nextlatent.data import StepWindows
from codecprobe.nextlatent.distributions import direction_magnitude_log_pdf
from codecprobe.nextlatent.model import GaussianHead, NextLatentModule, VmfLogNormalHead
from codecprobe.store import LatentStore
from codecprobe.store.latent_store import NewEntry
from codecprobe.train import TapSource, build_bank


def test_gaussian_head_nll_is_the_diagonal_normal_log_density():
    rng = torch.Generator().manual_seed(0)
    params = {"mean": torch.randn(5, 3, generator=rng), "log_variance": torch.randn(5, 3, generator=rng)}
    x = torch.randn(5, 3, generator=rng)
    expected = -torch.distributions.Normal(params["mean"], torch.exp(0.5 * params["log_variance"])).log_prob(x).sum(-1)
    torch.testing.assert_close(GaussianHead.nll(params, x), expected)


@pytest.mark.parametrize("dim", [3, 64, 512])
def test_vmf_head_nll_is_the_direction_magnitude_density(dim):
    rng = np.random.default_rng(dim)
    direction = rng.standard_normal((4, dim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    kappa, log_mean, log_sigma = np.array([0.5, 5.0, 80.0, 900.0]), rng.normal(size=4), rng.normal(-0.5, 0.3, 4)
    x = rng.standard_normal((4, dim)) * 0.3
    params = {"direction": torch.tensor(direction), "kappa": torch.tensor(kappa, requires_grad=True),
              "log_mean": torch.tensor(log_mean), "log_sigma": torch.tensor(log_sigma)}
    nll = VmfLogNormalHead.nll(params, torch.tensor(x))
    expected = [-direction_magnitude_log_pdf(x[i], direction[i], kappa[i], log_mean[i], np.exp(log_sigma[i]))
                for i in range(4)]
    np.testing.assert_allclose(nll.detach().numpy(), expected, rtol=1e-9)
    nll.sum().backward()
    assert torch.isfinite(params["kappa"].grad).all() and (params["kappa"].grad != 0).all()


def test_module_embeds_the_key_and_learns():
    torch.manual_seed(0)
    model = {"hidden": 16, "layers": 1, "dropout": 0.0, "key_dims": 4, "log_kappa": [-2.0, 12.0],
             "log_sigma": [-5.0, 2.0], "log_variance": [-12.0, 6.0]}
    module = NextLatentModule(model, dim=2, window=3, lag=1, head="gaussian", keys=5)
    batch = {"context": torch.randn(64, 3, 2), "key": torch.randint(0, 5, (64,))}
    batch["target"] = torch.nn.functional.one_hot(batch["key"], 5)[:, :2].float() * 3  # the key decides the step
    optimiser = torch.optim.Adam(module.parameters(), lr=0.05)
    before = module.nll(batch).mean().item()
    for _ in range(150):
        optimiser.zero_grad()
        module.nll(batch).mean().backward()
        optimiser.step()
    assert module.nll(batch).mean().item() < before - 5


def test_items_are_z_scored_contexts_and_the_step_after_the_anchor(tmp_path):
    identity = EncoderIdentity("ramp", "none", True, {})
    frames = {"a": np.arange(12, dtype=np.float32)[:, None] * [1.0, 10.0], "b": np.ones((4, 2), np.float32)}
    with LatentStore(tmp_path / "store") as store:
        store.put_many(identity, [NewEntry(k, "x", "f", v, 10.0) for k, v in frames.items()])
        bank = build_bank(store, [("a", 12), ("b", 4)], [TapSource(identity, "x")], 10.0, progress=False)
    keys = {0: np.arange(100, 107), 1: np.zeros(0, int)}
    items = StepWindows(bank, [0, 1], window=4, lag=2, mean=np.array([1.0, 0.0]), std=np.array([2.0, 10.0]),
                        keys=keys)
    assert len(items) == 7  # a: t = 3..9; b: too short
    first, last = items[0], items[6]
    np.testing.assert_allclose(first["context"].numpy(), [[-0.5, 0], [0, 1], [0.5, 2], [1, 3]])  # frames 0..3
    np.testing.assert_allclose(first["target"].numpy(), [1.0, 2.0])  # (z[5] - z[3]) / std
    np.testing.assert_allclose(last["context"].numpy()[-1], [4.0, 9.0])  # anchor t = 9
    assert (first["key"].item(), last["key"].item()) == (100, 106)
