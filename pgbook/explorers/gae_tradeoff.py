"""Notebook 09's explorer: GAE(lambda) on the gridworld, the exact squared bias, the variance and the
mean squared error of a batch's gradient estimate against lambda and the batch size B, for the exact V
and for TD(0) critics. The numbers come from `gae_measure` (cached), so a slider release only indexes.

    MSE(lambda, B) = ||E[g] - grad J||^2 + tr Cov[g_i] / B
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .._checks import check_int, check_real
from ..plots import CYCLE, EXACT_COLOR, legend
from ._view import view
from .gae_measure import CRITICS, LAMBDAS, check_critic, measure

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
FLOOR = 1e-6  # the bottom of the log axes: a squared bias of 0 (exact V, lambda = 1) is drawn there
__all__ = ["BATCH_SIZES", "CRITICS", "FLOOR", "LAMBDAS", "gae_tradeoff_figure"]


def _number(x: float) -> str:  # a squared bias that is round-off (at most ~1e-30 here) reads 0
    return "0" if x < FLOOR**3 else f"{x:.2g}"


def _build(v, ax, bx):
    lam = np.array(LAMBDAS)
    v.bias, = v.track(*ax.plot(lam, lam, "s-", color=EXACT_COLOR, gid="bias2", label=r"bias$^2$ (exact)"))
    v.var, = v.track(*ax.plot(lam, lam, "o-", color=CYCLE[0], gid="variance", label=r"tr Cov$\,/B$"))
    v.mse, = v.track(*ax.plot(lam, lam, "^--", color=CYCLE[1], gid="mse", label="MSE (sum)"))
    v.now, = v.track(*ax.plot([0], [1], "o", ms=17, mfc="none", mew=3, color=CYCLE[1], gid="mse at lambda"))
    v.best, = v.track(*ax.plot([0], [1], "*", ms=16, color=EXACT_COLOR, zorder=3, gid="lowest mse"))
    ax.set(yscale="log", ylim=(FLOOR, 3), xlim=(-0.04, 1.04), xlabel=r"$\lambda$", ylabel=r"per batch of $B$ episodes")
    legend(ax, "below", ncols=3, columnspacing=1.0, handlelength=1.6)
    B = np.array(BATCH_SIZES, dtype=float)
    v.ends = v.track(*[bx.plot(B, B, ls, color="0.55", gid=f"mse: lambda {end:g}", label=rf"$\lambda = {end:g}$")[0]
                       for end, ls in ((0.0, "--"), (1.0, ":"))])
    v.curve, = v.track(*bx.plot(B, B, "^-", color=CYCLE[1], gid="mse vs B", label=r"this $\lambda$"))
    v.floor, = v.track(bx.axhline(1.0, color=CYCLE[1], lw=1.5, ls="-.", gid="its bias2", label=r"its bias$^2$"))
    v.at, = v.track(*bx.plot([1], [1], "o", ms=17, mfc="none", mew=3, color=CYCLE[1], gid="mse at B"))
    bx.set(xscale="log", yscale="log", ylim=(FLOOR, 3), xlim=(0.7, 1500), xlabel="episodes per batch $B$", ylabel="MSE")
    bx.set_xticks([1, 4, 16, 64, 256, 1024], ["1", "4", "16", "64", "256", "1024"])
    bx.minorticks_off()
    legend(bx, "below", ncols=4, columnspacing=1.0, handlelength=1.6)
    v.left, v.right = v.title(ax), v.title(bx)


def gae_tradeoff_figure(critic: str = "TD(0), 20 episodes", lam: float = 0.8, batch_size: int = 32,
                        axes=None) -> Figure:
    """Left: against lambda, the exact squared bias of GAE(lambda)'s gradient estimate, the variance of a
    batch of batch_size episodes (tr Cov / B, measured on POOL episodes) and their sum, the MSE, with lam
    circled and the lambda of lowest MSE starred. Right: the MSE against the batch size at lam and at
    lambda = 0 and 1, beside lam's squared bias (where its MSE ends as B grows). A squared bias below
    FLOOR is drawn at FLOOR.

    critic: a key of CRITICS; lam: one of LAMBDAS; batch_size: one of BATCH_SIZES. axes: None or the
    two axes to draw on. Returns the figure.
    """
    for name, value, allowed in (("lam", check_real("lam", lam), LAMBDAS),
                                 ("batch_size", check_int("batch_size", batch_size), BATCH_SIZES)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    m = measure(check_critic(critic))
    k, B = LAMBDAS.index(lam), np.array(BATCH_SIZES, dtype=float)
    mse = m.bias2 + m.var / batch_size
    mse_B = m.bias2[:, None] + m.var[:, None] / B  # (L, batch sizes)
    v = view(axes, _build)
    v.bias.set_ydata(np.maximum(m.bias2, FLOOR))
    v.var.set_ydata(m.var / batch_size)
    v.mse.set_ydata(mse)
    v.now.set_data([lam], [mse[k]])
    best = int(np.argmin(mse))
    v.best.set_data([LAMBDAS[best]], [mse[best]])
    for line, row in zip(v.ends, (mse_B[0], mse_B[-1])):
        line.set_ydata(row)
    v.curve.set_ydata(mse_B[k])
    v.floor.set_ydata([max(m.bias2[k], FLOOR)] * 2)
    v.at.set_data([batch_size], [mse[k]])
    v.left.set_text(f"λ = {lam:g}: MSE {mse[k]:.2g} = {_number(m.bias2[k])} + {m.var[k] / batch_size:.2g}")
    v.right.set_text(f"B = {batch_size}: MSE lowest at λ = {LAMBDAS[best]:g} (★)")
    return v.figure
