"""Animations of learning, as self-contained deterministic HTML (a helper module; notebook 04).

`to_html` does what matplotlib's `Animation.to_jshtml` does (a JavaScript player with the frames
embedded as PNG, so it plays in JupyterLab and in an offline HTML export), with two changes: frames
are quantized to a small palette, and the random uuid that names the player's HTML elements is
replaced by a hash of the frames, so the saved output is the same on every run. Keep animations
small: ~30 frames at dpi ~60 is one to two hundred kB.
"""
from __future__ import annotations

import base64
import hashlib
import re
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryDirectory

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML
from matplotlib.animation import FuncAnimation, HTMLWriter
from PIL import Image

from . import exact
from .envs import GRID_MOVES, grid_coordinates
from .learn import History

CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])  # simplex vertices on the page


class _PaletteWriter(HTMLWriter):
    """HTMLWriter whose PNG frames are quantized to a 64-colour palette: about 3x smaller for line
    art and flat colours, and the same look. Frames are base64 on one line each."""

    def grab_frame(self, **savefig_kwargs):
        buf = BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi, **savefig_kwargs)
        img = Image.open(buf).convert("RGB").quantize(64, method=Image.Quantize.MEDIANCUT,
                                                      dither=Image.Dither.NONE)
        out = BytesIO()
        img.save(out, format="png", optimize=True)
        self._saved_frames.append(base64.b64encode(out.getvalue()).decode("ascii"))


def to_html(fig, update, n_frames: int, fps: float = 6) -> HTML:
    """Render update(i) for i < n_frames as an HTML player with a deterministic id; closes fig."""
    anim = FuncAnimation(fig, update, frames=n_frames, blit=False)
    with TemporaryDirectory() as tmp:  # what Animation.to_jshtml does, with the smaller frames
        path = Path(tmp, "animation.html")
        anim.save(str(path), writer=_PaletteWriter(fps=fps, embed_frames=True, default_mode="once"))
        html = path.read_text()
    plt.close(fig)  # otherwise the notebook also shows the last frame as a static image
    uid = re.search(r'id="_anim_img([0-9a-f]{32})"', html).group(1)
    digest = hashlib.md5(html.replace(uid, "").encode()).hexdigest()
    return HTML(html.replace(uid, digest))


def frame_indices(n_updates: int, n_frames: int) -> np.ndarray:
    """n_frames update indices from 0 to n_updates, evenly spread (repeats removed)."""
    return np.unique(np.linspace(0, n_updates, n_frames).round().astype(int))


def to_simplex(p) -> np.ndarray:
    """Probability vectors p (..., 3) to points in the triangle (..., 2)."""
    return np.asarray(p) @ CORNERS


def simplex_field(mdp, policy, n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Exact gradient-ascent directions for a 3-action state-blind policy, seen on the simplex.

    At each grid point p, theta = log p, and d pi = (diag p - p p^T) grad J is how pi moves under a
    small step along the exact gradient. Returns points (M, 2) and unit directions (M, 2).
    """
    g = np.linspace(0.04, 0.92, n)
    p = np.array([(a, b, 1 - a - b) for a in g for b in g if 1 - a - b > 0.03])
    dirs = []
    for q in p:
        grad = exact.policy_gradient(mdp, policy, np.log(q))
        dirs.append(to_simplex((np.diag(q) - np.outer(q, q)) @ grad))
    dirs = np.array(dirs)
    return to_simplex(p), dirs / np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-12)


def bandit_simplex(history: History, mdp, policy, labels=("arm 0", "arm 1", "arm 2"),
                   n_frames: int = 24, fps: float = 6) -> HTML:
    """3-armed bandit: each run's policy as a point moving on the simplex over the exact gradient
    field (left), and run 0's three action probabilities as bars (right)."""
    pi = history.pi[:, :, 0, :]  # (R, U+1, 3): the choosing state
    frames = frame_indices(pi.shape[1] - 1, n_frames)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(5.6, 2.5), dpi=60, width_ratios=(1.3, 1))
    pts, dirs = simplex_field(mdp, policy)
    ax.quiver(*pts.T, *dirs.T, color="0.6", angles="xy", scale=14, width=0.006)
    ax.plot(*CORNERS[[0, 1, 2, 0]].T, "k-", lw=1)
    for c, lab in zip(CORNERS, labels):
        ax.annotate(lab, c, ha="center", va="top" if c[1] == 0 else "bottom", fontsize=9)
    ax.set(xlim=(-0.1, 1.1), ylim=(-0.12, 0.98), aspect="equal")
    ax.axis("off")
    xy = to_simplex(pi)
    paths = [ax.plot([], [], "-", lw=1.2)[0] for _ in range(len(xy))]
    dots = ax.scatter(xy[:, 0, 0], xy[:, 0, 1], s=20, c=[p.get_color() for p in paths], zorder=3)
    bars = bx.bar([f"arm {a}" for a in range(3)], pi[0, 0], color="C0")  # short: bars are narrow
    bx.set(ylim=(0, 1), ylabel="pi(a)")
    bx.grid(False)  # flat colours compress well: grid lines cost bytes in every frame

    def update(i):
        k = frames[i]
        for path, run in zip(paths, xy):
            path.set_data(run[:k + 1, 0], run[:k + 1, 1])
        dots.set_offsets(xy[:, k])
        for bar, h in zip(bars, pi[0, k]):
            bar.set_height(h)
        bx.set_title(f"run 0, update {k}", fontsize=9)
        ax.set_title(f"{len(xy)} runs; grey: exact gradient", fontsize=9)

    return to_html(fig, update, len(frames), fps)


def gridworld_policy(history: History, layout, run: int = 0, n_frames: int = 24, fps: float = 6) -> HTML:
    """Per-state action probabilities as arrows (length = pi(a|s)) in each cell, sharpening over updates."""
    cells = grid_coordinates(layout)
    pi, J = history.pi[run], history.J[run]
    frames = frame_indices(pi.shape[0] - 1, n_frames)
    rows, cols = len(layout), len(layout[0])
    fig, ax = plt.subplots(figsize=(0.9 * cols + 0.6, 0.9 * rows + 0.5), dpi=60)
    for r, line in enumerate(layout):
        for c, ch in enumerate(line):
            face = {"#": "0.3", "G": "#9d9", "X": "#e99"}.get(ch, "white")
            ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fc=face, ec="0.7"))
    ax.set(xlim=(-0.5, cols - 0.5), ylim=(rows - 0.5, -0.5), aspect="equal")
    ax.axis("off")
    live = np.array([layout[r][c] in ".S" for r, c in cells])
    base = np.repeat(cells[live][:, ::-1], 4, axis=0).astype(float)  # (x, y) = (col, row)
    moves = np.tile(GRID_MOVES[:, ::-1], (int(live.sum()), 1)) * 0.45  # UP, RIGHT, DOWN, LEFT
    arrows = ax.quiver(base[:, 0], base[:, 1], moves[:, 0], moves[:, 1], angles="xy", scale_units="xy",
                       scale=1, color="C0", width=0.02)

    def update(i):
        k = frames[i]
        length = pi[k][live].ravel()[:, None]
        arrows.set_UVC(moves[:, 0] * length[:, 0], moves[:, 1] * length[:, 0])
        ax.set_title(f"update {k}: J = {J[k]:.3f}", fontsize=10)

    return to_html(fig, update, len(frames), fps)
