"""Scoring back-ends: scikit-learn transformers whose output space is scored by cosine.

Each back-end is fitted on embeddings (and speaker labels) disjoint from the trials,
maps embeddings into its space with ``transform``, and scores trial pairs with
``score_trials(X, enroll, test)``: the cosine between rows ``enroll[i]`` and
``test[i]`` of ``X`` in that space (X is transformed once, however often a row is used).

========================  ====================================================================
``cosine``                raw cosine on the embeddings (seed 000/001, Step 0)
``center``                subtract the training mean, then cosine (= length-normalised dot)
``pca``                   center, PCA to k dims with whitening (seed 002's "PCA discovery")
``lda``                   center, LDA to at most n_speakers - 1 dims
``probe``                 Step 0.5: a linear layer dim -> n training speakers trained with
                          softmax cross-entropy; embeddings projected through its weights
``asnorm``                adaptive s-norm of another back-end's scores against a cohort
``plda``                  two-covariance PLDA, trials scored by the log-likelihood ratio
                          (:mod:`.plda`; it overrides ``score_trials``)
``weighted-sum``          SUPERB's learned softmax-weighted sum over all taps (:mod:`.heads`)
``pooling-head``          DASB's trained TDNN + attentive pooling + AAM-softmax head on the frames
========================  ====================================================================

The last two take frames, not pooled vectors (their ``input_kind``), and are trained with torch.

Why ``center`` matters: mean-pooled latents of a neural encoder share one large
direction, so raw cosines of all pairs crowd near 1 (an untrained Mimi gives ~0.99 for
same and different speakers alike) and a raw-cosine EER says little on its own.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils.validation import check_is_fitted, validate_data

from codecprobe.verify.heads import PoolingHead, WeightedLayerSum
from codecprobe.verify.plda import TwoCovariancePLDA


def length_normalize(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def cosine_pairs(X: np.ndarray, enroll: np.ndarray, test: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """``cos(X[enroll[i]], X[test[i]])`` for every i.

    Many trials over few embeddings (1M trials over 5,000 utterances) are cheapest as
    one float32 Gram matrix (a BLAS product) read at the trial indices; otherwise pairs
    are gathered ``chunk`` at a time in float64. The two agree to ~1e-7.
    """
    unit = length_normalize(np.asarray(X, dtype=np.float64))
    enroll, test = np.asarray(enroll), np.asarray(test)
    if len(unit) ** 2 <= min(32 * len(enroll), 1 << 28):
        unit32 = unit.astype(np.float32)
        return (unit32 @ unit32.T)[enroll, test].astype(np.float64)
    scores = np.empty(len(enroll), dtype=np.float64)
    for start in range(0, len(enroll), chunk):
        stop = start + chunk
        scores[start:stop] = np.einsum("ij,ij->i", unit[enroll[start:stop]], unit[test[start:stop]])
    return scores


class CosineBackend(TransformerMixin, BaseEstimator):
    """Shared by every back-end: cosine scoring of trial pairs in the transformed space."""

    def score_trials(self, X: np.ndarray, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
        return cosine_pairs(self.transform(X), enroll, test)


class RawCosine(CosineBackend):
    """No transform: cosine on the embeddings as they are."""

    def fit(self, X, y=None):
        validate_data(self, X)
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        return validate_data(self, X, reset=False, dtype=np.float64)


class CenterLengthNorm(CosineBackend):
    """Subtract the mean of the training embeddings; cosine then equals the length-normalised dot."""

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        check_is_fitted(self, "mean_")
        return validate_data(self, X, reset=False, dtype=np.float64) - self.mean_


class PCAWhitening(CosineBackend):
    """Center, project onto the top ``n_components`` principal axes and whiten.

    ``n_components`` is clipped to what the training set supports
    (``min(n_samples, n_features)``); the fitted value is ``n_components_``.
    """

    def __init__(self, n_components: int = 64):
        self.n_components = n_components

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self.n_components_ = int(min(self.n_components, *X.shape))
        self.pca_ = PCA(n_components=self.n_components_, whiten=True, svd_solver="full").fit(X)
        return self

    def transform(self, X):
        check_is_fitted(self, "pca_")
        return self.pca_.transform(validate_data(self, X, reset=False, dtype=np.float64))


class LDAProjection(CosineBackend):
    """Linear discriminant analysis (scikit-learn's, eigen solver with shrinkage) onto at most
    ``n_speakers - 1`` dimensions; ``shrinkage="auto"`` (Ledoit-Wolf) keeps it defined
    when there are fewer training utterances than dimensions."""

    def __init__(self, n_components: int | None = None, shrinkage: float | str | None = "auto"):
        self.n_components = n_components
        self.shrinkage = shrinkage

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.lda_ = LinearDiscriminantAnalysis(
            solver="eigen", shrinkage=self.shrinkage, n_components=self.n_components
        ).fit(X - self.mean_, y)
        return self

    def transform(self, X):
        check_is_fitted(self, "lda_")
        return self.lda_.transform(validate_data(self, X, reset=False, dtype=np.float64) - self.mean_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class LinearProbe(CosineBackend):
    """Step 0.5: one linear layer ``dim -> n_speakers`` trained with softmax cross-entropy.

    ``transform`` projects embeddings through the learned weight matrix (``W x``, without
    the bias) and trials are scored by cosine there. Inputs are standardised with the
    training mean and standard deviation first (``standardize=True``), which keeps the
    optimisation well conditioned on latents dominated by one shared direction; the map
    from embedding to projection stays affine. Trained full-data epochs of shuffled
    mini-batches with Adam, seeded; ``training_accuracy_`` is the accuracy of the fitted
    classifier on its own training set (the seeds report 79.6 %), ``loss_curve_`` the mean
    loss per epoch.
    """

    def __init__(self, max_epochs: int = 100, learning_rate: float = 1e-2, weight_decay: float = 1e-4,
                 batch_size: int = 1024, standardize: bool = True, seed: int = 0):
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.standardize = standardize
        self.seed = seed

    def fit(self, X, y):
        import torch

        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, targets = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"the linear probe needs at least 2 speakers; got {len(self.classes_)} class")
        self.mean_ = X.mean(axis=0) if self.standardize else np.zeros(X.shape[1])
        std = X.std(axis=0) if self.standardize else np.ones(X.shape[1])
        self.scale_ = np.where(std > 0, std, 1.0)
        inputs = torch.as_tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
        targets = torch.as_tensor(targets)

        generator = torch.Generator().manual_seed(self.seed)
        layer = torch.nn.Linear(X.shape[1], len(self.classes_))
        with torch.no_grad():  # seeded init independent of the global torch RNG
            bound = 1.0 / np.sqrt(X.shape[1])
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        optimizer = torch.optim.Adam(layer.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            order = torch.randperm(len(targets), generator=generator)
            total = 0.0
            for start in range(0, len(targets), self.batch_size):
                batch = order[start:start + self.batch_size]
                loss = torch.nn.functional.cross_entropy(layer(inputs[batch]), targets[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            self.loss_curve_.append(total / len(targets))
        with torch.no_grad():
            predicted = layer(inputs).argmax(dim=1)
        self.training_accuracy_ = float((predicted == targets).float().mean())
        self.coef_ = layer.weight.detach().double().numpy()
        self.intercept_ = layer.bias.detach().double().numpy()
        return self

    def transform(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return ((X - self.mean_) / self.scale_) @ self.coef_.T

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = False
        return tags


class AdaptiveSNorm(CosineBackend):
    """Adaptive symmetric score normalisation (AS-norm) of another back-end's cosines.

    The cohort is the training speakers' mean embeddings in the base back-end's space
    (as WeSpeaker does). A raw score ``s(e, t)`` becomes
    ``((s - mu_e) / sd_e + (s - mu_t) / sd_t) / 2`` where ``mu_e, sd_e`` are the mean and
    standard deviation of ``e``'s ``top_k`` highest cohort scores (likewise for ``t``).
    """

    def __init__(self, backend=None, top_k: int = 300):
        self.backend = backend
        self.top_k = top_k

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.backend_ = clone(self.backend if self.backend is not None else CenterLengthNorm()).fit(X, y)
        embedded = length_normalize(self.backend_.transform(X))
        speakers, index = np.unique(y, return_inverse=True)
        centroids = np.zeros((len(speakers), embedded.shape[1]))
        np.add.at(centroids, index, embedded)
        self.cohort_ = length_normalize(centroids)
        return self

    def transform(self, X):
        check_is_fitted(self, "backend_")
        return self.backend_.transform(X)

    def score_trials(self, X, enroll, test):
        embedded = length_normalize(self.transform(X))
        cohort_scores = embedded @ self.cohort_.T
        k = min(self.top_k, cohort_scores.shape[1])
        top = -np.sort(-cohort_scores, axis=1)[:, :k]
        mean, std = top.mean(axis=1), np.maximum(top.std(axis=1), 1e-12)
        enroll, test = np.asarray(enroll), np.asarray(test)
        raw = cosine_pairs(embedded, enroll, test)
        return 0.5 * ((raw - mean[enroll]) / std[enroll] + (raw - mean[test]) / std[test])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


BACKENDS = {
    "cosine": RawCosine,
    "center": CenterLengthNorm,
    "pca": PCAWhitening,
    "lda": LDAProjection,
    "probe": LinearProbe,
    "asnorm": AdaptiveSNorm,
    "plda": TwoCovariancePLDA,
    "weighted-sum": WeightedLayerSum,
    "pooling-head": PoolingHead,
}


def build_backend(name: str, **params):
    if name not in BACKENDS:
        raise ValueError(f"unknown back-end {name!r}; choose from {', '.join(BACKENDS)}")
    return BACKENDS[name](**params)

