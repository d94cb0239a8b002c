"""The losses against their definitions, computed the slow way on hand-made cases."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from codecprobe.adapter.losses import Powerset, hybrid_loss, pit_loss, sort_loss


def bce(logits, targets, mask):
    """BCE averaged over valid frames and slots, per window, then over windows (the losses' convention)."""
    per_frame = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(dim=-1)
    return torch.stack([per_frame[b][mask[b]].mean() for b in range(len(logits))]).mean()


def case(seed=0, batch=3, frames=7, slots=4):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, frames, slots, generator=g) * 2
    targets = (torch.rand(batch, frames, slots, generator=g) > 0.6).float()
    mask = torch.ones(batch, frames, dtype=torch.bool)
    mask[1, 5:] = False  # a window that ends inside the recording's padding
    return logits, targets, mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pit_equals_the_best_of_all_permutations(seed):
    logits, targets, mask = case(seed)
    best = [min(bce(logits[b:b + 1], targets[b:b + 1][..., list(p)], mask[b:b + 1]).item()
                for p in itertools.permutations(range(4))) for b in range(len(logits))]
    assert pit_loss(logits, targets, mask).item() == pytest.approx(np.mean(best), abs=1e-6)


def test_pit_ignores_the_order_of_reference_speakers_and_passes_gradient_through_the_choice_only():
    logits, targets, mask = case(3)
    logits.requires_grad_(True)
    loss = pit_loss(logits, targets, mask)
    assert pit_loss(logits, targets[..., [2, 0, 3, 1]], mask).item() == pytest.approx(loss.item(), abs=1e-7)
    loss.backward()
    assert torch.all(logits.grad[1, 5:] == 0)  # padding frames get no gradient


def test_sort_loss_trains_slot_k_on_the_k_th_speaker_to_arrive():
    # speakers (columns) arrive at frames 3, 0, 5; the fourth never speaks
    targets = torch.zeros(1, 8, 4)
    targets[0, 3:6, 0] = 1
    targets[0, 0:4, 1] = 1
    targets[0, 5:8, 2] = 1
    mask = torch.ones(1, 8, dtype=torch.bool)
    logits = torch.randn(1, 8, 4, generator=torch.Generator().manual_seed(0))
    sorted_targets = targets[..., [1, 0, 2, 3]]  # by first activity
    assert sort_loss(logits, targets, mask).item() == pytest.approx(bce(logits, sorted_targets, mask).item(), abs=1e-6)
    # a model whose slots follow arrival order beats one with the same outputs in another order under the
    # sort loss; the permutation-invariant loss cannot tell them apart
    ordered = 8 * (2 * sorted_targets - 1)
    shuffled = ordered[..., [2, 0, 1, 3]]
    assert sort_loss(ordered, targets, mask) < 0.01 < sort_loss(shuffled, targets, mask)
    assert pit_loss(ordered, targets, mask).item() == pytest.approx(pit_loss(shuffled, targets, mask).item())


def test_sort_loss_breaks_ties_by_the_best_match():
    targets = torch.zeros(1, 6, 4)
    targets[0, 1:4, 0] = 1
    targets[0, 1:6, 1] = 1  # both start at frame 1: a tie
    mask = torch.ones(1, 6, dtype=torch.bool)
    logits = 8 * (2 * targets[..., [1, 0, 2, 3]] - 1)  # slots 0/1 hold them in the other order
    expected = min(bce(logits, targets[..., list(p)], mask) for p in ([0, 1, 2, 3], [1, 0, 2, 3]))
    assert sort_loss(logits, targets, mask).item() == pytest.approx(expected.item(), abs=1e-6)
    assert sort_loss(logits, targets, mask) < 0.01


def test_hybrid_weights_its_parts():
    logits, targets, mask = case(4)
    expected = 0.3 * sort_loss(logits, targets, mask) + 0.7 * pit_loss(logits, targets, mask)
    assert hybrid_loss(logits, targets, mask, 0.3, 0.7).item() == pytest.approx(expected.item(), abs=1e-7)


def test_powerset_round_trips_every_activity_it_can_hold():
    powerset = Powerset(4, 2)
    assert powerset.num_classes == 11  # 1 + 4 + 6 (DIARIZATION.md: K = 4, M = 2)
    rows = torch.tensor([[(m >> s) & 1 for s in range(4)] for m in range(16)], dtype=torch.float32)
    representable = rows.sum(dim=1) <= 2
    decoded = powerset.decode(powerset.encode(rows))
    assert torch.equal(decoded[representable], rows[representable])
    assert sorted(powerset.encode(rows[representable]).tolist()) == list(range(11))
    # three speakers at once keep two of them (the first pair in class order)
    assert powerset.decode(powerset.encode(torch.tensor([[0., 1, 1, 1]]))).tolist() == [[0, 1, 1, 0]]


def test_powerset_loss_is_the_nll_of_the_best_matching_speaker_order():
    powerset = Powerset(3, 2)
    targets = torch.tensor([[[1., 0, 0], [1, 1, 0], [0, 0, 0], [0, 0, 1]]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    permuted = targets[..., [2, 0, 1]]
    logits = 10 * F.one_hot(powerset.encode(permuted), powerset.num_classes).float()
    expected = F.cross_entropy(logits[0], powerset.encode(permuted)[0])
    assert powerset.loss(logits, targets, mask).item() == pytest.approx(expected.item(), abs=1e-6)
    assert powerset.loss(logits, targets, mask).item() < 1e-3


def test_a_powerset_adapter_trains_and_predicts_per_speaker_marginals():
    from codecprobe.adapter.config import AdapterConfig
    from codecprobe.adapter.module import DiarizationModule
    from dataclasses import asdict

    adapter = asdict(AdapterConfig(d_model=16, layers=1, heads=2, feedforward=32, head="powerset", loss="pit"))
    module = DiarizationModule(adapter, [{"dim": 5, "trained": True}], {"rate": 12.5, "input_rate": 12.5,
                                                                      "window_frames": 9})
    features, mask = torch.randn(3, 9, 5), torch.ones(3, 9, dtype=torch.bool)
    targets = (torch.rand(3, 9, 4) > 0.7).float()
    logits = module(features, mask)
    assert logits.shape == (3, 9, 11)
    module.loss(logits, targets, mask).backward()
    assert module.adapter.head.weight.grad.abs().sum() > 0
    marginals = module.predict(features.numpy())
    assert marginals.shape == (3, 9, 4) and (marginals >= 0).all() and (marginals.sum(axis=-1) <= 2 + 1e-5).all()
    assert (module.activity(features, mask).sum(dim=-1) <= 2).all()  # decoded classes: at most 2 speakers
