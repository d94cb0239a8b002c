"""Trained speaker heads on frame sequences, scored by cosine between their utterance embeddings.

Two probes of the field, trained on the training speakers (torch, CPU, seeded):

* :class:`WeightedLayerSum` - SUPERB's protocol (s3prl's ``Featurizer`` + the speaker
  identification task): a softmax-weighted sum over all of an encoder's taps, learned jointly with
  a linear speaker classifier on the mean-pooled sum. The embedding is the pooled weighted sum,
  centred on the training mean; ``layer_weights_`` says which taps carry the speaker.
* :class:`PoolingHead` - the DASB protocol (a small ECAPA-like TDNN over the frames of one tap,
  attentive statistics pooling, a linear embedding, additive angular margin softmax): what a small
  trained head can read out of the frames, beyond what mean pooling keeps.

Inputs are per-segment frame arrays ``[frames, dim]``: a list of them for :class:`PoolingHead`,
a list (over segments) of lists (over taps) of them for :class:`WeightedLayerSum`. Neither fits
scikit-learn's ``check_estimator`` (it feeds 2-D arrays), but both follow its conventions.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted


def layer_norm(frames: np.ndarray) -> np.ndarray:
    """Each frame standardised over its channels (``F.layer_norm`` without affine parameters, eps 1e-5)."""
    frames = np.asarray(frames, dtype=np.float64)
    return (frames - frames.mean(axis=1, keepdims=True)) / np.sqrt(frames.var(axis=1, keepdims=True) + 1e-5)


def pool_taps(segments, normalize: bool = True) -> np.ndarray:
    """Per-segment lists of ``[frames, dim]`` per tap -> ``[segments, taps, dim]`` means over frames.

    A weighted sum over taps and the mean over frames commute, so training on these means is the
    same as weighting the frames and pooling after; ``normalize`` layer-normalises each frame first
    (per tap). Every tap must have the same width.
    """
    pooled = []
    for taps in segments:
        widths = {np.shape(frames)[1] for frames in taps}
        if len(widths) != 1:
            raise ValueError(f"a weighted sum needs taps of one width; got widths {sorted(widths)}")
        pooled.append([(layer_norm(f) if normalize else np.asarray(f, dtype=np.float64)).mean(axis=0) for f in taps])
    return np.asarray(pooled, dtype=np.float64)


def _seeded_init(module, generator) -> None:
    """Re-draw every weight from a seeded generator (uniform +-1/sqrt(fan-in)) and zero the biases, so the start
    does not depend on torch's global RNG; batch-norm scales stay 1."""
    import torch

    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.endswith("bias"):
                parameter.zero_()
            elif parameter.dim() > 1:
                fan_in = parameter[0].numel()
                parameter.uniform_(-1 / np.sqrt(fan_in), 1 / np.sqrt(fan_in), generator=generator)


