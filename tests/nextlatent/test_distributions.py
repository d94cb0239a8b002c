"""Tier 1 Exp 1's distributions: log I_v against mpmath at 50 digits (d up to 512, kappa 1e-6..1e5),
vMF and LogNormal densities against direct computations, and maximum likelihood recovering the
parameters of sampled data."""
import mpmath
import numpy as np
import pytest
from scipy import integrate, stats

from codecprobe.nextlatent.distributions import (direction_magnitude_log_pdf, lognormal_fit, lognormal_log_pdf,
                                                log_bessel_iv, torch_log_bessel_iv, vmf_fit, vmf_log_normaliser,
                                                vmf_log_pdf, vmf_mean_resultant, vmf_sample)

KAPPAS = [0.0, 1e-6, 1e-3, 0.1, 1.0, 10.0, 60.0, 300.0, 1e3, 1e4, 1e5]


def mp_log_iv(order: float, kappa: float) -> float:
    with mpmath.workdps(50):
        return float(mpmath.log(mpmath.besseli(order, kappa))) if kappa > 0 else (0.0 if order == 0 else -np.inf)


@pytest.mark.parametrize("dim", [2, 3, 64, 512, 513])
def test_log_bessel_matches_mpmath_where_scipy_underflows(dim):
    order = dim / 2 - 1
    values = log_bessel_iv(order, np.array(KAPPAS))
    for kappa, value in zip(KAPPAS, values):
        expected = mp_log_iv(order, kappa)
        if np.isinf(expected):
            assert value == expected
        else:
            assert value == pytest.approx(expected, rel=1e-13, abs=1e-12), (dim, kappa)
    if dim == 512:
        from scipy.special import ive
        assert ive(255, 1.0) == 0.0  # the naive route gives log(0) here; ours is finite and exact
        assert np.isfinite(values[1:]).all()


def test_vmf_normaliser_matches_closed_forms_and_is_continuous_at_zero():
    for kappa in (1e-3, 0.5, 7.0, 400.0):
        assert vmf_log_normaliser(3, kappa) == pytest.approx(np.log(kappa / (4 * np.pi * np.sinh(kappa)))
                                                             if kappa < 300 else
                                                             np.log(kappa / (2 * np.pi)) - kappa, rel=1e-12)
        assert vmf_log_normaliser(2, kappa) == pytest.approx(-np.log(2 * np.pi) - mp_log_iv(0, kappa), rel=1e-12)
    for dim in (3, 64, 512):
        sphere = np.log(2) + dim / 2 * np.log(np.pi) - float(mpmath.loggamma(dim / 2))
        assert vmf_log_normaliser(dim, 0.0) == pytest.approx(-sphere, rel=1e-13)
        assert vmf_log_normaliser(dim, 1e-9) == pytest.approx(-sphere, abs=1e-9)


def test_vmf_density_integrates_to_one_on_the_sphere():
    mu = np.array([0.0, 0.6, 0.8])
    kappa = 12.0

    def density(theta, phi):
        x = np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
        return np.exp(vmf_log_pdf(x, mu, kappa)) * np.sin(theta)

    total, _ = integrate.dblquad(density, 0, 2 * np.pi, 0, np.pi, epsabs=1e-10)
    assert total == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("dim,kappa,n", [(3, 5.0, 20000), (64, 50.0, 20000), (512, 500.0, 5000)])
def test_maximum_likelihood_recovers_sampled_parameters(dim, kappa, n):
    rng = np.random.default_rng(dim)
    mu = rng.standard_normal(dim)
    mu /= np.linalg.norm(mu)
    x = vmf_sample(mu, kappa, n, rng)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-12)
    cosine = x @ mu
    # Wood's sampler: E[mu . u] = A_d(kappa); the sample mean within 4 standard errors
    assert abs(cosine.mean() - vmf_mean_resultant(dim, kappa)) < 4 * cosine.std() / np.sqrt(n)
    mu_hat, kappa_hat = vmf_fit(x)
    assert mu_hat @ mu > 0.999
    assert kappa_hat == pytest.approx(kappa, rel=0.05)
    # the fit is the likelihood's maximum: nudging kappa either way lowers it
    loglik = [vmf_log_pdf(x, mu_hat, k).sum() for k in (0.98 * kappa_hat, kappa_hat, 1.02 * kappa_hat)]
    assert loglik[1] > max(loglik[0], loglik[2])


def test_uniform_directions_fit_a_small_concentration():
    x = vmf_sample(np.eye(3)[0], 0.0, 20000, np.random.default_rng(1))
    assert abs(x.mean(axis=0)).max() < 0.02
    assert vmf_fit(x)[1] < 0.1


def test_lognormal_matches_scipy_and_its_fit_recovers_parameters():
    r = np.array([0.01, 0.5, 1.0, 3.0, 40.0])
    np.testing.assert_allclose(lognormal_log_pdf(r, 0.7, 1.3), stats.lognorm(s=1.3, scale=np.exp(0.7)).logpdf(r),
                               rtol=1e-12)
    sample = np.random.default_rng(2).lognormal(1.5, 0.4, 50000)
    mean, sigma = lognormal_fit(sample)
    assert mean == pytest.approx(1.5, abs=0.01) and sigma == pytest.approx(0.4, rel=0.02)


def test_direction_magnitude_density_integrates_to_one_in_the_plane():
    mu, kappa, log_mean, log_sigma = np.array([0.6, -0.8]), 3.0, 0.2, 0.5

    def density(phi, r):
        x = r * np.array([np.cos(phi), np.sin(phi)])
        return np.exp(direction_magnitude_log_pdf(x, mu, kappa, log_mean, log_sigma)) * r

    total, _ = integrate.dblquad(density, 1e-9, 40, 0, 2 * np.pi, epsabs=1e-9)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_torch_log_bessel_has_the_right_values_and_gradients():
    import torch

    kappa = torch.tensor([0.5, 3.0, 80.0, 2000.0], dtype=torch.float64, requires_grad=True)
    for order in (0.5, 31.0, 255.0):
        values = torch_log_bessel_iv(order, kappa)
        np.testing.assert_allclose(values.detach().numpy(), log_bessel_iv(order, kappa.detach().numpy()))
        assert torch.autograd.gradcheck(lambda k, order=order: torch_log_bessel_iv(order, k), (kappa,), eps=1e-6, atol=1e-5)
