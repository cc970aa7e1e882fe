"""Tests for pgbook.plots: the lecture style renders big enough to read from the back of a room, and
each helper returns its axis and draws exactly the data it was given (the exact value where the
exact value belongs, the estimate where the estimate belongs)."""
from io import BytesIO

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.text import Text
from PIL import Image

from pgbook import plots

CSS_PX_PER_PT = 96 / 72  # a browser's 12 pt is 16 px


def rendered_width(fig) -> int:
    """Width in pixels of the PNG Jupyter's inline backend shows (fig.dpi, cropped to what is drawn)."""
    return Image.open(BytesIO(print_figure(fig, "png", bbox_inches="tight"))).width


def smallest_text_pt_at_900px(fig, width: int) -> float:
    """The smallest visible text's size in CSS points once the figure is displayed 900 px wide."""
    sizes = [t.get_size() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    px = min(sizes) * fig.dpi / 72
    return px * min(1.0, 900 / width) / CSS_PX_PER_PT


@pytest.fixture
def lecture_style():
    with mpl.rc_context():
        plots.use_style()
        yield


def test_importing_plots_changes_no_matplotlib_setting():
    import importlib
    before = dict(mpl.rcParams)
    importlib.reload(plots)
    assert dict(mpl.rcParams) == before


@pytest.mark.parametrize("ncols", [1, 2])
def test_a_default_figure_is_at_least_900_px_wide_with_text_of_at_least_12_pt(lecture_style, ncols):
    fig, axes = plt.subplots(1, ncols)
    for ax in np.atleast_1d(axes):
        ax.plot([1, 10, 100], [3, 2, 1], label="a line")
        ax.set(xlabel=plots.LABELS["N"], ylabel=plots.LABELS["J"], title="a title")
        plots.legend(ax, "below")
    width = rendered_width(fig)
    assert width >= 900
    assert smallest_text_pt_at_900px(fig, width) >= 12
    plt.close(fig)


def test_style_holds_one_colour_cycle_and_the_figure_dpi(lecture_style):
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(plots.CYCLE)
    assert mpl.rcParams["figure.dpi"] == plots.DPI
    assert mpl.rcParams["savefig.dpi"] == "figure"  # savefig gives what the notebook shows
    fig, ax = plt.subplots()
    assert fig.get_size_inches()[0] == plots.FULL_WIDTH
    assert ax.plot([0, 1])[0].get_color() == plots.CYCLE[0]
    plt.close(fig)


@pytest.mark.parametrize("where", ["right", "below", "above"])
def test_legend_sits_beside_the_data_not_on_it(lecture_style, where):
    fig, ax = plt.subplots()
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2, label="data")
    leg = plots.legend(ax, where)
    fig.canvas.draw()
    box, area = leg.get_window_extent(), ax.get_window_extent()
    assert not box.overlaps(area)
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)  # kept in the figure
    plt.close(fig)


def test_legend_rejects_an_unknown_place():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="where must be one of"):
        plots.legend(ax, "inside")
    plt.close(fig)


def test_error_bars_draw_estimates_and_exact_values_where_they_belong():
    means, se, truth = np.array([0.2, -1.0, 3.0]), np.array([0.1, 0.2, 0.3]), np.array([0.25, -1.5, 2.0])
    fig, ax = plt.subplots()
    assert plots.error_bars(["a", "b", "c"], means, se, truth, k=2.0, ax=ax) is ax
    (container,) = ax.containers
    points, _, (bars,) = container.lines
    np.testing.assert_allclose(points.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(points.get_ydata(), means)  # the estimates, not the truth
    ends = np.array([seg[:, 1] for seg in bars.get_segments()])
    np.testing.assert_allclose(ends, np.column_stack([means - 2 * se, means + 2 * se]))
    (exact,) = [c for c in ax.collections if c.get_label() == "exact"]
    segments = np.array(exact.get_segments())
    np.testing.assert_allclose(segments[:, :, 1], np.column_stack([truth, truth]))  # the truth, not the means
    np.testing.assert_allclose(segments[:, :, 0].mean(axis=1), [0, 1, 2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    plt.close(fig)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(means=[1.0, 2.0], stderrs=[0.1]), ValueError, "stderrs has shape"),
    (dict(means=[1.0, 2.0], stderrs=[0.1, -0.1]), ValueError, "stderrs must be >= 0"),
    (dict(means=[1.0, 2.0], stderrs=[0.1, 0.1], truth=[1.0]), ValueError, "truth has shape"),
    (dict(means=["1", "2"], stderrs=[0.1, 0.1]), TypeError, "means must be an array of numbers"),
    (dict(means=[1.0, 2.0], stderrs=[0.1, 0.1], k=-1.0), ValueError, "k must lie in"),
])
def test_error_bars_reject_bad_input(kwargs, error, match):
    kwargs = dict(labels=["a", "b"]) | kwargs
    with pytest.raises(error, match=match):
        plots.error_bars(**kwargs)
    plt.close("all")


def test_mc_error_curve_draws_data_and_a_half_slope_guide():
    n = np.array([10, 100, 1000])
    err = np.array([1.0, 0.4, 0.1])
    fig, ax = plt.subplots()
    out = plots.mc_error_curve(n, err, ax=ax)
    assert out is ax
    data, guide = ax.get_lines()
    np.testing.assert_allclose(data.get_xdata(), n)
    np.testing.assert_allclose(data.get_ydata(), err)
    # the guide goes through the first point with slope exactly -1/2 in log-log coordinates
    slope = np.polyfit(np.log(guide.get_xdata()), np.log(guide.get_ydata()), 1)[0]
    assert slope == pytest.approx(-0.5)
    assert guide.get_ydata()[0] == pytest.approx(err[0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    plt.close(fig)


def test_mc_error_curve_without_guide_makes_its_own_axis():
    ax = plots.mc_error_curve([1, 2], [0.5, 0.3], guide=False)
    assert len(ax.get_lines()) == 1
    plt.close(ax.figure)


@pytest.mark.parametrize("n, err, match", [
    ([1, 2, 3], [1.0, 2.0], "n has shape"),
    ([0, 2], [1.0, 2.0], "positive"),
    ([1, 2], [1.0, -2.0], "positive"),
    ([], [], "non-empty"),
])
def test_mc_error_curve_rejects_bad_input(n, err, match):
    with pytest.raises(ValueError, match=match):
        plots.mc_error_curve(n, err)


def test_jitter_spreads_evenly_without_random_numbers():
    j = plots.jitter(1000, width=0.5)
    assert j.min() >= -0.25 and j.max() < 0.25
    counts, _ = np.histogram(j, bins=10, range=(-0.25, 0.25))
    assert counts.min() >= 95 and counts.max() <= 105  # even: 100 per bin within 5
    np.testing.assert_array_equal(j, plots.jitter(1000, width=0.5))
