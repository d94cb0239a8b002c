"""Training losses of the diarization adapter (definitions: ``../shared/DIARIZATION.md``).

With P the sigmoid outputs (frames x S slots) and Y the 0/1 reference zero-padded to S
speakers, all losses are binary cross-entropies averaged over a window's valid frames
and its S slots, then over the windows of a batch (each window weighs the same, so the
mean over a batch equals the mean of its shards' means: DDP-exact):

- **PIT** (permutation-invariant, EEND): min over slot-to-speaker assignments of
  BCE(P, Y[:, assignment]). The BCE of an assignment is a sum over (slot, speaker)
  pairs, so the minimum over all S! permutations is a linear assignment problem, solved
  exactly by the Hungarian algorithm (scipy) on the detached cost; the gradient flows
  through the chosen pairs only, as in NeMo and pyannote (which choose without gradient).
- **Sort** (Sortformer, arXiv 2409.06656): speakers sorted by arrival (first frame with
  Y >= 0.5; never: last), slot k trained on the k-th to arrive; ties (speakers who start
  in the same frame, absent speakers) are broken by the best match, as above.
- **Hybrid**: ``sort_weight * sort + pit_weight * PIT`` (NeMo: 0.5 / 0.5).
- **Powerset** (Plaquet & Bredin 2023): classes are the speaker subsets of size <= M;
  the reference is permuted to best match the outputs' speaker marginals (Hungarian on
  their BCE, no gradient through the choice), encoded as one class per frame, and scored
  by the negative log-likelihood of a log-softmax head.
"""
from __future__ import annotations

import itertools

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment


