"""The output distributions of seed 004's Tier 1 Exp 1: a von Mises-Fisher direction and a
LogNormal magnitude for the next-latent step ``x = r u`` (``r = |x|``, ``u = x / r``).

The vMF density on the unit sphere in ``d`` dimensions is ``C_d(kappa) exp(kappa mu . u)`` with
``log C_d(kappa) = v log kappa - (d/2) log(2 pi) - log I_v(kappa)``, ``v = d/2 - 1``. The modified
Bessel function is the hard part: for Mimi's ``d = 512`` (``v = 255``), ``I_v(kappa)`` is below
1e-308 for every ``kappa`` under ~60, so even scipy's exponentially scaled ``ive`` underflows to
0 and ``log`` returns ``-inf``. :func:`log_bessel_iv` therefore switches between three forms,
each used where it is exact to double precision:

- the power series ``v log(kappa/2) - lgamma(v+1) + log1p(kappa^2 / (4 (v+1)))`` for tiny
  ``kappa`` (its next term is below 1e-16 relative there, and it gives ``log I_v(0)``);
- ``log(ive(v, kappa)) + kappa`` where ``ive`` is a normal float (scipy's AMOS routine);
- the uniform asymptotic (Debye) expansion of ``I_v(v z)`` to four terms where ``ive``
  underflows, which only happens for large orders (``v`` > ~60, relative error ~``v^-5``).

The tests compare all three with ``mpmath.besseli`` at 50 digits for ``d`` = 3, 64 and 512 and
``kappa`` from 1e-6 to 1e5. Sampling is Wood's (1994) rejection algorithm; fitting is
maximum likelihood (``kappa`` solves ``A_d(kappa) = |mean of u|``). :func:`torch_log_bessel_iv`
makes the same values differentiable in ``kappa`` for a model that predicts it.
"""
from __future__ import annotations

import numpy as np
from scipy import special

_SMALL = 1e-8  # series when kappa^2 / 4 < _SMALL * (v + 1): its next term is < 1e-16 relative
_TINY = 1e-290  # ive below this has lost precision (subnormal range starts at 2.2e-308)


def log_bessel_iv(order, kappa) -> np.ndarray:
    """``log I_order(kappa)`` for ``order >= 0``, ``kappa >= 0`` (broadcast, float64).

    >>> round(float(log_bessel_iv(0.5, 2.0) - np.log(np.sqrt(2 / (np.pi * 2.0)) * np.sinh(2.0))), 12)  # closed form
    0.0
    >>> bool(np.isfinite(log_bessel_iv(255, 1.0)))  # ive(255, 1) underflows to 0
    True
    """
    v, k = np.broadcast_arrays(np.asarray(order, dtype=np.float64), np.asarray(kappa, dtype=np.float64))
    out = np.empty(v.shape)
    q = k * k / 4
    small = q < _SMALL * (v + 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0): -inf, and 0 * -inf for I_0(0), set below
        out[small] = (v[small] * np.log(k[small] / 2) - special.gammaln(v[small] + 1)
                      + np.log1p(q[small] / (v[small] + 1)))
    out[small & (k == 0) & (v == 0)] = 0.0
    rest = ~small
    scaled = special.ive(v[rest], k[rest])
    usable = scaled > _TINY
    values = np.empty(scaled.shape)
    values[usable] = np.log(scaled[usable]) + k[rest][usable]
    values[~usable] = _debye(v[rest][~usable], k[rest][~usable])
    out[rest] = values
    return out if out.ndim else out[()]


