"""Argument checks and the strip of samples shared by the scenes."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, same_shape  # noqa: F401 (the scenes import it from here)
from ..plots import CYCLE, EXACT_COLOR, jitter


def as_runs(name: str, x, trailing: int) -> np.ndarray:
    """x as a float array (R, K, ...) with `trailing` dimensions after K; one run (K, ...) gets R = 1."""
    x = as_float_array(name, x)
    if x.ndim == trailing + 1:
        x = x[None]
    if x.ndim != trailing + 2 or x.shape[1] < 2:
        raise ValueError(f"{name} must have shape (K, ...) or (R, K, ...) with {trailing} dimension(s) "
                         f"after K >= 2 steps, got shape {x.shape}")
    return x


class Strips:
    """One horizontal strip of dots per estimator (first on top) on a fixed x-range, and the exact
    value as a black vertical line. Samples beyond the range sit on its edge, counted in text."""

    def __init__(self, ax, names, lo: float, hi: float, n_samples: int):
        self.lo, self.hi = lo, hi
        self.rows = np.arange(len(names))[::-1]
        self.jitter = jitter(n_samples)
        self.dots = [ax.scatter(np.zeros(n_samples), y + self.jitter, s=16, color=CYCLE[i], alpha=0.6,
                                lw=0, gid=f"samples:{name}", label=name)
                     for i, (name, y) in enumerate(zip(names, self.rows))]
        self.counts = [(ax.text(lo, y + 0.36, "", ha="left", va="bottom", fontsize=13),
                        ax.text(hi, y + 0.36, "", ha="right", va="bottom", fontsize=13)) for y in self.rows]
        self.exact = ax.axvline(0.0, color=EXACT_COLOR, lw=2.5, gid="exact", label="exact")
        ax.set(xlim=(lo, hi), ylim=(-0.6, len(names) - 0.2), yticks=self.rows, yticklabels=names)
        ax.grid(False, axis="y")
        self.artists = [*self.dots, *(t for pair in self.counts for t in pair), self.exact]

    def set(self, samples, exact: float) -> None:
        for dots, (left, right), s, y in zip(self.dots, self.counts, samples, self.rows):
            dots.set_offsets(np.column_stack([np.clip(s, self.lo, self.hi), y + self.jitter]))
            below, above = int((s < self.lo).sum()), int((s > self.hi).sum())
            left.set_text(f"◀ {below} beyond" if below else "")
            right.set_text(f"{above} beyond ▶" if above else "")
        self.exact.set_xdata([exact, exact])
