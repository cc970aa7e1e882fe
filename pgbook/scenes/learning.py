"""REINFORCE learning runs in motion (notebook 04): the short corridor and a gridworld."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.legend_handler import HandlerBase
from matplotlib.patches import FancyArrow
from matplotlib.quiver import Quiver

from .._checks import as_float_array, check_probability
from ..animation import Movie, animate, frame_indices
from ..envs import GRID_MOVES, grid_coordinates
from ..plots import CYCLE, EXACT_COLOR, FULL_WIDTH, LABELS, STYLE, legend
from ._common import as_runs, same_shape


class _ArrowKey(HandlerBase):
    """A quiver's legend key drawn as an arrow in its colour (matplotlib draws it as a filled box)."""

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        return [FancyArrow(-xdescent, height / 2 - ydescent, width, 0, width=height / 5, head_width=height * 0.8,
                           head_length=width / 3, length_includes_head=True, transform=trans,
                           color=orig_handle.get_facecolor()[0])]


def corridor_climb(p_grid, J_grid, p, J, slope=None, p_star=None, n_frames: int = 40, fps: float = 8) -> Movie:
    """The iterates' p(right) climbing the exact curve J(p) (left) and p(right) over updates (right).

    p_grid, J_grid: (G,) the exact curve; p, J: (R, K) or (K,) each run's p(right) and exact J after
    each update; slope: optional, like p, dJ/dp at the iterates, drawn as an arrow of fixed length
    along the curve's tangent (as displayed) pointing uphill, i.e. the way gradient ascent moves p;
    p_star: the maximiser, a dashed line. Frames follow the motion of p.
    """
    p_grid, J_grid = as_float_array("p_grid", p_grid, ndim=1), as_float_array("J_grid", J_grid, ndim=1)
    same_shape(p_grid=p_grid, J_grid=J_grid)
    p, J = as_runs("p", p, 0), as_runs("J", J, 0)
    same_shape(p=p, J=J)
    if slope is not None:
        slope = as_runs("slope", slope, 0)
        same_shape(p=p, slope=slope)
    frames = frame_indices(p.T, n_frames)
    R, K = p.shape
    updates = np.arange(K)
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.4))
        ax.plot(p_grid, J_grid, color="0.45", gid="curve", label="exact $J(p)$")
        dots = ax.scatter(p[:, 0], J[:, 0], s=60, c=[CYCLE[r % 6] for r in range(R)], zorder=4, gid="iterates",
                          label="iterates")
        if slope is not None:
            # (U, V) = sign(s) (1, s) / sqrt(1 + s^2): the unit tangent, uphill (V = |s| / ... >= 0)
            U, V = np.sign(slope) / np.sqrt(1 + slope**2), np.abs(slope) / np.sqrt(1 + slope**2)
            arrows = ax.quiver(p[:, 0], J[:, 0], U[:, 0], V[:, 0], angles="xy", scale_units="inches",
                               scale=1 / 0.7, color=EXACT_COLOR, width=0.006, zorder=5, gid="gradient",
                               label=r"uphill along $J(p)$")
        top = max(J_grid.max(), J.max())
        pad = 0.1 * (top - J.min())
        ax.set(xlabel=LABELS["p_right"], ylabel=LABELS["J"], xlim=(0, 1), ylim=(J.min() - pad, top + pad))
        lines = [bx.plot([], [], color=CYCLE[r % 6], lw=1.8, gid=f"p:{r}")[0] for r in range(R)]
        bx.set(xlim=(0, K - 1), ylim=(0, 1), xlabel=LABELS["update"], ylabel=LABELS["p_right"])
        if p_star is not None:
            for line in (ax.axvline, bx.axhline):
                line(p_star, color=EXACT_COLOR, ls="--", lw=1.5, gid="p_star", label=r"$p^*$")
        legend(ax, "below", handler_map={Quiver: _ArrowKey()})
        title = ax.set_title("")

        def update(i):
            k = frames[i]
            dots.set_offsets(np.column_stack([p[:, k], J[:, k]]))
            if slope is not None:
                arrows.set_offsets(np.column_stack([p[:, k], J[:, k]]))
                arrows.set_UVC(U[:, k], V[:, k])
            for line, run in zip(lines, p):
                line.set_data(updates[: k + 1], run[: k + 1])
            title.set_text(f"update {k}: mean J = {J[:, k].mean():.2f}")
            return [dots, *lines, title] + ([arrows] if slope is not None else [])

        return animate(fig, update, len(frames), fps, steps=frames)


def gridworld_policy(pi, layout, J=None, n_frames: int = 40, fps: float = 8) -> Movie:
    """Each state's action probabilities as arrows (length = pi(a|s)) sharpening over updates (left),
    and the exact J so far (right, if J is given).

    pi: (K, S, 4) one run's policy after each update, S the states of `envs.gridworld(layout)`;
    J: (K,) optional. Frames follow the motion of pi.
    """
    cells = grid_coordinates(layout)
    pi = check_probability("pi", pi)
    if pi.ndim != 3 or pi.shape[1:] != (len(cells), 4) or len(pi) < 2:
        raise ValueError(f"pi must have shape (K >= 2, {len(cells)}, 4) for this layout, got {pi.shape}")
    if J is not None:
        J = as_float_array("J", J, ndim=1)
        same_shape(**{"pi[:, 0, 0]": pi[:, 0, 0], "J": J})
    frames = frame_indices(pi, n_frames)
    rows, cols = len(layout), len(layout[0])
    live = np.array([layout[r][c] in ".S" for r, c in cells])
    base = np.repeat(cells[live][:, ::-1], 4, axis=0).astype(float)  # (x, y) = (col, row)
    moves = np.tile(GRID_MOVES[:, ::-1], (int(live.sum()), 1)) * 0.45  # UP, RIGHT, DOWN, LEFT
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(FULL_WIDTH, 4.4), width_ratios=(1.25, 1))
        for r, line in enumerate(layout):
            for c, ch in enumerate(line):
                face = {"#": "0.3", "G": "#8fd18f", "X": "#f08c8c"}.get(ch, "white")
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fc=face, ec="0.6"))
                if ch in "GXS":
                    ax.annotate(ch, (c + 0.38, r - 0.38), ha="right", va="top", fontsize=13, color="0.3")
        ax.set(xlim=(-0.5, cols - 0.5), ylim=(rows - 0.5, -0.5), aspect="equal")
        ax.axis("off")
        arrows = ax.quiver(*base.T, *moves.T, angles="xy", scale_units="xy", scale=1, color=CYCLE[0],
                           width=0.012, gid="policy")
        if J is not None:
            curve, = bx.plot([], [], color=CYCLE[1], gid="J")
            bx.set(xlim=(0, len(J) - 1), ylim=(J.min() - 0.05 * np.ptp(J), J.max() + 0.05 * np.ptp(J)),
                   xlabel=LABELS["update"], ylabel=f"exact {LABELS['J']}")
        else:
            bx.axis("off")
        title = ax.set_title("")

        def update(i):
            k = frames[i]
            length = pi[k][live].ravel()
            arrows.set_UVC(moves[:, 0] * length, moves[:, 1] * length)
            if J is not None:
                curve.set_data(np.arange(k + 1), J[: k + 1])
            title.set_text(f"update {k}" + (f": J = {J[k]:.3f}" if J is not None else ""))
            return [arrows, title] + ([curve] if J is not None else [])

        return animate(fig, update, len(frames), fps, steps=frames)