def pair_costs(log_p: torch.Tensor, log_not_p: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, S, R]``: BCE of output slot s against reference speaker r, averaged over each window's valid frames.

    ``log_p``/``log_not_p``: ``[B, T, S]`` log P and log(1 - P); ``targets``: ``[B, T, R]``;
    ``mask``: ``[B, T]`` (1 = a real frame, 0 = padding past the recording's end).
    """
    mask = mask.to(log_p.dtype)
    frames = mask.sum(dim=1).clamp(min=1.0)
    hits = torch.einsum("bts,btr->bsr", log_p * mask[..., None], targets)
    misses = torch.einsum("bts,btr->bsr", log_not_p * mask[..., None], 1.0 - targets)
    return -(hits + misses) / frames[:, None, None]


def _assigned_mean(costs: torch.Tensor, assignment: list[np.ndarray]) -> torch.Tensor:
    """Mean over windows of the mean cost of each window's (slot -> speaker) ``assignment``."""
    slots = torch.arange(costs.shape[1], device=costs.device)
    chosen = torch.stack([costs[b, slots, torch.as_tensor(a, device=costs.device)] for b, a in enumerate(assignment)])
    return chosen.mean()


def best_assignment(costs: np.ndarray) -> np.ndarray:
    """Speaker index for each slot minimising the summed cost (``costs``: ``[S, R]``, S <= R)."""
    slots, speakers = linear_sum_assignment(costs)
    assignment = np.empty(costs.shape[0], dtype=np.int64)
    assignment[slots] = speakers
    return assignment


def pit_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Permutation-invariant BCE of sigmoid ``logits`` ``[B, T, S]`` against ``targets`` ``[B, T, S]``."""
    costs = pair_costs(F.logsigmoid(logits), F.logsigmoid(-logits), targets, mask)
    detached = costs.detach().cpu().numpy()
    return _assigned_mean(costs, [best_assignment(c) for c in detached])


def arrival_assignment(costs: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Slot k -> the k-th speaker to arrive; speakers arriving in the same frame (absent ones too)
    share their slots by best match (``costs`` ``[S, S]``, ``targets`` ``[T, S]``, ``mask`` ``[T]``)."""
    active = (targets >= 0.5) & (mask[:, None] > 0)
    frames = len(targets)
    arrival = np.where(active.any(axis=0), active.argmax(axis=0), frames)
    order = np.argsort(arrival, kind="stable")
    assignment = np.empty(len(order), dtype=np.int64)
    for _, group in itertools.groupby(range(len(order)), key=lambda slot: arrival[order[slot]]):
        slots = list(group)
        speakers = order[slots]
        assignment[slots] = speakers[best_assignment(costs[np.ix_(slots, speakers)])]
    return assignment


def sort_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """BCE with output slot k trained on the k-th speaker to arrive (Sortformer's sort loss)."""
    costs = pair_costs(F.logsigmoid(logits), F.logsigmoid(-logits), targets, mask)
    detached = costs.detach().cpu().numpy()
    y, m = targets.detach().cpu().numpy(), mask.detach().cpu().numpy()
    return _assigned_mean(costs, [arrival_assignment(detached[b], y[b], m[b]) for b in range(len(detached))])


def hybrid_loss(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, sort_weight: float = 0.5,
                pit_weight: float = 0.5) -> torch.Tensor:
    return sort_weight * sort_loss(logits, targets, mask) + pit_weight * pit_loss(logits, targets, mask)


class Powerset:
    """The powerset classes of ``speakers`` slots with at most ``max_active`` at once.

    Class 0 is silence, then single speakers, then pairs... in ``itertools.combinations``
    order. A frame with more than ``max_active`` speakers is encoded as the first class
    with the most of them (pyannote's rule).

    >>> ps = Powerset(4, 2)
    >>> ps.num_classes, ps.classes[:6]
    (11, [(), (0,), (1,), (2,), (3,), (0, 1)])
    >>> y = torch.tensor([[0, 0, 0, 0], [0, 1, 0, 1], [1, 1, 1, 0]], dtype=torch.float32)
    >>> ps.encode(y).tolist(), ps.decode(ps.encode(y)).tolist()[2]
    ([0, 9, 5], [1.0, 1.0, 0.0, 0.0])
    """

    def __init__(self, speakers: int, max_active: int):
        self.speakers, self.max_active = speakers, max_active
        self.classes = [subset for size in range(max_active + 1)
                        for subset in itertools.combinations(range(speakers), size)]
        self.mapping = torch.zeros(len(self.classes), speakers)
        for index, subset in enumerate(self.classes):
            self.mapping[index, list(subset)] = 1.0
        masks = torch.tensor([[(m >> s) & 1 for s in range(speakers)] for m in range(2 ** speakers)],
                             dtype=torch.float32)
        self._class_of_mask = torch.argmax(masks @ self.mapping.T - 1e-3 * self.mapping.sum(dim=1), dim=1)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def encode(self, multilabel: torch.Tensor) -> torch.Tensor:
        """``[..., S]`` 0/1 activity -> ``[...]`` class indices."""
        bits = 2 ** torch.arange(self.speakers, device=multilabel.device)
        masks = ((multilabel >= 0.5).long() * bits).sum(dim=-1)
        return self._class_of_mask.to(multilabel.device)[masks]

    def decode(self, classes: torch.Tensor) -> torch.Tensor:
        """``[...]`` class indices -> ``[..., S]`` 0/1 activity."""
        return self.mapping.to(classes.device)[classes]

    def marginals(self, log_probs: torch.Tensor) -> torch.Tensor:
        """``[..., C]`` class log-probabilities -> ``[..., S]`` probability that each slot speaks."""
        return log_probs.exp() @ self.mapping.to(log_probs.device)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Permutation-invariant NLL of powerset ``logits`` ``[B, T, C]`` against ``targets`` ``[B, T, S]``."""
        log_probs = F.log_softmax(logits, dim=-1)
        with torch.no_grad():
            p = self.marginals(log_probs).clamp(1e-6, 1 - 1e-6)
            costs = pair_costs(p.log(), (1 - p).log(), targets, mask).cpu().numpy()
        permuted = torch.stack([targets[b][:, torch.as_tensor(best_assignment(c), device=targets.device)]
                                for b, c in enumerate(costs)])
        nll = -log_probs.gather(-1, self.encode(permuted)[..., None])[..., 0]
        weights = mask.to(nll.dtype)
        return ((nll * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)).mean()