class WeightedLayerSum(BaseEstimator):
    """SUPERB's learned weighted sum over taps, trained with a linear speaker classifier (cross-entropy, Adam).

    ``fit(segments, y)`` takes per-segment lists of per-tap ``[frames, dim]`` arrays (or their
    :func:`pool_taps` means, ``[segments, taps, dim]``). ``transform`` gives the weighted sum of the
    pooled taps minus its training mean; ``score_trials`` the cosine between those.
    """

    input_kind = "taps"  # what codecprobe verify feeds it (see codecprobe.verify.study.input_kind)

    def __init__(self, layer_norm: bool = True, max_epochs: int = 200, learning_rate: float = 1e-2,
                 weight_decay: float = 1e-4, batch_size: int = 256, seed: int = 0):
        self.layer_norm = layer_norm
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.seed = seed

    def _pooled(self, segments) -> np.ndarray:
        return segments if isinstance(segments, np.ndarray) else pool_taps(segments, self.layer_norm)

    def fit(self, segments, y):
        import torch

        pooled = self._pooled(segments)
        self.classes_, targets = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"the weighted sum needs at least 2 training speakers; got {len(self.classes_)}")
        self.n_taps_ = pooled.shape[1]
        inputs = torch.as_tensor(pooled, dtype=torch.float32)
        targets = torch.as_tensor(targets)
        generator = torch.Generator().manual_seed(self.seed)
        logits_of_taps = torch.nn.Parameter(torch.zeros(self.n_taps_))  # s3prl starts from equal weights
        classifier = torch.nn.Linear(pooled.shape[2], len(self.classes_))
        _seeded_init(classifier, generator)
        optimizer = torch.optim.Adam([logits_of_taps, *classifier.parameters()], lr=self.learning_rate,
                                     weight_decay=self.weight_decay)
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            order = torch.randperm(len(targets), generator=generator)
            total = 0.0
            for start in range(0, len(targets), self.batch_size):
                batch = order[start:start + self.batch_size]
                summed = torch.einsum("l,bld->bd", torch.softmax(logits_of_taps, 0), inputs[batch])
                loss = torch.nn.functional.cross_entropy(classifier(summed), targets[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            self.loss_curve_.append(total / len(targets))
        self.layer_weights_ = torch.softmax(logits_of_taps.detach(), 0).double().numpy()
        self.mean_ = (self.layer_weights_[None, :, None] * pooled).sum(axis=1).mean(axis=0)
        return self

    def transform(self, segments) -> np.ndarray:
        check_is_fitted(self, "layer_weights_")
        pooled = self._pooled(segments)
        if pooled.shape[1] != self.n_taps_:
            raise ValueError(f"fitted on {self.n_taps_} taps, got {pooled.shape[1]}")
        return (self.layer_weights_[None, :, None] * pooled).sum(axis=1) - self.mean_

    def score_trials(self, segments, enroll, test) -> np.ndarray:
        from codecprobe.verify.backends import cosine_pairs

        return cosine_pairs(self.transform(segments), enroll, test)


class PoolingHead(BaseEstimator):
    """DASB-style trained head: TDNN -> (attentive) statistics pooling -> linear embedding, AAM-softmax.

    Frames are standardised per channel with training statistics, then three 1-D convolutions of
    ``channels`` channels (kernel 5; kernel 3 dilation 2; kernel 3 dilation 3; ReLU and batch norm
    after each, as an x-vector / small ECAPA-TDNN), attentive statistics pooling (ECAPA's
    channel-wise attention; ``attentive=False``: plain mean and standard deviation), a linear layer
    to ``embedding_dim`` with batch norm, and an additive angular margin softmax (ArcFace /
    AAM-softmax: the target logit ``scale * cos(theta + margin)``) over the training speakers.
    Trained on random crops of ``crop_frames`` frames (shorter segments are repeated to fill the
    crop, as WeSpeaker does) for ``max_epochs`` passes over the training segments with Adam, seeded.
    Evaluation embeds each whole segment; trials are scored by cosine. ``loss_curve_`` holds the
    mean loss per epoch.
    """

    input_kind = "frames"

    def __init__(self, channels: int = 128, embedding_dim: int = 128, attentive: bool = True, margin: float = 0.2,
                 scale: float = 30.0, crop_frames: int = 200, max_epochs: int = 40, batch_size: int = 32,
                 learning_rate: float = 1e-3, weight_decay: float = 1e-4, seed: int = 0):
        self.channels = channels
        self.embedding_dim = embedding_dim
        self.attentive = attentive
        self.margin = margin
        self.scale = scale
        self.crop_frames = crop_frames
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.seed = seed

    def fit(self, segments, y):
        import torch

        segments = [np.asarray(f, dtype=np.float32) for f in segments]
        self.classes_, targets = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"the pooling head needs at least 2 training speakers; got {len(self.classes_)}")
        stacked = np.concatenate(segments)
        self.mean_, std = stacked.mean(axis=0), stacked.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0).astype(np.float32)
        generator = torch.Generator().manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.model_ = _TDNN(stacked.shape[1], self.channels, self.embedding_dim, self.attentive)
        classes = torch.nn.Parameter(torch.empty(len(self.classes_), self.embedding_dim))
        torch.nn.init.xavier_uniform_(classes, generator=generator)
        _seeded_init(self.model_, generator)
        optimizer = torch.optim.Adam([*self.model_.parameters(), classes], lr=self.learning_rate,
                                     weight_decay=self.weight_decay)
        targets = torch.as_tensor(targets)
        self.model_.train()
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            order = rng.permutation(len(segments))
            total = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                if len(batch) < 2:  # batch norm needs two examples
                    continue
                crops = torch.as_tensor(np.stack([self._standardize(_crop(segments[i], self.crop_frames, rng))
                                                  for i in batch]))
                loss = _aam_softmax_loss(self.model_(crops.transpose(1, 2)), classes, targets[batch],
                                         self.margin, self.scale)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            self.loss_curve_.append(total / len(order))
        self.model_.eval()
        return self

    def _standardize(self, frames: np.ndarray) -> np.ndarray:
        return (frames - self.mean_) / self.scale_

    def transform(self, segments) -> np.ndarray:
        import torch

        check_is_fitted(self, "model_")
        with torch.no_grad():
            return np.stack([self.model_(torch.as_tensor(self._standardize(np.asarray(f, dtype=np.float32)).T[None]))
                             [0].double().numpy() for f in segments])

    def score_trials(self, segments, enroll, test) -> np.ndarray:
        from codecprobe.verify.backends import cosine_pairs

        return cosine_pairs(self.transform(segments), enroll, test)


