"""Two-covariance PLDA scored by the log-likelihood ratio (the Kaldi / WeSpeaker back-end).

Model (Brümmer & de Villiers 2010; Sizov, Lee & Kinnunen 2014): an embedding ``x`` of speaker
``s`` is ``x = mu + y_s + e`` with the speaker variable ``y_s ~ N(0, B)`` shared by all of the
speaker's embeddings and ``e ~ N(0, W)`` drawn afresh for each. ``B`` (between-speaker) and
``W`` (within-speaker) are fitted by EM on training speakers, starting from the between- and
within-class scatter:

* E-step, per speaker with ``n`` embeddings summing to ``f``: the posterior of ``y_s + mu`` has
  precision ``L = B^-1 + n W^-1`` and mean ``m = L^-1 (B^-1 mu + W^-1 f)``;
* M-step: ``mu`` = mean of the ``m``; ``B`` = mean of ``(m - mu)(m - mu)' + L^-1``;
  ``W`` = mean over embeddings of ``(x - m)(x - m)' + L^-1``.

A trial ``(x1, x2)`` scores ``log N([x1; x2]; [mu; mu], [[B+W, B], [B, B+W]]) -
log N(x1; mu, B+W) - log N(x2; mu, B+W)``: same speaker against different speakers. It is
computed in the basis that makes ``W = I`` and ``B = diag(psi)`` (as Kaldi's ``Plda`` does),
where it is a sum over dimensions of one-dimensional Gaussian log densities.

As in Kaldi's recipes (``ivector-compute-lda``, then ``ivector-normalize-length``, then
``ivector-compute-plda``), embeddings are centred and reduced by LDA to at most ``n_components``
dims and at most speakers - 1 (``reduction="pca"``: PCA whitening, to at most segments minus
speakers), then length-normalised to radius ``sqrt(dim)`` (Garcia-Romero & Espy-Wilson 2011:
length normalisation makes the embeddings closer to Gaussian; not in one dim, where it would
leave only the sign). Beyond speakers - 1 dims the
between-speaker covariance cannot be estimated from the training speakers' means, and PCA
whitening close to the within-speaker rank makes ``W`` nearly singular: on 5 training speakers,
GE2E embeddings PCA-whitened to 45 dims give an EER near 40 %, LDA to 4 dims near 13 %.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import eigh
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted, validate_data


class TwoCovariancePLDA(TransformerMixin, BaseEstimator):
    """Two-covariance PLDA; ``score_trials`` returns log-likelihood ratios (natural log).

    ``transform`` maps embeddings into the model's basis (preprocessed, centred on ``mu``,
    within-speaker covariance the identity, between-speaker covariance ``diag(psi_)``).
    ``reduction="none", length_norm=False`` fits the model on the embeddings as they are
    (``mean_``, ``between_covariance_`` and ``within_covariance_`` are then in input space).
    """

    def __init__(self, n_components: int | None = 64, reduction: str = "lda", length_norm: bool = True,
                 n_iter: int = 10):
        self.n_components = n_components
        self.reduction = reduction
        self.length_norm = length_norm
        self.n_iter = n_iter

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        _, speaker = np.unique(y, return_inverse=True)
        if speaker.max() < 1:
            raise ValueError("PLDA needs at least 2 training speakers; got 1")
        n_speakers = speaker.max() + 1
        wanted = self.n_components or X.shape[1]
        if self.reduction == "lda":
            from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

            self.reducer_ = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto",
                                                       n_components=int(min(wanted, n_speakers - 1, X.shape[1])))
            self.center_ = X.mean(axis=0)  # scikit-learn's eigen-solver LDA does not centre in transform
            self.reducer_.fit(X - self.center_, speaker)
        elif self.reduction == "pca":
            n = int(min(wanted, X.shape[0] - n_speakers, X.shape[1]))  # the within-speaker scatter's rank
            if n < 1:
                raise ValueError(f"PLDA needs more training segments than speakers; got {X.shape[0]} segments of "
                                 f"{n_speakers} speakers")
            self.reducer_ = PCA(n_components=n, whiten=True, svd_solver="full").fit(X)
        elif self.reduction != "none":
            raise ValueError(f"reduction must be 'lda', 'pca' or 'none', got {self.reduction!r}")
        X = self._preprocess(X)
        self.mean_, self.between_covariance_, self.within_covariance_ = _fit_two_covariance(X, speaker, self.n_iter)
        try:  # simultaneous diagonalisation: V' W V = I, V' B V = diag(psi)
            self.psi_, self.projection_ = eigh(self.between_covariance_, self.within_covariance_)
        except np.linalg.LinAlgError:
            raise ValueError(f"PLDA: the within-speaker covariance of {X.shape[1]} dims is singular on "
                             f"{len(X)} training segments of {speaker.max() + 1} speakers; reduce to fewer "
                             "dims (n_components)") from None
        return self

    def _preprocess(self, X: np.ndarray) -> np.ndarray:
        if self.reduction == "lda":
            X = self.reducer_.transform(X - self.center_)
        elif self.reduction == "pca":
            X = self.reducer_.transform(X)
        if self.length_norm and X.shape[1] > 1:  # in one dim it would leave only the sign
            norms = np.linalg.norm(X, axis=1, keepdims=True)
            X = np.sqrt(X.shape[1]) * X / np.where(norms > 0, norms, 1.0)
        return X

    def transform(self, X):
        check_is_fitted(self, "projection_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return (self._preprocess(X) - self.mean_) @ self.projection_

    def score_trials(self, X, enroll, test) -> np.ndarray:
        """Log-likelihood ratio, same speaker against different speakers, of each trial pair."""
        U = self.transform(X)
        u1, u2 = U[np.asarray(enroll)], U[np.asarray(test)]
        psi = np.maximum(self.psi_, 0.0)
        # given x1, x2 | same ~ N(psi/(1+psi) x1, 1 + psi/(1+psi)); | different ~ N(0, 1 + psi)
        same_var = 1.0 + psi / (1.0 + psi)
        diff_var = 1.0 + psi
        same = -0.5 * (np.log(same_var) + (u2 - psi / (1.0 + psi) * u1) ** 2 / same_var)
        diff = -0.5 * (np.log(diff_var) + u2 ** 2 / diff_var)
        return (same - diff).sum(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _fit_two_covariance(X: np.ndarray, speaker: np.ndarray, n_iter: int):
    """EM for ``mu, B, W`` (see the module docstring); speakers with equal counts share one posterior covariance."""
    dim = X.shape[1]
    counts = np.bincount(speaker)
    sums = np.zeros((len(counts), dim))
    np.add.at(sums, speaker, X)
    means = sums / counts[:, None]
    mu = means.mean(axis=0)
    between = np.cov(means, rowvar=False, bias=True).reshape(dim, dim)
    residual = X - means[speaker]
    within = residual.T @ residual / len(X)
    # keeps both invertible when speakers < dim or one speaker's embeddings coincide
    ridge = 1e-6 * max(np.trace(np.cov(X, rowvar=False, bias=True).reshape(dim, dim)) / dim, 1e-12) * np.eye(dim)
    between, within = between + ridge, within + ridge
    for _ in range(n_iter):
        b_inv, w_inv = np.linalg.inv(between), np.linalg.inv(within)
        post_mean = np.empty_like(means)
        post_cov = np.empty((len(counts), dim, dim))
        for n in np.unique(counts):
            who = counts == n
            cov = np.linalg.inv(b_inv + n * w_inv)
            post_cov[who] = cov
            post_mean[who] = (b_inv @ mu + sums[who] @ w_inv) @ cov  # cov and w_inv are symmetric
        mu = post_mean.mean(axis=0)
        centred = post_mean - mu
        between = (centred.T @ centred + post_cov.sum(axis=0)) / len(counts)
        residual = X - post_mean[speaker]
        within = (residual.T @ residual + np.einsum("s,sij->ij", counts, post_cov)) / len(X)
    return mu, between, within
