"""How good is a gradient estimator? Bias, variance, MSE and cosine against the exact gradient (notebook 05).

Repeat the estimate on M independent batches of N episodes each and compare every batch estimate
g_m with the exact gradient g = grad J from `pgbook.exact`:

    bias           = mean_m (g_m - g)                 (with a standard error over the M batches)
    total variance = trace Cov[g_m] = sum_k Var[g_m,k] (how far a single batch estimate scatters)
    MSE            = mean_m ||g_m - g||^2              (= total variance + ||bias||^2)
    cosine         = mean_m cos(g_m, g)                (does the step point uphill?)

The batches are cut from one big sample of M * N episodes, so all estimators see the same episodes.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ._checks import as_float_array, check_positive_int
from .estimators import BASELINES, reinforce_gradient, subtract_batch_baseline
from .exact import policy_gradient
from .mdp import TabularMDP
from .policies import SoftmaxPolicy
from .rollout import Episodes, sample_episodes


class Quality(NamedTuple):
    """bias, bias_stderr: shaped like theta; the rest are floats over the M batches."""

    bias: np.ndarray
    bias_stderr: np.ndarray
    total_variance: float
    mse: float
    cosine: float
    relative_error: float  # sqrt(MSE) / ||grad J||: the typical error as a fraction of the gradient

    def bias_within(self, k: float = 4.0) -> bool:
        """True if every component of the bias lies within k standard errors of zero."""
        return bool(np.all(np.abs(self.bias) <= k * self.bias_stderr))


def quality(estimates, exact) -> Quality:
    """Compare batch estimates (M, *theta_shape), M >= 2, with the exact gradient (*theta_shape)."""
    est, g = as_float_array("estimates", estimates), as_float_array("exact", exact)
    if est.ndim < 1 or est.shape[1:] != g.shape or est.shape[0] < 2:
        raise ValueError(f"estimates have shape {est.shape}, expected (M, *exact.shape) = "
                         f"(M, *{g.shape}) with M >= 2")
    norm_g = np.linalg.norm(g)
    if norm_g == 0:
        raise ValueError("the exact gradient is zero: cosine and relative error are undefined there")
    M = est.shape[0]
    err = (est - g).reshape(M, -1)
    norms = np.linalg.norm(est.reshape(M, -1), axis=1)
    # a zero estimate points nowhere: count its cosine as 0 rather than dividing by zero
    cos = np.where(norms > 0, est.reshape(M, -1) @ g.ravel() / (np.where(norms > 0, norms, 1.0) * norm_g), 0.0)
    mse = float(np.mean(np.sum(err**2, axis=1)))
    return Quality(bias=err.mean(axis=0).reshape(g.shape),
                   bias_stderr=(err.std(axis=0, ddof=1) / np.sqrt(M)).reshape(g.shape),
                   total_variance=float(np.sum(err.var(axis=0, ddof=1))), mse=mse,
                   cosine=float(cos.mean()), relative_error=float(np.sqrt(mse) / norm_g))


def batch_estimates(episodes: Episodes, policy: SoftmaxPolicy, theta, gamma: float,
                    batch_sizes: Sequence[int], returns: str = "total", baseline=None) -> list[np.ndarray]:
    """For each N in batch_sizes: the REINFORCE estimates of M = n_episodes // N disjoint batches.

    Returns one array (M, *theta_shape) per batch size (leftover episodes are dropped). Identical
    to calling `reinforce_gradient` on each batch, but the per-episode terms are computed once for
    all batches; only the leave-one-out baselines ("mean", "optimal") are recombined per batch.
    """
    sizes = [check_positive_int("batch size", n) for n in batch_sizes]
    if any(n > episodes.n_episodes for n in sizes):
        raise ValueError(f"batch sizes {sizes} exceed the {episodes.n_episodes} episodes available")
    if not isinstance(baseline, str):  # per-episode samples do not depend on the batch: reshape
        samples = reinforce_gradient(episodes, policy, theta, gamma, returns, baseline).samples
        return [samples[: n * (len(samples) // n)].reshape(-1, n, *samples.shape[1:]).mean(axis=1) for n in sizes]
    if baseline not in ("mean", "optimal"):
        raise ValueError(f"baseline must be {BASELINES}; got the string {baseline!r}")
    if min(sizes) < 2:
        raise ValueError(f"baseline={baseline!r} is estimated from the other episodes of a batch: "
                         f"need batch sizes >= 2, got {sizes}")
    g = reinforce_gradient(episodes, policy, theta, gamma, returns).samples
    B = g - reinforce_gradient(episodes, policy, theta, gamma, returns, baseline=1.0).samples  # b = 1 isolates B
    R = episodes.returns(gamma)
    out = []
    for n in sizes:
        out.append(subtract_batch_baseline(baseline, _by_batch(g, n), _by_batch(B, n), _by_batch(R, n)).mean(axis=0))
    return out


def _by_batch(x: np.ndarray, n: int) -> np.ndarray:
    """(P, ...) -> (n, P // n, ...): column m is batch m, so leave-one-out sums run over axis 0."""
    M = len(x) // n
    return np.swapaxes(x[: M * n].reshape(M, n, *x.shape[1:]), 0, 1)


def measure(mdp: TabularMDP, policy: SoftmaxPolicy, theta, rng: np.random.Generator, batch_size: int,
            n_batches: int, returns: str = "total", baseline=None, max_steps: int = 1000) -> Quality:
    """Quality of one estimator at theta from n_batches fresh batches of batch_size episodes."""
    N, M = check_positive_int("batch_size", batch_size), check_positive_int("n_batches", n_batches)
    episodes = sample_episodes(mdp, policy, theta, N * M, rng, max_steps)
    est = batch_estimates(episodes, policy, theta, mdp.gamma, [N], returns, baseline)[0]
    return quality(est, policy_gradient(mdp, policy, theta))


def episodes_needed(batch_sizes, values, level: float, above: bool = True) -> int | None:
    """Smallest batch size whose value reaches level (>= if above, else <=); None if none does.

    E.g. episodes_needed(sizes, cosines, 0.9) or episodes_needed(sizes, rel_errors, 0.1, above=False).
    Sizes are searched in the order given, so pass them increasing.
    """
    sizes, vals = as_float_array("batch_sizes", batch_sizes, ndim=1), as_float_array("values", values, ndim=1)
    if sizes.shape != vals.shape:
        raise ValueError(f"batch_sizes has shape {sizes.shape} but values has shape {vals.shape}; expected equal")
    hit = np.flatnonzero(vals >= level if above else vals <= level)
    return int(sizes[hit[0]]) if hit.size else None