def _debye(v: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Uniform asymptotic expansion of ``log I_v(v z)`` (DLMF 10.41.3, terms u_1..u_4 of 10.41.10)."""
    z = kappa / v
    root = np.sqrt(1 + z * z)
    p = 1 / root
    eta = root + np.log(z / (1 + root))
    u1 = (3 * p - 5 * p ** 3) / 24
    u2 = (81 * p ** 2 - 462 * p ** 4 + 385 * p ** 6) / 1152
    u3 = (30375 * p ** 3 - 369603 * p ** 5 + 765765 * p ** 7 - 425425 * p ** 9) / 414720
    u4 = (4465125 * p ** 4 - 94121676 * p ** 6 + 349922430 * p ** 8 - 446185740 * p ** 10
          + 185910725 * p ** 12) / 39813120
    series = 1 + u1 / v + u2 / v ** 2 + u3 / v ** 3 + u4 / v ** 4
    return -0.5 * np.log(2 * np.pi * v) - 0.25 * np.log1p(z * z) + v * eta + np.log(series)


# -- von Mises-Fisher ---------------------------------------------------------------------
def vmf_log_normaliser(dim: int, kappa) -> np.ndarray:
    """``log C_d(kappa)``; at ``kappa = 0`` the uniform density ``-log(area of the sphere)``.

    >>> k = 3.0  # d = 3: C = kappa / (4 pi sinh kappa)
    >>> round(float(vmf_log_normaliser(3, k) - np.log(k / (4 * np.pi * np.sinh(k)))), 12)
    0.0
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    v = dim / 2 - 1
    uniform = special.gammaln(dim / 2) - np.log(2) - dim / 2 * np.log(np.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = v * np.log(kappa) - dim / 2 * np.log(2 * np.pi) - log_bessel_iv(v, kappa)
    return np.where(kappa > 0, value, uniform)


def vmf_log_pdf(x: np.ndarray, mu: np.ndarray, kappa: float) -> np.ndarray:
    """Log-density of unit vectors ``x [..., d]`` under vMF(``mu``, ``kappa``) (surface measure)."""
    x = np.asarray(x, dtype=np.float64)
    return vmf_log_normaliser(x.shape[-1], kappa) + kappa * (x @ np.asarray(mu, dtype=np.float64))


def vmf_mean_resultant(dim: int, kappa) -> np.ndarray:
    """``A_d(kappa) = I_{d/2}(kappa) / I_{d/2-1}(kappa)``: the expected ``mu . u``."""
    return np.exp(log_bessel_iv(dim / 2, kappa) - log_bessel_iv(dim / 2 - 1, kappa))


def vmf_sample(mu: np.ndarray, kappa: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws from vMF(``mu``, ``kappa``): Wood's (1994) rejection sampler for ``w = mu . u``,
    a uniform direction orthogonal to ``mu``, and a Householder reflection from e1 onto ``mu``."""
    mu = np.asarray(mu, dtype=np.float64) / np.linalg.norm(mu)
    d = len(mu)
    b = (d - 1) / (2 * kappa + np.sqrt(4 * kappa * kappa + (d - 1) ** 2))  # Wood's b, without cancellation
    x0 = (1 - b) / (1 + b)
    c = kappa * x0 + (d - 1) * np.log(1 - x0 * x0)
    w = np.empty(0)
    while len(w) < n:
        m = 2 * (n - len(w)) + 16
        z = rng.beta((d - 1) / 2, (d - 1) / 2, m)
        candidate = (1 - (1 + b) * z) / (1 - (1 - b) * z)
        accept = kappa * candidate + (d - 1) * np.log(1 - x0 * candidate) - c >= np.log(rng.uniform(size=m))
        w = np.concatenate([w, candidate[accept]])
    w = w[:n]
    tangent = rng.standard_normal((n, d - 1))
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    samples = np.concatenate([w[:, None], np.sqrt(np.maximum(1 - w * w, 0))[:, None] * tangent], axis=1)
    e1 = np.zeros(d)
    e1[0] = 1
    u = e1 - mu
    if np.linalg.norm(u) < 1e-12:
        return samples
    u /= np.linalg.norm(u)
    return samples - 2 * np.outer(samples @ u, u)


def vmf_fit(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum-likelihood ``(mu, kappa)`` of unit vectors ``x [n, d]``.

    ``mu`` is the mean direction; ``kappa`` solves ``A_d(kappa) = R``, ``R`` the mean resultant
    length (Brent's method, bracketing around Banerjee et al.'s approximation).
    """
    from scipy.optimize import brentq

    x = np.asarray(x, dtype=np.float64)
    d = x.shape[1]
    mean = x.mean(axis=0)
    r = float(np.linalg.norm(mean))
    mu = mean / r
    if r < 1e-12:
        return mu, 0.0
    guess = r * (d - r * r) / (1 - r * r)
    low, high = guess / 4, guess * 4 + 1
    while vmf_mean_resultant(d, low) > r:
        low /= 4
    while vmf_mean_resultant(d, high) < r:
        high *= 4
    return mu, float(brentq(lambda k: vmf_mean_resultant(d, k) - r, low, high, xtol=1e-12, rtol=1e-12))


# -- LogNormal magnitude and the joint density --------------------------------------------
def lognormal_log_pdf(r: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Log-density of ``r > 0`` when ``log r ~ Normal(mu, sigma^2)``."""
    log_r = np.log(np.asarray(r, dtype=np.float64))
    return -log_r - np.log(sigma) - 0.5 * np.log(2 * np.pi) - (log_r - mu) ** 2 / (2 * sigma ** 2)


def lognormal_fit(r: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood ``(mu, sigma)``: the mean and (population) deviation of ``log r``."""
    log_r = np.log(np.asarray(r, dtype=np.float64))
    return float(log_r.mean()), float(log_r.std())


def direction_magnitude_log_pdf(x: np.ndarray, mu: np.ndarray, kappa: float, log_mean: float,
                                log_sigma: float) -> np.ndarray:
    """Log-density in R^d of ``x = r u`` with ``u ~ vMF(mu, kappa)`` and ``r ~ LogNormal``,
    comparable with a Gaussian's: the polar volume element adds ``-(d - 1) log r``."""
    x = np.asarray(x, dtype=np.float64)
    r = np.linalg.norm(x, axis=-1)
    u = x / r[..., None]
    return (vmf_log_pdf(u, mu, kappa) + lognormal_log_pdf(r, log_mean, log_sigma)
            - (x.shape[-1] - 1) * np.log(r))


# -- differentiable in kappa --------------------------------------------------------------
def torch_log_bessel_iv(order: float, kappa):
    """``log I_order(kappa)`` for a torch tensor ``kappa``, differentiable in ``kappa``:
    ``d/dkappa log I_v = I_{v+1} / I_v + v / kappa`` (DLMF 10.29.2), from the same three forms."""
    import torch

    class _LogBesselIv(torch.autograd.Function):
        @staticmethod
        def forward(ctx, k):
            ctx.save_for_backward(k)
            values = log_bessel_iv(order, k.detach().cpu().double().numpy())
            return torch.as_tensor(values, dtype=k.dtype, device=k.device)

        @staticmethod
        def backward(ctx, grad):
            (k,) = ctx.saved_tensors
            kk = k.detach().cpu().double().numpy()
            with np.errstate(divide="ignore"):
                slope = np.exp(log_bessel_iv(order + 1, kk) - log_bessel_iv(order, kk)) + order / kk
            return grad * torch.as_tensor(slope, dtype=k.dtype, device=k.device)

    return _LogBesselIv.apply(kappa)
