"""Figures an explorer redraws in place, fast (used by the explorers and by `pgbook.widgets`).

A slider release should show the new figure within ~50 ms, but one full matplotlib draw of a
two-panel lecture-size figure costs ~40 ms on a laptop core, mostly text (tick labels, titles,
legends), and making the figure again costs as much once more. So a `View` keeps the artists an
explorer callback drew, the callback only changes their data, and `View.render` pastes a cached
picture of everything that does not change (axes, ticks, labels, legends) and draws just the
artists marked dynamic (blitting, as matplotlib's own animations do). A plain full draw
(`plt.show()`, `savefig`) of the same figure is unaffected, so a static fallback is the same figure.
"""
from __future__ import annotations

from io import BytesIO
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from ..plots import FULL_WIDTH, STYLE


def frozen(a: np.ndarray) -> np.ndarray:
    """a, made read-only: the explorers cache their arrays and hand them out."""
    a.flags.writeable = False
    return a


class View:
    """The axes an explorer callback drew on, and the artists that change with its settings."""

    def __init__(self, axes, signature=None):
        self.axes = tuple(axes)
        self.figure = self.axes[0].figure
        self.signature = signature  # what the static parts were built from (see `view`)
        self.dynamic: list = []
        self._key = None
        self._background = None
        self._laid_out = False

    def track(self, *artists) -> tuple:
        """Mark artists as dynamic (redrawn on every render); returns them as a tuple."""
        self.dynamic.extend(artists)
        return artists

    def title(self, ax):
        """A title above `ax` that every render redraws. (Not `ax.title`: a full draw re-places that
        one from what is visible, so it lands off the figure when hidden for the background.)"""
        text = ax.annotate(" ", (0.5, 1.0), xycoords="axes fraction", xytext=(0, 8), textcoords="offset points",
                           ha="center", va="bottom", fontsize=plt.rcParams["axes.titlesize"])
        return self.track(text)[0]

    def background_changes(self, key) -> bool:
        """True if `key` (whatever the static parts depend on) differs from the last call's; the
        caller then restyles the static parts, and the next render draws them again."""
        if key == self._key:
            return False
        self._key, self._background = key, None
        return True

    def render(self) -> np.ndarray:
        """Draw into the figure's Agg buffer and return it, (height, width, 4) uint8."""
        canvas = self.figure.canvas
        if not hasattr(canvas, "copy_from_bbox"):  # e.g. closed by pyplot: blitting needs Agg's buffer
            canvas = FigureCanvasAgg(self.figure)
        if not self._laid_out:  # lay out once with everything shown, then keep the axes where they are
            self.figure.set_layout_engine("constrained")
            canvas.draw()
            self.figure.set_layout_engine("none")
            self._laid_out = True
        if self._background is None:
            shown = [a.get_visible() for a in self.dynamic]
            for a in self.dynamic:
                a.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            for a, visible in zip(self.dynamic, shown):
                a.set_visible(visible)
        else:
            canvas.restore_region(self._background)
        for a in sorted(self.dynamic, key=lambda a: a.get_zorder()):
            self.figure.draw_artist(a)
        return np.asarray(canvas.buffer_rgba())

    def jpeg(self) -> bytes:
        """`render()` as JPEG bytes, for the explorer's image. JPEG at quality 95: ~1 ms to encode a
        1000 x 440 frame against ~15 ms for PNG even at zlib level 1 (Pillow's PNG filters cost
        more than the redraw), with no artefacts visible at that size."""
        rgba = self.render()
        image = Image.frombuffer("RGBA", rgba.shape[1::-1], rgba, "raw", "RGBA", 0, 1).convert("RGB")
        buf = BytesIO()
        image.save(buf, format="jpeg", quality=95)
        return buf.getvalue()


def view(axes, build: Callable[..., None], height: float = 4.4, width_ratios=None, signature=None) -> View:
    """The View a callback drew on `axes` before, else a new one set up by `build(view, *axes)`.

    axes: None (a new full-width pyplot figure with len(width_ratios or (1, 1)) panels side by side)
    or the axes to draw on. `build` draws the static parts and marks the dynamic ones with `track`.
    signature: what `build` depends on; a view built with another signature is cleared and rebuilt.
    """
    if axes is None:
        ratios = width_ratios or (1, 1)
        with plt.rc_context(STYLE):
            axes = plt.subplots(1, len(ratios), figsize=(FULL_WIDTH, height), width_ratios=ratios)[1]
    axes = tuple(np.atleast_1d(axes))
    found = getattr(axes[0], "_pgbook_view", None)
    if found is not None and found.axes == axes:
        if found.signature == signature:
            return found
        for ax in axes:
            ax.cla()
    v = View(axes, signature)
    with plt.rc_context(STYLE):
        build(v, *axes)
    axes[0]._pgbook_view = v  # a cycle axes <-> view, freed with the figure
    return v


def view_of(fig) -> View:
    """The View drawn on the first axes of `fig` (as `view` made it)."""
    found = getattr(fig.axes[0], "_pgbook_view", None) if fig.axes else None
    if found is None:
        raise ValueError("this figure was not drawn by a pgbook explorer callback")
    return found
