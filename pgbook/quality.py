"""How good is a gradient estimator? Bias, variance, MSE, cosine and angle against the exact gradient
(notebook 05; angles in notebook 07).

Repeat the estimate on M independent batches of N episodes each and compare every batch estimate
g_m with the exact gradient g = grad J from `pgbook.exact`:

    bias           = mean_m (g_m - g)                 (with a standard error over the M batches)
    total variance = trace Cov[g_m] = sum_k Var[g_m,k] (how far a single batch estimate scatters)
    MSE            = mean_m ||g_m - g||^2              (= (M - 1) / M total variance + ||bias||^2)
    cosine         = mean_m cos(g_m, g)                (does the step point uphill?)

The batches are cut from one big sample of M * N episodes, so all estimators see the same episodes.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_positive_int, check_rng, same_shape
from .estimators import check_baseline, check_returns, reinforce_gradient
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
    cosine: float  # mean over batches; a batch estimate of exactly 0 counts as cosine 0
    relative_error: float  # sqrt(MSE) / ||grad J||: the typical error as a fraction of the gradient

    def bias_within(self, k: float = 4.0) -> bool:
        """True if every component of the bias lies within k standard errors of zero."""
        return bool(np.all(np.abs(self.bias) <= k * self.bias_stderr))


def quality(estimates: ArrayLike, exact: ArrayLike) -> Quality:
    """Compare batch estimates (M, *theta_shape), M >= 2, with the exact gradient (*theta_shape)."""
    est, g = as_float_array("estimates", estimates), as_float_array("exact", exact)
    if est.ndim < 1 or est.shape[1:] != g.shape or est.shape[0] < 2:
        raise ValueError(f"estimates have shape {est.shape}, expected (M, *exact.shape) = "
                         f"(M, *{g.shape}) with M >= 2")
    norm_g = np.linalg.norm(g)
    if norm_g == 0:
        raise ValueError("the exact gradient is zero: cosine and relative error are undefined there")
    M = est.shape[0]
    flat, err = est.reshape(M, -1), (est - g).reshape(M, -1)
    norms = np.linalg.norm(flat, axis=1)
    cos = flat @ g.ravel() / (np.where(norms > 0, norms, 1.0) * norm_g)  # 0 for a zero estimate
    mse = float(np.mean(np.sum(err**2, axis=1)))
    return Quality(bias=err.mean(axis=0).reshape(g.shape),
                   bias_stderr=(err.std(axis=0, ddof=1) / np.sqrt(M)).reshape(g.shape),
                   total_variance=float(np.sum(err.var(axis=0, ddof=1))), mse=mse,
                   cosine=float(cos.mean()), relative_error=float(np.sqrt(mse) / norm_g))


def batch_estimates(episodes: Episodes, policy: SoftmaxPolicy, theta: ArrayLike, gamma: float,
                    batch_sizes: Sequence[int], returns: str = "total", baseline: str | ArrayLike | None = None,
                    truncation: str = "raise") -> list[np.ndarray]:
    """For each N in batch_sizes: the REINFORCE estimates of the M = n_episodes // N consecutive
    batches, as `reinforce_gradient` gives them batch by batch: one (M, *theta_shape) array per size.

    Leftover episodes are dropped. Baselines that do not depend on the batch (None, a float, an
    (S,) array) are computed once for all sizes; "mean" and "optimal" are refitted within each batch
    (`reinforce_gradient`'s group_size).
    """
    sizes = [check_positive_int("batch size", n) for n in batch_sizes]
    returns, baseline = check_returns(returns), check_baseline(baseline, policy.n_states)
    if any(n > episodes.n_episodes for n in sizes):
        raise ValueError(f"batch sizes {sizes} exceed the {episodes.n_episodes} episodes available")
    if isinstance(baseline, str) and min(sizes) < 2:
        raise ValueError(f"baseline={baseline!r} is estimated from the other episodes of a batch: "
                         f"need batch sizes >= 2, got {sizes}")
    if not isinstance(baseline, str):
        samples = reinforce_gradient(episodes, policy, theta, gamma, returns, baseline, truncation).samples
    out = []
    for n in sizes:
        M = episodes.n_episodes // n
        if isinstance(baseline, str):  # fitted to each batch: cut the pool, then group by batch
            samples = reinforce_gradient(episodes.select(slice(0, M * n)), policy, theta, gamma, returns,
                                         baseline, truncation, group_size=n).samples
        out.append(samples[: M * n].reshape(M, n, *samples.shape[1:]).mean(axis=1))
    return out


def measure(mdp: TabularMDP, policy: SoftmaxPolicy, theta: ArrayLike, rng: np.random.Generator,
            batch_size: int, n_batches: int, returns: str = "total", baseline: str | ArrayLike | None = None,
            max_steps: int = 1000, truncation: str = "raise") -> Quality:
    """Quality of one estimator at theta from n_batches fresh batches of batch_size episodes."""
    N, M = check_positive_int("batch_size", batch_size), check_positive_int("n_batches", n_batches)
    rng = check_rng(rng)
    returns, baseline = check_returns(returns), check_baseline(baseline, policy.n_states)  # before sampling
    episodes = sample_episodes(mdp, policy, theta, N * M, rng, max_steps)
    est = batch_estimates(episodes, policy, theta, mdp.gamma, [N], returns, baseline, truncation)[0]
    return quality(est, policy_gradient(mdp, policy, theta))


def episodes_needed(batch_sizes: ArrayLike, values: ArrayLike, level: float, above: bool = True) -> int | None:
    """Smallest batch size whose value reaches level (>= if above, else <=); None if none does.

    E.g. episodes_needed(sizes, cosines, 0.9) or episodes_needed(sizes, rel_errors, 0.1, above=False).
    Sizes are searched in the order given, so pass them increasing.
    """
    sizes, vals = as_float_array("batch_sizes", batch_sizes, ndim=1), as_float_array("values", values, ndim=1)
    same_shape(values=vals, batch_sizes=sizes)
    hit = np.flatnonzero(vals >= level if above else vals <= level)
    return int(sizes[hit[0]]) if hit.size else None


def _unit_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    """a and b as flat unit vectors; ValueError for different sizes or a zero vector."""
    a, b = as_float_array("a", a).ravel(), as_float_array("b", b).ravel()
    if a.shape != b.shape:
        raise ValueError(f"cannot compare a and b of sizes {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError(f"the angle to a zero vector is undefined (norms {na:g} and {nb:g})")
    return a / na, b / nb


def cosine(a: ArrayLike, b: ArrayLike) -> float:
    """cos of the angle between two arrays seen as flat vectors; ValueError if either is zero."""
    u, v = _unit_pair(a, b)
    return float(np.clip(u @ v, -1.0, 1.0))


def angle_degrees(a: ArrayLike, b: ArrayLike) -> float:
    """Angle between two arrays seen as flat vectors, in degrees; ValueError if either is zero."""
    u, v = _unit_pair(a, b)  # 2 atan2(|u - v|, |u + v|): accurate near 0 and 180 degrees, unlike arccos
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))
