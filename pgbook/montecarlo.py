"""Monte Carlo averages with standard errors: the one estimate type every estimator returns.

Neutral ground: the tabular REINFORCE estimators, the Gaussian and pathwise estimators all return a
`GradientEstimate`, so none of them imports another's module to get it.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class GradientEstimate(NamedTuple):
    """mean and stderr shaped like theta; samples: (N, *theta.shape), one gradient per episode."""

    mean: np.ndarray
    stderr: np.ndarray
    samples: np.ndarray


def as_estimate(samples: np.ndarray) -> GradientEstimate:
    """Mean and standard error over the first axis of per-sample gradients (N, *shape)."""
    n = samples.shape[0]
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(samples.shape[1:], np.inf)
    return GradientEstimate(mean=samples.mean(axis=0), stderr=stderr, samples=samples)