def _crop(frames: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A random window of ``length`` frames; a shorter segment is repeated to fill it."""
    if len(frames) < length:
        frames = np.tile(frames, (int(np.ceil(length / len(frames))), 1))
    start = int(rng.integers(0, len(frames) - length + 1))
    return frames[start:start + length]


def _aam_softmax_loss(embeddings, classes, targets, margin: float, scale: float):
    """Additive angular margin softmax (Deng et al. 2019), as WeSpeaker and SpeechBrain implement it: the margin
    is added to the target angle where ``theta + margin < pi``, elsewhere the target cosine is lowered by
    ``margin * sin(margin)`` so the logit keeps falling with theta."""
    import torch

    cosine = torch.nn.functional.normalize(embeddings) @ torch.nn.functional.normalize(classes).T
    sine = torch.sqrt((1.0 - cosine ** 2).clamp(0.0, 1.0))
    with_margin = cosine * np.cos(margin) - sine * np.sin(margin)
    with_margin = torch.where(cosine > np.cos(np.pi - margin), with_margin, cosine - np.sin(np.pi - margin) * margin)
    one_hot = torch.nn.functional.one_hot(targets, cosine.shape[1]).bool()
    logits = scale * torch.where(one_hot, with_margin, cosine)
    return torch.nn.functional.cross_entropy(logits, targets)


def _TDNN(dim: int, channels: int, embedding_dim: int, attentive: bool):
    """The small TDNN of :class:`PoolingHead`: ``[batch, dim, frames]`` -> ``[batch, embedding_dim]``."""
    import torch
    from torch import nn

    class StatisticsPooling(nn.Module):
        """Mean and standard deviation over frames, weighted by ECAPA's channel-wise attention when ``attentive``."""

        def __init__(self):
            super().__init__()
            self.attention = nn.Sequential(nn.Conv1d(channels, 64, 1), nn.Tanh(), nn.Conv1d(64, channels, 1)) \
                if attentive else None

        def forward(self, x):
            if self.attention is None:
                weights = torch.full_like(x, 1.0 / x.shape[2])
            else:
                weights = torch.softmax(self.attention(x), dim=2)
            mean = (weights * x).sum(dim=2)
            var = (weights * x ** 2).sum(dim=2) - mean ** 2
            return torch.cat([mean, torch.sqrt(var.clamp(min=1e-6))], dim=1)

    def block(inputs, kernel, dilation):
        return [nn.Conv1d(inputs, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2),
                nn.ReLU(), nn.BatchNorm1d(channels)]

    return nn.Sequential(*block(dim, 5, 1), *block(channels, 3, 2), *block(channels, 3, 3), StatisticsPooling(),
                         nn.Linear(2 * channels, embedding_dim), nn.BatchNorm1d(embedding_dim))
