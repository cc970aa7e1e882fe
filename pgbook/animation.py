"""Animations as animated PNGs that play anywhere (a helper module; the pictures are in `scenes`).

`animate` draws `update(i)` for every frame and writes one APNG: Pillow's PNG writer with
`save_all=True`, one shared palette, and each frame stored as the rectangle that changed. A notebook
keeps it as an ordinary `image/png` output, so it plays with no JavaScript: in an untrusted
notebook, on GitHub and nbviewer, in VS Code and in an nbconvert HTML export (which drops image/gif
and image/webp). The bytes are deterministic (no timestamps: the same drawing gives the same file)
and the `text/plain` beside the image is too, for nbval. A drawn frame identical to the one before
it is not stored again: the stored frame is held for both durations (as Pillow would merge them
anyway), and the `text/plain` counts the frames in the file, e.g. `<animation: 16 frames (28 drawn),
...>`. In a live kernel `Movie.player()` adds play, pause and step controls over the same frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

from ._boxes import labelled_vbox
from ._checks import as_float_array, check_int, check_real

MAX_FRAMES = 240
HOLD_LAST = 2.0  # seconds the last frame stays up before the loop restarts
# what a player shows where widgets cannot render (before its cell is run, in a static view)
PLAYER_TEXT = "animation player: run this cell to pause and step through the frames above"


@dataclass(frozen=True, eq=False)
class Movie:
    """An animation: `png` is the APNG file; `figure` (closed) and `update` redraw any frame.

    n_frames counts the frames drawn, update(0) ... update(n_frames - 1) (the range of `at` and of
    `steps`); stored[i] is the frame of the file that shows drawn frame i. Consecutive identical
    drawings share one stored frame, so the file holds `n_stored` <= n_frames frames.
    """

    png: bytes
    n_frames: int
    size: tuple[int, int]  # (width, height) in pixels
    fps: float
    figure: Figure
    update: Callable[[int], object]
    steps: tuple[int, ...] = ()  # the step of the data each frame shows, when a scene spaced them
    stored: tuple[int, ...] = ()  # (n_frames,) nondecreasing, from 0; () means every frame is stored

    @property
    def n_stored(self) -> int:
        """The number of frames in the APNG file."""
        return self.stored[-1] + 1 if self.stored else self.n_frames

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:  # no byte count: font rendering may differ between machines
        drawn = f" ({self.n_frames} drawn)" if self.n_stored != self.n_frames else ""
        return (f"<animation: {self.n_stored} frame{'s' * (self.n_stored != 1)}{drawn}, "
                f"{self.size[0]}×{self.size[1]} px, {self.fps:g} fps>")

    def at(self, i: int) -> Figure:
        """The figure showing drawn frame i (for tests of what is drawn, and static fallbacks)."""
        self.update(check_int("i", i, 0, self.n_frames - 1))
        return self.figure

    def save(self, path) -> None:
        with open(path, "wb") as f:
            f.write(self.png)

    def frames(self) -> list[bytes]:
        """The n_stored frames of the file, each as a plain PNG decoded from the APNG (in the file's
        palette: a few times smaller and faster to write than RGB, e.g. in a notebook's widget state)."""
        out = []
        for frame in ImageSequence.Iterator(Image.open(BytesIO(self.png))):
            buf = BytesIO()
            (frame if frame.mode in ("P", "RGB") else frame.convert("RGB")).save(buf, format="png", compress_level=1)
            out.append(buf.getvalue())
        return out

    def player(self):
        """ipywidgets Play + slider + image stepping through the n_stored frames of the file (the
        count the text/plain gives), one per 1/fps s when playing: a held frame is shown once."""
        import ipywidgets as w  # imported here: the rest of pgbook does not need ipywidgets

        frames = self.frames()
        image = w.Image(value=frames[0], format="png", layout=w.Layout(max_width="100%", height="auto"))
        play = w.Play(value=0, min=0, max=len(frames) - 1, interval=round(1000 / self.fps))
        slider = w.IntSlider(value=0, min=0, max=len(frames) - 1, description="frame")
        w.jslink((play, "value"), (slider, "value"))
        slider.observe(lambda change: setattr(image, "value", frames[change["new"]]), names="value")
        return labelled_vbox([w.HBox([play, slider]), image], PLAYER_TEXT)


def animate(fig: Figure, update: Callable[[int], object], n_frames: int, fps: float = 8,
            colors: int = 64, steps=()) -> Movie:
    """Draw update(i) for i < n_frames into an APNG Movie, then close fig.

    update(i) must set the artists for frame i whatever frame was drawn before. If it returns the
    artists it changes (the same ones every frame, as for matplotlib's FuncAnimation with blit=True),
    the rest of the figure is drawn once and only those are redrawn: several times faster, since
    most of a draw is text. The layout is fixed after frame 0 (axes do not jump as titles change).
    The palette holds `colors` colours chosen from up to 8 frames spread over the movie, shared by
    all frames (APNG has one palette). steps: optional, the step of the data frame i shows (e.g.
    from `frame_indices`), kept on the Movie.
    """
    n_frames = check_int("n_frames", n_frames, 1, MAX_FRAMES)
    fps = check_real("fps", fps, 0.5, 50.0)
    colors = check_int("colors", colors, 2, 256)
    steps = tuple(check_int(f"steps[{i}]", k) for i, k in enumerate(steps))
    if steps and len(steps) != n_frames:
        raise ValueError(f"steps must give one step per frame ({n_frames}), got {len(steps)}")
    plt.close(fig)  # otherwise the notebook also shows the last frame as a static image
    rgb = _render(fig, update, n_frames)
    ms = round(1000 / fps)
    durations = [ms] * (n_frames - 1) + [max(ms, round(1000 * HOLD_LAST))]
    png, stored = _apng(rgb, durations, colors)
    return Movie(png, n_frames, rgb[0].size, fps, fig, update, steps, stored)


def _render(fig: Figure, update, n_frames: int) -> list[Image.Image]:
    """RGB images of frames 0..n_frames-1, blitting the artists update returns (if it does)."""
    canvas = FigureCanvasAgg(fig)
    dynamic = update(0)
    dynamic = [] if dynamic is None else sorted(dict.fromkeys(dynamic), key=_draw_order(fig))
    for a in dynamic:
        a.set_animated(True)  # left out of full draws: the background
    try:
        canvas.draw()
        fig.set_layout_engine("none")  # keep frame 0's layout
        background = canvas.copy_from_bbox(fig.bbox)
        rgb = []
        for i in range(n_frames):
            if i:
                update(i)
            if dynamic:
                canvas.restore_region(background)
                for a in dynamic:
                    fig.draw_artist(a)
            elif i:
                canvas.draw()
            rgb.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    finally:
        for a in dynamic:
            a.set_animated(False)  # so Movie.at(i) and savefig draw everything
    return rgb


def _draw_order(fig: Figure):
    """Sort key drawing artists as a full draw would: axis by axis, then by zorder, then in the
    order they were added (findobj walks the children in that order)."""
    added = {id(a): n for n, a in enumerate(fig.findobj())}
    axes = {id(ax): n for n, ax in enumerate(fig.axes)}
    return lambda a: (axes.get(id(a.axes), -1), a.get_zorder(), added.get(id(a), len(added)))


def _apng(rgb: list[Image.Image], durations: list[int], colors: int) -> tuple[bytes, tuple[int, ...]]:
    """One APNG of the frames in one palette of `colors` colours (median cut, no dithering), and for
    each frame the index of the stored frame showing it. A frame identical to the one before it (in
    RGB, the comparison Pillow's writer makes) is not stored again: the stored one is held for the
    sum of their durations, the file Pillow writes anyway, here with the count known."""
    sample = rgb[:: max(1, len(rgb) // 8)]
    montage = Image.new("RGB", (rgb[0].width, rgb[0].height * len(sample)))
    for k, im in enumerate(sample):
        montage.paste(im, (0, k * im.height))
    palette = montage.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    frames, held, stored, previous = [], [], [], None
    for im, ms in zip(rgb, durations):
        frame = im.quantize(palette=palette, dither=Image.Dither.NONE)
        pixels = frame.convert("RGB").tobytes()
        if pixels == previous:
            held[-1] += ms
        else:
            frames.append(frame)
            held.append(ms)
            previous = pixels
        stored.append(len(frames) - 1)
    buf = BytesIO()
    frames[0].save(buf, format="png", save_all=True, append_images=frames[1:], loop=0, duration=held)
    return buf.getvalue(), tuple(stored)


def frame_indices(path, n_frames: int, time_weight: float = 0.2) -> np.ndarray:
    """Indices of at most n_frames steps of `path`, spaced where it changes (first and last kept).

    path: (K, ...) the drawn quantity at each step (e.g. every run's policy after each update).
    Frames are equally spaced in s_k = (1 - w) L_k / L + w k / (K - 1), where L_k is the arc length
    of the path up to step k (Euclidean, over all trailing dimensions) and w = time_weight: w = 0
    follows the motion only, w = 1 is evenly spaced in time. A path that never moves is evenly spaced.
    """
    path = as_float_array("path", path)
    if path.ndim == 0 or len(path) < 2:
        raise ValueError(f"path must hold at least 2 steps along axis 0, got shape {path.shape}")
    n_frames = check_int("n_frames", n_frames, 2)
    w = check_real("time_weight", time_weight, 0.0, 1.0)
    steps = np.linalg.norm(np.diff(path.reshape(len(path), -1), axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    time = np.arange(len(path)) / (len(path) - 1)
    s = (1 - w) * arc / arc[-1] + w * time if arc[-1] > 0 else time
    levels = np.linspace(0.0, 1.0, n_frames)
    k = np.clip(np.searchsorted(s, levels), 1, len(s) - 1)
    k -= levels - s[k - 1] < s[k] - levels  # the nearer of the two neighbours
    k[0], k[-1] = 0, len(s) - 1
    return np.unique(k)

