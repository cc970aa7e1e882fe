"""Tests for pgbook.animation: an APNG that holds exactly the frames drawn, in one palette, with the
same bytes every time, shown as image/png beside a deterministic text/plain; a player over the same
frames; and frame spacing that follows the motion (checked on curves whose arc length is known)."""
from io import BytesIO

import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from PIL import Image, ImageSequence

from pgbook import animation

COLOURS = np.array([[230, 20, 20], [20, 200, 20], [20, 20, 230], [240, 200, 0], [0, 0, 0]])


def colour_movie(n_frames=5, fps=5.0, blit=False, shown=None):
    """Frame i fills the figure with COLOURS[i] and moves a white square: known pixels per frame.
    With blit, update returns the two patches, so only they are redrawn. shown: frame i draws
    picture shown[i] instead (a repeated index draws the identical picture again)."""
    shown = range(n_frames) if shown is None else shown
    fig = plt.figure(figsize=(3, 2), dpi=50)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    back = ax.add_patch(plt.Rectangle((0, 0), 1, 1, lw=0))
    square = ax.add_patch(plt.Rectangle((0, 0.4), 0.2, 0.2, color="white", lw=0))

    def update(i):
        back.set_facecolor(COLOURS[shown[i]] / 255)
        square.set_x(0.15 * shown[i])
        return [square, back] if blit else None

    return fig, animation.animate(fig, update, n_frames, fps=fps)


@pytest.fixture(scope="module")
def movie():
    return colour_movie()[1]


def decoded(png: bytes) -> list[np.ndarray]:
    return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(Image.open(BytesIO(png)))]


def test_the_apng_holds_each_frame_as_drawn(movie):
    im = Image.open(BytesIO(movie.png))
    assert im.format == "PNG" and im.is_animated and im.n_frames == 5 == movie.n_stored == movie.n_frames
    assert movie.stored == (0, 1, 2, 3, 4)
    assert im.info["loop"] == 0  # loops forever
    assert im.mode == "P"  # one shared palette
    frames = decoded(movie.png)
    assert movie.size == (150, 100) == frames[0].shape[1::-1]
    for i, frame in enumerate(frames):
        np.testing.assert_allclose(frame[5, -5], COLOURS[i], atol=12)  # the background of frame i
        x = int(round((0.15 * i + 0.1) * 150))  # the middle of the white square
        np.testing.assert_array_equal(frame[50, x], [255, 255, 255])


def test_frame_durations_follow_fps_and_the_last_frame_holds(movie):
    im = Image.open(BytesIO(movie.png))
    durations = []
    for frame in ImageSequence.Iterator(im):
        durations.append(frame.info["duration"])
    assert durations[:-1] == [200] * 4
    assert durations[-1] == 1000 * animation.HOLD_LAST


def test_redrawing_only_the_returned_artists_gives_the_same_pixels(movie):
    fig, blitted = colour_movie(blit=True)
    for a, b in zip(decoded(movie.png), decoded(blitted.png)):
        np.testing.assert_array_equal(a, b)
    assert not any(p.get_animated() for p in fig.axes[0].patches)  # a full draw shows them again


def test_the_palette_keeps_every_line_colour_of_a_figure_exactly():
    """The shared palette (median cut over up to 8 of the frames, animation._apng): on a figure of
    thin lines, one per colour of the style's cycle, each line's own colour is drawn exactly, and the
    picture as a whole within about one level of 255."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from pgbook.plots import CYCLE

    fig = plt.figure(figsize=(10, 4.5), dpi=100)
    ax = fig.add_subplot()
    for k, colour in enumerate(CYCLE):
        ax.plot([0, 1], [k, k + 0.5], color=colour, lw=2)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    frame = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    png, _ = animation._apng([Image.fromarray(frame)] * 2, [100, 100], colors=64)
    drawn = np.asarray(Image.open(BytesIO(png)).convert("RGB"))
    for colour in CYCLE:
        rgb = tuple(int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        assert (frame == rgb).all(axis=2).any() and (drawn == rgb).all(axis=2).any(), colour
    assert np.abs(drawn.astype(int) - frame).mean() < 1.5


def test_same_drawing_gives_the_same_bytes():
    assert colour_movie()[1].png == colour_movie()[1].png


def test_shown_as_image_png_with_a_deterministic_text_repr(movie):
    data, _ = DisplayFormatter().format(movie)
    assert set(data) == {"image/png", "text/plain"}
    assert data["image/png"] == movie.png
    assert data["text/plain"] == "<animation: 5 frames, 150×100 px, 5 fps>"


def test_animate_closes_its_figure_but_at_redraws_any_frame():
    before = plt.get_fignums()
    fig, m = colour_movie()
    assert plt.get_fignums() == before  # no duplicate static image of the last frame
    m.at(2)
    np.testing.assert_allclose(fig.axes[0].patches[0].get_facecolor()[:3], COLOURS[2] / 255)
    with pytest.raises(ValueError, match="i must be at most 4"):
        m.at(5)


def test_save_writes_the_apng(movie, tmp_path):
    movie.save(tmp_path / "m.png")
    assert (tmp_path / "m.png").read_bytes() == movie.png


def test_player_steps_through_the_same_frames(movie):
    import ipywidgets as w
    ui = movie.player()
    (play, slider), image = ui.children[0].children, ui.children[1]
    assert isinstance(play, w.Play) and isinstance(slider, w.IntSlider) and isinstance(image, w.Image)
    assert play.max == slider.max == 4 and play.interval == 200
    frames = decoded(movie.png)
    for i in (3, 1):
        slider.value = i
        np.testing.assert_array_equal(np.asarray(Image.open(BytesIO(image.value)).convert("RGB")), frames[i])
    # where widgets cannot render (before the cell runs, a static view) a reader sees its text/plain
    text = ui._repr_mimebundle_()["text/plain"]
    assert text == animation.PLAYER_TEXT and "VBox(" not in text


def test_identical_neighbours_are_stored_once_and_the_count_is_the_files():
    """Drawn frames 1 and 2 are the same picture: the file holds 4 frames, the second held for two
    frame times; text/plain, n_stored, frames() and the player all count the 4 frames of the file,
    while at(i) still redraws any of the 5 drawn frames."""
    fig, m = colour_movie(shown=[0, 1, 1, 2, 3])
    im = Image.open(BytesIO(m.png))
    assert im.n_frames == m.n_stored == 4 and m.n_frames == 5
    assert m.stored == (0, 1, 1, 2, 3)
    assert [f.info["duration"] for f in ImageSequence.Iterator(im)] == [200, 400, 200, 1000 * animation.HOLD_LAST]
    data, _ = DisplayFormatter().format(m)
    assert data["text/plain"] == "<animation: 4 frames (5 drawn), 150×100 px, 5 fps>"
    stored = decoded(m.png)
    for i, picture in enumerate([0, 1, 2, 3]):  # the file's frames are the distinct pictures, in order
        np.testing.assert_allclose(stored[i][5, -5], COLOURS[picture], atol=12)
    assert len(m.frames()) == 4
    ui = m.player()
    (play, slider), image = ui.children[0].children, ui.children[1]
    assert play.max == slider.max == m.n_stored - 1
    for i in (3, 2, 0):
        slider.value = i
        np.testing.assert_array_equal(np.asarray(Image.open(BytesIO(image.value)).convert("RGB")), stored[i])
    m.at(4)
    np.testing.assert_allclose(fig.axes[0].patches[0].get_facecolor()[:3], COLOURS[3] / 255)


def test_a_still_movie_is_one_stored_frame():
    _, m = colour_movie(n_frames=3, shown=[2, 2, 2])
    assert Image.open(BytesIO(m.png)).n_frames == m.n_stored == 1 and m.stored == (0, 0, 0)
    assert repr(m) == "<animation: 1 frame (3 drawn), 150×100 px, 5 fps>"


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_frames=0), ValueError, "n_frames must be at least 1"),
    (dict(n_frames=2.0), TypeError, "n_frames must be an integer"),
    (dict(n_frames=animation.MAX_FRAMES + 1), ValueError, "n_frames must be at most"),
    (dict(n_frames=2, fps=0.0), ValueError, "fps must lie in"),
    (dict(n_frames=2, colors=1), ValueError, "colors must be at least 2"),
])
def test_animate_rejects_bad_settings(kwargs, error, match):
    fig = plt.figure()
    with pytest.raises(error, match=match):
        animation.animate(fig, lambda i: None, **kwargs)
    plt.close(fig)


def test_frames_follow_arc_length_on_a_parabola():
    # x_k = k^2 for k = 0..100: arc length to step k is k^2, so equal arc-length levels j / (n - 1)
    # of the total are reached at k = 100 sqrt(j / (n - 1)).
    k = np.arange(101)
    idx = animation.frame_indices(k**2, 11, time_weight=0.0)
    want = 100 * np.sqrt(np.linspace(0, 1, 11))
    assert idx[0] == 0 and idx[-1] == 100 and len(idx) == 11
    assert np.all(np.abs(idx - want) <= 1)


def test_frames_skip_a_stretch_where_nothing_moves():
    path = np.concatenate([np.linspace(0, 1, 11), np.ones(90)])  # moves for 10 steps, then rests
    idx = animation.frame_indices(path, 6, time_weight=0.0)
    assert np.all(idx[:-1] <= 10) and idx[-1] == 100  # the last step is always shown
    some_time = animation.frame_indices(path, 6, time_weight=0.5)  # half the levels are by time
    assert (some_time > 10).sum() >= 2


def test_arc_length_is_euclidean_over_all_trailing_dimensions():
    # a 2-D path going around a square at unit speed along x then y: halfway in arc length is the corner
    path = np.array([(t, 0.0) for t in np.linspace(0, 1, 11)] + [(1.0, t) for t in np.linspace(0.1, 1, 10)])
    assert animation.frame_indices(path, 3, time_weight=0.0).tolist() == [0, 10, 20]
    runs = np.stack([path, 3 * path], axis=1)  # (K, 2 runs, 2): both runs turn at step 10
    assert animation.frame_indices(runs, 3, time_weight=0.0).tolist() == [0, 10, 20]


def test_time_weight_one_and_a_still_path_are_evenly_spaced():
    even = np.round(np.linspace(0, 50, 6)).astype(int)
    assert animation.frame_indices(np.arange(51) ** 3, 6, time_weight=1.0).tolist() == even.tolist()
    assert animation.frame_indices(np.zeros((51, 3)), 6).tolist() == even.tolist()


def test_fewer_steps_than_frames_gives_every_step_once():
    assert animation.frame_indices(np.arange(6.0), 24).tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("args, error, match", [
    (([1.0], 5), ValueError, "at least 2 steps"),
    (([0.0, np.nan, 1.0], 5), ValueError, r"path\[1\] is nan"),
    (([0.0, 1.0], 1), ValueError, "n_frames must be at least 2"),
    (([0.0, 1.0], 5, 1.5), ValueError, "time_weight must lie in"),
    ((["a", "b"], 5), TypeError, "path must be an array of numbers"),
])
def test_frame_indices_reject_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        animation.frame_indices(*args)


def test_frame_indices_do_not_modify_the_path():
    path = np.arange(10.0) ** 2
    copy = path.copy()
    animation.frame_indices(path, 4)
    np.testing.assert_array_equal(path, copy)
